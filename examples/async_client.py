"""An async client: many payments at once, each classified and retried on its own.

Run: python examples/async_client.py
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

import payerr


async def fake_ottpay(request: httpx.Request) -> httpx.Response:
    order = int(request.url.params["order"])
    await asyncio.sleep(0.001)
    if order % 5 == 0:
        return httpx.Response(
            200, json={"rsp_code": "AMOUNT_NOT_ENOUGH", "rsp_msg": "insufficient balance"}
        )
    if order % 7 == 0:
        return httpx.Response(
            200,
            json={
                "rsp_code": "SUCCESS",
                "data": {"respcode": "PROCESSING", "respmsg": "User paying"},
            },
        )
    # A paid order's decrypted data (PASSIVEPAY: "order_status | Order status").
    data = {"order_id": str(order), "order_status": "SUCCESS"}
    return httpx.Response(200, json={"rsp_code": "SUCCESS", "rsp_msg": "success", "data": data})


async def pay(client: httpx.AsyncClient, order: int) -> str:
    try:
        response = await client.post("/pay", params={"order": order}, json={"amount": 500})
    except payerr.PaymentError as exc:
        return type(exc).__name__
    c = payerr.classification_of(response)
    return str(c.outcome) if c is not None else "unclassified"


async def main() -> None:
    # OTT Pay documents no idempotency key: nothing is resent once it may have executed.
    transport = payerr.AsyncPaymentTransport("ottpay", transport=httpx.MockTransport(fake_ottpay))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://api.ottpay.example"
    ) as client:
        results = await asyncio.gather(*(pay(client, n) for n in range(1, 51)))
    print(dict(Counter(results)))


if __name__ == "__main__":
    asyncio.run(main())
