"""Send many payments at once through payerr's async transport, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from payerr._core.exceptions import PaymentError
from payerr._retry.policy import RetryPolicy
from payerr._retry.transport import AsyncPaymentTransport
from payerr.testing._simulator import ProviderSimulator

__all__ = ["SimPayment", "send_all"]


@dataclass(frozen=True, slots=True)
class SimPayment:
    """One payment to send: provider, JSON body, headers (a key, a :func:`scenario`).

    Attributes:
        provider: the provider id (``"paykka"``): which of the simulator's providers it goes to.
        body: the JSON body to post.
        headers: the request's headers (an ``Idempotency-Key``, a :func:`scenario`); none by
            default.
        path: the path under the provider's base URL (default ``"/v1/payments"``).

    Example:
        >>> SimPayment("paykka", {"merchant_order_no": "o-1"}, {"Idempotency-Key": "k-1"}).path
        '/v1/payments'
    """

    provider: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/v1/payments"


async def send_all(
    sim: ProviderSimulator,
    payments: Sequence[SimPayment],
    *,
    policy: RetryPolicy | None = None,
    timeout: httpx.Timeout | float = 5.0,
    concurrency: int = 20,
    ids: Sequence[str] | None = None,
) -> list[httpx.Response | PaymentError]:
    """Send every payment, ``concurrency`` at a time, one async client per provider.

    Each result is the returned response (success or pending, classified) or the
    :class:`~payerr.PaymentError` raised; results keep the order of ``payments``. The clients
    are closed before returning. ``ids``: one per payment, bound as ``payment_id`` in
    structlog's context variables while it is sent, so its log lines carry it (with
    ``structlog.contextvars.merge_contextvars`` among the processors).

    Args:
        sim: the running simulator.
        payments: what to send.
        policy: the transports' retry policy (default :class:`~payerr.RetryPolicy`).
        timeout: httpx's timeout for every request.
        concurrency: how many payments are in flight at once.
        ids: a name per payment for its log lines.

    Returns:
        One result per payment, in order: the response, or the payment error raised.

    Raises:
        ValueError: ``ids`` is not one per payment.
        UnknownProviderError: a payment names a provider payerr has no mapping for.
        RuntimeError: ``sim`` is not running.

    Example:
        ``results = asyncio.run(send_all(sim, [SimPayment("paykka", {"amount": 1}, {})]))``
    """
    if ids is not None and len(ids) != len(payments):
        raise ValueError("ids must have one id per payment")
    clients = {
        provider: httpx.AsyncClient(
            transport=AsyncPaymentTransport(provider, policy=policy),
            base_url=sim.url_for(provider),
            timeout=timeout,
        )
        for provider in {p.provider for p in payments}
    }
    gate = asyncio.Semaphore(concurrency)

    async def send(payment: SimPayment, name: str | None) -> httpx.Response | PaymentError:
        async with gate:
            if name is not None:  # this task's own context: only its log lines carry it
                structlog.contextvars.bind_contextvars(payment_id=name)
            try:
                return await clients[payment.provider].post(
                    payment.path, json=payment.body, headers=payment.headers
                )
            except PaymentError as exc:
                return exc

    names: Sequence[str | None] = ids if ids is not None else [None] * len(payments)
    try:
        return await asyncio.gather(
            *(send(p, name) for p, name in zip(payments, names, strict=True))
        )
    finally:
        for client in clients.values():
            await client.aclose()
