"""Truth on the client side (Architecture#failed-means-not-done,
Architecture#the-body-beats-the-status, Architecture#safe-to-resend-holds): repeat answers, the
body over the status, redirects, garbled answers, and the attempt history errors carry.

Every expected answer here comes from a provider document: the seed tables (PayKKa seed 003,
OTT Pay seed 002, Antom seed 001, Alipay+ seed 000), Architecture#where-each-provider-fact-lives and
Architecture#operations-and-the-field-that-decides, or the HTTP
RFCs, cited beside each case.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import tenacity
from structlog.testing import capture_logs

import payerr
from payerr import (
    FinalError,
    MerchantConfigError,
    OutcomeUnknownError,
    RetryableError,
    RetryPolicy,
    UserActionError,
)
from payerr._core.attempts import AttemptRecord
from tests.support.answers import antom, ok, ottpay, paykka_failure
from tests.support.scripted import Scripted

URL = "https://provider.example/pay"
KEY = {"Idempotency-Key": "order-7"}


def no_sleep(seconds: float) -> None:
    return None


def client(provider: str, answers: Scripted, **kwargs: Any) -> httpx.Client:
    policy = kwargs.pop("policy", None) or RetryPolicy(
        budget=False, sleep=no_sleep, random=lambda: 0.0
    )
    follow = kwargs.pop("follow_redirects", False)
    transport = payerr.PaymentTransport(
        provider, transport=httpx.MockTransport(answers), policy=policy, **kwargs
    )
    return httpx.Client(transport=transport, follow_redirects=follow)


# The answers providers give a repeated request or order, in their own words.
REPEATS = [
    (
        "paykka",
        paykka_failure("4002", "Transaction is completed, duplicate submission is not allowed"),
    ),
    ("paykka", paykka_failure("4003", "Refund is completed, duplicate submission is not allowed")),
    (
        "paykka",
        paykka_failure("4007", "Checkout is completed, duplicate submission is not allowed"),
    ),
    ("paykka", paykka_failure("4020", "Duplicate transaction")),
    ("paykka", paykka_failure("4021", "Transaction number is duplicate")),
    ("ottpay", ottpay("ORDER_USED", "order number duplicated")),
    ("ottpay", ottpay("ORDER_PAID", "order paid")),
    (
        "ottpay",
        ottpay(
            "SERIALNO_EXIST",
            "the account request serial number already exists, can not be submitted again.",
        ),
    ),
    ("ottpay", ottpay("TRADE_HAS_FINISHED", "the trade has been finished.")),
    ("ottpay", ottpay("PRE_AUTH_FINISHED", "original order has been finished")),
    ("antom", antom("REPEAT_REQ_INCONSISTENT", "F", "Repeated requests are inconsistent.")),
    ("antom", antom("ORDER_IS_CLOSED", "F", "The order is closed.")),
    ("alipay_plus", antom("ORDER_IS_CLOSED", "F")),
    ("paykka", httpx.Response(409)),  # RFC 9110 15.5.10: conflicts with the resource's state
    ("ottpay", httpx.Response(409)),
]
IDS = [f"{p}-{r.status_code}-{r.content[-60:]!r}" for p, r in REPEATS]


def request_json(provider: str) -> dict[str, Any]:
    # Antom and Alipay+ deduplicate on paymentRequestId (docs.antom.com/ac/ams/idempotency).
    return {"paymentRequestId": "pay-7"} if provider in ("antom", "alipay_plus") else {"n": 7}


@pytest.mark.parametrize(("provider", "repeat"), REPEATS, ids=IDS)
def test_a_repeat_answer_to_a_resend_after_a_read_timeout_is_outcome_unknown(
    provider: str, repeat: httpx.Response
) -> None:
    """Rule 2: the first attempt may have executed; "duplicate" to its resend is not failed."""
    answers = Scripted(httpx.ReadTimeout("stalled"), repeat)
    with pytest.raises(OutcomeUnknownError) as info:
        client(provider, answers).post(URL, json=request_json(provider), headers=KEY)
    error = info.value
    assert error.classification.outcome == "pending"
    assert error.classification.category is None
    assert "inquire" in error.classification.action.lower()
    assert error.executed is not None
    assert (error.executed.number, error.executed.error) == (1, "ReadTimeout")
    assert "attempt 1 (ReadTimeout)" in str(error)
    assert not error.safe_to_resend
    # OTT Pay honours no idempotency key header (no page documents one): the transport does
    # not resend after the read timeout, and the call ends outcome unknown all the same.
    assert len(answers.requests) == (1 if provider == "ottpay" else 2)


@pytest.mark.parametrize(("provider", "repeat"), REPEATS, ids=IDS)
def test_the_same_repeat_answer_to_a_first_send_the_fleet_ledger_vouches_for_is_a_failure(
    provider: str, repeat: httpx.Response, fleet_ledger: Any
) -> None:
    """The merchant reused an order number: no worker ever sent this key, and nothing of this
    call executed (the shared ledger knows both)."""
    with pytest.raises((FinalError, MerchantConfigError)) as info:
        client(provider, Scripted(repeat), ledger=fleet_ledger).post(
            URL, json=request_json(provider), headers=KEY
        )
    assert info.value.classification.outcome == "failed"
    assert info.value.classification.repeat


@pytest.mark.parametrize(("provider", "repeat"), REPEATS, ids=IDS)
def test_the_same_repeat_answer_with_the_per_process_ledger_is_outcome_unknown(
    provider: str, repeat: httpx.Response
) -> None:
    """Another worker, or this one before a restart, may have sent the key: a process cannot
    know it is the first send, so it never says "failed" (and never "use a new number")."""
    with pytest.raises(OutcomeUnknownError) as info:
        client(provider, Scripted(repeat)).post(URL, json=request_json(provider), headers=KEY)
    c = info.value.classification
    assert (c.outcome, c.category, c.repeat) == ("pending", None, True)
    assert "per process" in c.message
    assert "new order number" not in c.action.replace("do not start over with a new order", "")
    assert "could not be completed" not in c.user_message
    assert not info.value.safe_to_resend


@pytest.mark.parametrize("status", ["FAILURE", "PROCESSING"])
def test_paykka_4000_in_process_after_a_stall_is_never_failed(status: str) -> None:
    """Seed 003: 4000 "Payment order is processing, please do not pay again", with either
    status beside it: the earlier attempt is being processed."""
    data = {"status": status, "error_code": "4000", "error_description": "processing"}
    answer = httpx.Response(200, json={"ret_code": "000000", "data": data})
    answers = Scripted(httpx.ReadTimeout("stalled"), answer)
    try:
        response = client("paykka", answers).post(URL, json={}, headers=KEY)
    except OutcomeUnknownError as exc:
        c = exc.classification
    else:
        c = payerr.classification_of(response)  # type: ignore[assignment]
    assert c is not None
    assert c.outcome == "pending"


def test_a_repeat_after_a_refusal_is_still_a_real_failure(fleet_ledger: Any) -> None:
    """A bare 429 executed nothing (RFC 6585 4), and no worker sent the key before: the
    resend's "order used" is the merchant's."""
    answers = Scripted(httpx.Response(429), ottpay("ORDER_USED", "order number duplicated"))
    with pytest.raises(FinalError):
        client("ottpay", answers, ledger=fleet_ledger).post(URL, json={}, headers=KEY)


def test_a_callers_own_loop_is_judged_with_the_earlier_calls() -> None:
    """The README loop: call 1 stalls (executed), call 2 under the same key gets 4020."""
    answers = Scripted(
        httpx.ReadTimeout("stalled"), paykka_failure("4020", "Duplicate transaction")
    )
    http = client("paykka", answers, policy=RetryPolicy(attempts=1, budget=False))

    @tenacity.retry(
        retry=payerr.retry_if_retryable(), stop=tenacity.stop_after_attempt(3), reraise=True
    )
    def charge() -> httpx.Response:
        return http.post(URL, json={"n": 7}, headers=KEY)

    with pytest.raises(OutcomeUnknownError) as info:
        charge()
    assert info.value.executed is not None
    assert info.value.executed.earlier_call
    assert "earlier call" in str(info.value)
    assert len(answers.requests) == 2


# -- auto keys: safe to resend means safe for the way callers resend ---------------------------


def test_an_auto_keyed_call_that_may_have_executed_is_not_retryable() -> None:
    """Rule 4: the caller's fresh post would carry a new key. The key travels on the error."""
    answers = Scripted(httpx.ReadTimeout("stalled"))
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", answers, auto_idempotency_key=True).post(URL, json={"n": 7})
    error = info.value
    assert not error.safe_to_resend
    keys = {r.headers["Idempotency-Key"] for r in answers.requests}
    assert keys == {error.idempotency_key}
    assert len(answers.requests) == 3  # the transport itself resent under its key


