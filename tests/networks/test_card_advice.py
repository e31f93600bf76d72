"""Card network advice on a declined card payment: Classification.network (issue 14, item 1).

Field names and where they come from: Antom's ``paymentResultInfo`` as the official Python SDK
1.7.1 models it (com/alipay/ams/api/model/payment_result_info.py: ``cardBrand``,
``refusalCodeRaw``, ``refusalReasonRaw``, ``merchantAdviceCode``, ``fingerprint``), carried by
the pay and inquiryPayment responses (alipay_pay_response.py, alipay_pay_query_response.py).
Expected advice comes from the public pages each row of mappings/networks/*.toml cites; the
test names the page it relies on.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import unicodedata
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import payerr
from payerr import Category, Outcome
from payerr._core.cards import mask_card_numbers
from payerr.networks import NetworkAdvice

# Antom's official SDK (the [test] extra): its model of paymentResultInfo.
_sdk_model = pytest.importorskip("com.alipay.ams.api.model.payment_result_info")
PaymentResultInfo: Any = _sdk_model.PaymentResultInfo

EVERONET_MAC = "https://docs.everonet.com/en-us/gateway/developer-portal/appendix/mastercard-merchant-advice-code"
CHECKOUT_VISA = (
    "https://www.checkout.com/docs/developer-resources/codes/visa-response-codes-categories"
)
CHECKOUT_RETRY = "https://support.checkout.com/hc/en-us/articles/25482040901394-When-can-I-retry-a-declined-transaction"
PAN = "4111111111111111"  # a Luhn-valid test card number


def decline(info: object, code: str = "DO_NOT_HONOR", status: str = "F") -> dict[str, Any]:
    """An Antom pay answer: the result envelope (docs.antom.com/ac/ams/payment_cashier, Result
    codes: DO_NOT_HONOR is F) plus paymentResultInfo as the SDK models it."""
    body: dict[str, Any] = {
        "result": {"resultCode": code, "resultStatus": status, "resultMessage": "declined"},
        "paymentRequestId": "pay_20261123_0001",
        "paymentId": "202611231940108001001880C0200000001",
    }
    if info is not None:
        body["paymentResultInfo"] = info
    return body


def card(brand: str = "MASTERCARD", **fields: object) -> dict[str, object]:
    return {"cardBrand": brand, "cardNo": "************1111", **fields}


def pay(info: object, **kwargs: str) -> payerr.Classification:
    # first_send: the row's own verdict (a repeat answer is otherwise outcome unknown).
    return payerr.classify_http(
        "antom", 200, decline(info, **kwargs), operation="pay", first_send=True
    )


def same_verdict(a: payerr.Classification, b: payerr.Classification) -> bool:
    """Everything but the advice and its wait: what the provider's code decided."""
    keep = {"network", "retry_after", "advice"}
    return all(
        getattr(a, f.name) == getattr(b, f.name)
        for f in dataclasses.fields(a)
        if f.name not in keep
    )


# -- the field names are the SDK's ----------------------------------------------------------


def test_payerr_reads_the_fields_antoms_sdk_writes() -> None:
    """A PaymentResultInfo built with the official SDK's setters, serialised as the SDK sends
    it (to_ams_dict), reads back as payerr's advice: the names are Antom's own."""
    info = PaymentResultInfo()
    info.card_brand = "MASTERCARD"
    info.refusal_code_raw = "51"
    info.refusal_reason_raw = "Insufficient funds"
    info.merchant_advice_code = "24"
    info.fingerprint = "fp-7d1c0e"
    c = pay(info.to_ams_dict())
    assert c.network == NetworkAdvice(
        brand="mastercard",
        issuer_code="51",
        advice_code="24",
        never_retry=False,
        category=None,
        issuer_message="Insufficient funds",
        retry_after=3600.0,
        fingerprint="fp-7d1c0e",
    )
    parsed = PaymentResultInfo()
    parsed.parse_rsp_body(decline(info.to_ams_dict())["paymentResultInfo"])
    assert (parsed.card_brand, parsed.merchant_advice_code) == ("MASTERCARD", "24")


