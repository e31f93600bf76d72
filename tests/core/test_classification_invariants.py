"""Classification's invariants hold however one is built
(Architecture#the-call-ledger-truth-as-deployed, _taxonomy).

A category exactly when failed; retryable exactly when the category is retryable. Every path
that builds or rebuilds a verdict goes through the same check, ``dataclasses.replace``
included, so no path can hand a caller "pending, category risk" or "failed, retryable=False,
category retryable".
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

import payerr
from payerr import Category, Classification, Outcome

BASE = payerr.classify("antom", "SUCCESS")


@pytest.mark.parametrize(
    ("outcome", "category", "retryable"),
    [
        (Outcome.PENDING, Category.RISK, False),
        (Outcome.SUCCESS, Category.FINAL, False),
        (Outcome.FAILED, None, False),
        (Outcome.FAILED, Category.RETRYABLE, False),
        (Outcome.FAILED, Category.RISK, True),
        (Outcome.PENDING, None, True),
    ],
)
def test_an_inconsistent_classification_cannot_be_built(
    outcome: Outcome, category: Category | None, retryable: bool
) -> None:
    with pytest.raises(ValueError, match=r"category|retryable"):
        dataclasses.replace(BASE, outcome=outcome, category=category, retryable=retryable)


@given(st.sampled_from(list(Outcome)), st.none() | st.sampled_from(list(Category)))
def test_reclassified_is_always_consistent(outcome: Outcome, category: Category | None) -> None:
    if category is not None and outcome is not Outcome.FAILED:
        with pytest.raises(ValueError, match="no category"):
            BASE.reclassified(outcome, category)
        return
    c = BASE.reclassified(outcome, category)
    assert (c.category is not None) == (c.outcome is Outcome.FAILED)
    assert c.retryable == (c.category is Category.RETRYABLE)
    assert c.user_message or outcome is Outcome.INFO  # info is no outcome to tell a shopper
    if outcome is Outcome.FAILED and category is None:
        assert c.category is Category.FINAL  # a failure nobody explained is final


def test_every_shipped_row_and_every_fallback_is_consistent() -> None:
    for provider in payerr.providers():
        for entry in payerr.default_registry().table(provider).all_entries():
            Classification.__post_init__(entry.classification())
    unknown = payerr.classify("antom", "NO_SUCH_CODE_ANYWHERE")
    assert (unknown.outcome, unknown.category, unknown.retryable) == ("pending", None, False)


def test_a_category_on_an_outcome_that_is_not_failed_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="no category"):
        BASE.reclassified(Outcome.SUCCESS, Category.RISK)


def test_plain_strings_are_taken_for_their_members_and_nonsense_is_refused() -> None:
    c = dataclasses.replace(BASE, outcome="pending", advice=None)  # type: ignore[arg-type]
    assert c.outcome is Outcome.PENDING
    assert not c.is_success
    with pytest.raises(ValueError, match="bogus"):
        dataclasses.replace(BASE, outcome="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bool"):
        dataclasses.replace(BASE, retryable=0)  # type: ignore[arg-type]
