"""shopper_message() for a known reason and locale: under 2 µs, and against the standard
library's own gettext lookup of the same message (``GNUTranslations.pgettext`` on the same
``.mo``), which does no negotiation and no choice of message.

Run: python benchmarks/bench_shopper.py
"""

from __future__ import annotations

import gettext
import sys
from importlib import resources

from _timing import compare

import payerr
from payerr._mappings import shopper

TARGET_US = 2.0
CASES = [
    ("paykka", "5004", "ja", None),  # a decline, a plain tag
    ("antom", "SUCCESS", "fr-CA,fr;q=0.9,en;q=0.5", "refund"),  # Accept-Language, a refund
    ("antom", "FRAUD_REJECT", "zh-HK", None),  # risk: the neutral message
    ("alipay_plus", "10010", "ko", None),  # a card activation (the row's topic)
]


def main() -> int:
    ok = True
    for provider, code, locale, operation in CASES:
        c = payerr.classify(provider, code, operation=operation)
        tag = shopper.negotiate(locale)
        folder = resources.files("payerr") / "locales" / tag.replace("-", "_") / "LC_MESSAGES"
        with (folder / "payerr.mo").open("rb") as fp:
            stdlib = gettext.GNUTranslations(fp)
        context, key = shopper.message_key(c, "card-activation" if code == "10010" else "")
        expected = payerr.shopper_message(c, locale)

        def baseline(
            t: gettext.GNUTranslations = stdlib, k: str = key, ctx: str | None = context
        ) -> str:
            return t.pgettext(ctx, k) if ctx else t.gettext(k)

        def subject(cls: payerr.Classification = c, loc: str = locale) -> str:
            return payerr.shopper_message(cls, loc)

        assert baseline() == expected, (baseline(), expected)
        base, subj = compare(baseline, subject, number=200_000)
        met = subj < TARGET_US
        print(
            f"shopper_message({provider} {code}, {locale!r}): {subj:.3f} us per call, "
            f"gettext {base:.3f} us ({subj / base:.2f}x); target under {TARGET_US} us: "
            + ("met" if met else "MISSED")
        )
        ok &= met
    # Real traffic: a fresh Classification per answer (each carries its own message), so the
    # per-object memory misses; the verdict's key is still shared.
    fresh = [
        payerr.classify_http(
            "antom",
            200,
            {
                "result": {
                    "resultCode": "CARD_EXPIRED",
                    "resultStatus": "F",
                    "resultMessage": f"card expired, trace {n}",
                }
            },
        )
        for n in range(5_000)
    ]
    cycle = iter(fresh * 1_000)

    def baseline_fresh() -> str:
        return payerr.shopper_message(fresh[0], "ja")

    def subject_fresh() -> str:
        return payerr.shopper_message(next(cycle), "ja")

    base, subj = compare(baseline_fresh, subject_fresh, number=200_000)
    met = subj < TARGET_US
    print(
        f"shopper_message(a fresh classification per call, 'ja'): {subj:.3f} us per call, "
        f"the same object {base:.3f} us; target under {TARGET_US} us: "
        + ("met" if met else "MISSED")
    )
    ok &= met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
