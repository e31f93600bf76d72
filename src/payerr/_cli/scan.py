"""``payerr scan FILE``: a decline report over a JSON Lines file of logged answers (the reader,
the worker processes and the report are ``payerr._bulk``'s, loaded for this verb only)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from payerr._cli.common import CliUsageError, Verb, check_readable
from payerr._cli.text import EXIT_OK, print_json
from payerr._core.text import clean
from payerr._mappings.registry import Registry

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
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


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= 256:
        raise argparse.ArgumentTypeError(f"must be a number of processes, 1-256, not {text!r}")
    return jobs


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    from payerr._bulk import report as scan_report  # noqa: PLC0415 -- loaded for this verb only
    from payerr._bulk import scan as scan_files  # noqa: PLC0415

    if args.file != "-":
        check_readable(Path(args.file), "", folder_ok=False, stream_ok=True)
    for provider in registry.providers():
        registry.table(provider)  # a broken mapping file: said once (exit 1), not per line
    if args.html and _same_file(args.html, args.file):
        raise CliUsageError(f"--html {clean(args.html)} is the file being scanned: name another")
    options = scan_files.Options(tuple(args.mappings or ()), args.first_send)
    cores = scan_files.cpu_count()
    jobs = min(args.jobs or cores, max(cores, 2))  # more processes than cores gain nothing
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = scan_files.scan(args.file, jobs=jobs, options=options, progress=progress)
    except (OSError, EOFError) as exc:  # a truncated gzip, a read error
        raise CliUsageError(f"cannot read {clean(args.file)}: {exc}") from exc
    finally:
        if progress:
            progress.done()
    source = "standard input" if args.file == "-" else args.file
    if args.json:
        print_json(scan_report.as_json(report, source), out)
    elif args.csv:
        scan_report.write_csv(report, source, out)
    else:
        scan_report.write_text(report, source, out)
        if args.html:
            try:
                with open(args.html, "w", encoding="utf-8") as page:
                    scan_report.write_html(report, source, page)
            except OSError as exc:
                raise CliUsageError(f"cannot write {clean(args.html)}: {exc.strerror}") from exc
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


VERB = Verb(
    name="scan",
    help="a decline report over a JSON Lines file of logged answers",
    description="Classify logged answers, one JSON object a line (provider, status, body; "
    "optional path, operation, headers; gzip read too), and report counts by provider, "
    "outcome, category and reason, the top codes and the unknown codes to map.",
    arguments=_arguments,
    run=_run,
)
