"""classify_response() vs json.loads of the same body (target 2x), on realistic bodies.

Run: python benchmarks/bench_classify_response.py
"""

from __future__ import annotations

import itertools
import json
import sys

import httpx
from _timing import compare, report

import payerr

TARGET = 2.0

ANTOM_INQUIRY = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
    "paymentStatus": "FAIL",
    "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
    "paymentResultMessage": "The user balance is not enough for the payment.",
    "paymentRequestId": "pay_20261122_000123",
    "paymentId": "202611221940108001001880C0200000001",
    "paymentAmount": {"currency": "USD", "value": "1000"},
    "actualPaymentAmount": {"currency": "USD", "value": "1000"},
    "paymentCreateTime": "2026-11-22T03:00:00-08:00",
    "paymentMethodType": "CARD",
    "cardInfo": {"cardNo": "************1111", "cardBrand": "VISA", "issuingCountry": "US"},
}
ANTOM_PAY_PENDING = {
    "result": {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultStatus": "U",
        "resultMessage": "payment in process",
    },
    "paymentRequestId": "pay_20261122_000124",
    "paymentId": "202611221940108001001880C0200000002",
    "paymentAmount": {"currency": "USD", "value": "1000"},
    "normalUrl": "https://open-sea.alipay.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=x",
    "paymentCreateTime": "2026-11-22T03:00:00-08:00",
}
ALIPAY_PLUS_NOTIFY = {
    "notifyType": "PAYMENT_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentRequestId": "pay_20261122_000125",
    "paymentId": "20261122114010800100188000000000001",
    "paymentAmount": {"currency": "SGD", "value": "1500"},
    "paymentTime": "2026-11-22T03:00:05+08:00",
}
OTTPAY_QUERY = {
    "rsp_code": "SUCCESS",
    "rsp_msg": "success",
    "data": {"respcode": "PROCESSING", "respmsg": "User paying", "order_id": "OT20261122000001",
             "amount": "1000", "currency": "CAD", "merchant_id": "ON00001234"},
    "md5": "9F86D081884C7D659A2FEAA0C55AD015",
}  # fmt: skip
PAYKKA_DECLINE = {
    "ret_code": "000000",
    "ret_msg": "success",
    "data": {"status": "FAILURE", "error_code": "5004", "error_description": "Insufficient funds",
             "merchant_id": "M100200300", "order_no": "ORD-20261122-0001", "amount": 1000,
             "currency": "EUR", "payment_method": "BANKCARD"},
}  # fmt: skip

CASES = [
    ("antom", "inquiryPayment FAIL", ANTOM_INQUIRY),
    ("antom", "pay U PAYMENT_IN_PROCESS", ANTOM_PAY_PENDING),
    ("alipay_plus", "notifyPayment SUCCESS", ALIPAY_PLUS_NOTIFY),
    ("ottpay", "query PROCESSING", OTTPAY_QUERY),
    ("paykka", "business decline", PAYKKA_DECLINE),
]


def main() -> int:
    ok = True
    for provider, name, payload in CASES:
        body = json.dumps(payload).encode()
        response = httpx.Response(200, content=body, headers={"content-type": "application/json"})
        expected = payerr.classify_response(provider, response)
        assert expected.known, expected

        def baseline(b: bytes = body) -> object:
            return json.loads(b)

        def subject(p: str = provider, r: httpx.Response = response) -> object:
            return payerr.classify_response(p, r)

        base, subj = compare(baseline, subject, number=20_000)
        ok &= report(f"{provider} {name} ({len(body)} B)", base, subj, TARGET, "json.loads")
    first_sight()
    return 0 if ok else 1


def first_sight() -> None:
    """No target: answers whose message is new every time (an order id in it), so the table
    never classified the same fields before and reads every one afresh."""
    bodies = []
    for i in range(_DISTINCT):
        payload = dict(ANTOM_PAY_PENDING)
        payload["result"] = {**ANTOM_PAY_PENDING["result"], "resultMessage": f"in process {i}"}  # type: ignore[dict-item]
        bodies.append(json.dumps(payload).encode())
    responses = [
        httpx.Response(200, content=b, headers={"content-type": "application/json"}) for b in bodies
    ]
    next_body = itertools.cycle(bodies).__next__
    next_response = itertools.cycle(responses).__next__

    def baseline() -> object:
        return json.loads(next_body())

    def subject() -> object:
        return payerr.classify_response("antom", next_response())

    base, subj = compare(baseline, subject, number=_DISTINCT)
    print(
        f"{'antom, a new message every time (no target)':<44} {subj:8.3f} us  vs json.loads "
        f"{base:8.3f} us  ratio {subj / base:5.2f}x"
    )


_DISTINCT = 20_000


if __name__ == "__main__":
    sys.exit(main())
