"""Retry policies and httpx clients on fake time, and the request the transport tests send."""

from __future__ import annotations

from typing import Any

import httpx

import payerr
from payerr import RetryPolicy
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted

URL = "https://api.example-psp.test/v1/payments"
KEY = {"Idempotency-Key": "order-42-attempt"}


def policy(fake: FakeTime, **overrides: Any) -> RetryPolicy:
    """Injected time, no jitter; no retry budget unless a test asks
    (tests/retry/test_retry_budget.py)."""
    overrides.setdefault("budget", False)
    return RetryPolicy(
        sleep=fake.sleep,
        async_sleep=fake.async_sleep,
        clock=fake.clock,
        random=lambda: 0.0,
        **overrides,
    )


def client(provider: str, handler: Scripted, fake: FakeTime, **kwargs: Any) -> httpx.Client:
    """A client whose PaymentTransport answers from ``handler`` on ``fake`` time.

    Args:
        kwargs: PaymentTransport options; ``policy`` replaces the default ``policy(fake)``.
    """
    pol = kwargs.pop("policy", None) or policy(fake)
    transport = payerr.PaymentTransport(
        provider, transport=httpx.MockTransport(handler), policy=pol, **kwargs
    )
    return httpx.Client(transport=transport)
