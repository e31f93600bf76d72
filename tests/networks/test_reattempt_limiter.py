"""ReattemptLimiter: the card networks' reattempt rules, on the embedded store and on Redis.

Every behaviour test runs on both stores (``store`` is parametrized): the same rules, the same
decisions. Each cites the public page the rule is read from (see payerr/reattempt.py).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import payerr
from payerr.networks._reattempts import (
    DAY,
    HOUR,
    MemoryReattemptStore,
    ReattemptLimiter,
    ReattemptStore,
    card_key,
)

if TYPE_CHECKING:
    pass

from tests.support.reattempt_cases import (
    CARD,
    PENDING,
    SUCCESS,
    T0,
    Clock,
    answer,
    mastercard,
    visa,
)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> ReattemptStore:
    if request.param == "memory":
        return MemoryReattemptStore()
    from payerr.networks import RedisReattemptStore

    client: Any = request.getfixturevalue("redis_client")
    return RedisReattemptStore(client)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Make = Callable[..., ReattemptLimiter]


@pytest.fixture
def make(store: ReattemptStore, clock: Clock) -> Make:
    def build(limits: payerr.networks.ReattemptLimits | None = None) -> ReattemptLimiter:
        return ReattemptLimiter(store, clock=clock, limits=limits)

    return build


# -- never ----------------------------------------------------------------------------------


def test_visa_category_1_is_never_reattempted(make: Make, clock: Clock) -> None:
    """Visa category 1, "issuer will never approve": any reattempt draws a fee.
    https://www.payvision.com/scheme-updates/visa-new-fees-for-declined-transactions-reattempts/
    """
    limiter = make()
    last = visa(category="1")
    limiter.record(CARD, last)
    clock.advance(300 * DAY)
    for asked_with in (last, visa(category="2"), SUCCESS):
        decision = limiter.allowed(CARD, asked_with)
        assert not decision.allowed
        assert decision.not_before is None
    assert "category 1" in limiter.allowed(CARD, SUCCESS).reason


@pytest.mark.parametrize(("mac", "words"), [("03", "do not try again"), ("21", "cancelled")])
def test_mastercard_mac_03_and_21_are_never_reattempted(make: Make, mac: str, words: str) -> None:
    """MAC 03 "do not try again", 21 "payment cancellation": a resubmission within 30 days
    draws a fee. https://help.maast.com/help/mastercards-decline-code-grouping-and-mac
    """
    limiter = make()
    limiter.record(CARD, mastercard(mac))
    decision = limiter.allowed(CARD, mastercard())
    assert (decision.allowed, decision.not_before) == (False, None)
    assert f"merchant advice code {mac}" in decision.reason
    assert words in decision.reason


def test_the_answer_itself_says_never_even_unrecorded(make: Make) -> None:
    """A never-retry answer refuses at once, before anything is recorded (Stripe's
    do_not_try_again advice). https://help.maast.com/help/mastercards-decline-code-grouping-and-mac
    """
    limiter = make()
    for last in (
        visa(category="1"),
        mastercard("03"),
        answer(network=payerr.networks.NetworkAdvice("amex", "05", never_retry=True)),
    ):
        decision = limiter.allowed(CARD, last)
        assert (decision.allowed, decision.not_before) == (False, None)
        assert "do not reattempt" in decision.reason


def test_a_success_does_not_lift_never_retry_but_forget_does(make: Make) -> None:
    """MAC 21: the cardholder stopped the recurring payment; a one-off approval on the same
    card does not restart it.
    https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes
    """
    limiter = make()
    limiter.record(CARD, mastercard("21"))
    limiter.record(CARD, SUCCESS)
    assert not limiter.allowed(CARD, SUCCESS)
    limiter.forget(CARD)  # the cardholder agreed again, or gave new card details
    assert limiter.allowed(CARD, SUCCESS)


def test_never_retry_is_remembered_for_never_retry_for(make: Make, clock: Clock) -> None:
    """Visa says never; a store must forget eventually (bounded memory): one year by default.
    https://support.cardpointe.com/compliance/visa-decline-rules
    """
    limiter = make()
    limiter.record(CARD, visa(category="1"))
    clock.advance(365 * DAY - 1)
    assert not limiter.allowed(CARD, SUCCESS)
    clock.advance(1)
    assert limiter.allowed(CARD, SUCCESS)


# -- waits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mac", "wait"),
    [
        ("24", HOUR),
        ("25", 24 * HOUR),
        ("26", 2 * DAY),
        ("27", 4 * DAY),
        ("28", 6 * DAY),
        ("29", 8 * DAY),
        ("30", 10 * DAY),
        ("02", 72 * HOUR),
    ],
)
def test_mac_waits_set_not_before(make: Make, clock: Clock, mac: str, wait: float) -> None:
    """MAC 24-30: retry after 1 h, 24 h, 2, 4, 6, 8, 10 days; 02 names no time (72 h).
    https://docs.everonet.com/en-us/gateway/developer-portal/appendix/mastercard-merchant-advice-code
    """
    limiter = make()
    last = mastercard(mac)
    limiter.record(CARD, last)
    decision = limiter.allowed(CARD, last)
    assert (decision.allowed, decision.not_before) == (False, T0 + wait)
    assert f"merchant advice code {mac}" in decision.reason
    clock.advance(wait - 0.5)
    assert limiter.allowed(CARD, last).not_before == T0 + wait
    clock.advance(0.5)
    assert limiter.allowed(CARD, last)


def test_the_longer_of_mac_wait_and_retry_after_wins(make: Make, clock: Clock) -> None:
    """Classification.retry_after is a wait too (set from the MAC or the provider's hint).
    https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes
    """
    limiter = make()
    longer = mastercard("24", retry_after=5 * HOUR)
    limiter.record(CARD, longer)
    assert limiter.allowed(CARD, longer).not_before == T0 + 5 * HOUR
    limiter.forget(CARD)
    shorter = mastercard("25", retry_after=60)
    limiter.record(CARD, shorter)
    assert limiter.allowed(CARD, shorter).not_before == T0 + 24 * HOUR


def test_a_wait_counts_from_the_last_decline_not_from_the_question(
    make: Make, clock: Clock
) -> None:
    """MAC 25 "retry after 24 hours" after the decline, however late one asks.
    https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes
    """
    limiter = make()
    last = mastercard("25")
    limiter.record(CARD, last)
    clock.advance(20 * HOUR)
    assert limiter.allowed(CARD, last).not_before == T0 + 24 * HOUR


def test_an_unrecorded_wait_counts_from_now_and_says_so(make: Make) -> None:
    """Without a recorded decline the limiter cannot know when it was: from now, honestly.
    https://docs.everonet.com/en-us/gateway/developer-portal/appendix/mastercard-merchant-advice-code
    """
    decision = make().allowed(CARD, mastercard("26"))
    assert decision.not_before == T0 + 2 * DAY
    assert "no decline of this card is recorded" in decision.reason


# -- counts ---------------------------------------------------------------------------------


def test_visa_15_declines_in_30_days_sliding(make: Make, clock: Clock) -> None:
    """Visa categories 2-4: at most 15 reattempts in 30 days; payerr counts the original too.
    https://www.payvision.com/scheme-updates/visa-new-fees-for-declined-transactions-reattempts/
    """
    limiter = make()
    for _ in range(14):
        limiter.record(CARD, visa())
        clock.advance(DAY)
    assert limiter.allowed(CARD, visa())
    limiter.record(CARD, visa())
    decision = limiter.allowed(CARD, visa())
    assert (decision.allowed, decision.not_before) == (False, T0 + 30 * DAY)
    assert "15 declines in the last 30 days (Visa limit: 15)" in decision.reason
    clock.now = T0 + 30 * DAY  # the first decline leaves the window
    assert limiter.allowed(CARD, visa())


def test_mastercard_10_declines_in_24_hours(make: Make, clock: Clock) -> None:
    """Mastercard: more than 10 declines of one card in 24 h draw fees.
    https://developers.tabapay.com/docs/excessive-retry-rules
    """
    limiter = make()
    for _ in range(10):
        assert limiter.allowed(CARD, mastercard())
        limiter.record(CARD, mastercard())
        clock.advance(HOUR)
    decision = limiter.allowed(CARD, mastercard())
    assert (decision.allowed, decision.not_before) == (False, T0 + DAY)
    assert "Mastercard limit: 10" in decision.reason


def test_mastercard_35_declines_in_30_days(make: Make, clock: Clock) -> None:
    """Mastercard: 35 declines in 30 days, however spread out.
    https://developer.paypal.com/braintree/articles/risk-and-security/compliance/network-updates/2023/mastercard-f23
    """
    limiter = make()
    for _ in range(35):
        limiter.record(CARD, mastercard())
        clock.advance(18 * HOUR)  # 35 declines in 26.25 days, never 10 in a day
    decision = limiter.allowed(CARD, mastercard())
    assert (decision.allowed, decision.not_before) == (False, T0 + 30 * DAY)
    assert "35 declines in the last 30 days" in decision.reason


def test_every_limit_is_configuration(make: Make) -> None:
    """Sources disagree on Visa's newest limit (15 or 20 in 30 days).
    https://docs.cielo.com.br/ecommerce-cielo-en/changelog/new-limit-for-visa-retries-starting-may-25-2025
    """
    limits = payerr.networks.ReattemptLimits(
        visa=(payerr.networks.DeclineLimit(20, 30 * DAY, "Visa"),)
    )
    limiter = make(limits)
    for _ in range(19):
        limiter.record(CARD, visa())
    assert limiter.allowed(CARD, visa())
    limiter.record(CARD, visa())
    assert not limiter.allowed(CARD, visa())


def test_an_unknown_brand_gets_every_limit_and_is_told_so(make: Make) -> None:
    """No brand, no way to know whose rule applies: the strictest (Mastercard's 10 in 24 h).
    https://developers.tabapay.com/docs/excessive-retry-rules
    """
    limiter = make()
    unknown = answer()  # a card decline that carried no network advice
    for _ in range(10):
        assert limiter.allowed(CARD, unknown)
        limiter.record(CARD, unknown)
    decision = limiter.allowed(CARD, unknown)
    assert not decision.allowed
    assert decision.reason.startswith("card brand unknown: every configured limit applies")
    assert decision.brand == ""


def test_another_brand_gets_every_limit_unless_configured(make: Make) -> None:
    """No public rule was confirmed for other networks: every limit, unless ``other`` is set.
    https://developers.tabapay.com/docs/excessive-retry-rules
    """
    amex = answer(network=payerr.networks.NetworkAdvice("amex", "05"))
    limiter = make()
    for _ in range(10):
        limiter.record(CARD, amex)
    decision = limiter.allowed(CARD, amex)
    assert not decision.allowed
    assert "no limits configured for amex" in decision.reason
    assert make(payerr.networks.ReattemptLimits(other=())).allowed(CARD, amex).reason == (
        "allowed: no limits apply"
    )


def test_declines_count_per_card(make: Make) -> None:
    """The networks count per card number at one merchant.
    https://docs.dintero.com/docs/checkout/tokenization-error-handling
    """
    limiter = make()
    for _ in range(10):
        limiter.record(CARD, mastercard())
    assert not limiter.allowed(CARD, mastercard())
    assert limiter.allowed("tok_other", mastercard())


def test_brand_spellings_are_normalised(make: Make) -> None:
    """Providers write MC, Mastercard, MASTERCARD.
    https://developers.tabapay.com/docs/merchant-advice-code-mac
    """
    limiter = make()
    for spelling in ("MC", "Master_Card", " MASTERCARD "):
        decision = limiter.allowed(CARD, answer(network=payerr.networks.NetworkAdvice(spelling)))
        assert decision.brand == "mastercard"


# -- what counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "not_a_decline",
    [
        payerr.classify_http("antom", 503, b""),  # retryable: the provider's trouble
        answer("INVALID_SIGNATURE"),  # merchant-config: never reached an issuer
    ],
    ids=["http-503", "invalid-signature"],
)
def test_failures_that_never_reached_an_issuer_do_not_count(
    make: Make, not_a_decline: payerr.Classification
) -> None:
    """Mastercard counts declined attempts; a 5xx or a bad signature is no decline.
    https://developers.tabapay.com/docs/mastercard-1
    """
    limiter = make()
    for _ in range(30):
        limiter.record(CARD, not_a_decline)
    assert limiter.allowed(CARD, mastercard())


def test_a_pending_answer_is_no_decline_but_refuses_a_reattempt(make: Make) -> None:
    """Outcome unknown: not a decline (Mastercard counts declines), and a reattempt could
    charge twice (Architecture#retry-safety). https://developers.tabapay.com/docs/mastercard-1
    """
    limiter = make()
    for _ in range(30):
        limiter.record(CARD, PENDING)
    decision = limiter.allowed(CARD, PENDING)
    assert (decision.allowed, decision.not_before) == (False, None)
    assert "inquire" in decision.reason
    assert limiter.allowed(CARD, mastercard())


def test_a_success_does_not_uncount_declines(make: Make) -> None:
    """Mastercard's 24 h count is per card "for any dollar amount": an approval between
    declines does not reset it.
    https://support.forte.net/support/solutions/articles/11000081270-mastercard-excessive-authorization-attempts-fee
    """
    limiter = make()
    for _ in range(10):
        limiter.record(CARD, mastercard())
    limiter.record(CARD, SUCCESS)
    assert not limiter.allowed(CARD, SUCCESS)


# -- reserve --------------------------------------------------------------------------------


def test_reserve_counts_the_attempt_until_its_answer_is_recorded(make: Make) -> None:
    """A reserved attempt holds a slot: a decline keeps it, a success gives it back.
    Mastercard: 10 declines of one card in 24 h (https://developers.tabapay.com/docs/excessive-retry-rules).
    """
    limiter = make()
    for _ in range(9):
        held = limiter.reserve(CARD, mastercard())
        assert held.reservation
        limiter.record(CARD, mastercard(), reservation=held.reservation)
    last = limiter.reserve(CARD, mastercard())
    assert last
    limiter.record(CARD, SUCCESS, reservation=last.reservation)  # the slot comes back
    again = limiter.reserve(CARD, mastercard())
    assert again
    limiter.record(CARD, mastercard(), reservation=again.reservation)  # a decline: kept
    limiter.record(CARD, mastercard(), reservation=again.reservation)  # twice: still one
    decision = limiter.allowed(CARD, mastercard())
    assert not decision
    assert "10 declines in the last 24 h" in decision.reason


@pytest.mark.parametrize(
    "last", [visa(category="2"), mastercard(), mastercard("24")], ids=["visa-2", "mc", "mc-24"]
)
def test_a_reservation_holds_the_card_until_its_answer_is_recorded(
    make: Make, clock: Clock, last: payerr.Classification
) -> None:
    """One worker wins a card, whatever the decline said (Visa category 2 has no wait code:
    https://www.payvision.com/scheme-updates/visa-new-fees-for-declined-transactions-reattempts/;
    Mastercard without a MAC). Until its answer is recorded, a second reserve and allowed are
    refused, not_before at the hold's end (15 minutes by default)."""
    limiter = make()
    limiter.record(CARD, last)  # the renewal's decline
    clock.advance(2 * HOUR)  # past MAC 24's hour
    first = limiter.reserve(CARD, last)
    assert first
    for ask in (limiter.reserve, limiter.allowed):
        second = ask(CARD, last)
        assert not second
        assert second.reservation is None
        # The hold's end; MAC 24's hour counts from the newest attempt, the reserved one.
        wait = HOUR if last.network and last.network.advice_code == "24" else 15 * 60
        assert second.not_before == clock.now + wait
        assert "in flight" in second.reason
    limiter.record(CARD, SUCCESS, reservation=first.reservation)
    assert limiter.reserve(CARD, last)


def test_a_hold_lapses_after_hold_for(make: Make, clock: Clock) -> None:
    """A worker that died mid-charge does not block the card for good: the hold ends after
    ``hold_for`` (configurable); the lost attempt stays counted as a decline (TabaPay counts
    declines per card: https://developers.tabapay.com/docs/excessive-retry-rules)."""
    limiter = make(payerr.networks.ReattemptLimits(hold_for=60))
    lost = limiter.reserve(CARD, visa())
    assert lost
    clock.advance(59)
    assert limiter.reserve(CARD, visa()).not_before == T0 + 60
    clock.advance(1)
    decision = limiter.reserve(CARD, visa())
    assert decision
    assert "allowed: 1 of 15 declines in 30 days (Visa)" in decision.reason
    # The lapsed reservation's late answer does not lift the new one's hold.
    limiter.record(CARD, SUCCESS, reservation=lost.reservation)
    assert not limiter.allowed(CARD, visa())
    limiter.record(CARD, visa(), reservation=decision.reservation)
    assert limiter.allowed(CARD, visa())


def test_a_pending_reservation_holds_the_card_until_settled(make: Make, clock: Clock) -> None:
    """Outcome unknown may have charged the card: no other worker may try it (refused with
    not_before None: inquire) until the settled answer is recorded, forget, or
    pending_hold_for. Visa category 2 (no wait code, 15 in 30 days):
    https://support.cardpointe.com/compliance/visa-decline-rules"""
    limiter = make(payerr.networks.ReattemptLimits(pending_hold_for=2 * DAY))
    held = limiter.reserve(CARD, visa())
    limiter.record(CARD, PENDING, reservation=held.reservation)
    clock.advance(DAY)  # far past hold_for: a pending answer keeps holding
    for ask in (limiter.reserve, limiter.allowed):
        decision = ask(CARD, visa())
        assert (decision.allowed, decision.not_before) == (False, None)
        assert "pending" in decision.reason
    limiter.record(CARD, visa(), reservation=held.reservation)  # the inquiry: declined
    decision = limiter.reserve(CARD, visa())
    assert decision
    assert "1 of 15" in decision.reason
    limiter.record(CARD, PENDING, reservation=decision.reservation)
    limiter.forget(CARD)
    assert limiter.allowed(CARD, visa())
    third = limiter.reserve(CARD, visa())
    limiter.record(CARD, PENDING, reservation=third.reservation)
    clock.advance(2 * DAY)
    assert limiter.allowed(CARD, visa())  # pending_hold_for is over


def test_a_pending_reservation_stays_counted_until_settled(make: Make) -> None:
    """Outcome unknown may be a decline the network counts: held until the answer is known.
    https://developers.tabapay.com/docs/mastercard-1
    """
    limits = payerr.networks.ReattemptLimits(
        mastercard=(payerr.networks.DeclineLimit(1, DAY, "Mastercard"),)
    )
    limiter = make(limits)
    held = limiter.reserve(CARD, mastercard())
    limiter.record(CARD, PENDING, reservation=held.reservation)
    assert not limiter.allowed(CARD, mastercard())
    limiter.record(CARD, SUCCESS, reservation=held.reservation)  # the inquiry said: paid
    assert limiter.allowed(CARD, mastercard())


def test_reserve_refuses_what_allowed_refuses(make: Make) -> None:
    """Never-retry, waits and pending refuse a reservation as they refuse ``allowed``.
    https://help.maast.com/help/mastercards-decline-code-grouping-and-mac
    """
    limiter = make()
    assert not limiter.reserve(CARD, PENDING)
    assert not limiter.reserve(CARD, mastercard("03"))
    limiter.record(CARD, mastercard("24"))
    decision = limiter.reserve(CARD, mastercard())
    assert (decision.allowed, decision.not_before, decision.reservation) == (
        False,
        T0 + HOUR,
        None,
    )


def test_record_refuses_a_reservation_that_is_no_id(make: Make) -> None:
    """A reservation is the id a decision carried, nothing else."""
    with pytest.raises(payerr.UsageError):
        make().record(CARD, SUCCESS, reservation="x" * 65)


def _declines(limiter: ReattemptLimiter) -> int:
    return len(limiter.store.read(card_key(CARD), 0.0).declines)


def test_a_reserve_sent_again_with_its_attempt_id_is_granted_again(make: Make) -> None:
    """The reply to a reserve was lost: the same attempt id, asked again (from any worker: the
    store decides), gets the same reservation, counted once, the hold unchanged."""
    limiter = make()
    first = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    again = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    assert first
    assert again
    assert again.reservation == first.reservation
    assert _declines(limiter) == 1
    other = limiter.reserve(CARD, visa(), attempt_id="pay-2")  # another attempt: held
    assert not other
    assert "in flight" in other.reason


def test_a_reserve_sent_again_after_a_pending_answer_is_refused(make: Make) -> None:
    """Its answer was recorded pending: the charge may have happened, so no grant again."""
    limiter = make()
    first = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    limiter.record(CARD, PENDING, reservation=first.reservation, attempt_id="pay-1")
    again = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    assert not again
    assert again.not_before is None


def test_a_reserve_sent_again_that_the_rules_now_refuse_releases_its_hold(
    make: Make, clock: Clock
) -> None:
    """Meanwhile another report said never retry (a stolen card): the repeated reserve is
    refused and its own reservation released, not left counted and holding."""
    limiter = make()
    limiter.reserve(CARD, visa(), attempt_id="pay-1")
    limiter.record(CARD, visa(category="1"), attempt_id="pay-0")  # an earlier attempt's report
    again = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    assert not again
    assert "category 1" in again.reason
    assert limiter.store.read(card_key(CARD), 0.0).hold_until is None
    assert _declines(limiter) == 1  # pay-0's decline only


def test_a_reserve_sent_again_after_its_hold_lapsed_counts_once(make: Make, clock: Clock) -> None:
    limiter = make(payerr.networks.ReattemptLimits(hold_for=60))
    limiter.reserve(CARD, visa(), attempt_id="pay-1")
    clock.advance(61)
    assert limiter.reserve(CARD, visa(), attempt_id="pay-1")
    assert _declines(limiter) == 1


def _most_in_any_window(times: list[float], window: float) -> int:
    """The most of ``times`` within any sliding ``window`` seconds: a decline at ``t`` and one
    at ``t + window`` are never in one window (the limiter's reading)."""
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


@pytest.mark.parametrize(
    "rule",
    [(mastercard(), 10, DAY), (visa(), 15, 30 * DAY)],
    ids=["mastercard-10-in-24h", "visa-15-in-30-days"],
)
@pytest.mark.parametrize("late", [0.0, HOUR], ids=["as-it-leaves", "an-hour-after"])
def test_a_reserve_reusing_the_id_of_a_decline_that_left_the_window_counts(
    store: ReattemptStore, clock: Clock, rule: tuple[payerr.Classification, int, float], late: float
) -> None:
    """A decline recorded under attempt id ``pay-1``, then a reserve under ``pay-1`` once that
    decline has left the longest window (30 days), with no write in between: the reserve is
    granted, and must count, as a write of ``pay-1`` would count anew. Then the worker dies
    before recording its answer; the hold lapses and the card is reattempted until refused.
    Every attempt made, the lost one included, must fit the network's rule, read as at most
    N declined attempts of one card in any sliding window:

    - mappings/networks/mastercard.toml, declines-24-hours: "You can retry a Mastercard
      transaction up to 10 times in 24 hours"
      (https://support.checkout.com/hc/en-us/articles/25482040901394-When-can-I-retry-a-declined-transaction);
    - mappings/networks/visa.toml, categories-2-4: "For these values, you can retry the
      transaction a maximum of 15 times over a period of 30 days" (Cybersource, categories 2,
      3 and 4), a reading payerr takes as at most 15 declined attempts in any 30 days.

    ``late``: the reserve comes as the decline leaves the window, or an hour later while a
    newer decline keeps the card (and its stale member) stored. Before the fix the reserve
    was granted and its member trimmed at once, so the lost attempt counted for nothing and
    one attempt too many went through.
    """
    last, declines, window = rule
    limiter = payerr.networks.ReattemptLimiter(store, clock=clock)
    attempts = [clock.now]
    limiter.record(CARD, last, attempt_id="pay-1")
    if late:
        clock.advance(2 * HOUR)
        attempts.append(clock.now)
        limiter.record(CARD, last, attempt_id="pay-0")  # keeps the card stored past 30 days
        clock.advance(30 * DAY - 2 * HOUR + late)
    else:
        clock.advance(30 * DAY)  # pay-1's decline leaves the longest window now
    lost = limiter.reserve(CARD, last, attempt_id="pay-1")
    assert lost
    attempts.append(clock.now)  # charged, then the worker died: its answer is never recorded
    clock.advance(limiter.limits.hold_for)  # the hold lapses
    for _ in range(2 * declines):
        decision = limiter.reserve(CARD, last)
        if not decision:
            break
        attempts.append(clock.now)
        limiter.record(CARD, last, reservation=decision.reservation)
    assert not decision
    assert f"limit: {declines})" in decision.reason
    assert _most_in_any_window(attempts, window) == declines


class Flaky(MemoryReattemptStore):
    """The embedded store, failing every call while ``down`` (as a Redis outage would)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("store down")

    def read(self, *args: Any) -> Any:
        self._check()
        return super().read(*args)

    def write(self, *args: Any) -> None:
        self._check()
        super().write(*args)

    def reserve(self, *args: Any) -> Any:
        self._check()
        return super().reserve(*args)

    def forget(self, *args: Any) -> None:
        self._check()
        super().forget(*args)


def test_answers_kept_in_an_outage_are_written_in_their_order(clock: Clock) -> None:
    """Pending, then the settled decline, both for one reservation while the store is down:
    written in that order, the card is not left held pending for 30 days."""
    store = Flaky()
    limiter = ReattemptLimiter(store, clock=clock)
    held = limiter.reserve(CARD, visa(), attempt_id="pay-1")
    store.down = True
    for settled in (PENDING, visa()):
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            limiter.record(CARD, settled, reservation=held.reservation, attempt_id="pay-1")
        assert raised.value.kept
        assert isinstance(raised.value.__cause__, ConnectionError)
    with pytest.raises(payerr.networks.ReattemptStoreError) as refused:
        limiter.allowed(CARD, visa())
    assert "no reattempt is allowed" in str(refused.value)
    assert limiter.unwritten == 2
    store.down = False
    decision = limiter.allowed(CARD, visa())
    assert decision  # one decline of 15; no hold
    assert limiter.unwritten == 0
    assert store.read(card_key(CARD), 0.0).hold_until is None


def test_a_full_list_of_kept_answers_says_it_kept_none(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("payerr.networks._reattempts.UNWRITTEN_LIMIT", 2)
    store = Flaky()
    limiter = ReattemptLimiter(store, clock=clock)
    store.down = True
    kept = []
    for n in range(3):
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            limiter.record(CARD, visa(), attempt_id=f"pay-{n}")
        kept.append(raised.value.kept)
    assert kept == [True, True, False]
    assert "NOT kept" in str(raised.value)


def test_threads_never_over_admit(make: Make) -> None:
    """8 threads racing for Mastercard's 10 daily slots on one card get exactly 10, one at a
    time (a reservation holds the card until its answer is recorded).
    https://developers.tabapay.com/docs/excessive-retry-rules
    """
    limiter = make()
    granted: list[bool] = []
    in_flight: list[int] = [0, 0]  # now, most at once
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(5_000):
            decision = limiter.reserve(CARD, mastercard())
            if decision:
                with lock:
                    in_flight[0] += 1
                    in_flight[1] = max(in_flight)
                granted.append(True)
                with lock:
                    in_flight[0] -= 1
                limiter.record(CARD, mastercard(), reservation=decision.reservation)
            elif "in flight" not in decision.reason:
                return  # the limit refused

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert granted.count(True) == 10
    assert in_flight[1] == 1


# -- what counts: issuer declines, once each ----------------------------------------------


def _antom(code: str, status: str, brand: str = "MASTERCARD", **info: str) -> payerr.Classification:
    """An Antom pay answer with paymentResultInfo (SDK PaymentResultInfo field names)."""
    body = {
        "result": {"resultCode": code, "resultStatus": status, "resultMessage": "x"},
        "paymentResultInfo": {"cardBrand": brand, "refusalCodeRaw": "51", **info},
    }
    # first_send: the row's own verdict (a repeat answer is otherwise outcome unknown).
    return payerr.classify_http("antom", 200, body, operation="pay", first_send=True)


@pytest.mark.parametrize(("code", "status"), [("ACCESS_DENIED", "F"), ("ORDER_IS_CLOSED", "F")])
def test_only_issuer_declines_count(make: Make, code: str, status: str) -> None:
    """Antom's result codes (docs.antom.com/ac/ams/payment_cashier): ACCESS_DENIED is the
    merchant's configuration, ORDER_IS_CLOSED answers a request id already used. Neither is an
    issuer's decline of the card: never counted, and their MAC (24 'retry after 1 hour', 03
    'do not try again') is not applied, even when paymentResultInfo comes with them."""
    limiter = make()
    for mac in ("24", "03"):
        answer_ = _antom(code, status, merchantAdviceCode=mac)
        for _ in range(10):
            limiter.record(CARD, answer_)
        decision = limiter.allowed(CARD, answer_)
        assert decision, decision.reason
        assert "0 of 10 declines in 24 h" in decision.reason
    # A hand-built advice on a retryable failure is ignored too (PayKKa 6000 "System error").
    retryable = dataclasses.replace(
        payerr.classify("paykka", "6000"), network=mastercard("03").network
    )
    assert retryable.retryable
    limiter.record(CARD, retryable)
    assert limiter.allowed(CARD, retryable)


def test_an_unknown_result_is_no_decline_and_no_reattempt(make: Make) -> None:
    """resultStatus U ("U: Unknown", docs.antom.com/ac/ams/api_fund) with UNKNOWN_EXCEPTION:
    not an issuer's decline, so never counted and no MAC applied; but the payment may have
    gone through, so the limiter says inquire before a reattempt (which could charge twice)."""
    limiter = make()
    for mac in ("24", "03"):
        unknown = _antom("UNKNOWN_EXCEPTION", "U", merchantAdviceCode=mac)
        assert unknown.is_pending
        assert unknown.network is None
        for _ in range(10):
            limiter.record(CARD, unknown)
        decision = limiter.allowed(CARD, unknown)
        assert not decision
        assert "outcome is unknown" in decision.reason
    assert "0 of 10 declines in 24 h" in limiter.allowed(CARD, _antom("SUCCESS", "S")).reason


def test_one_decline_reported_three_times_counts_once(make: Make) -> None:
    """Antom reports one payment's decline in the pay answer, inquiryPayment and
    notifyPayment (and may deliver a notification again until it is acknowledged:
    docs.antom.com/ac/ams/paymentrn_online). With the paymentRequestId as attempt_id it counts
    once; another payment's decline counts. Mastercard 10 in 24 h:
    https://developers.tabapay.com/docs/excessive-retry-rules"""
    limiter = make()
    pay_answer = _antom("DO_NOT_HONOR", "F")
    for _ in range(3):
        limiter.record(CARD, pay_answer, attempt_id="renewal-2026-11-0042")
    assert "1 of 10" in limiter.allowed(CARD, pay_answer).reason
    limiter.record(CARD, pay_answer, attempt_id="renewal-2026-12-0042")
    assert "2 of 10" in limiter.allowed(CARD, pay_answer).reason
    limiter.record(CARD, pay_answer)  # no id: counted each time
    assert "3 of 10" in limiter.allowed(CARD, pay_answer).reason


def test_a_reserved_decline_reported_again_counts_once(make: Make, clock: Clock) -> None:
    """A reservation settled with its attempt id, then the notification of the same decline:
    one decline, at the reserved time."""
    limiter = make()
    held = limiter.reserve(CARD, mastercard())
    clock.advance(60)
    limiter.record(CARD, mastercard(), reservation=held.reservation, attempt_id="pay-7")
    clock.advance(60)
    limiter.record(CARD, mastercard(), attempt_id="pay-7")
    assert "1 of 10" in limiter.allowed(CARD, mastercard()).reason
    # Reported first by the notification, then by the reserved attempt's own answer.
    held = limiter.reserve(CARD, mastercard())
    limiter.record(CARD, mastercard(), attempt_id="pay-8")
    limiter.record(CARD, mastercard(), reservation=held.reservation, attempt_id="pay-8")
    assert "2 of 10" in limiter.allowed(CARD, mastercard()).reason


@pytest.mark.parametrize("attempt_id", ["", "x" * 257, "a\nb", 42, b"pay-1"])
def test_a_bad_attempt_id_is_a_usage_error(attempt_id: object) -> None:
    limiter = ReattemptLimiter(clock=Clock())
    with pytest.raises(payerr.UsageError):
        limiter.record(CARD, mastercard(), attempt_id=attempt_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("brand", "mac", "never"),
    [("MC", "03", True), ("MASTER_CARD", "21", True), ("Mastercard", "03", True),
     ("AMEX", "21", False), ("", "03", False), ("VISA", "03", False)],
)  # fmt: skip
def test_macs_count_on_a_mastercard_only(make: Make, brand: str, mac: str, never: bool) -> None:
    """MACs are Mastercard's (Peach Payments: 21 and 24-30 'Applicable to Visa: no'; Braintree's
    MAC table). The limiter reads MAC 03/21 as the advice does: on a Mastercard, however the
    provider spells it; on another or an unknown brand it is no never-retry."""
    limiter = make()
    last = _antom("DO_NOT_HONOR", "F", brand, merchantAdviceCode=mac)
    assert last.network is not None
    assert last.network.never_retry is never
    limiter.record(CARD, last)
    decision = limiter.allowed(CARD, last)
    assert decision.allowed is not never
    if never:
        assert decision.not_before is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_clock_that_is_not_a_time_is_a_usage_error(bad: float) -> None:
    """A NaN clock would compare false with every deadline and allow everything."""
    limiter = ReattemptLimiter(clock=lambda: bad)
    for call in (limiter.allowed, limiter.reserve, limiter.record):
        with pytest.raises(payerr.UsageError, match="clock"):
            call(CARD, mastercard())
    with pytest.raises(payerr.UsageError, match="clock"):
        limiter.allowed(CARD, PENDING)


# -- the decision, the card id, the limits --------------------------------------------------


def test_a_decision_is_truthy_exactly_when_allowed() -> None:
    """``if limiter.allowed(card, last):`` must not always be true (a retry storm)."""
    limiter = ReattemptLimiter(clock=Clock())
    limiter.record(CARD, mastercard("03"))
    assert not limiter.allowed(CARD, SUCCESS)
    assert limiter.allowed("tok_fresh", SUCCESS)


@pytest.mark.parametrize(
    "pan",
    ["4111111111111111", "4111 1111 1111 1111", "cus_5555-5555-5555-4444", "378282246310005"],
)
def test_a_card_number_is_refused_as_card_id(pan: str) -> None:
    """A card id is a token or a fingerprint; the error never repeats it."""
    limiter = ReattemptLimiter(clock=Clock())
    for call in (limiter.allowed, limiter.record, limiter.reserve):
        with pytest.raises(payerr.UsageError, match="card number") as caught:
            call(pan, SUCCESS)
        assert not any(ch.isdigit() for ch in str(caught.value))


def _with_check_digit(digits: str) -> str:
    """``digits`` and the Luhn check digit that makes them a valid card number."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


@given(
    first=st.integers(1, 9),
    rest=st.text(alphabet="0123456789", min_size=11, max_size=17),
    separator=st.sampled_from(["", " ", "-"]),
    around=st.tuples(st.sampled_from(["", "tok_", "card:", "x"]), st.sampled_from(["", "_v2"])),
)
def test_every_card_number_is_refused(
    first: int, rest: str, separator: str, around: tuple[str, str]
) -> None:
    """Any Luhn-valid 13-19 digit run, plain or printed in groups of four, inside any id."""
    pan = _with_check_digit(f"{first}{rest}")
    printed = separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))
    with pytest.raises(payerr.UsageError, match="card number"):
        card_key(f"{around[0]}{printed}{around[1]}")


@pytest.mark.parametrize(
    "pan",
    ["4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111",
     "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11"
     "\uff11\uff11\uff11\uff11", "tok_5555.5555.5555.4444", "4111%201111%201111%201111",
     "4111+1111+1111+1111", "4111%2D1111%2d1111%2D1111"],
    ids=["dots", "slashes", "underscores", "full-width", "in-a-token", "percent-space", "plus",
         "percent-dash"],
)  # fmt: skip
def test_card_numbers_written_other_ways_are_refused(pan: str) -> None:
    """PCI DSS: a PAN must not be stored unprotected; printed with dots, slashes or
    underscores, or in full-width digits (NFKC reads them as ASCII), it is still one."""
    with pytest.raises(payerr.UsageError, match="card number"):
        card_key(pan)


@pytest.mark.parametrize(
    "card_id",
    ["", " ", "   ", "\u3000", "x" * 257, "tok\n1", "tok\x1b[2J", 4111111111111111, b"tok_1", None],
)
def test_a_card_id_must_be_short_printable_text(card_id: object) -> None:
    with pytest.raises(payerr.UsageError):
        card_key(card_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "card_id",
    ["tok_9b7f3c2a", "x" * 256, "424242424242", "4111111111111112", "2" * 22, "Ωmega"],
    ids=["token", "longest", "12-digits", "not-luhn", "22-digits", "unicode"],
)
def test_ids_that_are_no_card_number_are_accepted(card_id: str) -> None:
    key = card_key(card_id)
    assert len(key) == 32
    assert card_id not in key


def test_keys_are_hashes_that_do_not_collide() -> None:
    keys = {card_key(f"tok_{n}") for n in range(10_000)}
    assert len(keys) == 10_000
    assert card_key("a:b") != card_key("a") != card_key("a}b")


@pytest.mark.parametrize(
    "build",
    [
        lambda: payerr.networks.DeclineLimit(0, DAY),
        lambda: payerr.networks.DeclineLimit(True, DAY),
        lambda: payerr.networks.DeclineLimit(10, 0),
        lambda: payerr.networks.DeclineLimit(10, float("inf")),
        lambda: payerr.networks.ReattemptLimits(visa=[payerr.networks.DeclineLimit(1, DAY)]),  # type: ignore[arg-type]
        lambda: payerr.networks.ReattemptLimits(mac_waits={"24": -1}),
        lambda: payerr.networks.ReattemptLimits(never_retry_for=0),
        lambda: payerr.networks.ReattemptLimits(never_retry_for=float("inf")),
        lambda: payerr.networks.ReattemptLimits(mac_waits={"4": HOUR}),
        lambda: payerr.networks.ReattemptLimits(hold_for=0),
        lambda: payerr.networks.ReattemptLimits(hold_for=float("nan")),
        lambda: payerr.networks.ReattemptLimits(pending_hold_for=-1),
        lambda: MemoryReattemptStore(max_cards=0),
    ],
)
def test_bad_configuration_is_a_usage_error(build: Callable[[], object]) -> None:
    with pytest.raises(payerr.UsageError):
        build()


def test_limits_are_values() -> None:
    """Equal configurations are equal and hash alike (a dict key, a cache key)."""
    twenty = payerr.networks.ReattemptLimits(
        visa=(payerr.networks.DeclineLimit(20, 30 * DAY, "Visa"),)
    )
    same = payerr.networks.ReattemptLimits(
        visa=(payerr.networks.DeclineLimit(20, 30 * DAY, "Visa"),)
    )
    assert twenty == same
    assert hash(twenty) == hash(same)
    assert twenty != payerr.networks.ReattemptLimits()
    assert (twenty.horizon, twenty.keep) == (30 * DAY, 35)


def test_hostile_advice_never_reaches_a_reason() -> None:
    """An advice code or a brand with escape sequences is no code: the reason stays clean."""
    limiter = ReattemptLimiter(clock=Clock())
    evil = answer(network=payerr.networks.NetworkAdvice("\x1b[31mvisa", advice_code="\x1b[2J03"))
    limiter.record(CARD, evil)
    reason = limiter.allowed(CARD, evil).reason
    assert reason.isprintable()
    assert "\x1b" not in reason


# -- the embedded store ---------------------------------------------------------------------


def test_the_memory_store_forgets_cards_whose_windows_are_over() -> None:
    """Bounded memory: a card whose declines left every window is dropped as others are written."""
    store = MemoryReattemptStore()
    clock = Clock()
    limiter = ReattemptLimiter(store, clock=clock)
    for n in range(50):
        limiter.record(f"tok_{n}", mastercard())
    assert len(store) == 50
    clock.advance(30 * DAY)
    for n in range(50):
        assert limiter.allowed(f"tok_{n}", mastercard())
        limiter.record(f"tok_new_{n}", mastercard())
    assert len(store) == 50  # the new cards only


def test_the_memory_store_is_bounded() -> None:
    store = MemoryReattemptStore(max_cards=100)
    limiter = ReattemptLimiter(store, clock=Clock())
    for n in range(1_000):
        limiter.record(f"tok_{n}", mastercard())
    assert len(store) == 100
    assert limiter.allowed("tok_999", mastercard("25")).not_before == T0 + 24 * HOUR


def test_the_memory_store_forgets_a_never_retry_it_evicts() -> None:
    """Documented, not a bug: past max_cards the least recently written card is forgotten,
    never-retry included (Visa category 1 here). Size max_cards, or use Redis."""
    store = MemoryReattemptStore(max_cards=10)
    limiter = ReattemptLimiter(store, clock=Clock())
    limiter.record(CARD, visa(category="1"))
    assert not limiter.allowed(CARD, SUCCESS)
    for n in range(10):
        limiter.record(f"tok_{n}", mastercard())
    assert limiter.allowed(CARD, SUCCESS)
    assert "never-retry" in (MemoryReattemptStore.__doc__ or "")


def test_the_memory_store_keeps_no_more_declines_than_a_limit_needs() -> None:
    store = MemoryReattemptStore()
    limiter = ReattemptLimiter(store, clock=Clock())
    for _ in range(500):
        limiter.record(CARD, mastercard())
    assert len(store.read(card_key(CARD), 0).declines) == 35


def test_import_payerr_does_not_import_redis() -> None:
    """redis is an extra: ``import payerr`` (and the Redis store's module) never loads it."""
    probe = (
        "import sys, payerr, payerr.networks._redis_store; "
        "print(any(m == 'redis' or m.startswith('redis.') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
