"""``payerr demo``: a mixed workload of payments against the simulator, through the transports.

Every outcome and every category for each provider, then the faults payerr exists for: 5xx and
429 refusals, resets, answers lost after the payment ran (with and without an idempotency key),
garbage, a caller resending an order the provider already ran, and the inquiries that settle
what stayed unknown. One line per scenario says what was injected, what payerr did and how the
payment ended; the summary says what the provider saw. Logs only with ``--verbose``.
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

from payerr._budget import RetryBudget
from payerr._classify import classification_of
from payerr._decide import AttemptRecord
from payerr._exceptions import OutcomeUnknownError, PaymentError, UsageError
from payerr._logs import RETRY_SCHEDULED, add_payment_context
from payerr._policy import RetryPolicy
from payerr._redaction import RedactSensitive
from payerr._taxonomy import Classification
from payerr._transport import CALL_KEY
from payerr.testing import ProviderSimulator, SimPayment, scenario, send_all

__all__ = ["Payment", "run", "workload"]

PROVIDERS = ("antom", "alipay_plus", "ottpay", "paykka")

# The code each provider answers for each verdict, in the provider's own tables.
CODES: dict[str, dict[str, str]] = {
    "antom": {
        "pending": "PAYMENT_IN_PROCESS",
        "user-action": "USER_BALANCE_NOT_ENOUGH",
        "merchant-config": "INVALID_SIGNATURE",
        "risk": "RISK_REJECT",
        "final": "PROCESS_FAIL",
    },
    "ottpay": {
        "pending": "PROCESSING",
        "user-action": "AMOUNT_NOT_ENOUGH",
        "merchant-config": "SIGN_FAIL",
        "risk": "REASON_TRADE_BEEN_FREEZEN",
        "final": "PAYERROR",
    },
    "paykka": {
        "pending": "4000",
        "user-action": "5004",
        "merchant-config": "2000",
        "risk": "5019",
        "final": "4026",
    },
}
CODES["alipay_plus"] = CODES["antom"]  # Alipay+ server APIs answer the same result codes

# Where each provider takes a payment and answers an inquiry, and the field naming the order.
_PAY = {
    "antom": "/ams/api/v1/payments/pay",
    "alipay_plus": "/aps/api/v1/payments/pay",
    "ottpay": "/v1/payments",
    "paykka": "/v1/payments",
}
_INQUIRE = {
    "antom": "/ams/api/v1/payments/inquiryPayment",
    "alipay_plus": "/aps/api/v1/payments/inquiryPayment",
    "ottpay": "/v1/query",
    "paykka": "/v1/payments/query",
}
_REQUEST_ID = frozenset({"antom", "alipay_plus"})  # paymentRequestId: deduplicated by the provider
_ORDER_FIELD = {
    "antom": "paymentRequestId",
    "alipay_plus": "paymentRequestId",
    "ottpay": "merchant_order_no",
    "paykka": "merchant_order_no",
}


@dataclass(frozen=True, slots=True)
class Payment:
    """One logical payment of the workload."""

    provider: str
    order: str
    keyed: bool
    faults: tuple[str, ...] = ()
    code: str | None = None
    card: str = "4111111111111111"  # in the body, so the logs show it never leaks
    resend: bool = False  # the caller's own loop sends the same order again afterwards
    scenario: str = ""


def workload(seed: int = 7, fillers: int = 100) -> list[Payment]:
    """The demo's payments: every verdict for every provider, faults, then plain successes."""
    rng = random.Random(seed)
    plan: list[Payment] = []
    for provider in PROVIDERS:

        def add(
            name: str,
            keyed: bool,
            *faults: str,
            code: str | None = None,
            resend: bool = False,
            p: str = provider,
        ) -> None:
            order = f"{p}-{len(plan):04d}"
            plan.append(Payment(p, order, keyed, faults, code, resend=resend, scenario=name))

        add("plain", True)
        for verdict in ("pending", "user-action", "merchant-config", "risk", "final"):
            add(f"answers {verdict}", True, code=CODES[provider][verdict])
        add("503 then ok", True, "503")
        add("429 and reset", True, "429:0.05", "reset")
        add("stall, keyed", True, "stall")
        add("stall, no key", False, "stall")
        add("503, no key", False, "503")
        add("429 outlasts", True, "429:0", "429:0", "429:0", "429:0")
        add("5xx storm", True, "503", "502", "504", "503")
        add("garbage", True, "garbage")
        add("sent twice", False, resend=True)
    for index in range(fillers):
        provider = rng.choice(PROVIDERS)
        faults = rng.choice([(), (), (), ("503",), ("reset",)])
        plan.append(Payment(provider, f"fill-{index:04d}", True, faults, scenario="filler"))
    rng.shuffle(plan)
    return plan


