"""The model-checking drill: every client path against a provider model, over random faults.

The provider model (``tests/support/provider_model.py``) is written from the providers' documents,
not
from payerr: it deduplicates and answers repeats the way each documents (Antom replays the
result for a repeated ``paymentRequestId``; PayKKa answers 4020 / 4021 / 4002, OTT Pay
``ORDER_USED``, a generic REST API a bare 409) and counts executions truthfully. Faults: TCP
reset, bare 5xx and 429 before executing; stall, drop, 502, 429 with the business body and a
garbled 200 after executing.

A gateway's 401 before the provider (a token that expired during a stall) is among the faults.

Invariants checked on every run (Architecture#failed-means-not-done,
Architecture#the-body-beats-the-status, Architecture#safe-to-resend-holds):
- an order executes at most once (the drill never resends after "outcome unknown");
- no call ends ``failed`` for an order that executed;
- no call ends ``success`` for an order that did not.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import tenacity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import payerr
from payerr import OutcomeUnknownError, PaymentError, Registry, RetryPolicy
from tests.support.provider_model import ProviderModel

PROVIDER_PATHS = {
    "antom": "/ams/api/v1/payments/pay",
    "paykka": "/paykka/v1/payments",
    "ottpay": "/ottpay/api",
    "generic": "/generic/payments",
}
FAULTS = [
    *("ok", "stall", "drop", "reset", "500", "502", "503", "429", "401"),
    *("502x", "429x", "garbage"),
]
ATTEMPTS = 3
TIMEOUT = httpx.Timeout(2.0, read=0.1)  # a stall costs one read timeout
_orders = itertools.count()


def generic_registry() -> Registry:
    """A user's own mapping for a plain REST API: ``status`` carries the result."""
    registry = Registry(use_env=False)
    registry.add_mapping(
        {
            "provider": {"id": "generic", "adapter": "fields", "code_fields": ["status"]},
            "code": [{"code": "succeeded", "message": "Payment created", "outcome": "success"}],
        }
    )
    return registry


REGISTRY = generic_registry()


@pytest.fixture(scope="module")
def model() -> Iterator[ProviderModel]:
    with ProviderModel(stall_max=2.0) as running:
        yield running


@dataclass(frozen=True)
class Case:
    provider: str
    client: str
    """transport | async | loop (README's tenacity loop over a transport) | plain (a tenacity
    loop with retry_if_retryable around a plain httpx client)"""
    identity: str
    """key (the caller's Idempotency-Key) | keyless | auto (auto_idempotency_key=True)"""
    faults: tuple[str, ...]
    key_mode: str

    def body(self, order: str) -> dict[str, Any]:
        if self.provider == "antom":
            return {"paymentRequestId": order, "paymentAmount": {"currency": "USD", "value": "100"}}
        if self.provider == "paykka":
            return {"merchant_order_no": order, "amount": 100}
        if self.provider == "ottpay":
            return {
                "action": "pay",
                "version": "1.0",
                "merchant_id": "m",
                "data": {"order_id": order},
            }
        return {"order_id": order, "amount": 100}

    def headers(self, order: str) -> dict[str, str]:
        return {"Idempotency-Key": f"key-{order}"} if self.identity == "key" else {}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    provider = draw(st.sampled_from(sorted(PROVIDER_PATHS)))
    client = draw(st.sampled_from(["transport", "async", "loop", "plain"]))
    identities = ["key", "keyless", "auto"]
    if client == "plain" or provider == "ottpay":
        identities.remove("auto")  # no transport to generate one; OTT Pay refuses one
    identity = draw(st.sampled_from(identities))
    faults = tuple(draw(st.lists(st.sampled_from(FAULTS), max_size=4)))
    return Case(provider, client, identity, faults, draw(st.sampled_from(["replay", "repeat"])))


