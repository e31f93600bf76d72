"""Whatever a provider sends, classify_http answers with a sane Classification and never raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import payerr
from payerr import Category, Classification, Outcome
from tests.support.strategies import bodies, json_values, statuses

PROVIDERS = st.sampled_from(["antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka"])
header_values = st.one_of(
    st.text(max_size=40), st.sampled_from(["5", "0", "-1", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT"])
)


def assert_sane(c: Classification, status: int) -> None:
    assert isinstance(c.outcome, Outcome)
    assert (c.category is not None) is (c.outcome is Outcome.FAILED)
    assert c.retryable is (c.category is Category.RETRYABLE)
    if c.outcome is Outcome.SUCCESS:
        assert c.known, "only a known success code may say success"
        assert 200 <= status < 300, "an error status is never success"
    if not c.known and c.category is Category.RETRYABLE:
        # unknown codes are retryable only when a status (provider or HTTP) says transient
        assert c.source in ("http_status", "result.resultStatus", "paymentResult.resultStatus")
    assert c.retry_after is None or c.retry_after >= 0
    assert c.raw_code is None or len(c.raw_code) <= 128
    json.dumps(c.as_dict())  # always serialisable


@settings(max_examples=400, deadline=None)
@given(provider=PROVIDERS, status=statuses, body=bodies(), retry_after=header_values)
def test_any_answer_classifies_sanely(
    provider: str, status: int, body: bytes, retry_after: str
) -> None:
    """Random statuses, headers and bodies: no exception, and the invariants hold."""
    c = payerr.classify_http(provider, status, body, {"Retry-After": retry_after})
    assert_sane(c, status)


@settings(max_examples=200, deadline=None)
@given(provider=PROVIDERS, value=json_values())
def test_any_code_value_classifies_sanely(provider: str, value: object) -> None:
    """Whatever sits in a code field (numbers, lists, objects, NaN), bare classify copes."""
    c = payerr.classify(provider, value)  # type: ignore[arg-type]
    assert_sane(c, 200)


CODE_FIELDS = ["resultCode", "paymentResultCode", "rsp_code", "ret_code", "error_code", "code"]


@settings(max_examples=200, deadline=None)
@given(provider=PROVIDERS, value=json_values(), field=st.sampled_from(CODE_FIELDS))
def test_wrong_types_in_code_fields(provider: str, value: object, field: str) -> None:
    """Each code field, given any JSON type, in every envelope position."""
    for body in (
        {field: value},
        {"result": {field: value, "resultStatus": "S"}},
        {"ret_code": "000000", "data": {field: value, "status": "FAILURE"}},
        {"rsp_code": "SUCCESS", "data": {field: value}},
        {"status": "ERROR", "result": {field: value}},
        {"status": "SUCCESS", "result": {"paymentStatus": value, "refundStatus": value}},
        {"status": value, "result": value},
    ):
        raw = json.dumps(body).encode()
        assert_sane(payerr.classify_http(provider, 200, raw), 200)


@pytest.mark.parametrize("provider", ["antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka"])
def test_deeply_nested_json_is_pending(provider: str) -> None:
    """json raises RecursionError on deep nesting; payerr reports outcome unknown instead."""
    deep = b'{"result": ' * 100_000 + b"1" + b"}" * 100_000
    c = payerr.classify_http(provider, 200, deep)
    assert c.outcome is Outcome.PENDING
    lists = b"[" * 200_000 + b"]" * 200_000
    assert payerr.classify_http(provider, 200, lists).outcome is Outcome.PENDING


def test_invalid_utf8_is_pending() -> None:
    body = b'{"result": {"resultCode": "\xff\xfe", "resultStatus": "S"}}'
    c = payerr.classify_http("antom", 200, body)
    assert c.outcome is Outcome.PENDING
    assert c.detail is not None


def test_truncated_json_is_pending_and_an_error_status_still_counts() -> None:
    body = b'{"result": {"resultCode": "SUCCESS", "resultSta'
    assert payerr.classify_http("antom", 200, body).outcome is Outcome.PENDING
    assert payerr.classify_http("antom", 503, body).category is Category.RETRYABLE


def test_huge_body_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 20 MB answer is not parsed (payment answers are small); it is pending."""
    huge = (
        b'{"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "pad": "'
        + b"x" * 20_000_000
        + b'"}'
    )
    payerr.classify_http("antom", 200, b"{}")  # antom's mappings loaded (from JSON) first
    parsed: list[int] = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        parsed.append(len(text))
        return real_loads(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    c = payerr.classify_http("antom", 200, huge)
    assert c.outcome is Outcome.PENDING
    assert parsed == []  # never handed to the JSON parser


def test_huge_strings_in_message_fields_are_capped() -> None:
    body = json.dumps({"result": {"resultCode": "PARAM_ILLEGAL", "resultStatus": "F",
                                  "resultMessage": "m" * 500_000}}).encode()  # fmt: skip
    c = payerr.classify_http("antom", 200, body)
    assert c.category is Category.MERCHANT_CONFIG
    assert c.detail is not None
    assert len(c.detail) <= 1003


@pytest.mark.parametrize("status", [0, -1, 99, 600, 10**6])
def test_impossible_statuses_are_pending(status: int) -> None:
    c = payerr.classify_http("ottpay", status, b"")
    assert c.outcome is Outcome.PENDING


def test_nan_and_infinity_in_bodies() -> None:
    body = b'{"result": {"resultCode": NaN, "resultStatus": Infinity}}'
    assert_sane(payerr.classify_http("antom", 200, body), 200)


def test_bom_prefixed_json_is_read() -> None:
    body = b'\xef\xbb\xbf{"rsp_code": "ORDER_PAID"}'
    assert payerr.classify_http("ottpay", 200, body).code == "ORDER_PAID"
