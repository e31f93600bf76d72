"""``payerr demo``: a mixed workload of payments against the simulator, through the transports.

Every outcome and every category, retries, a 429 with Retry-After, resets, execute-then-stall
with and without an idempotency key, garbage answers; then a summary of what the provider saw
(requests, executions, duplicate executions) and how each payment ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, TextIO

import httpx
import structlog

from payerr.budget import RetryBudget
from payerr.classify import classification_of
from payerr.exceptions import PaymentError
from payerr.logs import RETRY_SCHEDULED, add_payment_context
from payerr.policy import RetryPolicy
from payerr.redaction import RedactSensitive
from payerr.testing import ProviderSimulator, SimPayment, scenario, send_all

__all__ = ["Payment", "run", "workload"]

PROVIDERS = ("antom", "alipay_plus", "ottpay", "paykka")

# The code each provider answers for each verdict (all from the shipped mappings).
CODES: dict[str, dict[str, str]] = {
    "antom": {
        "pending": "PAYMENT_IN_PROCESS",
        "user-action": "USER_BALANCE_NOT_ENOUGH",
        "merchant-config": "INVALID_SIGNATURE",
        "risk": "RISK_REJECT",
        "final": "ORDER_IS_CLOSED",
    },
    "ottpay": {
        "pending": "PROCESSING",
        "user-action": "AMOUNT_NOT_ENOUGH",
        "merchant-config": "SIGN_FAIL",
        "risk": "REASON_TRADE_BEEN_FREEZEN",
        "final": "ORDER_PAID",
    },
    "paykka": {
        "pending": "4000",
        "user-action": "5004",
        "merchant-config": "2000",
        "risk": "5019",
        "final": "4024",
    },
}
CODES["alipay_plus"] = CODES["antom"]  # Alipay+ server APIs answer the same result codes


@dataclass(frozen=True, slots=True)
class Payment:
    """One logical payment of the workload."""

    provider: str
    order: str
    keyed: bool
    faults: tuple[str, ...] = ()
    code: str | None = None
    card: str = "4111111111111111"  # in the body, so the logs show it never leaks


def workload(seed: int = 7, fillers: int = 100) -> list[Payment]:
    """The demo's payments: every verdict for every provider, faults, then plain successes."""
    rng = random.Random(seed)
    plan: list[Payment] = []
    for provider in PROVIDERS:

        def add(keyed: bool, *faults: str, code: str | None = None, p: str = provider) -> None:
            plan.append(Payment(p, f"{p}-{len(plan):04d}", keyed, faults, code))

        add(True)
        for verdict in ("pending", "user-action", "merchant-config", "risk", "final"):
            add(True, code=CODES[provider][verdict])
        add(True, "503")  # retried, then success
        add(True, "429:0.05", "reset")  # Retry-After honoured, reset resent, then success
        add(True, "stall")  # executed, answer lost, resent with the key: replayed, not re-run
        add(False, "stall")  # executed, answer lost, no key: outcome unknown, never resent
        add(False, "503")  # a 5xx after a keyless POST: outcome unknown, never resent
        add(True, "429:0", "429:0", "429:0", "429:0")  # refusals outlast it: RetryableError
        add(True, "503", "502", "504", "503")  # a 5xx may follow an execution: outcome unknown
        add(True, "garbage")  # executed, unreadable answer: resent with the key, replayed
    for index in range(fillers):
        provider = rng.choice(PROVIDERS)
        faults = rng.choice([(), (), (), ("503",), ("reset",)])
        plan.append(Payment(provider, f"fill-{index:04d}", True, faults))
    rng.shuffle(plan)
    return plan


def label(result: httpx.Response | PaymentError) -> str:
    """The outcome for success and pending, the category for failures."""
    c = result.classification if isinstance(result, PaymentError) else classification_of(result)
    if c is None:
        return "unclassified"
    return str(c.category) if c.category is not None else str(c.outcome)


def run(*, seed: int = 7, json_output: bool = False, out: TextIO | None = None) -> dict[str, Any]:
    """Run the demo; print logs and the summary; return the summary."""
    out = out or sys.stdout
    logs = sys.stderr if json_output else out
    retries = Counter[str]()

    def count_retries(logger: object, method: str, event: Any) -> Any:
        if event.get("event") == RETRY_SCHEDULED:
            retries[event.get("payment.provider", "?")] += 1
        return event

    structlog.configure(
        processors=[
            count_retries,
            structlog.processors.add_log_level,
            add_payment_context,
            RedactSensitive(),
            structlog.dev.ConsoleRenderer(colors=False, pad_event_to=30),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=lambda *_: structlog.PrintLogger(logs),
    )
    payments = workload(seed)
    start = time.perf_counter()
    with ProviderSimulator(stall=0.6) as sim:
        results = _pay_all(sim, payments)
        summary: dict[str, Any] = {
            "payments": len(payments),
            "requests": sim.requests,
            "executions": sim.executions,
            "duplicate_executions": sim.duplicate_executions,
            "retries": sum(retries.values()),
            "outcomes": dict(sorted(Counter(label(r) for r in results).items())),
            "faults_played": dict(sorted(sim.faults_played.items())),
            "seconds": round(time.perf_counter() - start, 2),
        }
    if json_output:
        out.write(json.dumps(summary) + "\n")
    else:
        out.write(_table(summary, payments, results))
    return summary


def _pay_all(
    sim: ProviderSimulator, payments: list[Payment]
) -> list[httpx.Response | PaymentError]:
    policy = RetryPolicy(
        attempts=4,
        wait_initial=0.05,
        wait_max=0.4,
        wait_jitter=0.05,
        timeout=10,
        budget=RetryBudget(min_retries=40),  # the demo's own budget: it replays faults on purpose
    )
    requests = []
    for payment in payments:
        headers = scenario(*payment.faults, code=payment.code)
        if payment.keyed:
            headers["Idempotency-Key"] = f"key-{payment.order}"
        body = {
            "merchant_order_no": payment.order,
            "amount": 1000,
            "card": {"number": payment.card},
        }
        requests.append(SimPayment(payment.provider, body, headers))
    timeout = httpx.Timeout(2.0, read=0.3)
    return asyncio.run(send_all(sim, requests, policy=policy, timeout=timeout, concurrency=20))


def _table(summary: dict[str, Any], payments: list[Payment], results: list[Any]) -> str:
    by_provider: dict[str, Counter[str]] = {p: Counter() for p in PROVIDERS}
    for payment, result in zip(payments, results, strict=True):
        by_provider[payment.provider][label(result)] += 1
    labels = sorted({name for counts in by_provider.values() for name in counts})
    lines = ["", "payerr demo summary", "==================="]
    lines.append(f"{'':<14}" + "".join(f"{name:>17}" for name in labels))
    for provider, counts in by_provider.items():
        lines.append(f"{provider:<14}" + "".join(f"{counts[name]:>17}" for name in labels))
    lines.append("")
    for key in ("payments", "requests", "executions", "duplicate_executions", "retries", "seconds"):
        lines.append(f"{key:<22}{summary[key]}")
    lines.append(f"{'faults played':<22}{summary['faults_played']}")
    return "\n".join(lines) + "\n"