def policy(attempts: int) -> RetryPolicy:
    return RetryPolicy(
        attempts=attempts, wait_initial=0, wait_max=0, wait_jitter=0, timeout=30, budget=False
    )


def transport_kwargs(case: Case, attempts: int) -> dict[str, Any]:
    return {
        "policy": policy(attempts),
        "auto_idempotency_key": case.identity == "auto",
        "registry": REGISTRY,
    }


def run(case: Case, url: str, order: str) -> object:
    """Drive one logical call through the case's client path; return its response or error."""
    path, body, headers = PROVIDER_PATHS[case.provider], case.body(order), case.headers(order)
    if case.client == "async":
        return asyncio.run(run_async(case, url, order))
    if case.client == "plain":
        return run_plain(case, url, order)
    attempts = ATTEMPTS if case.client == "transport" else 1
    transport = payerr.PaymentTransport(case.provider, **transport_kwargs(case, attempts))
    with httpx.Client(transport=transport, base_url=url, timeout=TIMEOUT) as client:
        if case.client == "transport":
            return call(lambda: client.post(path, json=body, headers=headers))

        @tenacity.retry(  # the README's loop: the key is made once, outside the loop
            retry=payerr.retry_if_retryable(),
            wait=payerr.wait_retry_after(initial=0, maximum=0, jitter=0),
            stop=tenacity.stop_after_attempt(ATTEMPTS),
            reraise=True,
        )
        def charge() -> httpx.Response:
            return client.post(path, json=body, headers=headers)

        return call(charge)


def run_plain(case: Case, url: str, order: str) -> object:
    path, body, headers = PROVIDER_PATHS[case.provider], case.body(order), case.headers(order)
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:

        @tenacity.retry(
            retry=payerr.retry_if_retryable(case.provider, registry=REGISTRY),
            wait=payerr.wait_retry_after(initial=0, maximum=0, jitter=0),
            stop=tenacity.stop_after_attempt(ATTEMPTS),
            retry_error_callback=last_result,  # the last response, not tenacity.RetryError
            reraise=True,
        )
        def charge() -> httpx.Response:
            response = client.post(path, json=body, headers=headers)
            response.read()
            return response

        return call(charge)


async def run_async(case: Case, url: str, order: str) -> object:
    path, body, headers = PROVIDER_PATHS[case.provider], case.body(order), case.headers(order)
    transport = payerr.AsyncPaymentTransport(case.provider, **transport_kwargs(case, ATTEMPTS))
    async with httpx.AsyncClient(transport=transport, base_url=url, timeout=TIMEOUT) as client:
        try:
            return await client.post(path, json=body, headers=headers)
        except (PaymentError, httpx.HTTPError) as exc:
            return exc


def last_result(state: tenacity.RetryCallState) -> Any:
    assert state.outcome is not None
    return state.outcome.result()


def call(fn: Any) -> object:
    try:
        result: object = fn()
    except (PaymentError, httpx.HTTPError) as exc:
        return exc
    return result


def ending(case: Case, result: object) -> str:
    """What the call told its caller: success, pending, failed, or no claim by payerr."""
    if isinstance(result, httpx.Response):
        c = payerr.classification_of(result) or payerr.classify_response(
            case.provider, result, registry=REGISTRY
        )
        return str(c.outcome)
    if isinstance(result, PaymentError):
        return str(result.classification.outcome)
    # A plain client's loop re-raises httpx's own exception: payerr made no claim about it.
    assert isinstance(result, httpx.TransportError), result
    return "no claim"


def check(case: Case, model: ProviderModel) -> tuple[str, int]:
    order = f"o{next(_orders)}-{case.provider}-{case.client}-{case.identity}"
    model.script(order, case.faults, key_mode=case.key_mode)
    result = run(case, model.url, order)
    executions = model.executions(order)
    told = ending(case, result)
    where = f"{case} ended {told!r} ({result!r}) after {executions} executions"
    assert executions <= 1, where
    if told == "failed":
        assert executions == 0, where
    if told == "success":
        assert executions == 1, where
    if isinstance(result, OutcomeUnknownError) and result.safe_to_resend:
        assert result.idempotency_key is None or result.executed is None, where
    return told, executions


