"""A status value no list knows is the value to map: carried as ``Classification.unmapped``,
logged as ``payerr.unknown_code`` and listed by ``payerr scan`` under the unknown codes.

The status lists are the providers' own: Antom's paymentStatus takes SUCCESS, FAIL,
PROCESSING, CANCELLED or PENDING (docs.antom.com/ac/ams/paymentri_online); PayKKa's
data.status the order states of its payment pages (docs.paykka.com); OTT Pay's REST status
SUCCESS or ERROR (apidocs.ottpay.com). The values below are none of those.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import payerr
from payerr._bulk import scan as _scan

CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("paykka", "capture", {"ret_code": "000000", "data": {"status": "HALF_CAPTURED"}},
     "data.status", "HALF_CAPTURED"),
    ("antom", "inquiry", {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
                          "paymentStatus": "PARTIAL"}, "paymentStatus", "PARTIAL"),
    # beside a code payerr knows: the status decides, and is what to map
    ("antom", "inquiry", {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
                          "paymentStatus": "PARTIAL",
                          "paymentResultCode": "USER_BALANCE_NOT_ENOUGH"},
     "paymentStatus", "PARTIAL"),
    ("ottpay_rest", "pay", {"status": "QUEUED", "result": {}}, "status", "QUEUED"),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "operation", "body", "field", "value"), CASES)
def test_an_unknown_status_value_is_the_value_to_map(
    provider: str, operation: str, body: dict[str, Any], field: str, value: str
) -> None:
    c = payerr.classify_http(provider, 200, body, operation=operation)
    assert c.outcome is payerr.Outcome.PENDING  # never success, never failed
    assert (c.source, c.unmapped) == (field, value)
    assert c.as_dict()["unmapped"] == value


def test_an_absent_or_null_status_is_nothing_to_map() -> None:
    for data in ({}, {"status": None}, {"status": 5}):
        body = {"ret_code": "000000", "data": data}
        assert payerr.classify_http("paykka", 200, body, operation="pay").unmapped is None
    known = {"ret_code": "000000", "data": {"status": "SUCCESS"}}
    assert payerr.classify_http("paykka", 200, known, operation="pay").unmapped is None


def test_it_is_logged_as_an_unknown_code_naming_its_field() -> None:
    response = payerr.classify_response(
        "antom",
        httpx.Response(
            200,
            json=CASES[2][2],
            request=httpx.Request(
                "POST", "https://open-sea-global.alipay.com/ams/api/v1/payments/inquiryPayment"
            ),
        ),
    )
    assert response.unmapped == "PARTIAL"
    with capture_logs() as logs:
        payerr.classify_response(
            "paykka",
            httpx.Response(200, json=CASES[0][2]),
            operation="capture",
        )
    (event,) = [e for e in logs if e["event"] == "payerr.unknown_code"]
    assert (event["payment.raw_code"], event["payment.source"]) == ("HALF_CAPTURED", "data.status")


def test_scan_lists_it_under_the_unknown_codes(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    lines = [{"provider": p, "status": 200, "operation": op, "body": b} for p, op, b, _, _ in CASES]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines * 2))
    report = _scan.scan(str(path))
    assert dict(report.unknown) == {
        ("paykka", "data.status=HALF_CAPTURED"): 2,
        ("antom", "paymentStatus=PARTIAL"): 4,
        ("ottpay_rest", "status=QUEUED"): 2,
    }


def test_a_known_status_garbled_by_an_invisible_character_is_not_shown_as_known() -> None:
    """SUCCESS with a zero-width space is no SUCCESS (never success: pending), and what to
    map shows the character (found by the hostile review: it read "paymentStatus=SUCCESS")."""
    for provider, body in (
        ("antom", {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
                   "paymentStatus": "SUCCESS\u200b"}),
        ("paykka", {"ret_code": "000000", "data": {"status": "SUCCESS\u200b"}}),
        ("ottpay_rest", {"status": "SUCCESS\u200b", "result": {}}),
    ):  # fmt: skip
        c = payerr.classify_http(provider, 200, body, operation="inquiry")
        assert c.outcome is payerr.Outcome.PENDING
        assert c.unmapped == "SUCCESS\\u200b"


def test_spellings_of_one_value_are_one_code_to_log() -> None:
    with capture_logs() as logs:
        for spelling in ("PARTIAL_Z", "partial_z", "Partial_Z"):
            body = {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
                    "paymentStatus": spelling}  # fmt: skip
            payerr.classify_response("antom", httpx.Response(200, json=body), operation="inquiry")
    named = [e for e in logs if e["event"] == "payerr.unknown_code"]
    assert [(e["payment.code"], e["payment.raw_code"]) for e in named] == [
        ("PARTIAL_Z", "PARTIAL_Z")
    ]


def test_beside_alipay_plus_payment_result_the_unknown_status_is_carried() -> None:
    body = {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentStatus": "PARTIAL_B"}  # fmt: skip
    for provider in ("antom", "alipay_plus"):
        c = payerr.classify_http(provider, 200, body, operation="inquiry")
        assert (c.outcome, c.unmapped) == (payerr.Outcome.PENDING, "PARTIAL_B")


def test_the_message_quoting_it_masks_card_numbers_and_is_cut() -> None:
    body = {"ret_code": "000000", "data": {"status": "4111-1111-1111-1111"}}
    c = payerr.classify_http("paykka", 200, body, operation="pay")
    assert "4111-1111-1111-1111" not in c.message
    assert c.unmapped == "411111******1111"
    long = {"ret_code": "000000", "data": {"status": "Q" * 100_000}}
    assert len(payerr.classify_http("paykka", 200, long, operation="pay").message) < 500


def test_payerr_classify_exits_1_on_a_value_to_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from payerr._cli.main import main

    path = tmp_path / "body.json"
    path.write_text(json.dumps(CASES[1][2]))
    assert main(["classify", "antom", str(path), "--operation", "inquiry"]) == 1
    capsys.readouterr()
