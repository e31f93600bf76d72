"""The drill ``payerr demo`` runs: a mixed workload of payments against the simulator, through
the transports.

Every outcome and every category for each provider, then the faults payerr exists for: 5xx and
429 refusals, resets, answers lost after the payment ran (with and without an idempotency key),
garbage, a caller resending an order the provider already ran, and the inquiries that settle
what stayed unknown. The headline says what the provider saw and checks every verdict payerr
gave against what the simulator really did; a grid shows each scenario for each provider. Logs
only with ``--verbose``, each line with its payment's id.

Deterministic under a seed: the faults are scripted (an answer lost after the payment ran is a
connection closed, not a race against a read timeout), the retry jitter is fixed and no figure
is a wall-clock time, so the same seed prints the same numbers on any machine, under any load.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any, TextIO

import httpx
import structlog

from payerr._core.attempts import AttemptRecord
from payerr._core.exceptions import OutcomeUnknownError, PaymentError, UsageError
from payerr._core.taxonomy import Classification
from payerr._mappings.classify import classification_of
from payerr._observe.logs import RETRY_SCHEDULED, add_payment_context
from payerr._observe.redaction import RedactSensitive
from payerr._retry.budget import RetryBudget
from payerr._retry.policy import RetryPolicy
from payerr._retry.transport import CALL_KEY
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
        add("answer lost, keyed", True, "drop")
        add("answer lost, no key", False, "drop")
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
    """Run the demo; print the headline and the grid (or one JSON line); return the summary.

    ``metrics``: record payerr's OpenTelemetry metrics with the SDK's in-memory reader (needs
    ``opentelemetry-sdk``) and print their points after the summary (in JSON: ``metrics``).
    """
    out = out or sys.stdout
    reader = _metric_reader() if metrics else None
    retries = Counter[str]()
    _configure_logs(retries, sys.stderr, verbose=verbose)  # logs on stderr, results on stdout
    payments = workload(seed)
    with ProviderSimulator() as sim:
        results = _pay_all(sim, payments, _requests(payments))
        resends = [p for p in payments if p.resend]
        again = _pay_all(sim, resends, _requests(resends)) if resends else []
        settled = _inquire_all(sim, payments, results, again)
        checked = {
            p: _check(p, r, settled.get(p), sim) for p, r in zip(payments, results, strict=True)
        }
        summary: dict[str, Any] = {
            "seed": seed,
            "payments": len(payments),
            "requests": sim.requests,
            "executions": sim.executions,
            "duplicate_executions": sim.duplicate_executions,
            "retries": sum(retries.values()),
            "verdicts": {k: sum(1 for v in checked.values() if v == k) for k in _CHECKS},
            "outcomes": dict(sorted(Counter(label(r) for r in results).items())),
            "inquiries": sim.inquiries,
            "settled_by_inquiry": dict(
                sorted(Counter(v for v in settled.values() if not v.endswith("(pending)")).items())
            ),
            "pending_after_inquiry": dict(
                sorted(Counter(v for v in settled.values() if v.endswith("(pending)")).items())
            ),
            "faults_played": dict(sorted(sim.faults_played.items())),
        }
        wrong = [p.order for p, v in checked.items() if v == "wrong"]
        if wrong:
            summary["wrong"] = wrong
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


_CHECKS = ("right", "wrong", "unknown")


def _check(
    payment: Payment,
    result: httpx.Response | PaymentError,
    inquiry: str | None,
    sim: ProviderSimulator,
) -> str:
    """payerr's verdict on ``payment`` against what the simulator did with it: ``right``,
    ``wrong``, or ``unknown`` (payerr said it could not tell, and the inquiry could not
    either: honest, never wrong). A success must have run and succeeded; a failure must not
    have succeeded; "still processing" must be what the provider holds; an unknown outcome
    is judged by what the inquiry then said."""
    truth = sim.outcome_of(payment.order)  # success / pending / failed, None: never ran
    said = label(result)
    if said == "outcome-unknown":
        said = "unknown" if inquiry is None else inquiry.rpartition("(")[2].rstrip(")")
    if said in ("unknown", "outcome-unknown"):
        return "unknown"
    if said == "success":
        return "right" if truth == "success" else "wrong"
    if said == "pending":
        return "right" if truth == "pending" else "unknown" if truth is None else "wrong"
    return "right" if truth not in {"success", "pending"} else "wrong"


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
        labels = ", ".join(f"{k}={v}" for k, v in p["attributes"].items())
        if "value" in p:
            figure = f"{p['value']}"
        else:
            figure = f"count={p['count']} sum={p['sum']:.3f}{p['unit'] if p['unit'] == 's' else ''}"
        lines.append(f"{p['name']} {figure}")  # the labels below, wrapped: 100 columns
        lines += textwrap.wrap(labels, 100, initial_indent="    ", subsequent_indent="    ")
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
            structlog.contextvars.merge_contextvars,  # payment_id, bound per payment
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
        random=lambda: 0.5,  # the same waits every run
        timeout=60,
        # The demo's own budget, roomy: it injects faults into a third of its payments on purpose.
        budget=RetryBudget(min_retries=400),
    )
    # Generous: no answer races a timeout, however loaded the machine (lost answers are
    # scripted as closed connections).
    timeout = httpx.Timeout(30.0)
    ids = [p.order for p in payments]
    return asyncio.run(
        send_all(sim, requests, policy=policy, timeout=timeout, concurrency=20, ids=ids)
    )


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


def _attempts(result: httpx.Response | PaymentError) -> int:
    return max(1, len(_history(result)))


_FOUND = {"success": "ran", "pending": "pending"}
"""What an inquiry's verdict says the payment became (any failure: it never ran)."""