def test_an_auto_keyed_call_that_nothing_executed_stays_retryable() -> None:
    """Connect errors and bare 429s executed nothing: a fresh request is safe."""
    answers = Scripted(httpx.ConnectError("refused"), httpx.Response(429))
    with pytest.raises(RetryableError) as info:
        client("paykka", answers, auto_idempotency_key=True).post(URL, json={"n": 7})
    assert info.value.safe_to_resend
    assert info.value.executed is None


def test_a_keyed_call_out_of_retries_after_a_stall_is_outcome_unknown_but_resendable() -> None:
    """Failed would be false (the stall may have executed); the caller's key makes a resend
    of the same request safe, which retry_if_retryable honours."""
    answers = Scripted(httpx.ReadTimeout("stalled"), httpx.Response(503))
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)
    assert info.value.safe_to_resend
    assert info.value.idempotency_key is None
    assert info.value.classification.outcome == "pending"


# -- the body beats the status ---------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_an_error_status_whose_body_says_executed_is_not_resent(status: int) -> None:
    """Rule 3: a keyless POST whose 429/5xx body carries the success result executed."""
    answers = Scripted(httpx.Response(status, content=ok().content), ok())
    response = client("paykka", answers).post(URL, json={"n": 7})
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "pending"
    assert not c.retryable
    assert len(answers.requests) == 1


