"""The providers' public code tables (issue 9, items 4 and 5): provenance, and verdicts that
follow the words of the table each code comes from.

Every expected answer below quotes the provider's page or seed document, never payerr's rows:
- Antom: the Result/Error codes tables of pay, capture, cancel, refund, inquiryRefund,
  notifyRefund, vaultPaymentMethod, inquireVaulting (docs.antom.com/ac/ams/<page>, as published
  under global.alipay.com/docs/ac/ams).
- PayKKa: the Error Handling page (docs.paykka.com/payments/apis/introduction/response-code),
  the "Gateway Order Status" of the notify webhook and Query Transaction.
- Alipay+: seed 000 (the SDK callback table) and the "Error codes" page.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import payerr
from payerr import Category, Outcome
from payerr._mappings.registry import Registry

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
PROVIDERS = ("alipay_plus", "antom", "ottpay", "ottpay_rest", "paykka")


def rows(provider: str) -> list[dict[str, Any]]:
    with (MAPPINGS / f"{provider}.toml").open("rb") as f:
        return list(tomllib.load(f)["code"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_row_not_from_the_seed_names_its_page(provider: str) -> None:
    """Item 4: a row taken from the docs (``seed = ""``) carries the URL of its page."""
    for row in rows(provider):
        if row.get("seed") == "":
            assert row.get("doc_url", "").startswith("https://"), row["code"]


def test_antom_rows_are_in_antoms_words_not_alipay_plus_spellings() -> None:
    """Antom's tables spell the access-token and payment-code refusals its own way."""
    antom = Registry(use_env=False).table("antom")
    for alipay_plus_only in ("INVALID_TOKEN", "INVALID_CODE", "BUSINESS_NOT_SUPPORT"):
        assert antom.entry(alipay_plus_only) is None, alipay_plus_only
    for own in ("INVALID_ACCESS_TOKEN", "INVALID_PAYMENT_CODE", "CLIENT_INVALID"):
        assert antom.entry(own) is not None, own
    for row in rows("antom"):
        assert "re-check it against" not in row.get("note", ""), row["code"]


def antom(code: str, status: str, operation: str | None = None) -> payerr.Classification:
    body = {"result": {"resultCode": code, "resultStatus": status, "resultMessage": "m"}}
    return payerr.classify_http("antom", 200, body, operation=operation)


@pytest.mark.parametrize(
    ("code", "status", "operation", "outcome", "category"),
    [
        # refund: "REFUND_IN_PROCESS | U | The refund is being processed. | ... Do not retry
        # the refund request."
        ("REFUND_IN_PROCESS", "U", "refund", Outcome.PENDING, None),
        # capture: "CAPTURE_IN_PROCESS | U | The capture is processing. | Wait for the
        # notification ... or inquiry about the capture result."
        ("CAPTURE_IN_PROCESS", "U", "capture", Outcome.PENDING, None),
        # cancel/refund: "SYSTEM_ERROR | F | A system error occurred. | Do not retry"
        ("SYSTEM_ERROR", "F", "refund", Outcome.FAILED, Category.FINAL),
        # capture: "AUTH_EXPIRED | F | The payment authorization is expired."
        ("AUTH_EXPIRED", "F", "capture", Outcome.FAILED, Category.FINAL),
        # refund: "MERCHANT_BALANCE_NOT_ENOUGH | F | The merchant balance is insufficient."
        ("MERCHANT_BALANCE_NOT_ENOUGH", "F", "refund", Outcome.FAILED, Category.MERCHANT_CONFIG),
        # vaultPaymentMethod: "VERIFICATION_FAIL | F | The verification of the payment method
        # information failed."
        ("VERIFICATION_FAIL", "F", "vaulting", Outcome.FAILED, Category.USER_ACTION),
        # pay: "PAYMENT_PROHIBITED | F | ... goods are prohibited from sale in the country."
        ("PAYMENT_PROHIBITED", "F", "pay", Outcome.FAILED, Category.FINAL),
        # pay: "SETTLE_CONTRACT_NOT_MATCH | F | No matched settlement contract can be found."
        ("SETTLE_CONTRACT_NOT_MATCH", "F", "pay", Outcome.FAILED, Category.MERCHANT_CONFIG),
        # pay: "INVALID_ACCESS_TOKEN | F | The access token is expired, revoked, or does not
        # exist. | Check whether accessToken is correct."
        ("INVALID_ACCESS_TOKEN", "F", "pay", Outcome.FAILED, Category.MERCHANT_CONFIG),
    ],
)
def test_antom_table_verdicts(
    code: str, status: str, operation: str, outcome: Outcome, category: Category | None
) -> None:
    c = antom(code, status, operation)
    assert (c.code, c.outcome, c.category, c.known) == (code, outcome, category, True)


