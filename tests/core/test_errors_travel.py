"""Errors travel: one root, ``PayerrError``, and every payerr exception pickles whole.

Celery results, process pools and queues pickle exceptions; a payerr error must arrive with its
classification, attempt history and request facts (the live httpx objects stay behind).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import payerr
from payerr import (
    Category,
    FinalError,
    MerchantConfigError,
    Outcome,
    OutcomeUnknownError,
    PayerrError,
    PaymentError,
    RetryableError,
    RiskError,
    UserActionError,
)
from payerr._core.attempts import AttemptRecord
from tests.support.answers import paykka_failure
from tests.support.clients import URL
from tests.support.repo import REPO

SECRET_URL = "https://user:pw@api.example-psp.test/v1/payments?sign=s3cret#frag"
"""URL with user info, a query and a fragment: none of them may travel with an error."""
PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)
PAYMENT_ERRORS: tuple[type[PaymentError], ...] = (
    PaymentError,
    RetryableError,
    UserActionError,
    MerchantConfigError,
    RiskError,
    FinalError,
    OutcomeUnknownError,
)


def facts(error: PaymentError) -> dict[str, Any]:
    """What must survive a round trip: everything but the live httpx objects."""
    return {
        "type": type(error),
        "str": str(error),
        "args": error.args,
        "classification": error.classification,
        "attempts": error.attempts,
        "history": error.history,
        "executed": error.executed,
        "idempotency_key": error.idempotency_key,
        "safe_to_resend": error.safe_to_resend,
        "request_method": error.request_method,
        "request_url": error.request_url,
        "status_code": error.status_code,
    }


def round_trip(error: BaseException, protocol: int = pickle.HIGHEST_PROTOCOL) -> Any:
    return pickle.loads(pickle.dumps(error, protocol=protocol))


def records() -> tuple[AttemptRecord, ...]:
    first = AttemptRecord(
        1, 503, None, "", Outcome.FAILED, Category.RETRYABLE, executed=True, wait=0.5
    )
    second = AttemptRecord(2, None, "ReadTimeout", "", Outcome.PENDING, None, executed=True)
    return first, second


def hand_built(cls: type[PaymentError]) -> PaymentError:
    request = httpx.Request("POST", SECRET_URL, json={"amount": 100})
    response = httpx.Response(502, json={"ret_code": "9999"}, request=request)
    history = records()
    return cls(
        payerr.classify("paykka", "5004"),
        response=response,
        request=request,
        attempts=2,
        history=history,
        executed=history[0],
        idempotency_key="key-1",
        safe_to_resend=True,
    )


# -- one root -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", PAYMENT_ERRORS)
def test_every_payment_error_is_a_payerr_error(cls: type[PaymentError]) -> None:
    assert issubclass(cls, PayerrError)
    assert issubclass(cls, PaymentError)


def test_configuration_errors_keep_value_error_and_gain_the_root() -> None:
    for cls in (payerr.UnknownProviderError, payerr.MappingError):
        assert issubclass(cls, PayerrError)
        assert issubclass(cls, ValueError)


def test_payerr_error_is_exported() -> None:
    assert "PayerrError" in payerr.__all__
    assert payerr.PayerrError is PayerrError
    assert PayerrError.__bases__ == (Exception,)


def test_payerr_error_catches_a_mapping_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[provider\nid = 'x'\n", encoding="utf-8")
    with pytest.raises(PayerrError) as info:
        payerr.load_mappings(broken)
    assert isinstance(info.value, payerr.MappingError)
    assert "invalid TOML" in str(info.value)


def test_payerr_error_catches_an_unknown_provider() -> None:
    with pytest.raises(PayerrError) as info:
        payerr.classify("nope", "X")
    assert isinstance(info.value, payerr.UnknownProviderError)


def test_unknown_provider_error_is_still_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        payerr.classify("nope", "X")


def test_payerr_error_catches_a_payment_error() -> None:
    handler = httpx.MockTransport(lambda _: paykka_failure("5004"))
    transport = payerr.PaymentTransport("paykka", transport=handler, policy=quick_policy())
    with httpx.Client(transport=transport) as client, pytest.raises(PayerrError) as info:
        client.post(URL, json={"amount": 1})
    assert isinstance(info.value, UserActionError)


# -- hand-built errors round-trip -----------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("cls", PAYMENT_ERRORS)
def test_every_payment_error_round_trips(cls: type[PaymentError], protocol: int) -> None:
    error = hand_built(cls)
    copy = round_trip(error, protocol)
    assert facts(copy) == facts(error)
    assert copy.response is None
    assert copy.request is None


def test_request_facts_are_plain_and_carry_no_secrets() -> None:
    error = hand_built(FinalError)
    assert error.request_method == "POST"
    assert error.request_url == URL  # no query string, fragment or user info
    assert error.status_code == 502
    copy = round_trip(error)
    assert (copy.request_method, copy.request_url, copy.status_code) == ("POST", URL, 502)
    assert b"s3cret" not in pickle.dumps(error)


def test_request_facts_come_from_the_response_when_no_request_is_given() -> None:
    request = httpx.Request("GET", SECRET_URL)
    response = httpx.Response(409, request=request)
    error = FinalError(payerr.classify("antom", "ORDER_IS_CLOSED"), response=response)
    assert (error.request_method, error.request_url, error.status_code) == ("GET", URL, 409)


def test_an_error_without_request_or_response_round_trips() -> None:
    c = payerr.classify_http("paykka", 500)
    error = OutcomeUnknownError(c, "custom text")
    copy = round_trip(error)
    assert facts(copy) == facts(error)
    assert str(copy) == "custom text"
    assert (copy.request_method, copy.request_url) == (None, None)
    assert copy.status_code == c.http_status == 500


def test_a_retryable_error_stays_safe_to_resend() -> None:
    error = RetryableError(payerr.classify_http("paykka", 429))
    assert round_trip(error).safe_to_resend is True


def test_notes_and_extra_attributes_travel() -> None:
    error = hand_built(RiskError)
    error.add_note("order 42")
    error.order_id = "42"  # type: ignore[attr-defined]  # callers decorate errors
    copy = round_trip(error)
    assert copy.__notes__ == ["order 42"]
    assert copy.order_id == "42"


def test_a_record_holding_an_exception_travels_as_its_class_name() -> None:
    """payerr records the class name; a record built by hand with the exception still pickles."""
    timeout = httpx.ReadTimeout("slow", request=httpx.Request("POST", URL))
    held = AttemptRecord(
        1,
        None,
        timeout,  # type: ignore[arg-type]  # the documented type is the name
        "",
        Outcome.PENDING,
        None,
        executed=True,
    )
    error = OutcomeUnknownError(payerr.classify_http("paykka", 500), history=[held], executed=held)
    copy = round_trip(error)
    assert copy.history == (held._replace(error="ReadTimeout"),)
    assert copy.executed == held._replace(error="ReadTimeout")
    assert error.history == (held,)  # the original is untouched


class ShippedOrderError(FinalError):
    """A caller's own subclass, with its own constructor."""

    def __init__(self, order: str) -> None:
        self.order = order
        super().__init__(payerr.classify("antom", "ORDER_IS_CLOSED"), f"order {order} shipped")


