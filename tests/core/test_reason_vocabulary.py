"""One reason vocabulary across providers, and advice that never contradicts the verdict.

The cross-provider checks are written from the providers' own words, not from payerr's rows:
codes whose documents describe the same cause (PayKKa's "5004 Insufficient funds", OTT Pay's
"AMOUNT_NOT_ENOUGH insufficient balance", Antom's USER_BALANCE_NOT_ENOUGH ...) must name the
same reason, and provider text with an unambiguous phrase ("signature", "risk control",
"refundable period") must name its reason wherever it occurs.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import payerr
from payerr import Advice, Category, Classification, Outcome, Reason
from payerr._core.reasons import (
    ADVICE_ALLOWED,
    REASON_VERDICTS,
    RESEND_SOURCE,
    STRIPE_DECLINE_CODES,
    advice_conflict,
    advice_for,
    reason_fits,
)
from payerr._core.taxonomy import CodeEntry
from payerr._retry.decide import Action, judge
from payerr._retry.safety import Sent

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
PROVIDERS = ("antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka")


def shipped_rows() -> list[CodeEntry]:
    registry = payerr.default_registry()
    found: dict[int, CodeEntry] = {}
    for provider in PROVIDERS:
        for entry in registry.table(provider).all_entries():
            found[id(entry)] = entry
    return list(found.values())


ROWS = shipped_rows()
IDS = [f"{e.provider}:{e.code}:{'+'.join(e.operations) or 'all'}" for e in ROWS]


# -- every row names one, from the vocabulary, allowed with its verdict ----------------------


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_row_names_its_reason(path: Path) -> None:
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["code"]
    missing = [row["code"] for row in rows if "reason" not in row]
    assert missing == []
    unknown = [row["code"] for row in rows if row["reason"] == "unknown"]
    # "unknown" only where the provider's words give no cause (a catch-all "other case", an
    # "abnormal" status, a redirect that failed for one of several reasons).
    assert len(unknown) <= 5, unknown


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_a_rows_reason_goes_with_its_verdict(entry: CodeEntry) -> None:
    key = str(entry.category) if entry.category is not None else str(entry.outcome)
    assert key in REASON_VERDICTS[entry.reason]
    c = entry.classification()
    assert c.reason is entry.reason
    assert c.advice in ADVICE_ALLOWED[key]


# Codes the providers' documents describe as the same cause (the words are theirs: seeds 001 to
# 003, docs.antom.com result codes, docs.ottpay.com, docs.paykka.com).
SAME_CAUSE = {
    Reason.INSUFFICIENT_FUNDS: [
        ("antom", "USER_BALANCE_NOT_ENOUGH"),  # "the user balance ... is insufficient"
        ("alipay_plus", "USER_BALANCE_NOT_ENOUGH"),  # "The user balance is not enough"
        ("ottpay", "AMOUNT_NOT_ENOUGH"),  # "insufficient balance"
        ("paykka", "5004"),  # "Insufficient funds"
    ],
    Reason.INVALID_SIGNATURE: [
        ("antom", "INVALID_SIGNATURE"),
        ("alipay_plus", "INVALID_SIGNATURE"),
        ("ottpay", "SIGN_FAIL"),  # "verification signature fail"
        ("paykka", "2000"),  # "Signature error"
        ("paykka", "206003"),
    ],
    Reason.SUSPECTED_FRAUD: [
        ("antom", "RISK_REJECT"),
        ("antom", "FRAUD_REJECT"),
        ("alipay_plus", "RISK_REJECT"),
        ("paykka", "5009"),  # "Transaction blocked for security reasons"
    ],
    Reason.ORDER_NOT_FOUND: [
        ("antom", "ORDER_NOT_EXIST"),
        ("alipay_plus", "ORDER_NOT_EXIST"),
        ("ottpay", "ORDER_NOT_EXIST"),
        ("paykka", "4008"),  # "Order does not exist"
    ],
    Reason.CURRENCY_NOT_SUPPORTED: [
        ("antom", "CURRENCY_NOT_SUPPORT"),
        ("alipay_plus", "CURRENCY_NOT_SUPPORT"),
        ("ottpay", "CURRENCY_NOT_SUPPORT"),
        ("paykka", "1007"),  # "Merchant does not support this currency"
    ],
    Reason.RATE_LIMITED: [
        ("antom", "REQUEST_TRAFFIC_EXCEED_LIMIT"),
        ("alipay_plus", "REQUEST_TRAFFIC_EXCEED_LIMIT"),
        ("paykka", "6006"),  # "Request too frequent"
    ],
    Reason.REFUND_WINDOW_EXPIRED: [("antom", "REFUND_WINDOW_EXCEED"), ("paykka", "4024")],
    Reason.CARD_EXPIRED: [("antom", "CARD_EXPIRED"), ("paykka", "5006")],
    Reason.INCORRECT_CVC: [("antom", "INVALID_CVV"), ("paykka", "5012")],
    Reason.INCORRECT_PIN: [("ottpay", "PWD_INCORRECT"), ("paykka", "5007")],
    Reason.DO_NOT_HONOR: [("antom", "DO_NOT_HONOR"), ("paykka", "5002")],
    Reason.LOST_OR_STOLEN_CARD: [("antom", "LOST_CARD"), ("antom", "STOLEN_CARD")],
    Reason.ORDER_CLOSED: [("alipay_plus", "ORDER_IS_CLOSED"), ("ottpay", "ORDER_CLOSED")],
    Reason.AUTHENTICATION_REQUIRED: [
        ("antom", "USER_KYC_NOT_QUALIFIED"),
        ("alipay_plus", "USER_KYC_NOT_QUALIFIED"),
        ("antom", "AUTHENTICATION_REQUIRED"),
        ("paykka", "5013"),  # "Additional authentication required"
    ],
}


@pytest.mark.parametrize("reason", SAME_CAUSE, ids=str)
def test_the_same_cause_has_the_same_reason_at_every_provider(reason: Reason) -> None:
    for provider, code in SAME_CAUSE[reason]:
        entry = payerr.explain(provider, code)
        assert entry is not None, (provider, code)
        assert entry.reason is reason, (provider, code, entry.reason)


# Phrases in the providers' own words that say one cause and nothing else.
WORDS = [
    (re.compile(r"\bsignature (error|expired|not found|is invalid|is not valid)", re.I), {
        Reason.INVALID_SIGNATURE}),
    (re.compile(r"\brisk control\b", re.I), {Reason.SUSPECTED_FRAUD}),
    (re.compile(r"\brefund(able)? (period|deadline)\b|refund deadline", re.I), {
        Reason.REFUND_WINDOW_EXPIRED}),
    (re.compile(r"\binsufficient (funds|balance)\b|balance is not enough", re.I), {
        Reason.INSUFFICIENT_FUNDS, Reason.MERCHANT_FUNDS_INSUFFICIENT}),
    (re.compile(r"\btoo frequent\b|traffic exceeds", re.I), {Reason.RATE_LIMITED}),
]  # fmt: skip


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_unambiguous_words_name_their_reason(entry: CodeEntry) -> None:
    words = f"{entry.message} {entry.description}"
    for pattern, reasons in WORDS:
        if pattern.search(words) and entry.outcome is Outcome.FAILED:
            assert entry.reason in reasons, (pattern.pattern, entry.code, entry.reason)


def test_the_vocabulary_has_what_the_issue_asks_and_stripes_codes() -> None:
    asked = [
        "insufficient_funds",
        "card_expired",
        "incorrect_cvc",
        "incorrect_pin",
        "authentication_required",
        "do_not_honor",
        "suspected_fraud",
        "limit_exceeded",
        "invalid_card",
        "currency_not_supported",
        "payment_method_not_supported",
        "invalid_signature",
        "invalid_request",
        "merchant_not_enabled",
        "duplicate_request",
        "order_not_found",
        "order_closed",
        "refund_window_expired",
        "rate_limited",
        "provider_error",
        "network_error",
        "processing",
        "user_cancelled",
        "unknown",
    ]
    assert set(asked) <= {r.value for r in Reason}
    assert set(REASON_VERDICTS) == set(Reason)
    assert REASON_VERDICTS[Reason.SUSPECTED_FRAUD] == {"risk"}
    assert REASON_VERDICTS[Reason.LOST_OR_STOLEN_CARD] == {"risk"}
    # docs.stripe.com/declines/codes
    assert STRIPE_DECLINE_CODES[Reason.CARD_EXPIRED] == ("expired_card",)
    assert STRIPE_DECLINE_CODES[Reason.SUSPECTED_FRAUD][0] == "fraudulent"
    asked_advice = [
        "none",
        "retry_same",
        "retry_later",
        "inquire",
        "step_up",
        "update_payment_details",
        "try_another_method",
        "contact_issuer",
        "fix_integration",
        "do_not_retry",
    ]
    assert {a.value for a in Advice} == set(asked_advice)


# -- loading checks it ------------------------------------------------------------------------


def user_row(**fields: object) -> dict[str, object]:
    return {"provider": {"id": "antom"}, "code": [{"code": "MY_CODE", "message": "m", **fields}]}


def test_a_reason_that_contradicts_its_verdict_is_refused_when_mappings_load() -> None:
    registry = payerr.Registry()
    with pytest.raises(payerr.MappingError, match="suspected_fraud goes only with risk"):
        registry.add_mapping(
            user_row(outcome="failed", category="user-action", reason="suspected_fraud")
        )
    with pytest.raises(payerr.MappingError, match="did you mean 'insufficient_funds'"):
        registry.add_mapping(
            user_row(outcome="failed", category="user-action", reason="insufficent_funds")
        )


def test_a_user_row_without_a_reason_says_unknown_and_keeps_working() -> None:
    registry = payerr.Registry()
    registry.add_mapping(user_row(outcome="failed", category="user-action"))
    c = payerr.classify("antom", "MY_CODE", registry=registry)
    assert (c.reason, c.advice) == (Reason.UNKNOWN, Advice.TRY_ANOTHER_METHOD)
    registry.add_mapping(user_row(outcome="failed", category="risk", reason="suspected_fraud"))
    c = payerr.classify("antom", "MY_CODE", registry=registry)
    assert (c.reason, c.advice) == (Reason.SUSPECTED_FRAUD, Advice.DO_NOT_RETRY)


# -- advice: derived, checked, and what the transports do ----------------------------------------


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_the_transports_resend_exactly_what_the_advice_says_to_resend(entry: CodeEntry) -> None:
    for source in ("code", RESEND_SOURCE) if entry.resend else ("code",):
        c = entry.classification(source=source)
        verdict = judge(
            c, sent=Sent.ANSWERED, replay_safe=lambda: True, status=200, first_send=True
        )
        assert (verdict.action is Action.RETRY) == (c.advice is Advice.RETRY_SAME), c
        unsafe = judge(c, sent=Sent.ANSWERED, replay_safe=lambda: False, status=200)
        if unsafe.action is Action.RAISE and unsafe.classification.outcome is Outcome.PENDING:
            assert unsafe.classification.advice is Advice.INQUIRE  # never "resend" if unsafe


@pytest.mark.parametrize("provider", ["antom", "alipay_plus"])
def test_u_answers_are_inquire_or_retry_same_never_failed(provider: str) -> None:
    codes = [e.code for e in payerr.default_registry().table(provider).entries.values()]
    for code in [*codes, "NOT_A_CODE_ANYONE_SENDS"]:
        body = {"result": {"resultCode": code, "resultStatus": "U", "resultMessage": "?"}}
        c = payerr.classify_http(provider, 200, body)
        assert c.outcome is not Outcome.FAILED, code
        if c.outcome is Outcome.PENDING:
            assert c.advice in (Advice.INQUIRE, Advice.RETRY_SAME), code


def test_a_contradicting_advice_is_refused_on_construction() -> None:
    c = payerr.classify("paykka", "5004")
    with pytest.raises(ValueError, match="contradicts a user-action verdict"):
        dataclasses.replace(c, advice=Advice.RETRY_SAME)
    with pytest.raises(ValueError, match="do_not_retry contradicts a retry_after"):
        dataclasses.replace(payerr.classify("antom", "REFUND_WINDOW_EXCEED"), retry_after=60.0)
    with pytest.raises(ValueError, match="only for a result the provider settles"):
        dataclasses.replace(
            payerr.classify("antom", "PAYMENT_IN_PROCESS"), advice=Advice.RETRY_SAME
        )
    # Changing the verdict: derive the advice again (reclassified does; replace takes None).
    pending = dataclasses.replace(
        c,
        outcome=Outcome.PENDING,
        category=None,
        retryable=False,
        advice=None,  # type: ignore[arg-type]  # None: derive it again
    )
    assert pending.advice is Advice.INQUIRE
    assert c.rederived(retry_after=3600.0).advice is Advice.TRY_ANOTHER_METHOD


def test_a_network_wait_turns_do_not_retry_into_retry_later() -> None:
    # Antom relays the issuer's code and Mastercard's Merchant Advice Code 24 ("retry after
    # 1 hour", mastercard.toml's sources) on a decline that is otherwise final.
    body = {
        "result": {"resultCode": "PAYMENT_FAIL", "resultStatus": "F", "resultMessage": "x"},
        "paymentResultCode": "ORDER_STATUS_INVALID",
        "paymentResultInfo": {"cardBrand": "MASTERCARD", "refusalCodeRaw": "51",
                              "merchantAdviceCode": "24"},
    }  # fmt: skip
    c = payerr.classify_http("antom", 200, body, operation="pay")
    assert c.network is not None
    assert (c.category, c.network.advice_code, c.retry_after) == (Category.FINAL, "24", 3600.0)
    assert c.advice is Advice.RETRY_LATER
    assert advice_conflict(c.advice, c.outcome, c.category, source=c.source,
                           retry_after=c.retry_after) is None  # fmt: skip


VERDICTS = st.sampled_from(
    [(Outcome.SUCCESS, None), (Outcome.INFO, None), (Outcome.PENDING, None)]
    + [(Outcome.FAILED, category) for category in Category]
)


@given(
    VERDICTS,
    st.sampled_from(list(Reason)),
    st.sampled_from(["code", RESEND_SOURCE, "http_status", "transport"]),
    st.none() | st.floats(min_value=0, max_value=1e6),
    st.sampled_from(list(Advice)),
)
def test_derived_advice_is_always_consistent_and_a_given_one_is_checked(
    verdict: tuple[Outcome, Category | None],
    reason: Reason,
    source: str,
    retry_after: float | None,
    given_advice: Advice,
) -> None:
    outcome, category = verdict
    fields = {
        "provider": "antom", "code": "X", "raw_code": "X", "message": "m", "outcome": outcome,
        "category": category, "retryable": category is Category.RETRYABLE, "known": True,
        "action": "a", "user_message": "u", "retry_after": retry_after, "source": source,
        "reason": reason,
    }  # fmt: skip
    if not reason_fits(reason, outcome, category):
        # Only pending may carry a reason its verdict does not allow (what the provider said,
        # kept while payerr is unsure); any other mismatch is refused.
        with pytest.raises(ValueError, match="does not go with"):
            Classification(**fields)  # type: ignore[arg-type]
        return
    derived = Classification(**fields)  # type: ignore[arg-type]
    assert derived.advice is advice_for(outcome, category, reason, source=source,
                                        retry_after=retry_after)  # fmt: skip
    assert advice_conflict(derived.advice, outcome, category, source=source,
                           retry_after=retry_after) is None  # fmt: skip
    why = advice_conflict(given_advice, outcome, category, source=source, retry_after=retry_after)
    if why is None:
        assert Classification(**fields, advice=given_advice).advice is given_advice  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="advice"):
            Classification(**fields, advice=given_advice)  # type: ignore[arg-type]
    # Any verdict change through reclassified keeps the invariant.
    for outcome2, category2 in [(Outcome.PENDING, None), (Outcome.FAILED, Category.FINAL)]:
        assert (
            derived.reclassified(outcome2, category2).advice
            in ADVICE_ALLOWED[str(category2) if category2 is not None else str(outcome2)]
        )


def test_fallbacks_name_what_the_status_or_the_wire_says() -> None:
    assert payerr.classify_http("antom", 429, b"").reason is Reason.RATE_LIMITED
    assert payerr.classify_http("antom", 502, b"").reason is Reason.PROVIDER_ERROR
    assert payerr.classify_http("antom", 401, b"").reason is Reason.INVALID_CREDENTIALS
    assert payerr.classify("antom", "NEVER_SEEN_BEFORE").reason is Reason.UNKNOWN
    # An unknown code is unknown whatever the status says about the status.
    body = {"result": {"resultCode": "NEVER_SEEN", "resultStatus": "F", "resultMessage": "x"}}
    assert payerr.classify_http("antom", 400, body).reason is Reason.UNKNOWN


def test_validate_refuses_a_bad_reason_and_points_out_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from payerr._cli.main import main

    path = tmp_path / "mine.toml"
    head = 'schema = 1\n[provider]\nid = "antom"\n'
    row = '[[code]]\ncode = "{}"\nmessage = "m"\noutcome = "failed"\ncategory = "user-action"\n'
    path.write_text(head + row.format("A") + row.format("B") + 'reason = "suspected_fraud"\n')
    assert main(["validate", str(path)]) == 1
    assert "suspected_fraud goes only with risk" in capsys.readouterr().err
    path.write_text(head + row.format("A"))
    assert main(["validate", str(path)]) == 0
    assert "1 row says reason 'unknown'" in capsys.readouterr().err


def test_a_classification_refuses_a_reason_or_a_wait_it_cannot_have() -> None:
    expired = payerr.classify("antom", "CARD_EXPIRED")
    with pytest.raises(ValueError, match="does not go with a user-action verdict"):
        dataclasses.replace(expired, reason=Reason.SUSPECTED_FRAUD)
    for wait in (float("nan"), float("inf"), -5, "5", True):
        with pytest.raises(ValueError, match="retry_after must be"):
            dataclasses.replace(expired, retry_after=wait)  # type: ignore[arg-type]
    assert dataclasses.replace(expired, retry_after=5).retry_after == 5.0
    # payerr's own changes of verdict drop a reason the new verdict does not allow.
    fraud = payerr.classify("antom", "FRAUD_REJECT")
    assert fraud.reclassified(Outcome.FAILED, Category.RETRYABLE).reason is Reason.UNKNOWN
    assert fraud.reclassified(Outcome.PENDING).reason is Reason.SUSPECTED_FRAUD  # unsure: kept


def test_a_resend_payerr_gave_up_on_advises_inquire_at_every_provider() -> None:
    """The policy stopped resending: the raised error's advice is inquire, whether the last
    answer was a 503 or Antom's resultStatus U (docs.antom.com/ac/ams/idempotency)."""
    import httpx

    from tests.support.clients import policy
    from tests.support.clock import FakeTime

    answers = {
        "antom": lambda: httpx.Response(200, json={"result": {
            "resultCode": "REQUEST_TRAFFIC_EXCEED_LIMIT", "resultStatus": "U",
            "resultMessage": "The request traffic exceeds the limit."}}),
        "paykka": lambda: httpx.Response(503),
    }  # fmt: skip
    for provider, answer in answers.items():
        sent: list[int] = []

        def handler(
            request: httpx.Request,
            a: Callable[[], httpx.Response] = answer,
            s: list[int] = sent,
        ) -> httpx.Response:
            s.append(1)
            return a()

        transport = payerr.PaymentTransport(
            provider, transport=httpx.MockTransport(handler), policy=policy(FakeTime(), attempts=3)
        )
        with (
            httpx.Client(transport=transport) as client,
            pytest.raises(payerr.OutcomeUnknownError) as raised,
        ):
            client.post(
                "https://provider.test/ams/api/v1/payments/pay",
                json={"paymentRequestId": "p-1"},
                headers={"Idempotency-Key": f"k-{provider}"},
            )
        assert len(sent) == 3
        assert raised.value.classification.advice is Advice.INQUIRE, provider