def test_antom_order_is_canceled_is_a_repeat_answer() -> None:
    """pay: "ORDER_IS_CANCELED | F | The request you initiated has the same paymentRequestId as
    the previously paid transaction, which is canceled." An answer about an earlier request."""
    assert antom("ORDER_IS_CANCELED", "F", "pay").repeat


def test_antom_refund_refusals_speak_of_the_refund() -> None:
    for code in ("MERCHANT_BALANCE_NOT_ENOUGH", "PARTIAL_REFUND_NOT_SUPPORTED"):
        message = antom(code, "F", "refund").user_message.lower()
        assert "refund" in message, code
        assert "your payment" not in message, code


def paykka(data: object, ret_code: str = "000000", operation: str | None = None) -> Any:
    body = {"ret_code": ret_code, "ret_msg": "success", "data": data}
    return payerr.classify_http("paykka", 200, body, operation=operation)


def test_paykka_error_handling_example_2099() -> None:
    """The Error Handling page's example: HTTP 200, ret_code 000000, data.error_code "2099"
    (Invalid Card), data.status FAILURE."""
    c = paykka({"status": "FAILURE", "error_code": "2099", "error_description": "Invalid Card"})
    assert (c.outcome, c.category, c.code) == (Outcome.FAILED, Category.USER_ACTION, "2099")


@pytest.mark.parametrize(
    ("ret_code", "category"),
    [
        ("206003", Category.MERCHANT_CONFIG),  # Signature error
        ("206006", Category.MERCHANT_CONFIG),  # Merchant public key not configured
        ("206022", Category.USER_ACTION),  # Card not supported,please use another card
        ("206024", Category.FINAL),  # the order doesn't exist
        ("210002", Category.MERCHANT_CONFIG),  # shopperReference cannot be empty
    ],
)
def test_paykka_gateway_error_enums(ret_code: str, category: Category) -> None:
    body = {"ret_code": ret_code, "ret_msg": "x"}
    c = payerr.classify_http("paykka", 400, body)
    assert (c.outcome, c.category, c.code, c.known) == (Outcome.FAILED, category, ret_code, True)


@pytest.mark.parametrize(
    ("status", "operation", "outcome"),
    [
        # "AUTHORIZED: Not Captured": the pay's authorization happened ...
        ("AUTHORIZED", "pay", Outcome.SUCCESS),
        ("AUTHORIZED", "inquiry", Outcome.SUCCESS),
        # ... but nothing was captured, cancelled or refunded yet.
        ("AUTHORIZED", "capture", Outcome.PENDING),
        ("AUTHORIZED", "cancel", Outcome.PENDING),
        ("AUTHORIZED", "refund", Outcome.PENDING),
        # "REFUNDED: Refunded": the refund is done; a cancel (void) was not.
        ("REFUNDED", "refund", Outcome.SUCCESS),
        ("REFUNDED", "cancel", Outcome.PENDING),
        ("PARTIALLY_REFUNDED", "refund", Outcome.SUCCESS),
        # "PARTIALLY_REVERSED: Partially Reversed": the payment stands, not fully cancelled.
        ("PARTIALLY_REVERSED", "inquiry", Outcome.SUCCESS),
        ("PARTIALLY_REVERSED", "cancel", Outcome.PENDING),
        # "CANCELED: Canceled" (one L): a payment that did not go through; a void that did.
        ("CANCELED", "inquiry", Outcome.FAILED),
        ("CANCELED", "cancel", Outcome.SUCCESS),
    ],
)
def test_paykka_gateway_order_status(status: str, operation: str, outcome: Outcome) -> None:
    assert paykka({"status": status}, operation=operation).outcome is outcome


def test_paykka_reversed_answering_a_cancel_is_success() -> None:
    """Seed 003: 5014 "This transaction has been reversed": answering a reversal, it is done."""
    c = paykka({"status": "FAILURE", "error_code": "5014"}, operation="cancel")
    assert c.outcome is Outcome.SUCCESS
    assert paykka({"status": "FAILURE", "error_code": "5014"}).outcome is Outcome.FAILED


def test_paykka_unknown_error_is_outcome_unknown() -> None:
    """Seed 003: 6008 "Unknown error" says nothing about whether the transaction ran."""
    c = paykka({"status": "FAILURE", "error_code": "6008"}, operation="pay")
    assert c.outcome is Outcome.PENDING


