"""One worker process of the fleet drill: ``python -m tests.support.fleet_worker``.

It reads its settings, then payment jobs, as JSON lines on stdin, runs each job in a thread
through payerr's transport with the ledger it was told to use, and writes one JSON line per
job on stdout. A job is an obedient caller: it follows each error's ``safe_to_resend`` (the job
queue runs it again, same order, same key) and, on a failure whose action asks for a new order
number or request id, sends the purchase again under a new one. On outcome unknown it stops:
it would inquire.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any

import httpx

import payerr
from tests.support.fleet_provider import PATHS, request_body

NEW_NUMBER = re.compile(
    r"\bnew (order number|transaction number|paymentRequestId|request id|id)\b", re.IGNORECASE
)
"""An action that tells the merchant to send the purchase again under a new number."""

ORDER_FIELDS = {"paykka": ["merchant_order_no"], "ottpay": ["data.order_id"]}
"""What a user tells payerr their order number is, per provider (Antom's is paymentRequestId,
which payerr's mapping already names)."""

RESENDS = 3  # a job queue's retry limit


def make_ledger(settings: dict[str, Any]) -> payerr.CallLedger:
    if settings["ledger"] == "memory":
        return payerr.MemoryCallLedger()
    from tests.support.ledgers import WAIT, quick_client

    client = quick_client(settings["redis_port"])
    ttl = settings["ttl"]
    return payerr.RedisCallLedger(
        client, ttl=ttl, order_ttl=ttl, prefix=settings["prefix"], max_wait=WAIT
    )


def outcome_of(result: object, provider: str) -> dict[str, Any]:
    """What the call told its caller, as the drill checks it."""
    if isinstance(result, payerr.PaymentError):
        c = result.classification
        return {
            "kind": type(result).__name__,
            "outcome": str(c.outcome),
            "category": None if c.category is None else str(c.category),
            "repeat": c.repeat,
            "action": c.action,
            "user_message": c.user_message,
            "message": c.message,
            "safe_to_resend": result.safe_to_resend,
            "executed_before": result.executed is not None,
        }
    assert isinstance(result, httpx.Response)
    c = payerr.classification_of(result) or payerr.classify_response(provider, result)
    return {
        "kind": "response",
        "outcome": str(c.outcome),
        "category": None,
        "repeat": c.repeat,
        "action": c.action,
        "user_message": c.user_message,
        "message": c.message,
        "safe_to_resend": False,
        "executed_before": False,
    }


def run_job(clients: dict[str, httpx.Client], job: dict[str, Any]) -> list[dict[str, Any]]:
    provider, order, key = job["provider"], job["order"], job["key"]
    timeout = httpx.Timeout(10.0, read=job["read_timeout"])
    steps: list[dict[str, Any]] = []
    run = job["run"]
    for _ in range(RESENDS + 1):
        body = request_body(provider, order, run)
        try:
            result: object = clients[provider].post(
                PATHS[provider], json=body, headers={"Idempotency-Key": key}, timeout=timeout
            )
        except payerr.PaymentError as exc:
            result = exc
        step = outcome_of(result, provider)
        step["order"] = order
        steps.append(step)
        run += 1
        if step["safe_to_resend"]:
            continue  # the job queue runs the job again: the same order, the same key
        if step["outcome"] == "failed" and NEW_NUMBER.search(step["action"]):
            order, key = f"{order}-new", f"{key}-new"  # as the error's action says
            continue
        break
    return steps


def main() -> None:
    settings = json.loads(sys.stdin.readline())
    ledger = make_ledger(settings)
    policy = payerr.RetryPolicy(
        attempts=3, wait_initial=0, wait_max=0, wait_jitter=0, timeout=60, budget=False
    )
    clients = {
        provider: httpx.Client(
            base_url=settings["url"],
            transport=payerr.PaymentTransport(
                provider, policy=policy, ledger=ledger, order_fields=ORDER_FIELDS.get(provider, ())
            ),
        )
        for provider in PATHS
    }
    out = threading.Lock()

    def work(job: dict[str, Any]) -> None:
        try:
            reply: dict[str, Any] = {"id": job["id"], "steps": run_job(clients, job)}
        except Exception as exc:  # reported, so that the drill fails with the cause
            reply = {"id": job["id"], "crash": f"{type(exc).__name__}: {exc}"}
        with out:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()

    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    threads = []
    for line in sys.stdin:
        thread = threading.Thread(target=work, args=(json.loads(line),))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
