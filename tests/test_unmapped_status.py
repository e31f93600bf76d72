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
from payerr import _scan

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
