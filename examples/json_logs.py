"""Log a retried-then-failed payment as JSON lines, with card data redacted.

The structlog configuration is the application's (payerr never configures structlog): the
payment fields come from payerr's own events and, for your events, from add_payment_context;
RedactSensitive sits just before the renderer.

Run: python examples/json_logs.py
"""

from __future__ import annotations

import sys

import httpx
import structlog

import payerr

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        payerr.add_payment_context,
        structlog.processors.format_exc_info,
        payerr.RedactSensitive(),
        structlog.processors.JSONRenderer(),
    ],
    logger_factory=structlog.PrintLoggerFactory(sys.stdout),
)
log = structlog.get_logger("shop")

answers = iter([
    httpx.Response(503, headers={"Retry-After": "0.01"}),
    httpx.Response(200, json={"ret_code": "000000", "data": {
        "status": "FAILURE", "error_code": "5004", "error_description": "Insufficient funds"}}),
])  # fmt: skip


def fake_paykka(request: httpx.Request) -> httpx.Response:
    return next(answers)


def main() -> None:
    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(fake_paykka))
    with httpx.Client(transport=transport, base_url="https://api.paykka.com") as client:
        card = {"number": "4111111111111111", "cvv": "123"}
        order = {"merchant_order_no": "ORD-20261122-0007", "card": card}
        try:
            client.post(
                "/v1/payments", json=order, headers={"Idempotency-Key": "ORD-20261122-0007"}
            )
        except payerr.UserActionError as exc:
            # Your own event: add_payment_context adds payment.*; RedactSensitive masks the card.
            log.info("checkout declined", order=order, error=exc)


if __name__ == "__main__":
    main()
