"""A retry loop of your own, built from payerr's tenacity pieces.

payerr's transport classifies and raises (attempts=1); your tenacity loop decides when to try
again. ``retry_if_retryable`` resends only errors whose ``safe_to_resend`` is true (a 5xx may
follow an execution, so it raises OutcomeUnknownError, but under your own key resending the same
request cannot charge twice), ``wait_retry_after`` honours Retry-After, and
``stop_before_timeout`` gives up rather than sleep past your budget.

Run: python examples/tenacity_loop.py
"""

from __future__ import annotations

import httpx
import tenacity

import payerr

answers = iter([
    httpx.Response(503, headers={"Retry-After": "0.05"}),
    httpx.Response(502),
    httpx.Response(200, json={"ret_code": "000000", "data": {"status": "SUCCESS"}}),
])  # fmt: skip


def fake_paykka(request: httpx.Request) -> httpx.Response:
    return next(answers)


transport = payerr.PaymentTransport(
    "paykka", transport=httpx.MockTransport(fake_paykka), policy=payerr.RetryPolicy(attempts=1)
)
client = httpx.Client(transport=transport, base_url="https://api.paykka.com")


@tenacity.retry(
    retry=payerr.retry_if_retryable(),
    wait=payerr.wait_retry_after(initial=0.05, maximum=1, jitter=0.05),
    stop=tenacity.stop_after_attempt(4) | payerr.stop_before_timeout(10, max_retry_after=30),
    before_sleep=lambda state: print(f"attempt {state.attempt_number} failed; retrying"),
    reraise=True,  # the last PaymentError, not tenacity.RetryError
)
def charge(order_no: str, key: str) -> httpx.Response:
    # The key is made once, outside the loop: every retry must reuse it (stripe-php #637).
    return client.post(
        "/v1/payments", json={"merchant_order_no": order_no}, headers={"Idempotency-Key": key}
    )


def main() -> None:
    response = charge("ORD-20261122-0003", key="ORD-20261122-0003-charge")
    c = payerr.classification_of(response)
    print("charged:", c.outcome if c else "?")


if __name__ == "__main__":
    main()