def label(result: httpx.Response | PaymentError) -> str:
    """The outcome for success and pending, ``outcome-unknown`` when payerr could not tell
    whether the payment ran, the category for other failures."""
    if isinstance(result, OutcomeUnknownError):
        return "outcome-unknown"
    c = _classification(result)
    if c is None:
        return "unclassified"
    return str(c.category) if c.category is not None else str(c.outcome)


def run(
    *,
    seed: int = 7,
    json_output: bool = False,
    out: TextIO | None = None,
    verbose: bool = False,
    metrics: bool = False,
) -> dict[str, Any]:
    """Run the demo; print a line per scenario and the summary; return the summary.

    ``metrics``: record payerr's OpenTelemetry metrics with the SDK's in-memory reader (needs
    ``opentelemetry-sdk``) and print their points after the summary (in JSON: ``metrics``).
    """
    out = out or sys.stdout
    reader = _metric_reader() if metrics else None
    retries = Counter[str]()
    _configure_logs(retries, sys.stderr, verbose=verbose)  # logs on stderr, results on stdout
    payments = workload(seed)
    start = time.perf_counter()
    with ProviderSimulator(stall=0.6) as sim:
        results = _pay_all(sim, payments, _requests(payments))
        resends = [p for p in payments if p.resend]
        again = _pay_all(sim, resends, _requests(resends)) if resends else []
        settled = _inquire_all(sim, payments, results, again)
        summary: dict[str, Any] = {
            "payments": len(payments),
            "requests": sim.requests,
            "executions": sim.executions,
            "duplicate_executions": sim.duplicate_executions,
            "retries": sum(retries.values()),
            "outcomes": dict(sorted(Counter(label(r) for r in results).items())),
            "inquiries": sim.inquiries,
            "settled_by_inquiry": dict(sorted(Counter(settled.values()).items())),
            "faults_played": dict(sorted(sim.faults_played.items())),
            "seconds": round(time.perf_counter() - start, 2),
        }
    if reader is not None:
        summary["metrics"] = metric_points(reader)
    if json_output:
        out.write(json.dumps(summary) + "\n")
    else:
        out.write(
            _report(summary, payments, results, dict(zip(resends, again, strict=True)), settled)
        )
        if reader is not None:
            out.write(_metrics_report(summary["metrics"]))
    return summary


def _metric_reader() -> Any:
    """An in-memory reader on a new global MeterProvider, as an application would install."""
    try:
        from opentelemetry import metrics  # noqa: PLC0415 -- only for --metrics
        from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415
    except ImportError:
        raise UsageError(
            "--metrics needs the OpenTelemetry SDK: pip install 'payerr[otel]' opentelemetry-sdk"
        ) from None
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return reader


def metric_points(reader: Any) -> list[dict[str, Any]]:
    """Every point payerr recorded: name, unit, attributes, and a counter's value or a
    histogram's count and sum."""
    points: list[dict[str, Any]] = []
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            if scope.scope.name != "payerr":
                continue
            for metric in scope.metrics:
                for p in metric.data.data_points:
                    point: dict[str, Any] = {
                        "name": metric.name,
                        "unit": metric.unit,
                        "attributes": dict(sorted((p.attributes or {}).items())),
                    }
                    if hasattr(p, "value"):
                        point["value"] = p.value
                    else:
                        point["count"] = p.count
                        point["sum"] = round(p.sum, 6)
                    points.append(point)
    return sorted(points, key=lambda p: (p["name"], json.dumps(p["attributes"])))


