"""RedactSensitive on a typical 15-key event vs structlog's JSONRenderer on the same event.

Target: no more than 2x JSONRenderer without card data. The figure with card data (a PAN in
a message, a nested card object, an Authorization header) is reported too.

Run: python benchmarks/bench_redaction.py
"""

from __future__ import annotations

import sys
from typing import Any

from _timing import compare, report
from structlog.processors import JSONRenderer

from payerr import RedactSensitive

TARGET = 2.0

TYPICAL: dict[str, Any] = {
    "event": "payerr.request_failed",
    "log_level": "info",
    "timestamp": "2026-11-22T03:00:05.123456Z",
    "logger": "payerr",
    "payment.provider": "paykka",
    "payment.code": "5004",
    "payment.outcome": "failed",
    "payment.category": "user-action",
    "payment.retryable": False,
    "payment.known": True,
    "payment.attempt": 1,
    "http.method": "POST",
    "http.status_code": 200,
    "url": "https://api.paykka.com/v1/payments",
    "order_id": "ORD-20261122-0001",
}
WITH_CARD: dict[str, Any] = {
    **TYPICAL,
    "event": "charge for card 4111 1111 1111 1111 declined",
    "card": {"number": "5555555555554444", "cvv": "123", "expiry": "12/29"},
    "headers": {"Authorization": "Bearer sk_live_abc", "Content-Type": "application/json"},
}


def main() -> int:
    redact, render = RedactSensitive(), JSONRenderer()
    ok = True
    for name, event in (("15-key event, no card data", TYPICAL), ("with card data", WITH_CARD)):

        def baseline(e: dict[str, Any] = event) -> object:
            return render(None, "info", dict(e))

        def subject(e: dict[str, Any] = event) -> object:
            return redact(None, "info", dict(e))

        base, subj = compare(baseline, subject, number=20_000)
        if event is TYPICAL:
            ok &= report(f"RedactSensitive, {name}", base, subj, TARGET, "JSONRenderer")
        else:  # reported, no target: card data takes the careful path on purpose
            print(
                f"{'RedactSensitive, ' + name:<44} {subj:8.3f} us  vs JSONRenderer {base:8.3f} us  "
                f"ratio {subj / base:5.2f}x  (reported)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
