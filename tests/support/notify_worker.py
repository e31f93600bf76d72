"""A worker process that verifies one notification against a shared Redis (for
tests/notifications/test_notifications_fleet.py: each worker is a separate interpreter, as in a
fleet)."""

from __future__ import annotations

from typing import Any


def verify_in_process(port: int, args: dict[str, Any], barrier: Any, results: Any) -> None:
    import warnings

    import payerr
    from tests.support.ledgers import quick_client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        ledger = payerr.RedisCallLedger(quick_client(port), prefix="notify-fleet", max_wait=5.0)
    barrier.wait(timeout=60)
    try:
        note = payerr.verify_notification("antom", ledger=ledger, **args)
    except payerr.NotificationInProgressError:
        results.put("busy")
        return
    results.put("duplicate" if note.duplicate else "new")
