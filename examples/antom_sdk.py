"""Antom's official SDK sending through payerr: the SDK's requests, signing and answers; payerr's
safe retries, typed errors and classifications.

``PayerrAlipayClient`` is the SDK's ``DefaultAlipayClient`` with payerr's transport where the
SDK's single HTTPS POST was. payerr's simulator stands in for Antom here (it signs its answers
as Antom does); in production, pass Antom's gateway URL and your keys.

Run: python examples/antom_sdk.py  (needs pip install 'payerr[antom]')
"""

from __future__ import annotations

import json
import sys

try:
    import com.alipay.ams  # type: ignore[import-untyped]  # noqa: F401 -- Antom's SDK
except ImportError:
    sys.exit("this example needs Antom's official SDK: pip install 'payerr[antom]'")

from com.alipay.ams.api.model.amount import Amount  # type: ignore[import-untyped]
from com.alipay.ams.api.request.pay.alipay_pay_query_request import (  # type: ignore[import-untyped]
    AlipayPayQueryRequest,
)
from com.alipay.ams.api.request.pay.alipay_pay_request import (  # type: ignore[import-untyped]
    AlipayPayRequest,
)

import payerr
from payerr.integrations.antom_sdk import PayerrAlipayClient
from payerr.testing import ProviderSimulator, scenario


def pay_request(request_id: str) -> AlipayPayRequest:
    request = AlipayPayRequest()
    request.payment_request_id = request_id  # Antom deduplicates on it: keep it with the order
    request.payment_amount = Amount(currency="USD", value="1000")
    request.payment_redirect_url = "https://shop.example/return"
    return request


def main() -> None:
    with ProviderSimulator(stall=1.0) as antom:
        client = PayerrAlipayClient(
            antom.url_for("antom"),  # in production: "https://open-sea-global.alipay.com"
            "SANDBOX_PAYERR_EXAMPLE",
            antom.merchant_private_key,
            antom.antom_public_key,
            policy=payerr.RetryPolicy(wait_initial=0.05, wait_jitter=0.05),
            timeout=0.5,  # shorter than the simulator's stall, to show a lost answer
        )
        with client:
            # A 503 first: resent under the same paymentRequestId. The SDK's answer is a str.
            answer = client.execute_with_headers(pay_request("pay-001"), scenario("503"))
            c = answer.classification
            code = json.loads(answer)["result"]["resultCode"]
            print(f"pay-001: {c.outcome} ({code}) after {antom.requests} sends, ", end="")
            print(f"executed {antom.executions_of('pay-001')} time")

            # The answer lost after the pay ran (read timeout): resent, Antom replays its answer.
            answer = client.execute_with_headers(pay_request("pay-002"), scenario("stall"))
            print(f"pay-002: answer lost, resent: {answer.classification.outcome}, ", end="")
            print(f"executed {antom.executions_of('pay-002')} time")

            # A decline raises a typed error carrying what to tell whom.
            try:
                client.execute_with_headers(
                    pay_request("pay-003"), scenario(code="USER_BALANCE_NOT_ENOUGH")
                )
            except payerr.UserActionError as error:
                c = error.classification
                print(f"pay-003: {type(error).__name__} {c.code}: {c.user_message}")

            # Pending is an answer, not an error: never resubmit; inquire (or await notifyPayment).
            answer = client.execute_with_headers(
                pay_request("pay-004"), scenario(code="PAYMENT_IN_PROCESS")
            )
            print(f"pay-004: {answer.classification.outcome} ({answer.classification.code})")
            inquiry = AlipayPayQueryRequest()
            inquiry.payment_request_id = "pay-004"
            status = client.execute(inquiry)
            print(
                f"inquiry pay-004: paymentStatus {json.loads(status)['paymentStatus']} "
                f"-> {status.classification.outcome}"
            )
        print(f"double charges: {antom.duplicate_executions}")


if __name__ == "__main__":
    main()
