"""payerr._mappings.classify on bare codes: matching rules, unknown codes, unknown providers,
the value."""

from __future__ import annotations

import dataclasses

import pytest
from structlog.testing import capture_logs

import payerr
from payerr import Category, Classification, Outcome, UnknownProviderError
from payerr._mappings.registry import Registry
from tests.support.repo import CONTRACT_KEYS


@pytest.mark.parametrize(
    "spelling", ["FRAUD_REJECT", "fraud_reject", "  Fraud_Reject\n", "\tFRAUD_REJECT "]
)
def test_codes_match_case_insensitively_ignoring_white_space(spelling: str) -> None:
    """Case and surrounding white space do not matter; the raw spelling is kept, with control
    characters (a newline, a tab) made spaces (Architecture#provider-text-is-hostile)."""
    c = payerr.classify("antom", spelling)
    assert c.code == "FRAUD_REJECT"
    assert c.raw_code == spelling.replace("\n", " ").replace("\t", " ")
    assert c.known


def test_numeric_codes_match_as_int_or_str() -> None:
    """Alipay+ SDKs hand over 10005 as int or "10005": same answer."""
    as_int = payerr.classify("alipay_plus", 10005)
    as_str = payerr.classify("alipay_plus", "10005")
    assert as_int.code == as_str.code == "10005"
    assert as_int.category is as_str.category is Category.RETRYABLE
    assert as_int.raw_code == "10005"


def test_leading_zeros_are_kept() -> None:
    """PayKKa's "0000" is success; the integer 0 is not the same code."""
    assert payerr.classify("paykka", "0000").outcome is Outcome.SUCCESS
    zero = payerr.classify("paykka", 0)
    assert not zero.known
    assert payerr.classify("paykka", "000000").outcome is Outcome.SUCCESS


def test_bool_is_not_a_numeric_code() -> None:
    """True is not the code 1."""
    assert not payerr.classify("alipay_plus", True).known


def test_unknown_code_is_pending_not_success_not_retryable_and_logged() -> None:
    """An unknown code: known=False, outcome unknown (pending), never retried, logged once."""
    with capture_logs() as logs:
        c = payerr.classify("antom", "SOMETHING_NEW")
    assert not c.known
    assert c.outcome is Outcome.PENDING
    assert c.category is None
    assert not c.retryable
    assert c.raw_code == "SOMETHING_NEW"
    assert c.source == "default"
    assert "inquire" in c.action
    assert [e["event"] for e in logs] == ["payerr.unknown_code"]
    assert logs[0]["payment.provider"] == "antom"
    assert logs[0]["payment.code"] == "SOMETHING_NEW"
    assert logs[0]["log_level"] == "warning"


@pytest.mark.parametrize("garbage", [None, 12.5, ["FRAUD_REJECT"], {"code": 1}, b"FRAUD_REJECT"])
def test_wrong_types_give_a_safe_classification(garbage: object) -> None:
    """A webhook field holding the wrong type gives an unknown, pending answer, not a traceback."""
    c = payerr.classify("antom", garbage)  # type: ignore[arg-type]
    assert not c.known
    assert c.outcome is Outcome.PENDING


def test_huge_code_is_truncated_in_the_answer() -> None:
    """A megabyte 'code' does not end up in logs and answers whole."""
    c = payerr.classify("antom", "X" * 1_000_000)
    assert not c.known
    assert c.raw_code is not None
    assert len(c.raw_code) <= 128


def test_unknown_provider_is_a_value_error_listing_known_providers() -> None:
    """The error names the providers payerr knows."""
    with pytest.raises(UnknownProviderError) as info:
        payerr.classify("stripe", "card_declined")
    assert isinstance(info.value, ValueError)
    assert "stripe" in str(info.value)
    for provider in ("alipay_plus", "antom", "ottpay", "paykka"):
        assert provider in str(info.value)


@pytest.mark.parametrize("provider", [None, 3, "ANTOM", "../antom", "antom.toml", ""])
def test_odd_provider_values_are_unknown_providers(provider: object) -> None:
    """Provider ids are exact: no path tricks, no case folding, no non-strings."""
    with pytest.raises(UnknownProviderError):
        payerr.classify(provider, "SUCCESS")  # type: ignore[arg-type]


