"""payerr scan: answers classified per second, one process and several, against a bare
``json.loads`` loop over the same file in the same run.

Targets: at least 60,000 answers/s per core, and near-linear in workers (at least 1.8x with
2 workers on a 2-core machine; spawning the workers is counted). Whole-file wall time: the
machine's load moves these figures, so each is the best of three runs.

Run: python benchmarks/bench_scan.py [LINES]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_classify_response import CASES

from payerr._bulk import scan as _scan

TARGET_PER_CORE = 60_000
TARGET_SCALING = 1.8


def make_file(path: Path, lines: int) -> None:
    """The benchmark bodies, ids varied per line, with request paths as logs carry them."""
    paths = {"antom": "/ams/api/v1/payments/inquiryPayment", "alipay_plus": None,
             "ottpay": "/api/v1/query", "paykka": "/api/v1/payments"}  # fmt: skip
    with path.open("w") as out:
        for i in range(lines):
            provider, _, body = CASES[i % len(CASES)]
            logged = f"2026-12-07T10:{i % 60:02}:00Z"
            record: dict[str, object] = {
                "provider": provider, "status": 200, "body": body, "logged_at": logged, "n": i
            }  # fmt: skip
            if paths[provider]:
                record["path"] = paths[provider]
            out.write(json.dumps(record) + "\n")


def bare(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for line in f:
            json.loads(line)
            n += 1
    return n


def best(fn: object, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    cores = _scan.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.jsonl"
        make_file(path, lines)
        size = os.path.getsize(path)
        assert _scan.scan(str(path)).answers == lines
        base = best(lambda: bare(path))
        one = best(lambda: _scan.scan(str(path), jobs=1))
        two = best(lambda: _scan.scan(str(path), jobs=2))
    per_core = lines / one
    scaling = one / two
    print(f"file: {lines:,} answers, {size / 1e6:.1f} MB; {cores} cores")
    print(f"bare json.loads loop        {lines / base:>10,.0f} lines/s")
    verdict = "met" if per_core >= TARGET_PER_CORE else "MISSED"
    print(f"payerr scan --jobs 1        {per_core:>10,.0f} answers/s  "
          f"({one / base:.2f}x the bare loop's time)  "
          f"(target >= {TARGET_PER_CORE:,}/s: {verdict})")  # fmt: skip
    print(f"payerr scan --jobs 2        {lines / two:>10,.0f} answers/s  "
          f"scaling {scaling:.2f}x (target >= {TARGET_SCALING}x: "
          f"{'met' if scaling >= TARGET_SCALING else 'MISSED'})")  # fmt: skip
    return 0 if per_core >= TARGET_PER_CORE and scaling >= TARGET_SCALING else 1


if __name__ == "__main__":
    sys.exit(main())