def test_a_user_subclass_with_its_own_init_round_trips() -> None:
    error = ShippedOrderError("o-1")
    copy = round_trip(error)
    assert type(copy) is ShippedOrderError
    assert copy.order == "o-1"
    assert facts(copy) == facts(error)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_mapping_error_round_trips_with_every_problem(protocol: int) -> None:
    error = payerr.MappingError(["a.toml: code X: bad field", "a.toml: code Y: duplicate"])
    copy = round_trip(error, protocol)
    assert type(copy) is payerr.MappingError
    assert copy.errors == error.errors
    assert str(copy) == str(error)


def test_a_loaded_mapping_error_round_trips(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[provider\n", encoding="utf-8")
    with pytest.raises(payerr.MappingError) as info:
        payerr.load_mappings(broken)
    copy = round_trip(info.value)
    assert copy.errors == info.value.errors
    assert str(copy) == str(info.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_provider_error_round_trips(protocol: int) -> None:
    with pytest.raises(payerr.UnknownProviderError) as info:
        payerr.classify("nope", "X")
    copy = round_trip(info.value, protocol)
    assert type(copy) is payerr.UnknownProviderError
    assert isinstance(copy, ValueError)
    assert copy.provider == "nope"
    assert copy.known == info.value.known == tuple(payerr.providers())
    assert str(copy) == str(info.value)


# -- errors payerr really raised -------------------------------------------------------------


def quick_policy() -> payerr.RetryPolicy:
    """Three attempts, no sleeping, no jitter, no process-wide budget."""
    return payerr.RetryPolicy(attempts=3, sleep=lambda _: None, random=lambda: 0.0, budget=False)


def _storm_503(_: httpx.Request) -> httpx.Response:
    return httpx.Response(503)


def _storm_429(_: httpx.Request) -> httpx.Response:
    return httpx.Response(429)


def _decline(_: httpx.Request) -> httpx.Response:
    return paykka_failure("5004")


def _timeouts(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


SCENARIOS: dict[str, tuple[Callable[[httpx.Request], httpx.Response], type[PaymentError]]] = {
    "503-storm": (_storm_503, OutcomeUnknownError),
    "429-storm": (_storm_429, RetryableError),
    "decline": (_decline, UserActionError),
    "read-timeouts": (_timeouts, OutcomeUnknownError),
}


def raise_from_transport(scenario: str) -> None:
    """Send one payment through payerr over a scripted provider; let its error propagate.

    Module-level, so a process pool can run it.
    """
    handler, _ = SCENARIOS[scenario]
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(handler),
        policy=quick_policy(),
        auto_idempotency_key=True,
    )
    with httpx.Client(transport=transport) as client:
        client.post(SECRET_URL, json={"amount": 100})


def raised(scenario: str) -> PaymentError:
    with pytest.raises(PaymentError) as info:
        raise_from_transport(scenario)
    return info.value


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_raised_error_round_trips(scenario: str) -> None:
    error = raised(scenario)
    assert type(error) is SCENARIOS[scenario][1]
    assert error.history
    for protocol in PROTOCOLS:
        copy = round_trip(error, protocol)
        assert facts(copy) == facts(error)
        assert (copy.response, copy.request) == (None, None)
        assert copy.request_method == "POST"
        assert copy.request_url == URL


def test_a_503_storm_carries_its_whole_story() -> None:
    copy = round_trip(raised("503-storm"))
    assert copy.attempts == 3
    assert [r.status for r in copy.history] == [503, 503, 503]
    assert copy.executed is not None
    assert copy.executed.number == 1
    assert copy.idempotency_key  # generated by auto_idempotency_key: the caller needs it
    assert copy.status_code == 503
    assert copy.classification.outcome is Outcome.PENDING


def test_a_transport_failure_has_no_status_after_the_trip() -> None:
    copy = round_trip(raised("read-timeouts"))
    assert copy.status_code is None
    assert copy.history[0].error == "ReadTimeout"


def test_errors_cross_a_process_pool() -> None:
    """The worker raises; the pool pickles the error back; the parent catches it whole."""
    scenarios = ("503-storm", "decline")
    with ProcessPoolExecutor(max_workers=1) as pool:
        futures = [pool.submit(raise_from_transport, name) for name in scenarios]
        errors = [future.exception(timeout=60) for future in futures]
    for name, error in zip(scenarios, errors, strict=True):
        assert isinstance(error, PayerrError)
        assert isinstance(error, PaymentError)
        here = raised(name)
        got, want = facts(error), facts(here)
        # auto_idempotency_key makes a new key for every call; the rest is the same story.
        assert got.pop("idempotency_key")
        assert want.pop("idempotency_key")
        assert got == want
        assert (error.response, error.request) == (None, None)


_PICKLE_IN_A_WORKER = r"""
import pickle, sys
import httpx
from payerr._mappings.classify import classify_response
from payerr._retry.transport import PaymentTransport
from payerr.networks._reattempts import MemoryReattemptStore, ReattemptLimiter

declined = {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "paymentStatus": "FAIL",
            "paymentResultCode": "DO_NOT_HONOR",
            "paymentResultInfo": {"cardBrand": "VISA", "issuerResultCode": "05"}}
c = classify_response("antom", httpx.Response(200, json=declined), operation="inquiry")
transport = PaymentTransport("antom", transport=httpx.MockTransport(lambda r: httpx.Response(
    200, json={"result": {"resultCode": "INVALID_CONTRACT", "resultStatus": "F"}})))
with httpx.Client(transport=transport) as client:
    try:
        client.post("https://open-sea.alipay.com/ams/api/v1/payments/pay", json={})
    except Exception as exc:
        error = exc
decision = ReattemptLimiter(MemoryReattemptStore()).allowed("tok_1", c)
sys.stdout.buffer.write(pickle.dumps((c, error, error.history, decision)))
"""


def test_pickles_name_only_public_modules_however_little_a_worker_named() -> None:
    """A worker that raised and returned payerr objects without ever naming a public payerr
    class pickles them under ``payerr`` and ``payerr.networks`` only: the private modules'
    paths change when the code moves (as they did in this release), the public ones do not,
    so a pickle made by one version loads in the next."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src")}
    made = subprocess.run(
        [sys.executable, "-c", _PICKLE_IN_A_WORKER], capture_output=True, env=env, check=True
    ).stdout
    assert b"payerr._" not in made, made[:400]
    assert b"payerr.networks._" not in made
    c, error, history, decision = pickle.loads(made)
    assert c.network is not None
    assert isinstance(error, payerr.PaymentError)
    assert error.history == history
    assert type(decision).__module__ == "payerr.networks"