def _cell(
    payment: Payment,
    result: httpx.Response | PaymentError,
    again: httpx.Response | PaymentError | None,
    settled: str | None,
) -> str:
    """One scenario for one provider, in at most 18 characters: payerr's verdict, how many
    attempts it took, and for an unknown outcome what the inquiry found."""
    if again is not None:  # sent twice: what the second send met
        c = _classification(again)
        said = "repeat" if c is not None and c.repeat else label(again)
    else:
        said = label(result)
        if said == "outcome-unknown":
            said = "?"
    if settled is not None:
        found = _FOUND.get(settled.rpartition("(")[2].rstrip(")"), "not run")
        if found != said:  # a pending answer still pending says nothing new
            said += "->" + found
    attempts = _attempts(result)
    return said + (f" x{attempts}" if attempts > 1 and again is None else "")


def _report(
    summary: dict[str, Any],
    payments: list[Payment],
    results: list[httpx.Response | PaymentError],
    resent: dict[Payment, httpx.Response | PaymentError],
    settled: dict[Payment, str],
) -> str:
    """The headline, then one row per scenario with the providers as columns (≤ 100 columns)."""
    verdicts = summary["verdicts"]
    checked = verdicts["right"] + verdicts["wrong"]
    lines = [
        "",
        f"payerr demo (seed {summary['seed']}): {summary['payments']} payments to "
        f"{len(PROVIDERS)} simulated providers, faults injected on purpose",
        "",
        f"  requests {summary['requests']}   executions {summary['executions']}   "
        f"duplicate executions {summary['duplicate_executions']}   "
        f"retries {summary['retries']}   inquiries {summary['inquiries']}",
        f"  payerr's verdicts against what the provider really did: {verdicts['right']} of "
        f"{checked} right, {verdicts['wrong']} wrong"
        + (f", {verdicts['unknown']} unknown" if verdicts["unknown"] else ""),
    ]
    if summary.get("wrong"):
        lines.append(f"  WRONG: {', '.join(summary['wrong'])}")
    lines += ["", (f"{'scenario':<24}" + "".join(f"{p:<19}" for p in PROVIDERS)).rstrip()]
    lines.append("-" * (24 + 19 * len(PROVIDERS) - 1))
    grid: dict[str, dict[str, str]] = {}
    first: dict[str, str] = {}  # rows in the order the workload defines them
    for payment, result in zip(payments, results, strict=True):
        if payment.scenario == "filler":
            continue
        first[payment.scenario] = min(first.get(payment.scenario, "~"), payment.order[-4:])
        cell = _cell(payment, result, resent.get(payment), settled.get(payment))
        grid.setdefault(payment.scenario, {})[payment.provider] = cell
    for name in sorted(grid, key=lambda n: first[n]):
        cells = "".join(f"{grid[name].get(p, '-'):<19}" for p in PROVIDERS)
        lines.append(f"{name:<24}{cells}".rstrip())
    fillers = [(p, r) for p, r in zip(payments, results, strict=True) if p.scenario == "filler"]
    if fillers:
        counts = Counter(label(r) for _, r in fillers)
        found = Counter(
            _FOUND.get(settled[p].rpartition("(")[2].rstrip(")"), "not run")
            for p, _ in fillers
            if p in settled
        )
        inquired = ", ".join(f"{n} {k}" for k, n in sorted(found.items()))
        lines.append(
            f"{len(fillers)} more payments, random 503s and resets: "
            f"{counts.get('success', 0)} success, {counts.get('outcome-unknown', 0)} unknown"
            + (f" (inquiry: {inquired})" if inquired else "")
        )
    played = ", ".join(f"{fault} {n}" for fault, n in summary["faults_played"].items())
    lines += [
        "",
        f"faults played: {played}",
        "",
        "xN: attempts payerr made. It resends only what cannot run twice: every payment has an",
        "    Idempotency-Key but the 'no key' rows, where Antom and Alipay+ deduplicate their",
        "    paymentRequestId and OTT Pay and PayKKa have nothing.",
        "?->ran, ?->not run: outcome unknown. payerr could not tell, did not resend, and an",
        "    inquiry settled it. ?->pending: the inquiry found it still in process (the",
        "    provider's notification settles it).",
        "repeat: the provider had this order already; payerr inquires instead of saying failed.",
    ]
    return "\n".join(lines) + "\n"