# -- Mastercard Merchant Advice Codes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mac", "seconds"),
    [("24", 3600), ("25", 86400), ("26", 172800), ("27", 345600), ("28", 518400),
     ("29", 691200), ("30", 864000)],
)  # fmt: skip
def test_mac_24_to_30_set_retry_after(mac: str, seconds: int) -> None:
    """Everonet (EVERONET_MAC): '24: Retry after 1 hour' ... '30: Retry after 10 days'."""
    c = pay(card(merchantAdviceCode=mac, refusalCodeRaw="51"))
    assert c.retry_after == seconds
    assert c.network is not None
    assert c.network.retry_after == seconds
    assert not c.network.never_retry
    assert (c.outcome, c.category) == (Outcome.FAILED, Category.USER_ACTION)


def test_mac_02_waits_the_acquirers_72_hours() -> None:
    """Everonet: '02: ... Retry the transaction after 72 hours.'; Airwallex: 'Recycle
    transaction 72 hours later'."""
    assert pay(card(merchantAdviceCode="02")).retry_after == 72 * 3600


@pytest.mark.parametrize("mac", ["03", "21"])
def test_mac_03_and_21_never_retry(mac: str) -> None:
    """Checkout.com (CHECKOUT_RETRY): 'Do not try again recommendation codes: 03 - Do not try
    again - 21 - Payment cancellation'. No wait: there is no later."""
    c = pay(card(merchantAdviceCode=mac, refusalCodeRaw="79"))
    assert c.network is not None
    assert c.network.never_retry is True
    assert c.network.retry_after is None
    assert c.retry_after is None
    assert c.network.category is None  # Mastercard has no Visa-style categories


@pytest.mark.parametrize("mac", ["01", "04", "22", "40", "41", "00", "99", "7903"])
def test_other_macs_neither_forbid_nor_time_a_reattempt(mac: str) -> None:
    """Only 03 and 21 say 'do not try again' (CHECKOUT_RETRY); 01/04/22/40/41 name no wait,
    and codes outside the table say nothing."""
    c = pay(card(merchantAdviceCode=mac))
    assert c.network is not None
    assert (c.network.never_retry, c.network.retry_after, c.retry_after) == (False, None, None)
    assert c.network.advice_code == mac


def test_a_one_digit_mac_is_not_padded() -> None:
    """Barclays sends its own one-digit scheme in the same field, where 4 means 'do not try
    again' and 2 'try later' (Cybersource, ccAuthReply_merchantAdviceCodeRaw): '4' is kept as
    sent and read as nothing, never as MAC 04."""
    c = pay(card(merchantAdviceCode="3"))
    assert c.network is not None
    assert (c.network.advice_code, c.network.never_retry) == ("3", False)


def test_a_mac_is_read_only_on_a_mastercard() -> None:
    """MACs are Mastercard's (Peach Payments marks 21 and 24-30 'Applicable to Visa: no');
    some processors put Visa's categories in the same field (Cybersource: Visa '3: Data
    quality'), so a MAC on another brand is kept but not read."""
    for brand in ("VISA", "MAESTRO", "AMEX", "JCB"):
        c = pay(card(brand, merchantAdviceCode="03"))
        assert c.network is not None
        assert c.network.never_retry is False, brand
        assert c.network.brand == brand.lower()


# -- Visa categories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"]
)
def test_visa_category_1_never_retries(code: str) -> None:
    """Evolve's category 1 list: '04, 07, 12, 14, 15, 41, 43, 46, 57, R0, R1, R3 ...
    Re-attempt not allowed'."""
    c = pay(card("VISA", refusalCodeRaw=code))
    assert c.network is not None
    assert (c.network.category, c.network.never_retry) == ("1", True)


@pytest.mark.parametrize(
    ("code", "category"),
    [("51", "2"), ("03", "2"), ("62", "2"), ("93", "2"), ("54", "3"), ("N7", "3"),
     ("05", "4"), ("01", "4")],
)  # fmt: skip
def test_visa_categories_2_to_4_may_be_reattempted(code: str, category: str) -> None:
    """Checkout.com (CHECKOUT_VISA): 51 'Insufficient funds' category 2, 54 'Expired card'
    category 3, 'All other Visa decline codes not listed ... re-attempt is allowed'; MidMetrics:
    03, 62, 93 moved from category 1 to 2 in April 2021."""
    c = pay(card("VISA", refusalCodeRaw=code))
    assert c.network is not None
    assert (c.network.category, c.network.never_retry) == (category, False)
    assert c.retry_after is None  # Visa's categories name no wait


