"""Antom pay with a paymentRequestId; a pending answer is followed by inquiry polling.

Antom pay is idempotent on paymentRequestId, so payerr may resend it on a transient failure.
A PAYMENT_IN_PROCESS answer is pending: never resubmitted; we inquire until it settles.
A MockTransport stands in for Antom here; in production, pass your signing transport instead.

Run: python examples/antom_pay_then_inquire.py
"""

from __future__ import annotations

import itertools
import time

import httpx

import payerr

# -- a stand-in for Antom: pay is in process; inquiry says PROCESSING twice, then SUCCESS -------
_inquiries = itertools.count()


def fake_antom(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/pay"):
        return httpx.Response(200, json={
            "result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U",
                       "resultMessage": "payment in process"},
            "normalUrl": "https://open-sea.alipay.com/checkout?code=demo",
        })  # fmt: skip
    status = "SUCCESS" if next(_inquiries) >= 2 else "PROCESSING"
    return httpx.Response(200, json={
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
        "paymentStatus": status,
        "paymentResultCode": "SUCCESS" if status == "SUCCESS" else "PAYMENT_IN_PROCESS",
    })  # fmt: skip


def main() -> None:
    transport = payerr.PaymentTransport("antom", transport=httpx.MockTransport(fake_antom))
    with httpx.Client(transport=transport, base_url="https://open-sea-global.alipay.com") as client:
        pay = {
            "paymentRequestId": "pay_20261122_000123",
            "paymentAmount": {"currency": "USD", "value": "1000"},
        }
        response = client.post("/ams/api/v1/payments/pay", json=pay)
        c = payerr.classification_of(response)
        assert c is not None
        print(
            f"pay: {c.outcome} ({c.code}); redirect the shopper to {response.json()['normalUrl']}"
        )

        # Pending: never resubmit. Inquire with backoff (or wait for notifyPayment).
        delay = 0.05
        for attempt in range(1, 11):
            inquiry = client.post(
                "/ams/api/v1/payments/inquiryPayment",
                json={"paymentRequestId": pay["paymentRequestId"]},
            )
            c = payerr.classification_of(inquiry)
            assert c is not None
            print(f"inquiry {attempt}: {c.outcome} (decided by {c.source})")
            if c.outcome != "pending":
                break
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        print("settled:", c.outcome)


if __name__ == "__main__":
    main()