def antom_card(code: str, **info: str) -> dict[str, Any]:
    """An Antom decline relaying the card network's fields (paymentResultInfo, as Antom's SDK
    models it: cardBrand, refusalCodeRaw, merchantAdviceCode)."""
    return {
        "result": {"resultCode": code, "resultStatus": "F", "resultMessage": "x"},
        "paymentResultInfo": info,
    }


@pytest.mark.parametrize(
    ("code", "info"),
    [
        ("DO_NOT_HONOR", {"cardBrand": "MASTERCARD", "merchantAdviceCode": "21"}),
        ("CARD_EXPIRED", {"cardBrand": "VISA", "refusalCodeRaw": "43"}),
        ("INVALID_CARD", {"cardBrand": "MASTERCARD", "merchantAdviceCode": "03"}),
        ("SUSPECTED_RISK", {"cardBrand": "MASTERCARD", "merchantAdviceCode": "21"}),
    ],
)
def test_a_networks_never_is_do_not_retry_and_the_limiter_agrees(
    code: str, info: dict[str, str]
) -> None:
    for operation in ("pay", "notification"):
        c = payerr.classify_http("antom", 200, antom_card(code, **info), operation=operation)
        assert c.network is not None
        assert c.network.never_retry
        assert (c.advice, c.retry_after) == (Advice.DO_NOT_RETRY, None), operation
    limiter = payerr.networks.ReattemptLimiter()
    assert not limiter.allowed("card-1", c).allowed