def test_an_error_status_whose_body_carries_a_decline_is_that_decline() -> None:
    """Seed 003: 5004 "Insufficient funds" is the answer, not the 503 around it."""
    decline = paykka_failure("5004", "Insufficient funds")
    answers = Scripted(httpx.Response(503, content=decline.content))
    with pytest.raises(UserActionError):
        client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)
    assert len(answers.requests) == 1


def test_only_a_bare_429_is_resent_without_a_key() -> None:
    answers = Scripted(httpx.Response(429, headers={"Retry-After": "0"}), ok())
    assert client("paykka", answers).post(URL, json={"n": 7}).status_code == 200
    assert len(answers.requests) == 2


# -- redirects behave as with bare httpx -----------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
def test_307_and_308_are_followed_with_method_and_body(status: int) -> None:
    answers = Scripted(
        httpx.Response(status, headers={"Location": "https://provider.example/v2/pay"}),
        ok(),
    )
    response = client("paykka", answers, follow_redirects=True).post(URL, json={"n": 7})
    assert response.status_code == 200
    assert [r.method for r in answers.requests] == ["POST", "POST"]
    assert answers.requests[1].url.path == "/v2/pay"
    assert json.loads(answers.requests[1].content) == {"n": 7}
    assert len(response.history) == 1


@pytest.mark.parametrize("status", [301, 302, 303])
def test_301_302_303_after_a_post_are_followed_with_get(status: int) -> None:
    """A 303 after a POST that executed points at its result: followed, never "failed"."""
    answers = Scripted(httpx.Response(status, headers={"Location": "/result/7"}), ok())
    response = client("paykka", answers, follow_redirects=True).post(URL, json={"n": 7})
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "success"
    assert [r.method for r in answers.requests] == ["POST", "GET"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_without_follow_redirects_a_redirect_is_returned_not_raised(status: int) -> None:
    answers = Scripted(httpx.Response(status, headers={"Location": "/elsewhere"}))
    response = client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)
    assert response.status_code == status
    assert response.next_request is not None
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "pending"
    assert len(answers.requests) == 1


# -- garbled answers -------------------------------------------------------------------------


@pytest.mark.parametrize("garbled", [b"", b"<html>bad gateway</html>", b'{"ret_code": "0'])
def test_a_garbled_answer_to_a_keyed_request_is_resent_for_a_readable_one(garbled: bytes) -> None:
    answers = Scripted(httpx.Response(200, content=garbled), ok())
    response = client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "success"
    assert len(answers.requests) == 2