def test_visa_codes_match_in_any_case_but_never_padded() -> None:
    """Codes are two characters as Visa lists them: ' r0 ' is R0; '5' is not 05."""
    r0 = pay(card("VISA", refusalCodeRaw=" r0 ")).network
    assert r0 is not None
    assert (r0.issuer_code, r0.category, r0.never_retry) == ("r0", "1", True)
    unknown = pay(card("VISA", refusalCodeRaw="5")).network
    assert unknown is not None
    assert (unknown.issuer_code, unknown.category, unknown.never_retry) == ("5", None, False)


def test_an_unknown_brand_keeps_the_codes_but_gives_no_advice() -> None:
    c = pay(card("CARTES_BANCAIRES", refusalCodeRaw="43", merchantAdviceCode="03"))
    assert c.network == NetworkAdvice("cartes_bancaires", "43", "03", False, None)


# -- advice refines, never decides (Architecture#truth-rules) ------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [("DO_NOT_HONOR", "F"), ("SUSPECTED_RISK", "F"), ("UNKNOWN_EXCEPTION", "U"),
     ("PAYMENT_IN_PROCESS", "U"), ("SUCCESS", "S"), ("INVALID_CARD", "F")],
)  # fmt: skip
def test_advice_never_changes_the_verdict(code: str, status: str) -> None:
    """Advice comes only with an issuer's decline: Antom's F result codes (DO_NOT_HONOR,
    SUSPECTED_RISK, INVALID_CARD: docs.antom.com/ac/ams/payment_cashier). U UNKNOWN_EXCEPTION
    ("An API call has failed, which is caused by unknown reasons") is not a decline."""
    for info in (card(merchantAdviceCode="03"), card(merchantAdviceCode="24"),
                 card("VISA", refusalCodeRaw="43")):  # fmt: skip
        with_info, without = (
            pay(info, code=code, status=status),
            pay(None, code=code, status=status),
        )
        assert same_verdict(with_info, without), (code, info)
        declined = status == "F"
        assert (with_info.network is not None) is declined, (code, info)


def test_success_and_pending_carry_no_advice() -> None:
    """paymentResultInfo also comes on a successful card payment (card details): no advice."""
    for code, status in (("SUCCESS", "S"), ("PAYMENT_IN_PROCESS", "U")):
        assert pay(card("VISA", refusalCodeRaw="43"), code=code, status=status).network is None


def test_an_unknown_result_carries_no_network_advice() -> None:
    """resultStatus U with UNKNOWN_EXCEPTION ("U: Unknown", docs.antom.com/ac/ams/api_fund;
    resend the same paymentRequestId or inquire, docs.antom.com/ac/ams/idempotency) is not the
    issuer's decision about the card, whatever paymentResultInfo it carries: pending, no
    never-retry and no MAC wait (a 1 h wait would turn the transport's resend into giving up)."""
    for info in (card(merchantAdviceCode="24"), card(merchantAdviceCode="03"),
                 card("VISA", refusalCodeRaw="43")):  # fmt: skip
        c = pay(info, code="UNKNOWN_EXCEPTION", status="U")
        assert c.is_pending
        assert c.network is None
        assert c.retry_after is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("ACCESS_DENIED", "merchant-config: 'Access is denied.'"),
        ("ORDER_IS_CLOSED", "a repeat answer: 'The order is closed.' (the paymentRequestId "
         "names a closed order)"),
    ],
)  # fmt: skip
def test_merchant_config_and_repeat_answers_carry_no_network_advice(code: str, why: str) -> None:
    """Antom's pay result codes (docs.antom.com/ac/ams/payment_cashier): ACCESS_DENIED and
    ORDER_IS_CLOSED are F answers about the call or an earlier request, not an issuer's new
    decline: no advice, no MAC retry_after, however paymentResultInfo reads."""
    c = pay(card(refusalCodeRaw="51", merchantAdviceCode="24"), code=code)
    assert c.outcome is Outcome.FAILED, why
    assert c.network is None, why
    assert c.retry_after is None, why