def test_a_risk_refusal_stays_refused_by_the_limiter_whatever_the_network_waits() -> None:
    c = payerr.classify_http(
        "antom", 200, antom_card("FRAUD_REJECT", cardBrand="MASTERCARD", merchantAdviceCode="24")
    )
    assert (c.advice, c.retry_after) == (Advice.DO_NOT_RETRY, None)
    now = [1_000_000.0]
    limiter = payerr.networks.ReattemptLimiter(clock=lambda: now[0])
    limiter.record("card-2", c)
    now[0] += 3 * 24 * 3600  # long past MAC 24's hour
    decision = limiter.allowed("card-2", c)
    assert (decision.allowed, decision.not_before) == (False, None)


def test_a_one_digit_mac_is_read_the_same_by_the_advice_and_the_limiter() -> None:
    """Barclays' own one-digit scheme shares the field (Cybersource's merchantAdviceCodeRaw):
    '3' is not MAC 03 for the classification, nor for the limiter."""
    c = payerr.classify_http(
        "antom", 200, antom_card("DO_NOT_HONOR", cardBrand="MASTERCARD", merchantAdviceCode="3")
    )
    assert c.network is not None
    assert not c.network.never_retry
    assert payerr.networks.ReattemptLimiter().allowed("card-3", c).allowed


def test_the_network_and_the_wait_are_checked_together() -> None:
    declined = payerr.classify("antom", "DO_NOT_HONOR")
    never = payerr.networks.network_advice("mastercard", "05", "21")
    with pytest.raises(ValueError, match="never_retry"):
        dataclasses.replace(declined, network=never)  # keeps contact_issuer
    assert declined.rederived(network=never).advice is Advice.DO_NOT_RETRY
    with pytest.raises(ValueError, match="never_retry"):
        declined.rederived(network=never, retry_after=60.0)
    with pytest.raises(ValueError, match="names no wait"):
        dataclasses.replace(declined, advice=Advice.RETRY_LATER)
    risky = payerr.classify("antom", "SUSPECTED_RISK")
    assert risky.advice is Advice.RETRY_LATER
    with pytest.raises(ValueError, match="names no wait"):
        dataclasses.replace(risky, retry_after=None)
