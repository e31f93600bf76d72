"""The ``payerr`` command: explain codes, classify responses, list, export and validate mappings.

Verbs, flags and ``--json`` keys are a contract. Errors are one line on stderr and a non-zero
exit: 1 for a failed check (an invalid mapping, an unknown code in ``explain``), 2 for a usage
error, an unknown provider or an unreadable input file.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import sys
import time
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, WIDTH
from payerr._cli.text import OutputError as _OutputError
from payerr._cli.text import SafeOutput as _SafeOutput
from payerr._cli.text import near as _near
from payerr._cli.text import print_json as _print_json
from payerr._cli.text import shorten as _shorten
from payerr._cli.text import terminal_safe as _terminal_safe
from payerr._cli.text import wrapped as _wrapped
from payerr._core.exceptions import MappingError, UnknownProviderError, UsageError
from payerr._core.http import MAX_BODY_BYTES, parse_json_object
from payerr._core.reasons import Reason
from payerr._core.taxonomy import (
    Category,
    Classification,
    CodeEntry,
    Operation,
    Outcome,
)
from payerr._core.text import clean
from payerr._mappings.classify import classify, classify_http
from payerr._mappings.registry import Registry
from payerr._mappings.schema import normalize_code, parse_file
from payerr._mappings.shopper import locales, negotiate, shopper_message
from payerr._mappings.unknown import resend_settles
from payerr.networks._tables import card_networks, network_table, shipped_networks_dir

__all__ = ["main"]


class _UsageError(Exception):
    """A problem with what the user typed or pointed us at; exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    parser = _parser()
    if not (sys.argv[1:] if argv is None else list(argv)):
        parser.print_help()  # bare `payerr`: what it can do, not an error
        return EXIT_OK
    args, extra = parser.parse_known_args(argv)
    # argparse binds an optional positional before it sees later options, so
    # `classify antom --status 429 body.json` leaves the file over: take it here.
    leftover = extra[0] if len(extra) == 1 else ""
    is_file = leftover == "-" or (leftover != "" and not leftover.startswith("-"))
    if args.verb == "classify" and args.file is None and is_file:
        args.file, extra = leftover, []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _quiet_logs()
    try:
        for path in args.mappings or ():
            _check_readable(Path(path), "--mappings ", folder_ok=True)
        registry = Registry(args.mappings or ())
        provider = getattr(args, "provider", None)
        if isinstance(provider, str) and _network_named(provider) is None:
            args.provider = _provider_named(provider, registry)
        out = _SafeOutput(sys.stdout)
        status: int = args.handler(args, registry, out)
        out.flush()
    except (_UsageError, UnknownProviderError, UsageError) as exc:
        message = str(exc)
        network = _network_named(exc.provider) if isinstance(exc, UnknownProviderError) else None
        if network is not None:
            message = (
                f"{network} is a card network, not a provider: 'payerr list {network}' and "
                f"'payerr explain {network} CODE' read its table"
            )
        elif isinstance(exc, UnknownProviderError) and card_networks():
            message += f"; card networks: {', '.join(card_networks())}"
            near = _near(str(exc.provider), [*exc.known, *card_networks()])
            if near:
                message += f". Did you mean {near}?"
        print(f"payerr: error: {_terminal_safe(message)}", file=sys.stderr)
        return EXIT_USAGE
    except MappingError as exc:
        for line in exc.errors:
            print(f"payerr: error: {_terminal_safe(line)}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except BrokenPipeError:  # `payerr list | head`
        _drop_output()
        sys.stderr.close()
        return EXIT_OK
    except _OutputError as exc:  # `> /dev/full`, a full disk
        _drop_output()
        print(f"payerr: error: cannot write the output: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except KeyboardInterrupt:
        return 130
    return status


def _drop_output() -> None:
    """What is left in standard output's buffer goes nowhere (Python would try it again on
    exit, and print a second error)."""
    # No real file behind sys.stdout (a test's capture): nothing to drop.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _Formatter(argparse.HelpFormatter):
    """argparse's help, its width read from the terminal without loading shutil (argparse
    builds a formatter for every option it adds; shutil costs each command ~3 ms)."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
        width: int | None = None,
    ) -> None:  # fmt: skip
        if width is None:
            try:
                width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
            except (ValueError, OSError):
                width = 80
            width -= 2
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """argparse, writing its usage errors without control characters (they echo arguments)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(_terminal_safe(message), file)

    def error(self, message: str) -> NoReturn:
        """One line on stderr, exit 2 (argparse prints the whole usage block first)."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    """Every verb and its options. Longer than 60 lines on purpose: a declaration per verb,
    read top to bottom like the CLI page of the docs."""
    parser = _Parser(
        prog="payerr",
        description="Translate payment providers' failure codes into one taxonomy.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--mappings",
        action="append",
        metavar="PATH",
        help="extra mapping file or folder, applied after the shipped ones (repeatable; "
        "PAYERR_MAPPINGS is read too)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser(
        "explain", help="what a provider code, or a card network's code, means and what to do"
    )
    p.add_argument("provider", help="a provider, or a card network (visa, mastercard)")
    p.add_argument("code")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _operation_option(p)
    _lang_option(p)
    p.set_defaults(handler=_explain)

    p = verbs.add_parser("classify", help="classify an HTTP response body from a file or stdin")
    p.add_argument("provider")
    p.add_argument("file", nargs="?", metavar="FILE", help="body file, or - for stdin")
    p.add_argument(
        "--status", type=_http_status, default=200, help="HTTP status, 100-599 (default 200)"
    )
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a response header (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--first-send",
        action="store_true",
        help="you know this request was never sent before: a repeat answer ('duplicate', "
        "409) is then a failure, not outcome unknown",
    )
    _operation_option(p)
    _lang_option(p)
    p.set_defaults(handler=_classify)

    _scan_parser(verbs)

    p = verbs.add_parser("list", help="list mapped codes")
    p.add_argument("provider", nargs="?", help="a provider, or a card network (visa, mastercard)")
    p.add_argument("--category", choices=[c.value for c in Category])
    p.add_argument("--outcome", choices=[o.value for o in Outcome])
    p.add_argument(
        "--reason",
        type=lambda text: text.strip().lower(),
        choices=[r.value for r in Reason],
        metavar="REASON",
        help="only the codes with this reason (payerr.Reason: insufficient_funds, ...)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(handler=_list)

    p = verbs.add_parser("export", help="export the code tables")
    p.add_argument("provider", nargs="?")
    p.add_argument("--format", choices=["markdown", "csv", "json"], default="markdown")
    p.set_defaults(handler=_export)

    p = verbs.add_parser("demo", help="run payments against the built-in provider simulator")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.add_argument("--seed", type=_seed, default=7, help="workload seed, 0 or more (default 7)")
    p.add_argument("--verbose", action="store_true", help="also print payerr's structured logs")
    p.add_argument(
        "--metrics",
        action="store_true",
        help="also print the OpenTelemetry metric points the demo produced (needs the SDK)",
    )
    p.set_defaults(handler=_demo)

    p = verbs.add_parser("validate", help="check mapping files (default: shipped and user ones)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.set_defaults(handler=_validate)
    return parser


# -- verbs ----------------------------------------------------------------------------------


def _scan_parser(verbs: Any) -> None:
    p = verbs.add_parser(
        "scan",
        help="a decline report over a JSON Lines file of logged answers",
        description="Classify logged answers, one JSON object a line (provider, status, body; "
        "optional path, operation, headers; gzip read too), and report counts by provider, "
        "outcome, category and reason, the top codes and the unknown codes to map.",
    )
    p.add_argument("file", metavar="FILE", help="a .jsonl file (gzip or not), or - for stdin")
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes (default: the cores; at most the cores, or 2)",
    )
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print one JSON object")
    shape.add_argument("--csv", action="store_true", help="print CSV, one row per count")
    shape.add_argument("--html", metavar="PAGE", help="write one self-contained HTML page")
    p.add_argument(
        "--first-send",
        action="store_true",
        help="every request was a first send (see classify --first-send)",
    )
    p.set_defaults(handler=_scan)


def _with_lang(result: Classification, lang: str | None) -> dict[str, Any]:
    """The JSON form, with ``locale`` and ``shopper_message`` when ``--lang`` asked for them."""
    data = result.as_dict()
    if lang is not None:
        data["locale"] = negotiate(lang)
        data["shopper_message"] = shopper_message(result, lang)
    return data


def _lang_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        metavar="LANG",
        help="print the shopper message in this language (a BCP 47 tag such as zh-HK, or an "
        "Accept-Language value); payerr ships " + ", ".join(locales()),
    )


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number, 0 or more: {text!r}")
    return seed


def _operation_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--operation",
        type=lambda text: text.strip().lower(),  # as payerr.explain reads it: any case
        choices=[o.value for o in Operation],
        metavar="OPERATION",
        help="what was classified: rows scoped to it apply ("
        + ", ".join(o.value for o in Operation)
        + ")",
    )


def _provider_named(name: str, registry: Registry) -> str:
    """The provider a command line names, in any case (``Antom``, ``PAYKKA``); as typed when
    no provider has that name (the registry then says which it knows)."""
    known = {p.lower(): p for p in registry.providers()}
    key = name.strip().lower()
    # As the providers write their own names: "Alipay+", "OTT Pay", "ottpay-rest".
    spelled = key.replace("+", "_plus").replace(" ", "").replace("-", "_")
    return known.get(key) or known.get(spelled) or name


def _network_named(name: object) -> str | None:
    """The card network a command line names, in any case (``VISA``, ``Mastercard``)."""
    if not isinstance(name, str) or not name.isascii():
        return None
    network = name.strip().lower()
    return network if network in card_networks() else None


def _explain(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    if not args.code.strip():
        raise _UsageError("explain needs a code: payerr explain PROVIDER CODE")
    network = _network_named(args.provider)
    if network is not None:
        if args.operation:
            raise _UsageError("--operation applies to provider codes, not to a card network's")
        from payerr._cli.networks import explain_network  # noqa: PLC0415 -- a network named

        return explain_network(network_table(network), args.code, args.json, out)
    # The row as the mapping says it: what the code means when this was the request's first
    # send; _render says what it means otherwise.
    result = classify(
        args.provider, args.code, registry=registry, operation=args.operation, first_send=True
    )
    table = registry.table(args.provider)
    key = normalize_code(args.code)
    scoped = {str(o): e for (code, o), e in table.scoped.items() if code == key}
    entry = scoped.get(args.operation or "") or table.entry(args.code)
    if args.json:
        data = _with_lang(result, args.lang)
        if entry is not None:
            data.update(_provenance(entry))
        data["scoped"] = {o: e.as_dict() for o, e in sorted(scoped.items())}
        _print_json(data, out)
    else:
        out.write(_render(result, entry, lang=args.lang))
        for operation, row in sorted(scoped.items()):
            verdict = f"{row.outcome} / {row.category}" if row.category else str(row.outcome)
            out.write(f"  {'scoped:':<10} for {operation}: {verdict} (--operation {operation})\n")
    if not result.known and not args.json:  # a hint for a person, not over JSON
        near = _near(args.code, [e.code for e in table.entries.values()])
        if near:
            print(f"payerr: did you mean {near}?", file=sys.stderr)
    return EXIT_OK if result.known else EXIT_CHECK_FAILED


def _classify(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    import httpx  # noqa: PLC0415 -- the classify verb's headers

    headers = httpx.Headers([_parse_header(h) for h in args.header])
    body = _read_body(args.file)
    result = classify_http(
        args.provider,
        args.status,
        body,
        headers,
        registry=registry,
        now=time.time(),
        operation=args.operation,
        first_send=args.first_send,
    )
    table = registry.table(args.provider)
    entry = table.entry(result.code) if result.known else None
    mapped = result.known or (
        result.raw_code is not None and table.entry(result.raw_code) is not None
    )
    if args.json:
        _print_json(_with_lang(result, args.lang), out)
    else:
        out.write(_render(result, entry, mapped=mapped, lang=args.lang))
    if not mapped and not args.json:
        hint = _envelope_hint(args.provider, body)
        if hint:
            print(f"payerr: {hint}", file=sys.stderr)
        elif result.raw_code:
            table = registry.table(args.provider)
            near = _near(result.raw_code, [e.code for e in table.entries.values()])
            if near:
                print(f"payerr: did you mean {near}?", file=sys.stderr)
    # An answer whose code payerr does not map is a failed check (as in explain), and so is one
    # whose deciding status no list knows (the value to map); an answer with no code at all (a
    # bare 503) is classified by its status, and that is no failure.
    if result.unmapped is not None:
        return EXIT_CHECK_FAILED
    return EXIT_CHECK_FAILED if result.raw_code and not mapped else EXIT_OK


_ENVELOPES = (
    ("paykka", ("ret_code",)),
    ("ottpay", ("rsp_code",)),
    ("ottpay_rest", ("status", "result")),
    ("antom", ("result",)),
)
"""The top-level fields that show whose answer a body is (Alipay+ shares Antom's)."""


def _envelope_hint(provider: str, body: bytes) -> str | None:
    """When ``body`` has another provider's envelope and not ``provider``'s: say whose."""
    data = parse_json_object(body)  # None for anything but a JSON object, never raises
    if data is None:
        return None
    owners = [name for name, keys in _ENVELOPES if all(k in data for k in keys)]
    same = {"antom": {"antom", "alipay_plus"}, "ottpay_rest": {"ottpay_rest", "antom"}}
    if not owners or provider in owners or provider in same.get(owners[0], set()):
        return None
    fields = ", ".join(dict(_ENVELOPES)[owners[0]])
    return (
        f"this body has {owners[0]}'s envelope ({fields}), not {provider}'s: "
        f"payerr classify {owners[0]} ..."
    )


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= 256:
        raise argparse.ArgumentTypeError(f"must be a number of processes, 1-256, not {text!r}")
    return jobs


def _scan(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    from payerr._bulk import report as scan_report  # noqa: PLC0415 -- loaded for this verb only
    from payerr._bulk import scan as scan_files  # noqa: PLC0415

    if args.file != "-":
        _check_readable(Path(args.file), "", folder_ok=False, stream_ok=True)
    for provider in registry.providers():
        registry.table(provider)  # a broken mapping file: said once (exit 1), not per line
    if args.html and _same_file(args.html, args.file):
        raise _UsageError(f"--html {clean(args.html)} is the file being scanned: name another")
    options = scan_files.Options(tuple(args.mappings or ()), args.first_send)
    cores = scan_files.cpu_count()
    jobs = min(args.jobs or cores, max(cores, 2))  # more processes than cores gain nothing
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = scan_files.scan(args.file, jobs=jobs, options=options, progress=progress)
    except (OSError, EOFError) as exc:  # a truncated gzip, a read error
        raise _UsageError(f"cannot read {clean(args.file)}: {exc}") from exc
    finally:
        if progress:
            progress.done()
    source = "standard input" if args.file == "-" else args.file
    if args.json:
        _print_json(scan_report.as_json(report, source), out)
    elif args.csv:
        scan_report.write_csv(report, source, out)
    else:
        scan_report.write_text(report, source, out)
        if args.html:
            try:
                with open(args.html, "w", encoding="utf-8") as page:
                    scan_report.write_html(report, source, page)
            except OSError as exc:
                raise _UsageError(f"cannot write {clean(args.html)}: {exc.strerror}") from exc
            out.write(f"\nwrote {args.html}\n")
    return EXIT_OK


def _same_file(page: str, source: str) -> bool:
    """Whether writing ``page`` would overwrite ``source`` (``-``: whatever standard input
    reads, ``payerr scan - --html log.jsonl < log.jsonl``)."""
    try:
        if source == "-":
            there, read = os.stat(page), os.fstat(sys.stdin.fileno())
            return (there.st_dev, there.st_ino) == (read.st_dev, read.st_ino)
        return os.path.samefile(page, source)
    except (OSError, ValueError, AttributeError):  # no such page yet; no real stdin
        return False


class _Progress:
    """A progress line on a terminal's stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\rscanning [{bar}] {100 * done / total:3.0f}%")
        else:
            self.stream.write(f"\rscanning: {done:,} lines")
        self.stream.flush()

    def done(self) -> None:
        if self.last:
            self.stream.write("\r" + " " * 50 + "\r")
            self.stream.flush()


def _http_status(text: str) -> int:
    try:
        status = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an HTTP status: {text!r}") from None
    if not 100 <= status <= 599:
        raise argparse.ArgumentTypeError(f"an HTTP status is 100 to 599, not {status}")
    return status


def _list(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    network = _network_named(args.provider)
    if network is not None:
        if args.category or args.outcome or args.reason:
            raise _UsageError(
                "--category, --outcome and --reason filter provider codes, not a network's"
            )
        from payerr._cli.networks import list_network  # noqa: PLC0415 -- a network named

        return list_network(network_table(network), args.json, out)
    entries = _entries(registry, args.provider)
    if args.category:
        entries = [e for e in entries if e.category == args.category]
    if args.outcome:
        entries = [e for e in entries if e.outcome == args.outcome]
    if args.reason:
        entries = [e for e in entries if e.reason == args.reason]
    if args.json:
        _print_json([e.as_dict() for e in entries], out)
        return EXIT_OK
    width = min(max((len(e.code) for e in entries), default=4), 24)
    prefix = "" if args.provider else f"{'provider':<12} "
    out.write(f"{prefix}{'code':<{width}}  {'verdict':<22}  the provider's words\n")
    for e in entries:
        verdict = f"{e.outcome}/{e.category}" if e.category else str(e.outcome)
        if e.operations:
            verdict += f" [{', '.join(e.operations)}]"
        prefix = "" if args.provider else f"{e.provider:<12} "
        line = f"{prefix}{e.code:<{width}}  {verdict:<22}  "
        room = WIDTH - len(line)
        if room < 20:  # a long verdict (scoped to operations): the words on the next line
            out.write(line.rstrip() + "\n")
            line, room = " " * 4, WIDTH - 4
        out.write(f"{line}{_shorten(e.message, room)}".rstrip() + "\n")
    out.write(f"{len(entries)} code{'s' if len(entries) != 1 else ''}\n")
    return EXIT_OK


_EXPORT_FIELDS = (
    "provider", "code", "outcome", "category", "retryable", "reason", "advice", "message",
    "description",
    "provider_action", "action", "user_message", "retry_after", "retry_hint", "group", "note",
    "document", "seed", "doc_url", "spellings", "operations",
)  # fmt: skip


def _export(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    entries = _entries(registry, args.provider)
    rows = [e.as_dict() for e in entries]
    if args.format == "json":
        _print_json(rows, out)
    elif args.format == "csv":
        writer = csv.DictWriter(
            out, fieldnames=_EXPORT_FIELDS, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        for row in rows:
            joined = {k: " ".join(row[k]) for k in ("spellings", "operations")}  # type: ignore[arg-type]
            writer.writerow({**row, **joined})
    else:
        cols = (
            "provider",
            "code",
            "operations",
            "outcome",
            "category",
            "reason",
            "advice",
            "message",
            "action",
            "document",
        )
        out.write("| " + " | ".join(cols) + " |\n")
        out.write("|" + "---|" * len(cols) + "\n")
        for row in rows:
            cells = (_cell(row[c]) for c in cols)
            out.write(
                "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |\n"
            )
    return EXIT_OK


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _demo(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    from payerr._cli.demo import run  # noqa: PLC0415 -- the simulator is loaded only for the demo

    summary = run(
        seed=args.seed,
        json_output=args.json,
        out=out,
        verbose=args.verbose,
        metrics=args.metrics,
    )
    return EXIT_OK if summary["duplicate_executions"] == 0 else EXIT_CHECK_FAILED


def _check_readable(path: Path, what: str, *, folder_ok: bool, stream_ok: bool = False) -> None:
    """A path the user named that payerr cannot read is a usage error (exit 2), said plainly.
    ``stream_ok``: a pipe (``<(zcat log.gz)``) or a character device is read as a stream."""
    name = f"{what}{clean(str(path))}"
    if not path.exists():
        raise _UsageError(f"cannot read {name}: no such file" + (" or folder" if folder_ok else ""))
    if path.is_dir():
        if not folder_ok:
            raise _UsageError(f"cannot read {name}: it is a folder; name the .toml files in it")
        return
    if not path.is_file():
        if stream_ok and (path.is_fifo() or path.is_char_device()):
            return  # opened once, when read: a pipe opened twice loses what it held
        raise _UsageError(f"cannot read {name}: not a regular file")
    try:
        path.open("rb").close()  # readable by this process (root reads past chmod 000)
    except OSError as exc:
        raise _UsageError(f"cannot read {name}: {exc.strerror or exc}") from exc


def _validate(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    problems: list[str] = []
    checked: list[tuple[str, int]] = []
    networks: list[Path] = []
    if args.files:
        for name in args.files:
            _check_readable(Path(name), "", folder_ok=False)
            if _is_network_file(Path(name)):
                networks.append(Path(name))
                continue
            try:
                doc = parse_file(Path(name))
            except MappingError as exc:
                problems.extend(exc.errors)
            else:
                checked.append((doc.origin, len(doc.rows)))
                unnamed = [r.code for r in doc.rows if r.reason is Reason.UNKNOWN]
                if unnamed:  # allowed (old files load), and worth saying
                    shown = ", ".join(unnamed[:5]) + (" ..." if len(unnamed) > 5 else "")
                    print(
                        f"payerr: note: {clean(name)}: {len(unnamed)} row"
                        f"{'s say' if len(unnamed) != 1 else ' says'} reason 'unknown' "
                        f'(add reason = "..." from payerr.Reason): {_terminal_safe(shown)}',
                        file=sys.stderr,
                    )
    else:
        for provider in registry.providers():
            try:
                checked.extend(registry.table(provider).origins)
            except MappingError as exc:
                problems.extend(exc.errors)
        networks.extend(sorted(shipped_networks_dir().glob("*.toml")))
    for origin, count in checked:
        out.write(f"ok  {origin}  ({count} codes)\n")
    for path in networks:
        try:
            table = _networks().parse_network_file(path)
        except MappingError as exc:
            problems.extend(exc.errors)
        else:
            out.write(f"ok (card network)  {table.origin}  ({_networks().counts(table)})\n")
    for line in problems:
        print(f"payerr: error: {_terminal_safe(line)}", file=sys.stderr)
    if problems:
        out.write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found\n")
        return EXIT_CHECK_FAILED
    return EXIT_OK


# -- helpers --------------------------------------------------------------------------------


def _entries(registry: Registry, provider: str | None) -> list[CodeEntry]:
    providers = [provider] if provider else registry.providers()
    return [e for p in providers for e in registry.table(p).all_entries()]


def _provenance(entry: CodeEntry) -> dict[str, Any]:
    keys = (
        *("description", "provider_action", "group", "note", "seed", "doc_url", "spellings"),
        "operations",
    )
    data = entry.as_dict()
    return {**{k: data[k] for k in keys}, "document": document_of(entry)}


def _render(
    result: Classification, entry: CodeEntry | None, *, mapped: bool = True, lang: str | None = None
) -> str:
    verdict = f"{result.outcome} / {result.category}" if result.category else str(result.outcome)
    code = result.raw_code if result.raw_code is not None else "(no code)"
    if result.known:
        known = "known"
    elif result.raw_code and mapped:
        known = "a mapped code the answer overrules"  # an HTTP status or a status field
    else:
        known = "UNKNOWN code" if result.raw_code else "no known code"
    lines = _wrapped(
        "", f"{result.provider} {code}: {verdict}  ({known}, decided by {result.source})"
    )

    def add(label: str, value: object) -> None:
        if value not in (None, ""):
            head = f"  {label + ':':<10} "
            lines.extend(_wrapped(head, str(value)))

    add("message", result.message)
    add("detail", result.detail if result.detail != result.message else None)
    if entry is not None:
        add("described", entry.description if entry.description != entry.message else None)
        # A repeat answer payerr could not call a failure: the provider's advice (often "use
        # a new id") holds only for a first send.
        unsure = result.repeat and result.outcome is not Outcome.FAILED and entry.repeat
        add("provider" if not unsure else "provider (for a first send only)", entry.provider_action)
    add("reason", f"{result.reason}  (next: {result.advice})")
    add("action", result.action)
    if lang is None:
        add("shopper", result.user_message)
    else:
        add(f"shopper ({negotiate(lang)})", shopper_message(result, lang))
    if result.retry_after is not None:
        resend = result.retryable or resend_settles(result) or (entry is not None and entry.resend)
        what = (
            "a hint for resending the same request, not an automatic retry"
            if resend
            else "the provider's hint for a new attempt after review, never a resend of this "
            "request"
        )
        add("retry", f"after {result.retry_after:g} s ({what})")
    add("hint", result.retry_hint)
    if result.network is not None:
        add("network", _networks().network_line(result.network))
    if entry is not None:
        add("note", entry.note)
    if result.repeat and result.outcome is Outcome.FAILED:
        add("repeat", _REPEAT_NOTE)
    if entry is not None:
        add("source", document_of(entry))
    return "\n".join(lines) + "\n"


_REPEAT_NOTE = (
    "the provider already has this request or order. This verdict holds only when the request "
    "was never sent before; after a resend, or when that is not known, it is outcome unknown: "
    "inquire, and never start over with a new order number"
)


def document_of(entry: CodeEntry) -> str:
    """Where a row's words come from, named as the provider's document (not a file hash)."""
    return entry.document


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise _UsageError(f"--header must look like 'Name: value', got {text!r}")
    return name.strip(), value.strip()


_MAX_READ = MAX_BODY_BYTES + 1
"""Read no more than this: a larger answer is not parsed anyway (and a huge file must not
fill memory)."""


def _read_body(name: str | None) -> bytes:
    if name is None or name == "-":
        if sys.stdin.isatty():  # a person at a terminal: say why nothing happens yet
            print("payerr: reading the answer from standard input (end it with Ctrl-D)",
                  file=sys.stderr)  # fmt: skip
        return sys.stdin.buffer.read(_MAX_READ)
    try:
        with Path(name).open("rb") as f:
            return f.read(_MAX_READ)
    except OSError as exc:
        raise _UsageError(f"cannot read {clean(name)}: {exc.strerror or exc}") from exc


def _quiet_logs() -> None:
    """The CLI is an application: payerr's errors go to stderr, its warnings nowhere, and
    nothing to stdout (JSON goes there). Through structlog when something loaded it, else
    through the standard library (a verb that never loads structlog does not pay for it)."""
    structlog = sys.modules.get("structlog")
    if structlog is not None:
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
            # look sys.stderr up when logging, not now: it may be swapped (tests, redirection)
            logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        )
    logger = logging.getLogger("payerr")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler(logging.ERROR))


class _StderrHandler(logging.Handler):
    """payerr's error events on the stderr of the moment (tests and redirections swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a closed stderr: logging's own policy
            self.handleError(record)


class _VersionAction(argparse.Action):
    """``--version``: the installed version, read from the package metadata only when asked
    (reading it costs every other command ~10 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("payerr")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _networks() -> types.ModuleType:
    """The card-network verbs, loaded when a network is named."""
    from payerr._cli import networks as _cli_networks  # noqa: PLC0415

    return _cli_networks


def _is_network_file(path: Path) -> bool:
    """Whether a file is a card network table (a ``[network]`` header, no ``[provider]``)."""
    import tomllib  # noqa: PLC0415 -- payerr validate FILE only

    try:
        with path.open("rb") as f:
            data = tomllib.loads(f.read(_MAX_READ).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False  # parse_file reports it
    return "network" in data and "provider" not in data


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
