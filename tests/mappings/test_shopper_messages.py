"""Shopper messages in the shoppers' languages: the catalogs, negotiation, and what is said.

Negotiation cases come from BCP 47 / RFC 4647 lookup and the bugs peers hit (an exact-match
lookup that missed ``es`` for ``es-ES``: hyperswitch#7981; werkzeug#450), not from payerr's
table.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

import payerr
from payerr import Category, Classification, Operation, Outcome, Reason
from payerr._core.reasons import REASON_VERDICTS
from payerr._mappings.shopper import LOCALES, message_key, negotiate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import catalogs  # type: ignore[import-not-found]  # noqa: E402  -- tools/catalogs.py


def test_the_catalogs_are_complete_and_compiled_from_their_sources() -> None:
    assert catalogs.problems() == []
    folders = {p.name for p in (ROOT / "locales").iterdir() if p.is_dir()}
    assert folders == {tag.replace("-", "_") for tag in LOCALES}
    assert payerr.locales() == LOCALES
    asked = {"en", "zh-Hans", "zh-Hant", "ja", "ko", "th", "id", "ms", "vi", "fil", "fr"}
    assert set(LOCALES) >= asked


@pytest.mark.parametrize("tag", [t for t in LOCALES if t != "en"])
def test_each_translation_says_where_it_comes_from(tag: str) -> None:
    path = ROOT / "locales" / tag.replace("-", "_") / "LC_MESSAGES" / "payerr.po"
    with path.open("rb") as fp:
        catalog = read_po(fp)
    header = catalog.header_comment.lower()
    assert "machine" in header
    assert "review" in header
    assert str(catalog.locale) == tag.replace("-", "_")


def every_verdict_of(reason: Reason) -> list[Classification]:
    out = []
    for key in sorted(REASON_VERDICTS[reason]):
        outcome = Outcome(key) if key in ("success", "pending", "info") else Outcome.FAILED
        category = None if outcome is not Outcome.FAILED else Category(key)
        out.append(
            Classification("antom", "X", "X", "m", outcome, category,
                           category is Category.RETRYABLE, True, "a", "u", reason=reason)
        )  # fmt: skip
    return out


CODE_LIKE = re.compile(r"[A-Z]{2,}_|_[A-Z]{2,}|\d|[{}%<>]")


@pytest.mark.parametrize("tag", LOCALES)
def test_every_reason_has_a_message_for_shoppers_in_every_locale(tag: str) -> None:
    english = {}
    for reason in Reason:
        for each in every_verdict_of(reason):
            for operation in (Operation.PAY, Operation.REFUND, Operation.VAULTING):
                c = dataclasses.replace(each, operation=operation)
                text = payerr.shopper_message(c, tag)
                assert text.strip() == text
                assert text, (reason, c.outcome)
                assert not CODE_LIKE.search(text), (tag, reason, text)  # no codes, no numbers
                assert len(text) <= 160
                if tag == "en":
                    english[(reason, c.outcome, operation)] = text
                elif tag != "en":
                    assert text != payerr.shopper_message(c, "en") or tag == "fr", (tag, reason)


RISK_WORDS = re.compile(r"fraud|risk|stolen|lost|secur|block|suspect|blacklist", re.IGNORECASE)


@pytest.mark.parametrize("tag", LOCALES)
def test_risk_refusals_get_one_neutral_message_in_every_language(tag: str) -> None:
    rows = [
        e
        for p in payerr.providers()
        for e in payerr.default_registry().table(p).all_entries()
        if e.category is Category.RISK
    ]
    assert len(rows) >= 10
    for operation in (Operation.UNKNOWN, Operation.PAY, Operation.REFUND, Operation.VAULTING):
        said = {
            payerr.shopper_message(
                dataclasses.replace(e.classification(), operation=operation), tag
            )
            for e in rows
            if e.topic == ""  # Alipay+'s card activations: a card's message, neutral too
        }
        assert len(said) == 1  # whatever the reason: stolen card, fraud, regulation
        if tag == "en":
            assert not RISK_WORDS.search(said.pop())


def test_messages_name_the_operation_they_answer() -> None:
    refund = payerr.classify("antom", "SUCCESS", operation="refund")
    assert payerr.shopper_message(refund) == "Your refund has been processed."
    assert payerr.shopper_message(refund, "fr").startswith("Votre remboursement")
    declined_refund = payerr.classify("antom", "ORDER_NOT_EXIST", operation="refund")
    assert "refund" in payerr.shopper_message(declined_refund)
    window = payerr.classify("antom", "REFUND_WINDOW_EXCEED", operation="refund")
    assert "no longer be refunded" in payerr.shopper_message(window)
    # Alipay+'s provisioning callbacks answer a card activation, whatever the operation said.
    activating = payerr.classify("alipay_plus", 10010)
    assert "card" in payerr.shopper_message(activating)
    # An inquiry that failed on the merchant's side says nothing about the payment.
    failed_inquiry = payerr.classify("antom", "INVALID_SIGNATURE", operation="inquiry")
    assert message_key(failed_inquiry) == ("inquiry", "failed")


def test_the_same_reason_says_the_same_at_every_provider() -> None:
    said = {
        payerr.shopper_message(payerr.classify(provider, code), "ko")
        for provider, code in [
            ("antom", "USER_BALANCE_NOT_ENOUGH"),
            ("alipay_plus", "USER_BALANCE_NOT_ENOUGH"),
            ("ottpay", "AMOUNT_NOT_ENOUGH"),
            ("paykka", "5004"),
        ]
    }
    assert len(said) == 1


NEGOTIATED = [
    ("en", "en"),
    ("zh-HK", "zh-Hant"),
    ("zh-TW", "zh-Hant"),
    ("zh-MO", "zh-Hant"),
    ("zh_Hant_HK", "zh-Hant"),
    ("zh-Hant", "zh-Hant"),
    ("zh", "zh-Hans"),
    ("zh-CN", "zh-Hans"),
    ("zh-SG", "zh-Hans"),
    ("zh-Hans-HK", "zh-Hans"),  # the script wins over the region
    ("ZH-hk", "zh-Hant"),
    ("es-ES", "en"),  # no Spanish: English, never an error
    ("es-ES,es;q=0.9", "en"),
    ("es-ES,fr;q=0.5", "fr"),  # the next acceptable language
    ("fr-CA,fr;q=0.9,en;q=0.5", "fr"),
    ("en;q=0.1, ja;q=0.9", "ja"),  # by preference, not by position
    ("ja;q=0, ko", "ko"),  # q=0: not acceptable
    ("tl-PH", "fil"),
    ("fil-PH", "fil"),
    ("in-ID", "id"),
    ("ms-MY", "ms"),
    ("vi-VN", "vi"),
    ("th-TH", "th"),
    ("ko-KR", "ko"),
    ("yue-HK", "zh-Hant"),
    ("*", "en"),
    ("", "en"),
    (";q=1", "en"),
    ("ja;q=abc, ko", "ko"),
    ("ja;level=1", "en"),
    ("日本語", "en"),
    ("x" * 100_000, "en"),
    (",,,,", "en"),
    ("zh-yue", "zh-Hant"),
    ("yue-Hans", "zh-Hans"),  # the script wins
    ("cmn", "zh-Hans"),
    ("cmn-Hant", "zh-Hant"),
    ("cmn-TW", "zh-Hant"),
    ("  fr  ", "fr"),
    ("EN", "en"),
    ("pt-BR", "en"),
    ("fr;q=1.5, ja", "ja"),  # q above 1 is not a q: the entry is ignored
    ("*;q=0, ko", "ko"),
]


@pytest.mark.parametrize(("value", "expected"), NEGOTIATED)
def test_negotiation_follows_bcp47_with_explicit_fallbacks(value: str, expected: str) -> None:
    assert negotiate(value) == expected


@given(st.one_of(st.text(max_size=300), st.binary(max_size=50), st.integers(), st.none()))
def test_negotiation_never_raises(value: object) -> None:
    assert negotiate(value) in LOCALES
    c = payerr.classify("paykka", "5004")
    assert payerr.shopper_message(c, value)


def test_the_cli_prints_reason_advice_and_the_message_in_a_language() -> None:
    run = [sys.executable, "-m", "payerr", "explain", "paykka", "5004", "--lang", "zh-TW"]
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert "insufficient_funds" in out
    assert "try_another_method" in out
    assert "您的餘額不足" in out


def test_what_the_shopper_is_told_never_contradicts_what_they_can_do() -> None:
    # The merchant reused an order number (payerr knows it was the first send): the shopper
    # paid nothing, so never "do not pay again".
    for provider, code in (("paykka", "4020"), ("ottpay", "ORDER_USED"), ("paykka", "4002")):
        c = payerr.classify(provider, code, first_send=True)
        assert c.outcome is Outcome.FAILED
        assert "pay again" not in payerr.shopper_message(c)
    # The merchant's integration: nothing for the shopper to check or fix.
    for code in ("2019", "2000", "1017"):
        c = payerr.classify("paykka", code)
        assert c.category is Category.MERCHANT_CONFIG
        assert payerr.shopper_message(c).startswith("This payment cannot be processed right now")
    # ...unless the shopper can act: another currency or payment method.
    c = payerr.classify("antom", "CURRENCY_NOT_SUPPORT")
    assert "currency" in payerr.shopper_message(c)
    # A final failure never says "try again" (Antom: SYSTEM_ERROR "Do not retry").
    for code in ("SYSTEM_ERROR", "OAUTH_FAILED"):
        c = payerr.classify("antom", code)
        assert c.category is Category.FINAL
        for tag in ("en", "fr"):
            text = payerr.shopper_message(c, tag).lower()
            assert "again" not in text
            assert "nouveau" not in text
            assert "réessayer" not in text


def test_a_wrong_argument_is_a_clear_error() -> None:
    with pytest.raises(payerr.UsageError, match=r"error\.classification"):
        payerr.shopper_message(ValueError("x"))  # type: ignore[arg-type]
    with pytest.raises(payerr.UsageError, match="not a NoneType"):
        payerr.shopper_message(None)  # type: ignore[arg-type]


def columns(line: str) -> int:
    import unicodedata

    wide = ("W", "F")
    return sum(
        0
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(c) in wide
        else 1
        for c in line
    )


@pytest.mark.parametrize("tag", LOCALES)
def test_the_cli_fits_100_columns_in_every_language(
    tag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from payerr._cli.main import main

    for code in ("2019", "5004", "2016", "4006"):
        assert main(["explain", "paykka", code, "--lang", tag]) == 0
        out = capsys.readouterr().out
        assert max(columns(line) for line in out.splitlines()) <= 100, (tag, code)


def test_a_final_card_set_up_never_says_try_again() -> None:
    for provider, code in (("alipay_plus", "10022"), ("alipay_plus", "10019")):
        for operation in ("vaulting",):
            c = payerr.classify(provider, code, operation=operation, first_send=True)
            if c.category is not Category.FINAL:
                continue
            for tag in LOCALES:
                english = payerr.shopper_message(c, "en")
                assert "again" not in english.lower(), (code, operation)
                assert payerr.shopper_message(c, tag) == payerr.shopper_message(
                    dataclasses.replace(payerr.classify("antom", "FRAUD_REJECT"),
                                        operation=Operation.VAULTING),
                    tag,
                )  # fmt: skip