@pytest.mark.parametrize(
    "spelling", ["MASTERCARD", "Mastercard", "mastercard", "MC", "mc", "MASTER_CARD",
                 "MASTER CARD", "Master Card", "master-card", " MASTERCARD "],
)  # fmt: skip
def test_mastercard_spellings_read_as_mastercard(spelling: str) -> None:
    """Providers spell the brand their own way (Antom: 'MASTERCARD', SDK PaymentResultInfo
    card_brand; others 'MC', 'Mastercard'). MAC 03 'Do not try again' (Braintree's MAC table,
    developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes)
    applies to all of them."""
    c = pay(card(spelling, merchantAdviceCode="03"))
    assert c.network is not None
    assert (c.network.brand, c.network.never_retry) == ("mastercard", True)


@pytest.mark.parametrize("spelling", ["VISA", "Visa", "visa", " VISA ", "ViSa"])
def test_visa_spellings_read_as_visa(spelling: str) -> None:
    """43 'Stolen card - pick up' is category 1 (Checkout.com's Visa categories page)."""
    c = pay(card(spelling, refusalCodeRaw="43"))
    assert c.network is not None
    assert (c.network.brand, c.network.never_retry, c.network.category) == ("visa", True, "1")


@pytest.mark.parametrize(
    "spelling", ["MASTER", "garbage", "VISA1", "V I S A", "\uff36\uff29\uff33\uff21",
                 "V\u0130SA", "VI\x00SA", "M\u0421"],
)  # fmt: skip
def test_unknown_or_garbled_brands_read_as_no_brand(spelling: str) -> None:
    """A brand payerr does not know, or not plain ASCII (full-width letters, a dotted capital
    I, a Cyrillic C), is no brand: codes whose meaning depends on the brand (Visa's category 1,
    Mastercard's MAC 03) then say nothing, so never_retry needs a known brand."""
    for info in (card(spelling, refusalCodeRaw="43"), card(spelling, merchantAdviceCode="03")):
        c = pay(info)
        assert c.network is not None
        assert (c.network.brand, c.network.never_retry) == ("", False)


@pytest.mark.parametrize(("value", "read"), [(24, "24"), (3, "03"), (0, "00"), (99, "99")])
def test_a_mac_sent_as_a_json_integer_reads_as_two_digits(value: int, read: str) -> None:
    """Antom documents merchantAdviceCode as a string; a processor that drops the quotes drops
    the leading zero too. MAC 24 'Retry after 1 hour' (Braintree's MAC table)."""
    c = pay(card(merchantAdviceCode=value))
    assert c.network is not None
    assert c.network.advice_code == read
    if value == 24:
        assert c.retry_after == 3600
    if value == 3:
        assert c.network.never_retry


@pytest.mark.parametrize("value", [100, -1, 24.0, True, False, 1e3, "٢٤"])
def test_other_non_string_macs_give_no_advice_code(value: object) -> None:
    """Only a string, or a JSON integer 0-99, is an advice code."""
    c = pay(card(merchantAdviceCode=value))
    assert c.network is not None
    assert c.network.advice_code in (None, "٢٤")
    assert c.network.retry_after is None
    assert c.retry_after is None


def test_a_longer_provider_wait_wins() -> None:
    """SUSPECTED_RISK's row says 'retry after one working day' (86400 s): MAC 24's hour does not
    shorten it. A network's wait never lengthens a risk refusal (it is no invitation to try a
    refused card again); on an issuer's decline, MAC 30's ten days lengthen the wait. MAC 21
    ("do not try again") wins over any wait, the provider's own included."""
    assert pay(card(merchantAdviceCode="24"), code="SUSPECTED_RISK").retry_after == 86400
    assert pay(card(merchantAdviceCode="30"), code="SUSPECTED_RISK").retry_after == 86400
    declined = pay(card(merchantAdviceCode="30"), code="DO_NOT_HONOR")
    assert (declined.retry_after, declined.advice) == (864000, payerr.Advice.CONTACT_ISSUER)
    never = pay(card(merchantAdviceCode="21"), code="SUSPECTED_RISK")
    assert (never.retry_after, never.advice) == (None, payerr.Advice.DO_NOT_RETRY)
    stolen = pay(card(merchantAdviceCode="24"), code="LOST_CARD")
    assert (stolen.retry_after, stolen.advice) == (None, payerr.Advice.DO_NOT_RETRY)