def _metrics_report(points: list[dict[str, Any]]) -> str:
    lines = [
        "",
        "metrics (OpenTelemetry, meter 'payerr')",
        "=======================================",
    ]
    for p in points:
        labels = ",".join(f"{k}={v}" for k, v in p["attributes"].items())
        if "value" in p:
            figure = f"{p['value']}"
        else:
            figure = f"count={p['count']} sum={p['sum']:.3f}{p['unit'] if p['unit'] == 's' else ''}"
        lines.append(f"{p['name']}{{{labels}}} {figure}")
    return "\n".join(lines) + "\n"


def _configure_logs(retries: Counter[str], stream: TextIO, *, verbose: bool) -> None:
    def count_retries(logger: object, method: str, event: Any) -> Any:
        if event.get("event") == RETRY_SCHEDULED:
            retries[event.get("payment.provider", "?")] += 1
        if not verbose:
            raise structlog.DropEvent
        return event

    structlog.configure(
        processors=[
            count_retries,
            structlog.processors.add_log_level,
            add_payment_context,
            RedactSensitive(),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=lambda *_: structlog.PrintLogger(stream),
    )


def _requests(payments: list[Payment]) -> list[SimPayment]:
    requests = []
    for payment in payments:
        headers = scenario(*payment.faults, code=payment.code)
        if payment.keyed:
            headers["Idempotency-Key"] = f"key-{payment.order}"
        body = {
            _ORDER_FIELD[payment.provider]: payment.order,
            "amount": 1000,
            "card": {"number": payment.card},
        }
        requests.append(SimPayment(payment.provider, body, headers, _PAY[payment.provider]))
    return requests


def _pay_all(
    sim: ProviderSimulator, payments: list[Payment], requests: list[SimPayment]
) -> list[httpx.Response | PaymentError]:
    policy = RetryPolicy(
        attempts=4,
        wait_initial=0.05,
        wait_max=0.4,
        wait_jitter=0.05,
        timeout=10,
        # The demo's own budget, roomy: it injects faults into a third of its payments on purpose.
        budget=RetryBudget(min_retries=400),
    )
    timeout = httpx.Timeout(2.0, read=0.3)
    return asyncio.run(send_all(sim, requests, policy=policy, timeout=timeout, concurrency=20))


def _unsettled(result: httpx.Response | PaymentError | None) -> bool:
    """Whether the merchant must ask the provider what happened: outcome unknown, or a repeat
    answer ("this order was already submitted")."""
    if isinstance(result, OutcomeUnknownError):
        return True
    c = _classification(result)
    return c is not None and c.repeat


def _inquire_all(
    sim: ProviderSimulator,
    payments: list[Payment],
    results: list[httpx.Response | PaymentError],
    again: list[httpx.Response | PaymentError],
) -> dict[Payment, str]:
    """Inquire every payment whose outcome stayed unknown: the inquiry settles it."""
    resent = dict(zip([p for p in payments if p.resend], again, strict=True))
    todo = [
        p
        for p, r in zip(payments, results, strict=True)
        if _unsettled(r) or _unsettled(resent.get(p))
    ]
    requests = [
        SimPayment(p.provider, {_ORDER_FIELD[p.provider]: p.order}, {}, _INQUIRE[p.provider])
        for p in todo
    ]
    answers = _pay_all(sim, todo, requests) if requests else []
    return {p: _settled(a) for p, a in zip(todo, answers, strict=True)}


def _settled(answer: httpx.Response | PaymentError) -> str:
    """What an inquiry found: the code and its verdict (``ORDER_NOT_EXIST``: it never ran)."""
    c = _classification(answer)
    return f"{c.code} ({label(answer)})" if c is not None and c.code else label(answer)


def _classification(result: httpx.Response | PaymentError | None) -> Classification | None:
    if result is None:
        return None
    if isinstance(result, PaymentError):
        return result.classification
    return classification_of(result)


def _history(result: httpx.Response | PaymentError) -> list[AttemptRecord]:
    if isinstance(result, PaymentError):
        return list(result.history)
    call = result.request.extensions.get(CALL_KEY)
    records = getattr(call, "records", None)
    return list(records) if records else []


def _did(result: httpx.Response | PaymentError) -> str:
    history = _history(result)
    attempts = max(1, len(history))
    waited = sum(r.wait or 0.0 for r in history)
    text = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    return text + (f", waited {waited:.2f}s" if waited else "")


def _report(
    summary: dict[str, Any],
    payments: list[Payment],
    results: list[httpx.Response | PaymentError],
    resent: dict[Payment, httpx.Response | PaymentError],
    settled: dict[Payment, str],
) -> str:
    """The demo's report, top to bottom as it prints. Longer than 60 lines on purpose: it is
    a layout, and one function keeps every column's width next to its header."""
    lines = ["", "payerr demo: one line per scenario", ""]
    header = f"{'payment':<18}{'key':<5}{'injected':<28}{'payerr did':<26}ended"
    lines += [header, "-" * len(header)]
    rows = sorted(
        ((p, r) for p, r in zip(payments, results, strict=True) if p.scenario != "filler"),
        key=lambda row: (PROVIDERS.index(row[0].provider), row[0].order),
    )
    for payment, result in rows:
        injected = ",".join(payment.faults) or "-"
        if payment.code:
            injected = (injected + " " if payment.faults else "") + f"code {payment.code}"
        if payment.resend:
            injected = "sent twice by the caller"
        ended = label(result)
        second = resent.get(payment)
        if second is not None:
            c = _classification(second)
            code = c.code if c is not None else "?"
            ended += (
                f"; again: {code} ({'repeat' if c is not None and c.repeat else label(second)})"
            )
        if payment in settled:
            ended += f" -> inquiry: {settled[payment]}"
        key = "yes" if payment.keyed else ("id" if payment.provider in _REQUEST_ID else "no")
        injected = injected if len(injected) < 27 else injected[:24] + "..."
        lines.append(f"{payment.order:<18}{key:<5}{injected:<28}{_did(result):<26}{ended}")
    fillers = [r for p, r in zip(payments, results, strict=True) if p.scenario == "filler"]
    if fillers:
        counts = Counter(label(r) for r in fillers)
        lines.append(f"{len(fillers)} more payments with random 503s and resets: {dict(counts)}")
    lines += ["", "payerr demo summary", "==================="]
    by_provider: dict[str, Counter[str]] = {p: Counter() for p in PROVIDERS}
    for payment, result in zip(payments, results, strict=True):
        by_provider[payment.provider][label(result)] += 1
    labels = sorted({name for counts in by_provider.values() for name in counts})
    lines.append(f"{'':<13}" + "".join(f"{name:>16}" for name in labels))
    for provider, counts in by_provider.items():
        lines.append(f"{provider:<13}" + "".join(f"{counts[name]:>16}" for name in labels))
    lines.append("")
    lines.append("key: an Idempotency-Key; id: Antom's paymentRequestId, which it deduplicates.")
    lines.append(
        "outcome-unknown: payerr could not tell whether the payment ran and did not resend it;"
    )
    lines.append("pending: the provider said it is still being processed.")
    lines.append("")
    for key in (
        "payments",
        "requests",
        "executions",
        "duplicate_executions",
        "retries",
        "inquiries",
        "seconds",
    ):
        lines.append(f"{key:<22}{summary[key]}")
    lines.append("settled by inquiry")
    lines += [f"  {found:<36}{n}" for found, n in summary["settled_by_inquiry"].items()]
    played = ", ".join(f"{fault} {n}" for fault, n in summary["faults_played"].items())
    lines.append(f"{'faults played':<22}{played}")
    return "\n".join(lines) + "\n"