@settings(
    max_examples=160,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_no_path_executes_twice_or_claims_falsely(case: Case, model: ProviderModel) -> None:
    """Seeded drill over every client path, provider and fault sequence (invariants above)."""
    check(case, model)


PATHS = [
    (client, identity)
    for client in ("transport", "async", "loop", "plain")
    for identity in ("key", "auto")
    if (client, identity) != ("plain", "auto")  # no transport to generate a key
]


STALLED = [
    (provider, client, identity)
    for provider in ("paykka", "ottpay", "generic")
    for client, identity in PATHS
    if (provider, identity) != ("ottpay", "auto")  # OTT Pay documents no key: refused
]


@pytest.mark.parametrize(("provider", "client", "identity"), STALLED)
def test_repeat_answer_after_a_stall_is_outcome_unknown_never_failed(
    model: ProviderModel, provider: str, client: str, identity: str
) -> None:
    """The issue's first report: executed, the answer stalled, the resend answered with the
    provider's repeat code (4020/4021/4002, ORDER_USED, 409). Never "failed"."""
    told, executions = check(Case(provider, client, identity, ("stall",), "repeat"), model)
    assert executions == 1
    if provider == "ottpay" and client == "plain":
        # OTT Pay honours no key: the loop does not resend, and the caller gets the read
        # timeout itself, which claims nothing.
        assert told == "no claim"
    else:
        assert told == "pending"


def test_auto_key_with_the_readme_loop_never_executes_twice(model: ProviderModel) -> None:
    """auto_idempotency_key=True and the README's loop: every stall executes nothing new."""
    told, executions = check(Case("paykka", "loop", "auto", ("stall",) * 4, "replay"), model)
    assert (told, executions) == ("pending", 1)


def test_keyless_429_whose_body_says_executed_is_not_resent(model: ProviderModel) -> None:
    """Architecture#truth-rules: a 429 carrying the business result is not "refused, safe to
    resend"."""
    for provider in ("paykka", "ottpay", "generic"):
        told, executions = check(Case(provider, "transport", "keyless", ("429x",), "repeat"), model)
        assert (told, executions) == ("pending", 1)
        assert model.requests(f"o{next(_orders) - 1}-{provider}-transport-keyless") == 1


def test_first_attempt_repeat_is_a_real_failure(model: ProviderModel, fleet_ledger: Any) -> None:
    """The merchant reused an order number outside this fleet's window (an earlier system, a
    plain client): no worker ever sent the key or the order, so the first attempt's
    "duplicate" is failed/final. The per-process ledger cannot know that: outcome unknown."""
    order = f"o{next(_orders)}-reused"
    model.script(order, ())
    url = f"{model.url}/paykka/v1/payments"
    with httpx.Client() as plain:
        assert plain.post(url, json={"merchant_order_no": order}).status_code == 200
    kwargs: dict[str, Any] = {"policy": policy(3), "order_fields": ["merchant_order_no"]}
    headers = {"Idempotency-Key": f"new-{order}"}
    with (
        httpx.Client(transport=payerr.PaymentTransport("paykka", **kwargs)) as client,
        pytest.raises(payerr.OutcomeUnknownError),
    ):
        client.post(url, json={"merchant_order_no": order}, headers=headers)
    headers = {"Idempotency-Key": f"newer-{order}"}
    transport = payerr.PaymentTransport("paykka", ledger=fleet_ledger, **kwargs)
    with httpx.Client(transport=transport) as client, pytest.raises(payerr.FinalError) as info:
        client.post(url, json={"merchant_order_no": order}, headers=headers)
    assert info.value.classification.repeat
    assert model.executions(order) == 1