def test_inquiry_and_notification_carry_advice_but_refunds_do_not() -> None:
    """inquiryPayment's paymentStatus FAIL with paymentResultInfo (SDK AlipayPayQueryResponse);
    a refund's failure is not the issuer's decline of a payment."""
    body = {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentStatus": "FAIL",
        "paymentResultCode": "DO_NOT_HONOR",
        "paymentResultInfo": card(merchantAdviceCode="21"),
    }
    c = payerr.classify_http("antom", 200, body, operation="inquiry")
    assert c.network is not None
    assert c.network.never_retry
    assert payerr.classify_http("antom", 200, body).network is not None  # operation from body
    refund = decline(card(merchantAdviceCode="21"), code="REFUND_WINDOW_EXCEED")
    assert payerr.classify_http("antom", 200, refund, operation="refund").network is None


def test_classify_response_and_as_dict() -> None:
    response = httpx.Response(
        200,
        json=decline(card(merchantAdviceCode="25", refusalCodeRaw="51")),
        request=httpx.Request("POST", "https://open-sea-global.alipay.com/ams/api/v1/payments/pay"),
    )
    c = payerr.classify_response("antom", response)
    assert c.network is not None
    assert c.network.as_dict()["retry_after"] == 86400
    json.dumps(c.network.as_dict())


def test_classification_with_advice_pickles() -> None:
    c = pay(card(merchantAdviceCode="24", fingerprint="fp"))
    assert pickle.loads(pickle.dumps(c)) == c
    error = payerr.UserActionError(c)
    assert pickle.loads(pickle.dumps(error)).classification.network == c.network


def test_an_answer_without_card_details_has_no_advice() -> None:
    infos: list[object] = [None, "VISA", [], {}, {"cardNo": "************1111"}]
    for info in infos:
        assert pay(info).network is None


# -- the transport never retries a decline because of advice --------------------------------


def _send(body: dict[str, Any], attempts: int = 3) -> tuple[int, BaseException | None]:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json=body)

    policy = payerr.RetryPolicy(attempts=attempts, budget=False, sleep=lambda s: None)
    transport = payerr.PaymentTransport(
        "antom", transport=httpx.MockTransport(handler), policy=policy
    )
    with httpx.Client(transport=transport) as client:
        try:
            client.post(
                "https://open-sea-global.alipay.com/ams/api/v1/payments/pay",
                json={"paymentRequestId": "pay_20261123_0001"},
            )
        except payerr.PaymentError as exc:
            return calls, exc
    return calls, None


@pytest.mark.parametrize("mac", ["02", "03", "24", "30"])
def test_a_decline_with_advice_is_raised_once_never_resent(mac: str) -> None:
    calls, error = _send(decline(card(merchantAdviceCode=mac)))
    assert calls == 1
    assert isinstance(error, payerr.UserActionError)
    assert error.classification.network is not None
    assert error.classification.network.advice_code == mac


def test_advice_does_not_change_how_a_retryable_answer_is_resent() -> None:
    """U + UNKNOWN_EXCEPTION under a paymentRequestId: resent as often with a MAC as without."""
    plain = _send(decline(None, code="UNKNOWN_EXCEPTION", status="U"))
    advised = _send(decline(card(merchantAdviceCode="24"), code="UNKNOWN_EXCEPTION", status="U"))
    assert plain[0] == advised[0] == 3
    assert type(plain[1]) is type(advised[1])


# -- hostile input --------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d[\d -]{10,}\d")


def _no_card_number(text: str | None) -> bool:
    """No Luhn-valid 12-19 digit run survives (payerr._core.cards' own test of a card number)."""
    return text is None or mask_card_numbers(text) == text


def test_a_card_number_never_comes_through() -> None:
    info = card(
        "VISA",
        refusalCodeRaw=PAN,
        refusalReasonRaw=f"declined card {PAN} cvv 123",
        merchantAdviceCode=PAN,
        fingerprint=PAN,
    )
    advice = pay(info).network
    assert advice is not None
    for value in advice.as_dict().values():
        if isinstance(value, str):
            assert PAN not in value
            assert _no_card_number(value)