def test_classification_is_frozen_and_slotted() -> None:
    """Classifications are immutable values, shared between equal answers."""
    c = payerr.classify("antom", "FRAUD_REJECT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.outcome = Outcome.SUCCESS  # type: ignore[misc]
    assert not hasattr(c, "__dict__")
    assert payerr.classify("antom", "FRAUD_REJECT") is c


def test_enums_compare_and_serialise_as_plain_strings() -> None:
    """StrEnum: log processors and JSON see 'user-action', not Category.USER_ACTION."""
    c = payerr.classify("paykka", "5004")
    assert c.category == "user-action"
    assert c.outcome == "failed"
    assert f"{c.category}" == "user-action"


def test_as_dict_has_the_contract_keys() -> None:
    """The JSON form carries the keys the CLI contract names, with plain values."""
    data = payerr.classify("paykka", "6000").as_dict()
    assert data.keys() >= CONTRACT_KEYS
    assert data["category"] == "retryable"
    assert data["retryable"] is True
    assert payerr.classify("antom", "SUCCESS").as_dict()["category"] is None


def test_category_is_set_only_for_failures() -> None:
    """Across every shipped row: category iff failed; retryable iff category retryable."""
    registry = Registry(use_env=False)
    for provider in registry.providers():
        for code in registry.table(provider).entries:
            c = payerr.classify(provider, code, registry=registry)
            assert (c.category is not None) is (c.outcome is Outcome.FAILED)
            assert c.retryable is (c.category is Category.RETRYABLE)
            assert isinstance(c, Classification)


def test_mappings_load_lazily_per_provider() -> None:
    """Classifying one provider reads only that provider's file."""
    registry = Registry(use_env=False)
    payerr.classify("ottpay", "SUCCESS", registry=registry)
    assert set(registry._tables) == {"ottpay"}


def test_explain_returns_the_row() -> None:
    """payerr.explain gives the provider's words and provenance."""
    entry = payerr.explain("antom", "fraud_reject")
    assert entry is not None
    assert entry.message.startswith("The transaction cannot be further processed")
    assert entry.seed == "001_79315606eb29d4f3.txt"
    assert payerr.explain("antom", "NOPE") is None


def test_an_unknown_code_is_logged_once_a_minute_and_never_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider answering an unmapped code to every payment logs it once a minute per code,
    each line saying how many went unlogged since the last; another code is logged at once,
    and the metric's count (tests/observe/test_opentelemetry.py) still sees every one."""
    from payerr._observe.logs import UNKNOWN_CODE_LOGS

    now = [1000.0]
    monkeypatch.setattr(UNKNOWN_CODE_LOGS, "clock", lambda: now[0])
    with capture_logs() as logs:
        for _ in range(500):
            payerr.classify("antom", "SOMETHING_NEW")
        payerr.classify("antom", "SOMETHING_ELSE")  # another code: told at once
        payerr.classify("paykka", "SOMETHING_NEW")  # the same words from another provider
        now[0] += 59.9
        payerr.classify("antom", "SOMETHING_NEW")
        now[0] += 0.1
        payerr.classify("antom", "SOMETHING_NEW")
    told = [(e["payment.provider"], e["payment.raw_code"], e["payment.suppressed"]) for e in logs]
    assert told == [
        ("antom", "SOMETHING_NEW", 0),
        ("antom", "SOMETHING_ELSE", 0),
        ("paykka", "SOMETHING_NEW", 0),
        ("antom", "SOMETHING_NEW", 500),  # 499 within the first minute, 1 at 59.9 s
    ]


def test_the_unknown_code_memory_is_bounded() -> None:
    from payerr._core.log_limit import LogLimiter

    now = [0.0]
    limiter = LogLimiter(60.0, max_keys=3, clock=lambda: now[0])
    assert [limiter.admit(k) for k in "abcd"] == [0, 0, 0, 0]
    assert limiter.admit("a") == 0  # forgotten (the oldest of four): told again
    assert limiter.admit("d") is None


def test_a_new_code_in_every_answer_cannot_flood_the_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An attacker (or a broken provider) sending a different unmapped code in every answer:
    at most 100 lines a minute, then one line telling how many went unlogged; a code that
    comes back after the minute is told, with its count."""
    from payerr._observe.logs import UNKNOWN_CODE_LOGS

    now = [5000.0]
    monkeypatch.setattr(UNKNOWN_CODE_LOGS, "clock", lambda: now[0])
    with capture_logs() as logs:
        for i in range(10_000):
            payerr.classify("antom", f"NEW_{i}")
        now[0] += 60.0
        payerr.classify("antom", "NEW_9999")
        payerr.classify("antom", "new_9999")  # the same code, spelt otherwise: within its minute
    events = [e["event"] for e in logs]
    assert events.count("payerr.unknown_code") == 101
    dropped = [e for e in logs if e["event"] == "payerr.unknown_codes_dropped"]
    assert [(e["payment.dropped"], e["payment.interval"]) for e in dropped] == [(9_900, 60.0)]
    last = [e for e in logs if e["event"] == "payerr.unknown_code"][-1]
    assert (last["payment.raw_code"], last["payment.suppressed"]) == ("NEW_9999", 1)


def test_one_off_codes_cannot_keep_a_recurring_code_unnamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each minute, 101 one-off codes (an id in each) arrive first, then a new decline code
    twice (found by the hostile review: it was never logged by name). Turned away once, the
    code competes only with codes seen before, and is named the next time it comes."""
    from payerr._observe.logs import UNKNOWN_CODE_LOGS

    now = [9000.0]
    monkeypatch.setattr(UNKNOWN_CODE_LOGS, "clock", lambda: now[0])
    with capture_logs() as logs:
        for minute in range(3):
            start = 9000.0 + 60 * minute
            now[0] = start
            for i in range(101):
                payerr.classify("antom", f"ORDER_{minute}_{i}")
            for second in (20, 40):
                now[0] = start + second
                payerr.classify("antom", "NEW_ISSUER_DECLINE")
    named = [e for e in logs if e.get("payment.raw_code") == "NEW_ISSUER_DECLINE"]
    assert [e["payment.suppressed"] for e in named][:1] == [1]


def test_the_line_bound_holds_in_any_minute_not_per_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """250 new codes straddling a minute's edge: at most 100 lines within any 60 seconds."""
    from payerr._observe.logs import UNKNOWN_CODE_LOGS

    now = [1000.0]
    monkeypatch.setattr(UNKNOWN_CODE_LOGS, "clock", lambda: now[0])
    logged_at: list[float] = []
    with capture_logs() as logs:
        for i in range(-1, 250):
            # EARLY at 1000: a fixed window opened then would open again at 1060, mid-burst.
            now[0] = 1000.0 if i < 0 else 1059.9 + i * 0.001
            lines = len(logs)
            payerr.classify("antom", "EARLY" if i < 0 else f"EDGE_{i}")
            logged_at += [now[0]] * sum(e["event"] == "payerr.unknown_code" for e in logs[lines:])
    busiest = max(sum(t - 60 < u <= t for u in logged_at) for t in logged_at)
    assert busiest == 100


def test_http_status_as_an_enum_reads_back_as_an_int() -> None:
    """HTTPStatus.SERVICE_UNAVAILABLE is 503 and reads back as 503, whichever came first (the
    remembered verdicts shared one key); a status that is no int is a usage error."""
    from http import HTTPStatus

    body = {"ret_code": "000000", "data": {"status": "PROCESSING"}}
    for status in (HTTPStatus.SERVICE_UNAVAILABLE, 503, HTTPStatus.SERVICE_UNAVAILABLE):
        c = payerr.classify_http("paykka", status, body)
        assert type(c.http_status) is int
    for bad in ("503", 503.0, True):
        with pytest.raises(payerr.UsageError, match="status_code must be an HTTP status"):
            payerr.classify_http("paykka", bad, body)  # type: ignore[arg-type]
