"""PayKKa's business answers to capture, void and refund (issue 21, point 2).

Expected answers come from PayKKa's pages and the seed, never from payerr's tables:

- Response codes (https://docs.paykka.com/payments/apis/introduction/response-code): "200 HTTP
  Code is returned, but the response body contains additional business error details ... a
  business error is returned with the parameters error_code and error_description", with the
  example ``{"ret_code": "000000", "ret_msg": "Success", "data": {"error_code": "2099",
  "error_description": "Invalid Card", ..., "status": "FAILURE"}}``.
- Gateway Order Status (notify webhook; v3 Query Transaction): "PROCESSING: Processing SUCCESS:
  Succeeded AUTHORIZED: Not Captured FAILURE: Failed REFUNDED: Refunded PARTIALLY_REFUNDED:
  Partially Refunded CANCELED: Canceled PARTIALLY_REVERSED: Partially Reversed".
- Seed 003 (Transaction error codes): 4013 "This transaction order is not allowed to capture",
  4015 "Capture failed", 4016 "Reversal failed", 4024 "Exceeded refund deadline", 5004
  "Insufficient funds".

An order still AUTHORIZED ("Not Captured") after a capture was asked is the previous step's
state, not the capture's success: the error code beside it names what happened.
"""

from __future__ import annotations

from typing import Any

import pytest

import payerr
from payerr import Category, Outcome

SEED_WORDS = {
    "4013": "This transaction order is not allowed to capture",
    "4015": "Capture failed",
    "4016": "Reversal failed",
    "4024": "Exceeded refund deadline",
    "5004": "Insufficient funds",
}
GATEWAY_STATUSES = [
    "PROCESSING",
    "SUCCESS",
    "AUTHORIZED",
    "FAILURE",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "CANCELED",
    "PARTIALLY_REVERSED",
]


def answer(status: str | None, code: str, operation: str) -> payerr.Classification:
    data: dict[str, Any] = {
        "error_code": code,
        "error_description": SEED_WORDS.get(code, "from PayKKa"),
        "merchant_id": "18356675194960",
        "order_id": "GW206194332333335",
    }
    if status is not None:
        data["status"] = status
    body = {"ret_code": "000000", "ret_msg": "Success", "data": data}
    return payerr.classify_http("paykka", 200, body, operation=operation)


@pytest.mark.parametrize(
    ("operation", "code"),
    [("capture", "4015"), ("capture", "4013"), ("cancel", "4016"), ("refund", "4024")],
)
def test_a_failed_step_beside_the_previous_state_is_failed(operation: str, code: str) -> None:
    """AUTHORIZED ("Not Captured") answering a capture, a void or a refund: the code decides,
    with the row's own words, and the message names it (not "not in the mapping")."""
    c = answer("AUTHORIZED", code, operation)
    assert c.outcome is Outcome.FAILED
    assert c.known
    assert c.code == code
    assert c.message == SEED_WORDS[code]
    assert "not in payerr" not in c.message


def test_the_documented_example_is_failed() -> None:
    """The response-code page's own example: 2099 "Invalid Card" with status FAILURE."""
    c = answer("FAILURE", "2099", "pay")
    assert (c.outcome, c.category) == (Outcome.FAILED, Category.USER_ACTION)


@pytest.mark.parametrize("status", [None, "REVIEWING", "SOMETHING_NEW"])
def test_a_mapped_code_beside_a_status_payerr_does_not_know_decides(status: str | None) -> None:
    """A refund answer's status REVIEWING (a PayKKa refund schema's example) is no status of
    the Gateway Order Status list: the mapped 4024 names the failure."""
    c = answer(status, "4024", "refund")
    assert (c.outcome, c.code) == (Outcome.FAILED, "4024")


def test_a_failure_code_beside_an_order_in_process_is_pending() -> None:
    """PROCESSING ("Processing") beside a failure code: in process wins
    (Architecture#in-process-is-pending), and the message says the code is mapped."""
    c = answer("PROCESSING", "4015", "capture")
    assert c.outcome is Outcome.PENDING
    assert "is mapped (Capture failed)" in c.message
    assert "not in payerr" not in c.message


def test_a_failure_code_beside_a_done_capture_is_pending_never_success() -> None:
    """SUCCESS ("Succeeded") answering a capture says it was captured; 4015 says it failed:
    they disagree, so the outcome is unknown."""
    c = answer("SUCCESS", "4015", "capture")
    assert c.outcome is Outcome.PENDING
    assert "is mapped (Capture failed)" in c.message


PAYKKA_CODES = sorted(e.code for e in payerr.default_registry().table("paykka").entries.values())


def test_a_mapped_code_is_never_called_unmapped() -> None:
    """Every mapped code, beside every status (and none), under every operation: a code in the
    mapping is never reported as "not in payerr's mapping", and a capture, void or refund
    whose status is the previous step's (AUTHORIZED) is never a success."""
    for code in PAYKKA_CODES:
        for status in [None, *GATEWAY_STATUSES, "REVIEWING"]:
            for operation in ("pay", "capture", "cancel", "refund", "inquiry", "unknown"):
                c = answer(status, code, operation)
                assert "not in payerr" not in c.message, (code, status, operation, c.message)
                assert c.known, (code, status, operation)
                if operation in ("capture", "cancel", "refund") and status == "AUTHORIZED":
                    assert c.outcome is not Outcome.SUCCESS, (code, status, operation)


def test_a_cancelled_order_beside_reversal_failed_is_pending() -> None:
    """CANCELED ("Canceled") says the void is done, 4016 "Reversal failed" that it is not:
    never the void's success."""
    c = answer("CANCELED", "4016", "cancel")
    assert c.outcome is Outcome.PENDING
    assert c.code == "4016"