def test_a_garbled_answer_to_a_keyless_request_is_outcome_unknown() -> None:
    answers = Scripted(httpx.Response(200, content=b"<html>"), ok())
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", answers).post(URL, json={"n": 7})
    assert info.value.classification.outcome == "pending"
    assert not info.value.safe_to_resend
    assert len(answers.requests) == 1


def test_garbled_every_time_ends_outcome_unknown_not_retryable() -> None:
    answers = Scripted(httpx.Response(200, content=b"<html>"))
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)
    assert info.value.safe_to_resend  # the caller's key: resending the same request is safe
    assert len(answers.requests) == 3


# -- the attempt history ---------------------------------------------------------------------


def test_errors_carry_every_attempt_with_its_wait() -> None:
    answers = Scripted(
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(429),
    )
    policy = RetryPolicy(budget=False, sleep=no_sleep, random=lambda: 0.0, wait_jitter=0)
    with pytest.raises(RetryableError) as info:
        client("paykka", answers, policy=policy).post(URL, json={"n": 7}, headers=KEY)
    history = info.value.history
    assert [(h.number, h.status, h.error) for h in history] == [
        (1, None, "ConnectError"),
        (2, 429, None),
        (3, 429, None),
    ]
    assert [h.wait for h in history] == [0.5, 2.0, None]
    assert not any(h.executed for h in history)
    assert info.value.attempts == 3
    assert all(isinstance(h, AttemptRecord) for h in history)


# -- the pure core ---------------------------------------------------------------------------


def test_classify_http_logs_nothing_and_reads_no_clock() -> None:
    date = "Wed, 21 Oct 2099 07:28:00 GMT"
    with capture_logs() as logs:
        c = payerr.classify_http("paykka", 503, b'{"ret_code": "NOPE"}', {"Retry-After": date})
    assert logs == []
    assert c.retry_after is None
    assert c.retry_at == 4096250880.0
    measured = payerr.classify_http("paykka", 503, b"", {"Retry-After": date}, now=4096250870.0)
    assert measured.retry_after == 10.0


def test_classify_response_is_a_shell_that_logs_unknown_codes() -> None:
    response = httpx.Response(200, json={"rsp_code": "NEVER_SEEN"})
    with capture_logs() as logs:
        c = payerr.classify_response("ottpay", response)
    assert not c.known
    assert [e["event"] for e in logs] == ["payerr.unknown_code"]


def test_a_204_is_not_a_garbled_answer() -> None:
    """RFC 9110 15.3.5: 204 No Content promises no body; returned (pending), not resent."""
    answers = Scripted(httpx.Response(204))
    response = client("paykka", answers).delete(URL, headers=KEY)
    assert response.status_code == 204
    assert len(answers.requests) == 1


# -- redirect hops are one call ----------------------------------------------------------------


class ExecuteThenRedirect:
    """POST executes and answers 303 to its result (RFC 9110 15.4.4); the result fetch then
    answers ``result``. Counts executions."""

    def __init__(self, result: httpx.Response | Exception, status: int = 303) -> None:
        self.result, self.status = result, status
        self.executions = 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST":
            self.executions += 1
            return httpx.Response(self.status, headers={"Location": "/result/7"})
        if isinstance(self.result, Exception):
            raise self.result
        return httpx.Response(self.result.status_code, content=self.result.content)


def redirecting(server: ExecuteThenRedirect) -> httpx.Client:
    """A client following redirects through a PaymentTransport in front of ``server``."""
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(budget=False, sleep=no_sleep),
    )
    return httpx.Client(transport=transport, follow_redirects=True)


RESULT_FAILURES = [
    httpx.Response(503),
    httpx.Response(404),
    httpx.Response(401),
    httpx.Response(409),
    paykka_failure("4020", "Duplicate transaction"),
    httpx.ReadTimeout("stalled"),
]


@pytest.mark.parametrize("result", RESULT_FAILURES, ids=repr)
def test_a_failed_result_fetch_after_a_303_is_outcome_unknown(
    result: httpx.Response | Exception,
) -> None:
    """The 303 proves the POST was handled: whatever the GET says, never failed, never
    "safe to resend" (the resend would be the POST)."""
    server = ExecuteThenRedirect(result)
    with redirecting(server) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={"n": 7}, headers=KEY)
    assert not info.value.safe_to_resend
    assert info.value.executed is not None
    assert info.value.executed.status == 303
    assert server.executions == 1


