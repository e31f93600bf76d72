"""Advice never contradicts the verdict (issue 21, point 4): over every row of every table.

A row's category, ``retryable``, ``retry_after`` and ``action`` must say the same thing:

- a failure that is not retryable (final, risk, merchant-config, user-action) never invites
  resending the request ("resend", "send the same ... again", "with backoff"); final, risk and
  merchant-config rows never say "again" or "retry" except to forbid it or to name a *new*
  attempt (user-action rows may ask the payer to try again: that is the payer acting);
- a retryable row never says not to retry;
- a pending row never invites a resend, except a ``resend`` row (resultStatus U), which says to
  resend the *same* request id;
- success and info rows invite nothing;
- a ``retry_after`` on a row that is not retryable is the provider's hint for a *new* attempt,
  and its action says so;
- a card network's row that says never retry names no wait.

These read the shipped tables (every row is the subject), so each failure names the row.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import payerr
from payerr import Category, Outcome
from payerr._core.taxonomy import CodeEntry

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
PROVIDERS = ("antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka")


def rows() -> list[CodeEntry]:
    registry = payerr.default_registry()
    found: dict[int, CodeEntry] = {}
    for provider in PROVIDERS:
        table = registry.table(provider)
        for entry in [*table.entries.values(), *table.scoped.values()]:
            found[id(entry)] = entry
    return list(found.values())


ROWS = rows()
IDS = [f"{e.provider}:{e.code}:{'+'.join(e.operations) or 'all'}" for e in ROWS]

_NEGATED = r"(?<!do not )(?<!not )(?<!never )(?<!before any )"
RESEND = re.compile(
    _NEGATED + r"\b(resend|re-send|resubmit)\b|\bsend the same\b|\bsame request again\b"
    r"|\bretry the same\b|\bin a moment\b",
    re.IGNORECASE,
)
# Resending this very request (what a user-action row must never say; the payer trying again
# with new details, a corrected form or another card is a new attempt).
RESEND_SAME = re.compile(
    r"\bsend the same\b|\bsame request again\b|\bretry the same\b"
    r"|\bresend (it|the same|the request|this)\b|\bin a moment\b|\bwith backoff\b",
    re.IGNORECASE,
)
NEGATION = re.compile(r"\b(do not|don't|never|not)\b", re.IGNORECASE)
PAYER_ACTS = re.compile(r"\bask the (user|payer|customer|shopper)\b", re.IGNORECASE)
AGAIN = re.compile(_NEGATED + r"\b(retry|again)\b", re.IGNORECASE)
DO_NOT_RETRY = re.compile(r"\b(do not|don't|never) (retry|resend|resubmit)\b", re.IGNORECASE)
NEW_ATTEMPT = re.compile(r"\bnew (\w+ )?attempt\b", re.IGNORECASE)
SAME_ID = re.compile(r"\bsame request id\b", re.IGNORECASE)


def _clauses(text: str) -> list[str]:
    """The action's clauses: a negation governs its own clause only."""
    return [c.strip() for c in re.split(r"[.;:]", text) if c.strip()]


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_the_action_says_what_the_verdict_says(entry: CodeEntry) -> None:
    action = entry.action
    if entry.category in (Category.FINAL, Category.RISK, Category.MERCHANT_CONFIG):
        for clause in _clauses(action):
            if NEW_ATTEMPT.search(clause) or NEGATION.search(clause) or PAYER_ACTS.search(clause):
                continue  # forbids it, names a new attempt, or is the payer's own step
            assert not RESEND.search(clause), (entry.code, clause)
            assert not AGAIN.search(clause), (entry.code, clause)
    elif entry.category is Category.USER_ACTION:
        for clause in _clauses(action):
            assert not RESEND_SAME.search(clause) or NEGATION.search(clause), (entry.code, clause)
    elif entry.category is Category.RETRYABLE:
        assert not DO_NOT_RETRY.search(action), (entry.code, action)
        assert "new id" not in action, (entry.code, action)
        assert "new order" not in action, (entry.code, action)
    elif entry.outcome is Outcome.PENDING:
        if entry.resend:
            assert SAME_ID.search(action), (entry.code, action)
            assert "never a new id" in action, (entry.code, action)
        else:
            for clause in _clauses(action):
                assert not RESEND.search(clause), (entry.code, clause)
    else:  # success, info
        assert not RESEND.search(action), (entry.code, action)
        assert not DO_NOT_RETRY.search(action), (entry.code, action)


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_a_wait_under_do_not_retry_is_a_hint_for_a_new_attempt(entry: CodeEntry) -> None:
    if entry.retry_after is None or entry.category is Category.RETRYABLE:
        return
    assert NEW_ATTEMPT.search(entry.action), (entry.code, entry.action)


@pytest.mark.parametrize("entry", ROWS, ids=IDS)
def test_retryable_follows_the_category(entry: CodeEntry) -> None:
    c = entry.classification()
    assert c.retryable is (entry.category is Category.RETRYABLE)
    assert (c.category is None) is (entry.outcome is not Outcome.FAILED)


@pytest.mark.parametrize("network", ["mastercard", "visa"])
def test_a_card_network_row_that_says_never_retry_names_no_wait(network: str) -> None:
    data = tomllib.loads((MAPPINGS / "networks" / f"{network}.toml").read_text())
    for table in data.values():
        if not isinstance(table, list):
            continue
        for row in table:
            if isinstance(row, dict) and row.get("never_retry"):
                assert row.get("retry_after") is None, row


def test_the_two_contradictions_of_the_report_are_gone() -> None:
    """`explain antom ORDER_NOT_EXIST --operation inquiry` said failed / final and "you may send
    the same pay request again"; `explain antom SUSPECTED_RISK` said "Do not retry" beside
    "retry after 86400 s"."""
    c = payerr.classify("antom", "ORDER_NOT_EXIST", operation="inquiry")
    assert c.category is Category.FINAL
    assert "send the same" not in c.action
    assert "again" not in c.action
    assert "not taken" in c.action
    # Architecture#an-inquiry-is-not-an-execution: the same id is free
    assert "new attempt" in c.action
    risk = payerr.classify("antom", "SUSPECTED_RISK")
    assert risk.retry_after == 86400
    assert "new attempt" in risk.action


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_never_lands_on_an_answer_that_says_do_not_retry(status: int) -> None:
    """A rate limiter's Retry-After under a final or risk answer is no hint for it: a wait
    under "do not retry" is only the provider's own hint for a new attempt."""
    for code in ("SUSPECTED_RISK", "FRAUD_REJECT", "ACCESS_DENIED"):
        body = {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": "x"}}
        c = payerr.classify_http("antom", status, body, {"Retry-After": "30"}, operation="pay")
        assert c.retry_after != 30, (code, c)
