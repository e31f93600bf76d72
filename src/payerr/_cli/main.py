"""The ``payerr`` command: explain codes, classify responses, list, export and validate mappings.

Verbs, flags and ``--json`` keys are a contract. Errors are one line on stderr and a non-zero
exit: 1 for a failed check (an invalid mapping, an unknown code in ``explain``), 2 for a usage
error, an unknown provider or an unreadable input file.

This module assembles the parser from the verbs' modules (each declares a
:class:`~payerr._cli.common.Verb`: its subparser and its body) and dispatches: a PROVIDER that
names a card network goes to the verb's network body, looked up once in
:mod:`payerr._cli.names`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from payerr._cli import classify, demo, explain, export, scan, validate
from payerr._cli import list as listing
from payerr._cli.common import CliUsageError, Verb, check_readable
from payerr._cli.names import named, unknown_name
from payerr._cli.text import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    OutputError,
    SafeOutput,
    terminal_safe,
)
from payerr._core.exceptions import MappingError, UnknownProviderError, UsageError
from payerr._mappings.registry import Registry

__all__ = ["VERBS", "main"]

VERBS: tuple[Verb, ...] = (
    explain.VERB,
    classify.VERB,
    scan.VERB,
    listing.VERB,
    export.VERB,
    demo.VERB,
    validate.VERB,
)
"""Every verb, in the order ``payerr --help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    parser = _parser()
    if not (sys.argv[1:] if argv is None else list(argv)):
        parser.print_help()  # bare `payerr`: what it can do, not an error
        return EXIT_OK
    args, extra = parser.parse_known_args(argv)
    verb = next(v for v in VERBS if v.name == args.verb)
    if verb.leftover is not None:
        extra = verb.leftover(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _quiet_logs()
    try:
        for path in args.mappings or ():
            check_readable(Path(path), "--mappings ", folder_ok=True)
        registry = Registry(args.mappings or ())
        out = cast("TextIO", SafeOutput(sys.stdout))  # a text stream to the verbs: write, flush
        status = _run(verb, args, registry, out)
        out.flush()
    except (CliUsageError, UnknownProviderError, UsageError) as exc:
        message = unknown_name(exc) if isinstance(exc, UnknownProviderError) else str(exc)
        print(f"payerr: error: {terminal_safe(message)}", file=sys.stderr)
        return EXIT_USAGE
    except MappingError as exc:
        for line in exc.errors:
            print(f"payerr: error: {terminal_safe(line)}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except BrokenPipeError:  # `payerr list | head`
        _drop_output()
        sys.stderr.close()
        return EXIT_OK
    except OutputError as exc:  # `> /dev/full`, a full disk
        _drop_output()
        print(f"payerr: error: cannot write the output: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except KeyboardInterrupt:
        return 130
    return status


def _run(verb: Verb, args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    """The verb's body; a PROVIDER it was given is looked up first. A card network goes to the
    verb's network body; a provider is passed on as the registry spells it. A verb without a
    network body gets a network's name as typed: the registry refuses it, after the verb's
    own checks, and :func:`~payerr._cli.names.unknown_name` says it is a card network."""
    name = getattr(args, "provider", None)
    if isinstance(name, str):
        kind, found = named(name, registry)
        if kind == "network" and verb.network is not None:
            return verb.network(args, found, out)
        if kind == "provider":
            args.provider = found
    return verb.run(args, registry, out)


def _parser() -> argparse.ArgumentParser:
    """The top-level options, then each verb's subparser, declared by its module."""
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
    for verb in VERBS:
        verb.arguments(verbs.add_parser(verb.name, help=verb.help, description=verb.description))
    return parser


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
        super()._print_message(terminal_safe(message), file)

    def error(self, message: str) -> NoReturn:
        """One line on stderr, exit 2 (argparse prints the whole usage block first)."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _drop_output() -> None:
    """What is left in standard output's buffer goes nowhere (Python would try it again on
    exit, and print a second error)."""
    # No real file behind sys.stdout (a test's capture): nothing to drop.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
