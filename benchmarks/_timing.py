"""Interleaved timing: baseline and subject alternate, and each keeps its best round.

These machines are noisy; alternating the two in one process and taking the minimum of many
rounds compares like with like. Figures are per call, in microseconds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def per_call_us(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number * 1e6


def compare(
    baseline: Callable[[], object], subject: Callable[[], object], *, number: int, rounds: int = 15
) -> tuple[float, float]:
    """Best per-call time of each, measured alternately."""
    baseline()
    subject()
    best_base = best_subj = float("inf")
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            best_base = min(best_base, per_call_us(baseline, number))
            best_subj = min(best_subj, per_call_us(subject, number))
    finally:
        if gc_was_enabled:
            gc.enable()
    return best_base, best_subj


def report(name: str, base: float, subj: float, target: float, base_name: str) -> bool:
    ratio = subj / base
    verdict = "met" if ratio <= target else "MISSED"
    print(
        f"{name:<44} {subj:8.3f} us  vs {base_name} {base:8.3f} us  "
        f"ratio {ratio:5.2f}x  (target <= {target}x: {verdict})"
    )
    return ratio <= target
