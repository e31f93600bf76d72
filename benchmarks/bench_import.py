"""Start-up cost: ``import payerr``, its first use, and ``payerr explain``, each a whole new
process, against ``python -c "import httpx, structlog, tenacity"`` (payerr's dependencies),
measured in the same run.

Paired and interleaved (subject, baseline, subject, ...), CPU time of each child (user + sys,
from the OS's accounting: steadier than wall time on a shared machine); the figure is the
median of the pairs' ratios. Target: <= 1.15x for each.

Run: python benchmarks/bench_import.py [PAIRS]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

TARGET = 1.15
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children write their bytecode caches, as an installed package has them: a module changed
since its cache was written would otherwise be compiled again in every run."""
BASELINE = [sys.executable, "-c", "import httpx, structlog, tenacity"]
SUBJECTS = [
    ("import payerr", [sys.executable, "-c", "import payerr"]),
    ("import payerr; first classify_response", [
        sys.executable, "-c", "import payerr; payerr.classify_response",
    ]),
    ("payerr explain antom FRAUD_REJECT", [
        sys.executable, "-m", "payerr", "explain", "antom", "FRAUD_REJECT",
    ]),
    ("import payerr; payerr.PaymentTransport", [
        sys.executable, "-c", "import payerr; payerr.PaymentTransport('antom')",
    ]),
]  # fmt: skip


def cpu(argv: list[str]) -> tuple[float, float]:
    """CPU seconds (user + sys) and wall seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, wall


def main() -> int:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    ok = True
    for _ in range(2):  # warm the file cache and the bytecode
        cpu(BASELINE)
        for _, argv in SUBJECTS:
            cpu(argv)
    for name, argv in SUBJECTS:
        ratios: list[float] = []
        subj_ms: list[float] = []
        base_ms: list[float] = []
        for i in range(pairs):
            order = [(argv, subj_ms), (BASELINE, base_ms)]
            if i % 2:
                order.reverse()
            got: dict[int, float] = {}
            for run, sink in order:
                used, _ = cpu(run)
                sink.append(used * 1000)
                got[id(sink)] = used
            ratios.append(got[id(subj_ms)] / got[id(base_ms)] if got[id(base_ms)] else 1.0)
        ratio = statistics.median(ratios)
        checked = name != "import payerr; payerr.PaymentTransport"  # reported: a transport
        verdict = ("met" if ratio <= TARGET else "MISSED") if checked else "reported"
        ok &= ratio <= TARGET or not checked
        print(
            f"{name:<42} {statistics.median(subj_ms):6.1f} ms CPU vs deps "
            f"{statistics.median(base_ms):6.1f} ms: {ratio:.2f}x "
            f"(target <= {TARGET}x: {verdict})"
        )
    importtime()
    return 0 if ok else 1


IMPORTTIME_RUNS = 7
SHOWN = 8


def importtime() -> None:
    """``python -X importtime`` of the first two subjects: the cumulative time of each
    top-level import, and the modules that cost most themselves (medians of a few runs;
    microseconds, as Python prints them). Wall time, so less steady than the CPU figures."""
    for code in ("import payerr", "import payerr; payerr.classify_response"):
        runs = [_importtime(code) for _ in range(IMPORTTIME_RUNS)]
        cumulative: dict[str, list[int]] = {}
        own: dict[str, list[int]] = {}
        for run in runs:
            for module, (self_us, cum_us, top) in run.items():
                own.setdefault(module, []).append(self_us)
                if top:
                    cumulative.setdefault(module, []).append(cum_us)
        print(f"\npython -X importtime -c {code!r} (medians of {IMPORTTIME_RUNS} runs):")
        tops = sorted(cumulative, key=lambda m: -statistics.median(cumulative[m]))
        print("  top-level imports, cumulative: " + ", ".join(
            f"{m} {statistics.median(cumulative[m]) / 1000:.1f} ms" for m in tops[:SHOWN]
        ))  # fmt: skip
        ours = sum(statistics.median(v) for m, v in own.items() if m.split(".")[0] == "payerr")
        print(f"  payerr's own modules, their own time: {ours / 1000:.1f} ms")
        costly = sorted(own, key=lambda m: -statistics.median(own[m]))[:SHOWN]
        print("  costliest modules, own time: " + ", ".join(
            f"{m} {statistics.median(own[m]) / 1000:.1f} ms" for m in costly
        ))  # fmt: skip


def _importtime(code: str) -> dict[str, tuple[int, int, bool]]:
    """module -> (self us, cumulative us, imported at the top level), from -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
        check=True, env=ENV,
    )  # fmt: skip
    found: dict[str, tuple[int, int, bool]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line.removeprefix("import time:").split("|", 2)
        top = not name.startswith("  ")  # Python indents a module by its depth
        found[name.strip()] = (int(self_us), int(cum_us), top)
    return found


if __name__ == "__main__":
    sys.exit(main())
