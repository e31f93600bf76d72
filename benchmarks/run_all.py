"""Run every benchmark and write ``docs/benchmarks.md``: the machine, the Python, the date, the
commit, and each script's figures as it printed them (every ratio beside the baseline it was
measured against in the same run, and whether its target was met).

The README and the docs quote figures from that page only; run this after a change that could
move them. A benchmark whose targets are missed says so there (its own words, and its exit
status); one that cannot run here (no ``redis-server``) says why.

Run: python benchmarks/run_all.py   (about 10 minutes on 2 cores)
     python benchmarks/run_all.py --only NAME ...   (those, printed; the page is left alone)
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "docs" / "benchmarks.md"

BENCHMARKS = [
    "bench_classify.py",
    "bench_classify_response.py",
    "bench_unknown.py",
    "bench_shopper.py",
    "bench_redaction.py",
    "bench_notifications.py",
    "bench_scan.py",
    "bench_import.py",
    "bench_transport.py",
    "bench_async.py",
    "bench_instructions.py",
    "bench_throughput.py",
    "bench_otel.py",
    "bench_ledger.py",
    "bench_reattempt.py",
]
"""In the order the page shows them. drill_redis_faults.py is a fault drill, not a timing."""

TIMEOUT = 900.0


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE,
        check=False,
    ).stdout.strip() or "unknown"  # fmt: skip
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "-"
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Commit: `{commit}`",
        f"- Machine: {cpu}, {cores} cores usable, {platform.system()} {platform.release()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- Load average at the start: {load}",
    ]


def run(name: str) -> tuple[str, int, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / name)],
            capture_output=True,
            text=True,
            cwd=HERE,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"(stopped after {TIMEOUT:.0f} s)", -1, time.perf_counter() - start
    out = done.stdout.rstrip()
    if done.returncode not in (0, 1):
        out += "\n" + "\n".join(done.stderr.rstrip().splitlines()[-5:])
    return out, done.returncode, time.perf_counter() - start


def first_line(name: str) -> str:
    text = (HERE / name).read_text(encoding="utf-8")
    doc = text.split('"""', 2)[1] if text.startswith('"""') else name
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    only = argv[argv.index("--only") + 1 :] if "--only" in argv else []
    names = [n for n in BENCHMARKS if not only or n in only or n.removesuffix(".py") in only]
    lines = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/run_all.py`; every figure on this page comes from that run.",
        "Each script measures payerr against a baseline in the same process and run (a bare",
        "`json.loads`, a bare httpx client, httpx-retries, a bare Redis round trip ...), so a",
        "ratio holds when the machine's speed drifts; absolute times do not. What each measures,",
        "and why, is on the [Speed](speed.md) page.",
        "",
        *machine(),
        "",
    ]
    summary, sections = [], []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        out, status, took = run(name)
        verdict = {0: "targets met", 1: "a target MISSED"}.get(status, "did not finish")
        if "skipped" in out and status == 0:
            verdict = "targets met where it could run (see its output)"
        summary.append(f"| `{name}` | {verdict} | {took:.0f} s |")
        sections += [
            f"## `{name}`",
            "",
            first_line(name),
            "",
            "```text",
            out or "(printed nothing)",
            "```",
            "",
        ]
    lines += ["| script | result | took |", "|---|---|---|", *summary, "", *sections]
    text = "\n".join(lines).rstrip() + "\n"
    if only:  # a partial run never replaces the whole run's page
        print(text)
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
