"""The pure decision core: properties that hold for any answer, fault and history.

Architecture#retry-safety (never charge twice) and section 6 (never claim falsely), checked on
classifications of arbitrary bodies and statuses rather than on chosen examples.
"""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

import payerr
from payerr._core.exceptions import RetryableError
from payerr._core.taxonomy import Outcome
from payerr._retry.decide import (
    Action,
    Attempt,
    AttemptRecord,
    Call,
    conclusion,
    judge,
    may_have_executed,
)
from payerr._retry.safety import Sent
from tests.support.strategies import bodies

PROVIDERS = ("antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka")
EARLIER = AttemptRecord(1, None, "ReadTimeout", "", Outcome.FAILED, None, executed=True)
statuses = st.sampled_from([200, 201, 204, 301, 303, 307, 400, 401, 409, 429, 500, 502, 503, 504])


@settings(max_examples=400, deadline=None)
@given(
    provider=st.sampled_from(PROVIDERS),
    status=statuses,
    body=bodies(),
    sent=st.sampled_from([Sent.ANSWERED, Sent.MAYBE, Sent.NO]),
    safe=st.booleans(),
    earlier=st.booleans(),
)
def test_verdicts_never_resend_unsafely_or_call_a_repeat_failed(
    *, provider: str, status: int, body: bytes, sent: Sent, safe: bool, earlier: bool
) -> None:
    c = payerr.classify_http(provider, status, body)
    answered = sent is Sent.ANSWERED
    v = judge(
        c,
        sent=sent,
        replay_safe=lambda: safe,
        status=status if answered else None,
        executed_before=EARLIER if earlier else None,
    )
    if v.action is Action.RETRY:
        refused = answered and status == 429 and c.raw_code is None and c.source == "http_status"
        assert sent is Sent.NO or refused or safe
    if v.action is Action.RETURN:
        assert v.classification.outcome is not Outcome.FAILED
    if earlier and c.repeat and c.outcome is Outcome.FAILED:
        assert v.action is Action.RAISE
        assert v.classification.outcome is Outcome.PENDING
    if v.classification.outcome is Outcome.SUCCESS:
        assert 200 <= status < 300
        assert answered


@settings(max_examples=200, deadline=None)
@given(
    provider=st.sampled_from(PROVIDERS),
    status=statuses,
    body=bodies(),
    executed_earlier=st.booleans(),
    generated=st.booleans(),
)
def test_a_call_that_may_have_executed_never_ends_retryable(
    provider: str, status: int, body: bytes, executed_earlier: bool, generated: bool
) -> None:
    """RetryableError says the provider did not do it (Architecture#truth-rules)."""
    c = payerr.classify_http(provider, status, body)
    v = judge(c, sent=Sent.ANSWERED, replay_safe=lambda: True, status=status)
    call = Call(
        generated_key="k" if generated else None, executed=EARLIER if executed_earlier else None
    )
    request = httpx.Request("POST", "https://provider.example/pay")
    if v.action is Action.RETURN:
        return
    cls, final, safe = conclusion(Attempt(v, request, None, None, 0.0, call), call)
    if executed_earlier or may_have_executed(c, Sent.ANSWERED, status):
        assert cls is not RetryableError or (v.action is Action.RETRY and not executed_earlier)
    if cls is RetryableError:
        assert final.outcome is Outcome.FAILED
        assert call.executed is None
    if generated and call.executed is not None:
        assert not safe
