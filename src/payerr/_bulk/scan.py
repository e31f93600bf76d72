"""``payerr scan``: a decline report over a file of logged answers (JSON Lines, gzip or not).

Streams: memory stays flat in the file's size (counts only; the codes remembered are bounded).
With ``jobs`` above 1 a regular file is cut into pieces at line boundaries and each piece is
read by a worker process; compressed input and standard input are read by this process and
handed to the workers in batches, never more than a few in flight.
"""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import os
import signal
import stat
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from payerr._bulk.many import classify_record
from payerr._core.exceptions import PayerrError
from payerr._core.taxonomy import Classification
from payerr._core.text import clean_cut
from payerr._mappings.registry import Registry
from payerr._mappings.table import ProviderTable

__all__ = ["Report", "scan"]

MAX_CODES = 10_000
"""Distinct (provider, code) pairs reported: the most frequent, the rest counted together under
``(other codes)``; at most twice as many are held while counting (a file of hostile, ever-new
codes cannot grow the report without bound, nor hide a frequent code that starts late)."""
MAX_BAD_LINES = 100
"""Bad lines reported by number (the count is always whole)."""
MAX_LINE = 2 << 20
"""A line longer than this is a bad line (payerr reads bodies of up to 1 MiB)."""
PIECE = 8 << 20
"""Bytes of a regular file per piece of work for the workers."""
BATCH = 4096
"""Lines per batch handed to a worker, for compressed input or standard input."""
BATCH_BYTES = 4 << 20
"""Bytes per batch at most (with a few batches in flight: memory flat whatever the lines)."""
OTHER = "(other codes)"


@dataclass
class Report:
    """What a scan counted. Merged from the workers' reports; rendered by
    ``payerr._bulk.report``."""

    answers: int = 0
    lines: int = 0
    bad: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    providers: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    retryable: int = 0
    codes: Counter[tuple[str, str, str, str, str]] = field(default_factory=Counter)
    """(provider, code, outcome, category, reason) -> answers; code "" when the answer had none."""
    unknown: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(provider, raw code) -> answers whose code no mapping knows."""

    def count(self, c: Classification) -> None:
        # The enums are str: counted as they are (``.value`` costs a descriptor call each).
        provider, outcome, category, reason = c.provider, c.outcome, c.category, c.reason
        self.answers += 1
        self.providers[provider] += 1
        self.outcomes[outcome] += 1
        self.reasons[reason] += 1
        if category is not None:
            self.categories[category] += 1
            if c.retryable:
                self.retryable += 1
        _add(self.codes, (provider, c.code or "", outcome, category or "", reason), 1)
        if c.unmapped is not None:  # a status value no list knows, named by its field
            _add(self.unknown, (provider, f"{c.source}={c.unmapped}"), 1)
        elif c.raw_code is not None and not c.known:
            _add(self.unknown, (provider, c.raw_code), 1)

    def bad_line(self, number: int, why: str) -> None:
        self.bad += 1
        if len(self.bad_lines) < MAX_BAD_LINES:
            self.bad_lines.append((number, why))

    def merge(self, other: Report, first_line: int = 0) -> None:
        """Add ``other``'s counts; its line numbers are counted from ``first_line``."""
        self.answers += other.answers
        self.lines += other.lines
        self.bad += other.bad
        self.bad_lines.extend((first_line + n, why) for n, why in other.bad_lines)
        self.bad_lines.sort()
        del self.bad_lines[MAX_BAD_LINES:]
        self.providers.update(other.providers)
        self.outcomes.update(other.outcomes)
        self.categories.update(other.categories)
        self.reasons.update(other.reasons)
        self.retryable += other.retryable
        for key, n in other.codes.items():
            _add(self.codes, key, n)
        for name, n in other.unknown.items():
            _add(self.unknown, name, n)


def _add(counter: Counter[Any], key: Any, n: int) -> None:
    """Count ``n`` under ``key``; past twice MAX_CODES keys, keep the most frequent."""
    counter[key] += n
    if len(counter) > 2 * MAX_CODES:
        fold(counter, MAX_CODES)


