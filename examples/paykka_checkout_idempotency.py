"""A PayKKa checkout with an idempotency key: a read timeout is resent safely, once.

Without the key, the same timeout would raise OutcomeUnknownError (the payment may have gone
through) instead of resending. A MockTransport stands in for PayKKa here.

Run: python examples/paykka_checkout_idempotency.py
"""

from __future__ import annotations

import uuid

import httpx

import payerr

seen: list[str] = []


def fake_paykka(request: httpx.Request) -> httpx.Response:
    seen.append(request.headers.get("Idempotency-Key", "(none)"))
    if len(seen) == 1:
        raise httpx.ReadTimeout("the answer never came", request=request)
    return httpx.Response(200, json={
        "ret_code": "000000", "ret_msg": "success",
        "data": {"status": "SUCCESS", "order_no": "ORD-20261122-0001"},
    })  # fmt: skip


def main() -> None:
    policy = payerr.RetryPolicy(attempts=3, wait_initial=0.05, timeout=10)
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(fake_paykka), policy=policy
    )
    with httpx.Client(transport=transport, base_url="https://api.paykka.com") as client:
        key = str(uuid.uuid4())  # one key per logical checkout, kept with the order
        response = client.post(
            "/v1/payments",
            json={"merchant_order_no": "ORD-20261122-0001", "amount": 1000, "currency": "EUR"},
            headers={"Idempotency-Key": key},
        )
    c = payerr.classification_of(response)
    assert c is not None
    same_key = len(set(seen)) == 1
    print(
        f"checkout: {c.outcome} after {len(seen)} sends, every send with the same key: {same_key}"
    )

    # The same timeout without a key is not resent: the outcome is unknown.
    seen.clear()
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(fake_paykka), policy=policy
    )
    with httpx.Client(transport=transport, base_url="https://api.paykka.com") as client:
        try:
            client.post("/v1/payments", json={"merchant_order_no": "ORD-2", "amount": 1000})
        except payerr.OutcomeUnknownError as exc:
            name, action = type(exc).__name__, exc.classification.action
            print(f"without a key: {name} after {exc.attempts} send: {action}")


if __name__ == "__main__":
    main()