def test_a_long_reason_is_cut_without_leaving_part_of_a_card_number() -> None:
    """Cut at 256 characters; the cut may fall inside a number: its head is dropped too."""
    for pad in range(240, 262):
        reason = "x" * pad + " 4111 1111 1111 1111 and more text" + "y" * 5000
        message = pay(card(refusalReasonRaw=reason)).network.issuer_message  # type: ignore[union-attr]
        assert message is not None
        assert len(message) <= 260
        assert "4111 1111" not in message
        assert "1111 1111" not in message


def test_garbled_codes_and_brands_give_no_advice() -> None:
    """Control or invisible characters inside a code never help it match
    (Architecture#provider-text-is-hostile): '4\\x003' is not 43, 'VI\\u200bSA' is not Visa."""
    assert pay(card("VISA", refusalCodeRaw="4\x003")).network.never_retry is False  # type: ignore[union-attr]
    assert pay(card("VISA", refusalCodeRaw="4\x003")).network.issuer_code is None  # type: ignore[union-attr]
    c = pay(card("VI\u200bSA", refusalCodeRaw="43"))
    assert c.network is not None
    assert (c.network.brand, c.network.never_retry) == ("", False)
    c = pay(card("MASTERCARD", merchantAdviceCode="0\u200b3"))
    assert c.network is not None
    assert c.network.never_retry is False


@pytest.mark.parametrize("value", [4.3, True, ["43"], {"code": "43"}, None, "", " " * 3])
def test_non_string_codes_give_no_advice(value: object) -> None:
    """Antom sends every field as a string (docs.antom.com/ac/ams/api_fund: 'Set the data type of
    each field (except array) as String')."""
    c = pay(card("VISA", refusalCodeRaw=value, merchantAdviceCode=value, refusalReasonRaw=value))
    assert c.network is not None  # the brand alone is kept
    assert (c.network.issuer_code, c.network.advice_code, c.network.never_retry) == (
        None,
        None,
        False,
    )


_anything = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
        st.text(max_size=40),
        st.sampled_from(["VISA", "MASTERCARD", "03", "21", "24", "43", "R0", PAN, "visa\x00"]),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=6,
)  # fmt: skip
_FIELDS = ("cardBrand", "refusalCodeRaw", "refusalReasonRaw", "merchantAdviceCode", "fingerprint")


@settings(max_examples=300, deadline=None)
@given(
    info=st.one_of(_anything, st.dictionaries(st.sampled_from(_FIELDS), _anything, max_size=5)),
    code=st.sampled_from(
        [("DO_NOT_HONOR", "F"), ("UNKNOWN_EXCEPTION", "U"), ("SUCCESS", "S"), ("BOGUS", "F")]
    ),
)
def test_any_payment_result_info_refines_and_never_raises(
    info: object, code: tuple[str, str]
) -> None:
    with_info = pay(info, code=code[0], status=code[1])
    without = pay(None, code=code[0], status=code[1])
    assert same_verdict(with_info, without)
    advice = with_info.network
    if advice is None:
        return
    assert with_info.outcome is Outcome.FAILED
    for value in advice.as_dict().values():
        if isinstance(value, str):
            # No control, format or surrogate characters (payerr._core.text.clean keeps characters
            # newer than this Python's Unicode tables: they are harmless).
            assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value)
            assert _no_card_number(value)
    if advice.never_retry:
        assert advice.brand in ("visa", "mastercard")
        assert advice.retry_after is None
    if with_info.retry_after != without.retry_after:
        assert not with_info.retryable
        assert with_info.retry_after == advice.retry_after


# -- the public function ----------------------------------------------------------------------


def test_network_advice_for_other_providers_answers() -> None:
    """payerr.networks.network_advice reads values any provider relays."""
    advice = payerr.networks.network_advice("Mastercard", "51", "26")
    assert advice is not None
    assert advice.retry_after == 172800
    assert payerr.networks.network_advice(None, None, None) is None
    assert payerr.networks.network_advice("", "", "") is None
    assert payerr.networks.network_advice(b"VISA", b"43") is None
