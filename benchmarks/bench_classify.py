"""classify() on a known code vs a bare two-level dict lookup of the same keys (target 2.5x).

Both are plain functions called the same way: ``bare(provider, code)`` returns
``TABLE[provider][code]``; ``classify(provider, code)`` is payerr's public function.

Run: python benchmarks/bench_classify.py
"""

from __future__ import annotations

import sys

from _timing import compare, report

from payerr import Classification, classify

TARGET = 2.5
CASES: list[tuple[str, str | int]] = [
    ("antom", "FRAUD_REJECT"),
    ("alipay_plus", 10005),
    ("paykka", "5004"),
    ("ottpay", "ORDER_PAID"),
]
TABLE: dict[str, dict[str | int, Classification]] = {}


def bare(provider: str, code: str | int) -> Classification:
    return TABLE[provider][code]


def main() -> int:
    ok = True
    for provider, code in CASES:
        TABLE.setdefault(provider, {})[code] = classify(provider, code)

        def baseline(p: str = provider, c: str | int = code) -> Classification:
            return bare(p, c)

        def subject(p: str = provider, c: str | int = code) -> Classification:
            return classify(p, c)

        base, subj = compare(baseline, subject, number=200_000)
        ok &= report(f"classify({provider!r}, {code!r})", base, subj, TARGET, "bare")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