def fold(counter: Counter[Any], keep: int) -> None:
    """Keep the ``keep`` most frequent codes (the newer first among equals: a code that
    starts late, after thousands of one-off codes, is not lost) and count the rest under
    their provider's ``(other codes)``. Frequent codes survive every fold; a code folded
    once and seen again is counted from then (its figure is then a lower bound)."""
    codes = [(k, n) for k, n in reversed(counter.items()) if k[1] != OTHER]
    if len(codes) <= keep:
        return
    codes.sort(key=lambda item: item[1], reverse=True)  # stable: newer first among equals
    for key, n in codes[keep:]:
        del counter[key]
        counter[(key[0], OTHER, *("",) * (len(key) - 2))] += n


# -- one line ----------------------------------------------------------------------------------


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its name/value pairs, every one kept (a name may be given twice)."""


def _strict_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _RepeatedNameError
    return obj


class _RepeatedNameError(ValueError):
    """A name given twice somewhere in the line."""


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_hook)
_PAIRS = json.JSONDecoder(object_pairs_hook=_Pairs)


def _dump(value: Any) -> str:
    """JSON text for a value read with :data:`_PAIRS`, names given twice kept twice."""
    if isinstance(value, _Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value)


_BOM = b"\xef\xbb\xbf"


def read_line(line: bytes) -> dict[str, Any]:
    """A line of the file as a record for :func:`classify_record`. Raises ValueError saying
    why it is not one.

    A body that gives a name twice is handed on as text, names twice and all: payerr reads
    such a body as garbled (outcome unknown), as it would on the wire. A line whose own
    fields are given twice is a bad line.
    """
    if len(line) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE >> 20} MiB")
    if line[:3] == _BOM:  # a file saved by an editor that marks UTF-8 (or files joined)
        line = line[3:]
    try:
        obj = _STRICT.decode(line.decode("utf-8", "surrogatepass"))
    except _RepeatedNameError:
        try:
            obj = _repeated(line)  # a body giving a name twice: read again, names kept
        except RecursionError:  # nested too deep to write back out
            raise ValueError("not JSON (RecursionError)") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if "body" not in obj:
        # A logged answer without its body is not an answer with an empty one ("body": "").
        raise ValueError('no \'body\' field (an empty answer is logged as "body": "")')
    return obj


def _repeated(line: bytes) -> dict[str, Any]:
    pairs = _PAIRS.decode(line.decode("utf-8", "surrogatepass"))
    if not isinstance(pairs, _Pairs):
        raise ValueError("not a JSON object")
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("a field of the line is given twice")
    record: dict[str, Any] = {}
    for name, value in pairs:
        if name == "body":
            record[name] = _dump(value) if isinstance(value, _Pairs) else value
        elif isinstance(value, _Pairs | list):
            record[name] = json.loads(_dump(value), object_pairs_hook=dict)
        else:
            record[name] = value
    return record


class _Scanner:
    """Counts lines into a Report, with this process's registry and tables."""

    def __init__(self, registry: Registry, first_send: bool) -> None:
        self.registry = registry
        self.first_send = first_send
        self.tables: dict[str, ProviderTable] = {}
        self.report = Report()

    def line(self, number: int, line: bytes) -> None:
        self.report.lines += 1
        if type(line) is _Overlong:
            self.report.bad_line(number, f"longer than {MAX_LINE >> 20} MiB")
            return
        if type(line) is _Unreadable:
            self.report.bad_line(number, line.why)
            return
        if line.isspace() or not line:
            return  # a blank line (the last one, often): nothing to count
        try:
            record = read_line(line)
            c = classify_record(
                record, self.registry, self.tables, first_send=self.first_send, index=number
            )
        except (ValueError, RecursionError, PayerrError) as exc:
            why = str(exc) or type(exc).__name__
            prefix = f"record {number}: "
            why = why.removeprefix(prefix)
            self.report.bad_line(number, clean_cut(why, 200, "..."))
            return
        self.report.count(c)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """How a scan reads: the user's mapping files (each worker loads them) and first_send."""

    mappings: tuple[str, ...] = ()
    first_send: bool = False

    def scanner(self) -> _Scanner:
        registry = _REGISTRIES.get(self.mappings)
        if registry is None:  # loaded once a process (a forked worker inherits it)
            registry = _REGISTRIES[self.mappings] = Registry(self.mappings)
            for provider in registry.providers():
                registry.table(provider)
        return _Scanner(registry, self.first_send)