def test_the_readme_loop_with_auto_keys_never_resends_a_redirected_post() -> None:
    server = ExecuteThenRedirect(httpx.Response(503))
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(attempts=1, budget=False),
        auto_idempotency_key=True,
    )
    http = httpx.Client(transport=transport, follow_redirects=True)

    @tenacity.retry(
        retry=payerr.retry_if_retryable(), stop=tenacity.stop_after_attempt(4), reraise=True
    )
    def charge() -> httpx.Response:
        return http.post(URL, json={"n": 7})

    with pytest.raises(OutcomeUnknownError):
        charge()
    assert server.executions == 1
    post, get = server.requests
    assert "Idempotency-Key" in post.headers
    assert "Idempotency-Key" not in get.headers  # the generated key stays on the POST


def test_a_307_resends_the_same_request_whose_answer_decides() -> None:
    """RFC 9110 15.4.8: a 307 asks for the same request elsewhere; a decline there is real."""
    answers = Scripted(
        httpx.Response(307, headers={"Location": "/v2/pay"}),
        paykka_failure("5004", "Insufficient funds"),
    )
    with pytest.raises(UserActionError):
        client("paykka", answers, follow_redirects=True).post(URL, json={"n": 7}, headers=KEY)


# -- concurrent calls under one key ------------------------------------------------------------


def test_a_duplicate_answer_while_a_call_under_the_same_key_is_in_flight_is_unknown() -> None:
    """Call A is executing when call B, same key, is answered 409 / 4020: B must not be told
    its order failed."""
    release, arrived = threading.Event(), threading.Event()

    def provider(request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Call") == "A":
            arrived.set()
            release.wait(5)
            return ok()
        return paykka_failure("4020", "Duplicate transaction")

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as http, ThreadPoolExecutor(1) as pool:
        first = pool.submit(http.post, URL, json={"n": 7}, headers={**KEY, "X-Call": "A"})
        assert arrived.wait(5)
        with pytest.raises(OutcomeUnknownError) as info:
            http.post(URL, json={"n": 7}, headers={**KEY, "X-Call": "B"})
        release.set()
        assert first.result(5).status_code == 200
    assert info.value.executed is not None
    assert "in flight" in str(info.value)


def test_a_repeat_after_a_declined_call_under_the_same_key_is_unknown(fleet_ledger: Any) -> None:
    """Call A was declined; a later 4020 under its key meets a key that was sent before, so
    it is not "failed" (issue 20: a failure only when payerr knows it is the first send)."""
    answers = Scripted(
        paykka_failure("5004", "Insufficient funds"), paykka_failure("4020", "Duplicate")
    )
    http = client("paykka", answers, ledger=fleet_ledger)
    with pytest.raises(UserActionError):
        http.post(URL, json={"n": 7}, headers=KEY)
    with pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={"n": 7}, headers=KEY)
    assert "another call under the same idempotency key" in str(info.value)


def test_paykka_4000_beside_a_failure_status_is_pending_on_a_first_attempt() -> None:
    """Seed 003, 4000 "Payment order is processing, please do not pay again": in process is
    pending, whatever status stands beside it (Architecture#in-process-is-pending)."""
    data = {"status": "FAILURE", "error_code": "4000", "error_description": "processing"}
    c = payerr.classify_http(
        "paykka", 200, json.dumps({"ret_code": "000000", "data": data}).encode()
    )
    assert (c.outcome, c.code, c.known) == ("pending", "4000", True)


def test_a_keyless_post_answered_303_then_garbled_is_not_safe_to_resend() -> None:
    """The GET is replay-safe, the POST behind it is not: never "safe to resend"."""
    server = ExecuteThenRedirect(httpx.Response(200, content=b"<html>oops"))
    with redirecting(server) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={"n": 7})
    assert not info.value.safe_to_resend
    assert server.executions == 1


