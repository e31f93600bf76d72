"""`payerr explain` wall time vs starting Python and importing httpx (the floor), and lazy loading.

Run: python benchmarks/bench_cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def wall(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    floor = wall([sys.executable, "-c", "import httpx, structlog"])
    explain = wall([sys.executable, "-m", "payerr", "explain", "antom", "FRAUD_REJECT"])
    print(
        f"payerr explain antom FRAUD_REJECT   {explain * 1000:7.1f} ms  "
        f"(python + import httpx, structlog: {floor * 1000:.1f} ms; ratio {explain / floor:.2f}x)"
    )
    one = wall([sys.executable, "-c", "import payerr; payerr.classify('antom', 'SUCCESS')"])
    four = wall(
        [
            sys.executable,
            "-c",
            "import payerr\nfor p in payerr.providers(): payerr.classify(p, 'X')",
        ]
    )
    print(f"first classify, one provider loaded  {one * 1000:7.1f} ms")
    print(f"first classify on all four providers {four * 1000:7.1f} ms  (lazy loading)")
    ok = explain < 1.0
    print(f"target: explain answers in a fraction of a second: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
