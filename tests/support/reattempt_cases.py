"""Card answers and a clock for the reattempt limiter's tests (in memory and on Redis).

Answers go through ``classify_http`` on Antom's documented envelope (seeds/001: DO_NOT_HONOR,
PAYMENT_IN_PROCESS); the network part is set by hand as ``NetworkAdvice``.
"""

from __future__ import annotations

import payerr

T0 = 1_780_000_000.0  # 2026-05-28, a fixed "now" for every test
CARD = "tok_9b7f3c2a"  # an opaque token id, as a caller passes it


class Clock:
    """A settable clock the limiter reads."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def answer(
    code: str = "DO_NOT_HONOR",
    status: str = "F",
    network: payerr.networks.NetworkAdvice | None = None,
    retry_after: float | None = None,
) -> payerr.Classification:
    """An Antom card answer through classify_http, with the network part set by hand."""
    body = {"result": {"resultCode": code, "resultStatus": status, "resultMessage": "x"}}
    base = payerr.classify_http("antom", 200, body)
    return base.rederived(network=network, retry_after=retry_after)  # the advice follows


def visa(category: str | None = "2", **kw: object) -> payerr.Classification:
    return answer(network=payerr.networks.NetworkAdvice("visa", "51", category=category), **kw)  # type: ignore[arg-type]


def mastercard(mac: str | None = None, **kw: object) -> payerr.Classification:
    return answer(network=payerr.networks.NetworkAdvice("mastercard", "51", advice_code=mac), **kw)  # type: ignore[arg-type]


SUCCESS = answer("SUCCESS", "S")
PENDING = answer("PAYMENT_IN_PROCESS", "U")