# The seeds' words name what each code is about; the shopper message must speak of it.
ABOUT = [
    # seed 003 (PayKKa)
    ("paykka", "1006", "refund"),  # This merchant is not allowed to refund
    ("paykka", "2033", "refund"),  # Refund currency does not match original transaction currency
    ("paykka", "2034", "refund"),  # Refund amount cannot exceed refundable amount
    ("paykka", "4001", "refund"),  # This transaction order is not allowed to refund
    ("paykka", "4017", "refund"),  # Refund order does not exist
    ("paykka", "4024", "refund"),  # Exceeded refund deadline
    ("paykka", "4014", "cancel"),  # This transaction order is not allowed to reverse
    ("paykka", "4016", "cancel"),  # Reversal failed
    ("paykka", "4025", "cancel"),  # Exceeded cancellation deadline
    ("paykka", "2035", "finalis"),  # Capture currency does not match original ...
    ("paykka", "2045", "finalis"),  # Capture amount cannot exceed capturable amount
    ("paykka", "4013", "finalis"),  # This transaction order is not allowed to capture
    ("paykka", "4015", "finalis"),  # Capture failed
    # seed 002 (OTT Pay)
    ("ottpay", "REFUND_INVALID", "refund"),  # refund amount greater than the amount paid
    ("ottpay", "REFUND_FEE_MISMATCH", "refund"),  # refund amount check fail
    ("ottpay", "BUYER_ENABLE_STATUS_FORBID", "refund"),  # buyer account status prohibits the refund
    ("ottpay", "TRADE_CANCEL_TIME_OUT", "cancel"),  # the cancellation request is beyond ...
    # seed 000 (Alipay+): "Return from: PROVISION" is the card activation
    ("alipay_plus", "10000", "activat"),
    ("alipay_plus", "10010", "activat"),
    ("alipay_plus", "10011", "activat"),
    ("alipay_plus", "10019", "activat"),
    ("alipay_plus", "10021", "activat"),
    ("alipay_plus", "10031", "activat"),
    ("alipay_plus", "10033", "activat"),
    ("alipay_plus", "10039", "activat"),
    ("alipay_plus", "10041", "activat"),
]


@pytest.mark.parametrize(("provider", "code", "word"), ABOUT)
def test_shopper_message_speaks_of_what_the_code_is_about(
    provider: str, code: str, word: str
) -> None:
    entry = Registry(use_env=False).table(provider).entry(code)
    assert entry is not None
    message = entry.user_message.lower()
    assert word in message, message
    for misstatement in ("your payment could not", "payment was cancelled", "your payment is"):
        assert misstatement not in message, message


@pytest.mark.parametrize(
    ("provider", "code"),
    [
        ("alipay_plus", "10002"),
        ("alipay_plus", "10006"),
        ("alipay_plus", "10007"),
        ("alipay_plus", "10013"),
        ("alipay_plus", "10021"),
        ("antom", "SDK_PAYMENT_CANCEL"),
        ("ottpay", "REQ_AGAIN"),
        ("ottpay", "REF_SUCCESS_CHANGE"),
        ("paykka", "6008"),
        ("paykka", "7000"),
        ("paykka", "2053"),
        ("paykka", "2055"),
    ],
)
def test_debatable_verdicts_record_their_reason(provider: str, code: str) -> None:
    """Each row whose verdict is debatable says why it has it, in words for users (no
    process words such as "issue 9" or "review")."""
    entry = Registry(use_env=False).table(provider).entry(code)
    assert entry is not None
    assert len(entry.note) > 120, entry.note
    assert not re.search(r"(?i)\bissue \d+|\breview\b", entry.note), entry.note


def test_activation_and_cancel_by_the_user_share_a_verdict() -> None:
    """Alipay+ 10021 "The user has canceled the card activation." and Antom
    SDK_PAYMENT_CANCEL "the user canceled the payment": the same kind of answer."""
    registry = Registry(use_env=False)
    a = registry.table("alipay_plus").entry("10021")
    b = registry.table("antom").entry("SDK_PAYMENT_CANCEL")
    assert a is not None
    assert b is not None
    assert (a.outcome, a.category) == (b.outcome, b.category) == (
        Outcome.FAILED, Category.USER_ACTION,
    )  # fmt: skip


def test_amount_limits_share_a_verdict() -> None:
    """Seed 003: 2053 "Payment amount is too large" and 2055 "Payment amount is too small"."""
    table = Registry(use_env=False).table("paykka")
    large, small = table.entry("2053"), table.entry("2055")
    assert large is not None
    assert small is not None
    assert (large.outcome, large.category) == (small.outcome, small.category)


@pytest.mark.parametrize(
    "body",
    [
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "refundStatus": "FAIL"},
        '{"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "refundStatus": "FAIL"}',
    ],
)
def test_classify_http_takes_a_parsed_or_text_body(body: dict[str, Any] | str) -> None:
    """SDKs hand over dicts; a failed refund stays failed whichever form the body has."""
    c = payerr.classify_http("antom", 200, body, operation="refund-inquiry")
    assert c.outcome is Outcome.FAILED


def test_classify_http_names_a_wrong_body_type() -> None:
    with pytest.raises(TypeError, match="body must be bytes, str or an already parsed"):
        payerr.classify_http("antom", 200, object())  # type: ignore[arg-type]