def test_a_decline_at_the_result_location_is_the_answer() -> None:
    """Seed 003 5004 "Insufficient funds" where the 303 pointed: the payment's own result."""
    server = ExecuteThenRedirect(paykka_failure("5004", "Insufficient funds"))
    with redirecting(server) as http, pytest.raises(UserActionError):
        http.post(URL, json={"n": 7}, headers=KEY)


def test_resending_under_the_generated_key_is_judged_with_its_history() -> None:
    """PaymentError.idempotency_key says: resend under it. A 409 to that resend is unknown."""
    answers = Scripted(httpx.ReadTimeout("stalled"), httpx.Response(409))
    http = client(
        "paykka", answers, policy=RetryPolicy(attempts=1, budget=False), auto_idempotency_key=True
    )
    with pytest.raises(OutcomeUnknownError) as first:
        http.post(URL, json={"n": 7})
    key = first.value.idempotency_key
    assert key is not None
    with pytest.raises(OutcomeUnknownError) as second:
        http.post(URL, json={"n": 7}, headers={"X-Idempotency-Key": key})  # any key header
    assert second.value.executed is not None
    assert second.value.executed.earlier_call


def test_a_call_in_flight_is_never_forgotten() -> None:
    """The memory's bound evicts finished calls only."""
    release, arrived = threading.Event(), threading.Event()

    def provider(request: httpx.Request) -> httpx.Response:
        if request.headers["Idempotency-Key"] == "slow":
            if not arrived.is_set():
                arrived.set()
                release.wait(5)
                return ok()
            return httpx.Response(409)
        return ok()

    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(provider),
        policy=RetryPolicy(budget=False),
        ledger=payerr.MemoryCallLedger(max_keys=3),
    )
    with httpx.Client(transport=transport) as http, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(http.post, URL, json={}, headers={"Idempotency-Key": "slow"})
        assert arrived.wait(5)
        for n in range(10):
            http.post(URL, json={}, headers={"Idempotency-Key": f"fast-{n}"})
        with pytest.raises(OutcomeUnknownError):
            http.post(URL, json={}, headers={"Idempotency-Key": "slow"})
        release.set()
        assert slow.result(5).status_code == 200


@pytest.mark.parametrize(
    ("provider", "rejection"),
    [
        ("paykka", httpx.Response(401)),
        ("paykka", httpx.Response(403)),
        ("paykka", httpx.Response(404)),
        ("paykka", httpx.Response(400)),
        (
            "antom",
            antom("INVALID_SIGNATURE", "F"),
        ),  # Architecture#where-each-provider-fact-lives: a merchant-config code
    ],
    ids=["401", "403", "404", "400", "INVALID_SIGNATURE"],
)
def test_a_rejected_resend_after_a_stall_is_outcome_unknown(
    provider: str, rejection: httpx.Response
) -> None:
    """The resend was turned away before any duplicate check (a token expired during the
    stall, a gateway answered): it says nothing about the first attempt, which may have run."""
    answers = Scripted(httpx.ReadTimeout("stalled"), rejection)
    with pytest.raises(OutcomeUnknownError) as info:
        client(provider, answers).post(URL, json=request_json(provider), headers=KEY)
    assert info.value.classification.outcome == "pending"
    assert not info.value.safe_to_resend
    assert info.value.executed is not None
    assert (info.value.executed.number, info.value.executed.error) == (1, "ReadTimeout")


def test_a_decline_answering_the_resend_is_the_providers_stored_answer() -> None:
    """Keyed resends are answered from the provider's store: a decline there is the result."""
    answers = Scripted(httpx.ReadTimeout("stalled"), paykka_failure("5004", "Insufficient funds"))
    with pytest.raises(UserActionError):
        client("paykka", answers).post(URL, json={"n": 7}, headers=KEY)


def test_a_plain_loop_leaves_a_rejected_resend_outcome_unknown() -> None:
    answers = Scripted(httpx.ReadTimeout("stalled"), httpx.Response(404))
    http = httpx.Client(transport=httpx.MockTransport(answers))

    @tenacity.retry(
        retry=payerr.retry_if_retryable("paykka"),
        stop=tenacity.stop_after_attempt(3),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
    )
    def charge() -> httpx.Response:
        return http.post(URL, json={"n": 7}, headers=KEY)

    response = charge()
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "pending"
