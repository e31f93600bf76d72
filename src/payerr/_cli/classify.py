"""``payerr classify PROVIDER [FILE | -]``: classify an answer's body, read from a file or
standard input, with its HTTP status and headers."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from payerr._cli.common import (
    MAX_READ,
    CliUsageError,
    Verb,
    lang_option,
    operation_option,
    render,
    with_lang,
)
from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK, near, print_json
from payerr._core.http import parse_json_object
from payerr._core.text import clean
from payerr._mappings.classify import classify_http
from payerr._mappings.registry import Registry

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
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
    operation_option(p)
    lang_option(p)


def _leftover(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """argparse binds an optional positional before it sees later options, so
    ``classify antom --status 429 body.json`` leaves the file over: take it here."""
    leftover = extra[0] if len(extra) == 1 else ""
    is_file = leftover == "-" or (leftover != "" and not leftover.startswith("-"))
    if args.file is None and is_file:
        args.file = leftover
        return []
    return extra


def _http_status(text: str) -> int:
    try:
        status = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an HTTP status: {text!r}") from None
    if not 100 <= status <= 599:
        raise argparse.ArgumentTypeError(f"an HTTP status is 100 to 599, not {status}")
    return status


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
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
        print_json(with_lang(result, args.lang), out)
    else:
        out.write(render(result, entry, mapped=mapped, lang=args.lang))
    if not mapped and not args.json:
        hint = _envelope_hint(args.provider, body)
        if hint:
            print(f"payerr: {hint}", file=sys.stderr)
        elif result.raw_code:
            table = registry.table(args.provider)
            close = near(result.raw_code, [e.code for e in table.entries.values()])
            if close:
                print(f"payerr: did you mean {close}?", file=sys.stderr)
    # An answer whose code payerr does not map is a failed check (as in explain), and so is one
    # whose deciding status no list knows (the value to map); an answer with no code at all (a
    # bare 503) is classified by its status, and that is no failure.
    if result.unmapped is not None:
        return EXIT_CHECK_FAILED
    return EXIT_CHECK_FAILED if result.raw_code and not mapped else EXIT_OK


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise CliUsageError(f"--header must look like 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def _read_body(name: str | None) -> bytes:
    if name is None or name == "-":
        if sys.stdin.isatty():  # a person at a terminal: say why nothing happens yet
            print("payerr: reading the answer from standard input (end it with Ctrl-D)",
                  file=sys.stderr)  # fmt: skip
        return sys.stdin.buffer.read(MAX_READ)
    try:
        with Path(name).open("rb") as f:
            return f.read(MAX_READ)
    except OSError as exc:
        raise CliUsageError(f"cannot read {clean(name)}: {exc.strerror or exc}") from exc


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


VERB = Verb(
    name="classify",
    help="classify an HTTP response body from a file or stdin",
    arguments=_arguments,
    run=_run,
    leftover=_leftover,
)