_REGISTRIES: dict[tuple[str, ...], Registry] = {}


def _context() -> Any:
    """Workers forked where that is safe (Linux, no other thread in this process: they start
    at once, the mappings already loaded), spawned elsewhere."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def scan(
    source: str,
    *,
    jobs: int = 1,
    options: Options | None = None,
    progress: Callable[[int, int], None] | None = None,
    stdin: IO[bytes] | None = None,
) -> Report:
    """Scan ``source`` (a path, or ``-`` for ``stdin``) into a Report. ``progress(done, total)``
    is called now and then (bytes of a regular file; lines otherwise, total 0)."""
    report = _scan(source, jobs, options or Options(), progress, stdin)
    fold(report.codes, MAX_CODES)
    fold(report.unknown, MAX_CODES)
    return report


def _scan(
    source: str,
    jobs: int,
    options: Options,
    progress: Callable[[int, int], None] | None,
    stdin: IO[bytes] | None,
) -> Report:
    if source == "-":
        stream = _maybe_gzip(stdin if stdin is not None else sys.stdin.buffer)
        return _stream(stream, jobs, options, progress)
    path = Path(source)
    if not stat.S_ISREG(path.stat().st_mode):  # a pipe (`<(zcat ...)`), a device: a stream
        with path.open("rb") as raw:
            return _stream(_maybe_gzip(raw), jobs, options, progress)
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    if compressed:
        with gzip.open(path, "rb") as packed:
            return _stream(cast("IO[bytes]", packed), jobs, options, progress)
    if jobs <= 1 or size <= PIECE:
        return _pieces_here(path, size, options, progress)
    return _pieces_in_workers(path, size, jobs, options, progress)


def _maybe_gzip(stream: IO[bytes]) -> IO[bytes]:
    raw: Any = stream
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return cast("IO[bytes]", gzip.GzipFile(fileobj=buffered))
    return buffered


class _Overlong(bytes):
    """A line longer than MAX_LINE: read no further than that, the rest skipped unread into
    memory (a gzip of zeros expands to one line of gigabytes)."""


_OVERLONG = _Overlong(b"-")  # not empty: b"" ends the reading


def _read_line(stream: IO[bytes]) -> bytes:
    """The next line, at most MAX_LINE bytes of it held (b"" at the end)."""
    line = stream.readline(MAX_LINE + 1)
    if len(line) <= MAX_LINE or line.endswith(b"\n"):
        return line
    while True:  # the rest of the line, a chunk at a time, dropped
        rest = stream.readline(1 << 20)
        if not rest or rest.endswith(b"\n"):
            return _OVERLONG


class _Unreadable(bytes):
    """Where the input stopped being readable (a gzip cut short, a read error): counted as a
    bad line, and the report keeps every line read before it."""

    why: str


def _unreadable(exc: BaseException) -> _Unreadable:
    marker = _Unreadable(b"-")
    detail = str(exc) or type(exc).__name__
    marker.why = (
        f"the input cannot be read from here on, the lines before it are counted ({detail})"
    )
    return marker


def _read_lines(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        while line := _read_line(stream):
            yield line
    except (EOFError, OSError, zlib.error) as exc:  # a truncated or corrupt gzip, a disk error
        yield _unreadable(exc)


def _piece(path: str, start: int, end: int, options: Options) -> Report:
    """The lines that begin in ``[start, end)`` of a regular file, numbered from 1."""
    scanner = options.scanner()
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            _read_line(f)  # the end of the line begun before this piece: the previous one's
        number = 0
        while f.tell() < end:
            try:
                line = _read_line(f)
            except OSError as exc:  # a disk error: the lines read so far still count
                scanner.line(number + 1, _unreadable(exc))
                break
            if not line:
                break
            number += 1
            scanner.line(number, line)
    return scanner.report


def _bounds(size: int) -> list[tuple[int, int]]:
    return [(start, min(start + PIECE, size)) for start in range(0, size, PIECE)] or [(0, 0)]


def _pieces_here(
    path: Path, size: int, options: Options, progress: Callable[[int, int], None] | None
) -> Report:
    total = Report()
    for start, end in _bounds(size):
        total.merge(_piece(str(path), start, end, options), total.lines)
        if progress:
            progress(end, size)
    return total


def _pieces_in_workers(
    path: Path, size: int, jobs: int, options: Options, progress: Callable[[int, int], None] | None
) -> Report:
    bounds = _bounds(size)
    options.scanner()  # the mappings loaded before the workers start
    context = _context()
    reports: dict[int, Report] = {}
    with context.Pool(min(jobs, len(bounds)), initializer=_worker_start) as pool:
        tasks = [(i, str(path), start, end, options) for i, (start, end) in enumerate(bounds)]
        done = 0
        for i, report in pool.imap_unordered(_indexed_piece, tasks):
            reports[i] = report
            done += bounds[i][1] - bounds[i][0]
            if progress:
                progress(done, size)
    total = Report()
    for i in range(len(bounds)):  # in file order: line numbers add up
        total.merge(reports[i], total.lines)
    return total


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the scan that started it (which stops the pool): the
    terminal gets one line from it, not a KeyboardInterrupt traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _indexed_piece(task: tuple[int, str, int, int, Options]) -> tuple[int, Report]:
    i, path, start, end, options = task
    return i, _piece(path, start, end, options)


def _stream(
    stream: IO[bytes], jobs: int, options: Options, progress: Callable[[int, int], None] | None
) -> Report:
    if jobs <= 1:
        scanner = options.scanner()
        for number, line in enumerate(_read_lines(stream), 1):
            scanner.line(number, line)
            if progress and not number % 65536:
                progress(number, 0)
        return scanner.report
    return _batches_in_workers(_batches(stream), jobs, options, progress)


def _batches(stream: IO[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    batch: list[bytes] = []
    first, size = 1, 0
    for line in _read_lines(stream):
        batch.append(line)
        size += len(line)
        if len(batch) == BATCH or size >= BATCH_BYTES:  # lines of megabytes: fewer a batch
            yield first, batch
            first += len(batch)
            batch, size = [], 0
    if batch:
        yield first, batch


def _batch(task: tuple[int, list[bytes], Options]) -> tuple[int, Report]:
    first, lines, options = task
    scanner = _batch_scanner(options)
    scanner.report = Report()
    for offset, line in enumerate(lines):
        scanner.line(first + offset, line)
    return first, scanner.report


_WORKER_SCANNER: dict[Options, _Scanner] = {}


def _batch_scanner(options: Options) -> _Scanner:
    """A worker's scanner, its registry loaded once for every batch it reads."""
    scanner = _WORKER_SCANNER.get(options)
    if scanner is None:
        scanner = _WORKER_SCANNER[options] = options.scanner()
    return scanner


def _batches_in_workers(
    batches: Iterable[tuple[int, list[bytes]]],
    jobs: int,
    options: Options,
    progress: Callable[[int, int], None] | None,
) -> Report:
    options.scanner()  # the mappings loaded before the workers start
    context = _context()
    total = Report()
    lines = 0
    with context.Pool(jobs, initializer=_worker_start) as pool:
        pending: list[Any] = []
        for first, batch in batches:
            pending.append(pool.apply_async(_batch, ((first, batch, options),)))
            while len(pending) >= 2 * jobs:  # a few in flight: memory stays flat
                lines = _collect(pending.pop(0), total, lines, progress)
        for result in pending:
            lines = _collect(result, total, lines, progress)
    return total


def _collect(
    result: Any, total: Report, lines: int, progress: Callable[[int, int], None] | None
) -> int:
    _, report = result.get()
    total.merge(report)  # batches carry their own line numbers
    lines += report.lines
    if progress:
        progress(lines, 0)
    return lines


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
