"""Reattempts of declined card payments within the card networks' rules
(Architecture#card-networks).

A declined renewal is tried again later (tomorrow's renewal run, next week's dunning), and the
networks say when that is allowed and how often:

- Never again. Visa decline category 1 ("the issuer will never approve": pick up card, lost,
  stolen, closed account, R0/R1/R3 stop-payment orders): any reattempt draws a fee. Mastercard
  Merchant Advice Codes 03 ("do not try again") and 21 ("payment cancelled": the cardholder
  stopped the recurring payment): a resubmission within 30 days draws a fee. And whatever the
  provider marked ``NetworkAdvice.never_retry``.
- Not yet. Mastercard MACs 24-30: retry after 1 h, 24 h, 2, 4, 6, 8, 10 days; MAC 02 "try again
  later" names no time (72 h is the common default). ``Classification.retry_after``, where set,
  is a wait too; the longer one wins.
- Not so often. Visa: categories 2-4 may be reattempted at most 15 times in 30 days (several
  acquirers report 20 since 2025). Mastercard's Excessive Authorization Attempts: more than 10
  declines of one card at one merchant in 24 h, or 35 in 30 days, draw fees.

Sources (read in 2026; the networks' own rule books are not public), one URL a line:

- Visa categories, category 1 never, 15 reattempts in 30 days (Payvision, Fiserv CardPointe,
  Stripe):
  https://www.payvision.com/scheme-updates/visa-new-fees-for-declined-transactions-reattempts/
  https://support.cardpointe.com/compliance/visa-decline-rules
  https://support.stripe.com/questions/payment-blocked-due-to-excessive-retries
- Visa 20 in 30 days (Cielo, from 25 May 2025; Checkout.com; TabaPay, "20 consecutive declines
  for the same amount"):
  https://docs.cielo.com.br/ecommerce-cielo-en/changelog/new-limit-for-visa-retries-starting-may-25-2025
  https://www.checkout.com/merchant-communications/changes-to-visa-system-integrity-fees
  https://developers.tabapay.com/docs/excessive-retry-rules
- Mastercard MACs 01-41 (Braintree) and 02 -> 72 h (Everon); a fee for a resubmission within 30
  days of a MAC 03 or 21 decline (Maast, TabaPay):
  https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes
  https://docs.everonet.com/en-us/gateway/developer-portal/appendix/mastercard-merchant-advice-code
  https://help.maast.com/help/mastercards-decline-code-grouping-and-mac
  https://developers.tabapay.com/docs/merchant-advice-code
- Mastercard 10 declines in 24 h and 35 in 30 days (TabaPay above; Dintero; Braintree for 35):
  https://docs.dintero.com/docs/checkout/tokenization-error-handling
  https://developer.paypal.com/braintree/articles/risk-and-security/compliance/network-updates/2023/mastercard-f23
  Forte reports an older US/Canada threshold of 20 declines in 24 h:
  https://support.forte.net/support/solutions/articles/11000081270-mastercard-excessive-authorization-attempts-fee

The sources disagree, so every number is configuration (:class:`ReattemptLimits`), and the
defaults are the strictest reading: a limiter that stops one attempt early costs a retry; one that
goes one too far costs a fee.

Counting. A limit is "at most N declined attempts of one card within any sliding window": the
next attempt is allowed while fewer than N declines are in the window. Visa's "15 reattempts"
follow an original decline, so payerr (which cannot tell an original from a reattempt in a sliding
window) stops one attempt before Visa would charge. Declines are counted per card, not per
transaction and not per network: Visa and Mastercard watch one card at one merchant (some
readings add "for the same amount"), so two subscriptions on one card share one count, and a
co-badged card's declines count for both brands; both err on the side of fewer attempts.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import math
import os
import secrets
import threading
import time
import unicodedata
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from itertools import islice
from types import MappingProxyType
from typing import Protocol, TypedDict, TypeVar, cast

from payerr._core import log as _log
from payerr._core.cards import CARD_RUN, GROUPS, ascii_digits, pan_spans
from payerr._core.exceptions import PayerrError, ReattemptStoreError, UsageError
from payerr._core.taxonomy import Category, Classification, NetworkAdvice, Outcome
from payerr.networks._advice import card_brand, is_issuer_decline

__all__ = [
    "DAY",
    "HOUR",
    "MAC_WAITS",
    "MASTERCARD_LIMITS",
    "MAX_ATTEMPT_ID_LENGTH",
    "MAX_CARD_ID_LENGTH",
    "NEVER_RETRY_MACS",
    "REATTEMPT_STORE_RECOVERED",
    "REATTEMPT_STORE_UNREACHABLE",
    "UNWRITTEN_LIMIT",
    "VISA_LIMITS",
    "CardState",
    "DeclineLimit",
    "MemoryReattemptStore",
    "ReattemptDecision",
    "ReattemptLimiter",
    "ReattemptLimits",
    "ReattemptStore",
    "ReserveCheck",
    "StoreWrite",
    "card_key",
]

HOUR = 3600.0
DAY = 24 * HOUR

_T = TypeVar("_T")

REATTEMPT_STORE_UNREACHABLE = "payerr.reattempt_store_unreachable"
"""Logged (warning) once per outage of a limiter's store."""
REATTEMPT_STORE_RECOVERED = "payerr.reattempt_store_recovered"
"""Logged (info) when the store answers again and every kept answer is written."""
UNWRITTEN_LIMIT = 10_000
"""Answers a limiter keeps while its store fails; past this, ``record`` says it kept none."""

MAX_CARD_ID_LENGTH = 256
"""A ``card_id`` is a token or a fingerprint: longer text is a mistake, not an id."""
MAX_ATTEMPT_ID_LENGTH = 256
"""An ``attempt_id`` is a payment request id (Antom's ``paymentRequestId`` is at most 64)."""


@dataclass(frozen=True, slots=True)
class DeclineLimit:
    """At most ``declines`` declined attempts of one card within any ``window`` seconds.

    Args:
        declines: at most this many declined attempts of one card ...
        window: ... within any window of this many seconds.
        name: who set the limit (``"Visa"``), for reasons.

    Raises:
        UsageError: ``declines`` is not a whole number of at least 1, or ``window`` is not a
            positive, finite number of seconds.

    Example:
        >>> payerr.networks.DeclineLimit(10, 24 * 3600, "Mastercard").describe()
        '10 declines in 24 h (Mastercard)'
    """

    declines: int
    window: float
    name: str = ""
    """Who set it, for reasons: ``"Visa"``, ``"Mastercard"``."""

    def __post_init__(self) -> None:
        if isinstance(self.declines, bool) or not isinstance(self.declines, int):
            raise UsageError(f"declines must be an int, got {self.declines!r}")
        if self.declines < 1:
            raise UsageError(f"declines must be at least 1, got {self.declines}")
        if not (isinstance(self.window, int | float) and 0 < self.window < math.inf):
            raise UsageError(f"window must be a positive number of seconds, got {self.window!r}")

    def describe(self) -> str:
        """``"15 declines in 30 days (Visa)"``."""
        who = f" ({self.name})" if self.name else ""
        return f"{self.declines} declines in {_span(self.window)}{who}"


VISA_LIMITS = (DeclineLimit(15, 30 * DAY, "Visa"),)
"""Visa categories 2-4: 15 reattempts in 30 days (20 by some acquirers' reading since 2025)."""
MASTERCARD_LIMITS = (DeclineLimit(10, DAY, "Mastercard"), DeclineLimit(35, 30 * DAY, "Mastercard"))
"""Mastercard Excessive Authorization Attempts: 10 declines in 24 h, 35 in 30 days."""
MAC_WAITS: Mapping[str, float] = MappingProxyType(
    {
        "02": 72 * HOUR,  # "try again later", no time given: 72 h is the common default
        "24": HOUR,
        "25": 24 * HOUR,
        "26": 2 * DAY,
        "27": 4 * DAY,
        "28": 6 * DAY,
        "29": 8 * DAY,
        "30": 10 * DAY,
    }
)
"""Mastercard Merchant Advice Codes that say when to retry, in seconds after the decline."""
NEVER_RETRY_MACS = frozenset({"03", "21"})
"""Mastercard MAC 03 "do not try again", 21 "payment cancelled" (recurring stopped)."""


@dataclass(frozen=True, slots=True)
class ReattemptLimits:
    """The card networks' reattempt rules as configuration; defaults are the strictest reading.

    Args:
        visa: limits for cards whose brand is ``visa``.
        mastercard: limits for ``mastercard``.
        other: limits for any other known brand (``amex``, ``jcb``, ...); ``None`` (the
            default) applies every limit above, as for a card whose brand is unknown.
        mac_waits: Merchant Advice Code -> seconds to wait after the decline.
        never_retry_macs: Merchant Advice Codes after which the card is never tried again.
        never_retry_for: how long a never-retry answer is remembered (default 365 days). The
            networks say "never"; a store must forget something eventually (bounded memory),
            and Mastercard's MAC 03/21 fee looks back 30 days.
        hold_for: how long a granted :meth:`ReattemptLimiter.reserve` holds the card (default
            15 minutes): until its answer is recorded or this time is over, every other
            ``reserve`` and ``allowed`` on the card is refused. Set it above your longest
            charge (timeouts and retries included).
        pending_hold_for: how long a reserved attempt whose recorded answer was pending keeps
            holding the card when no settled answer is recorded (default 30 days, the longest
            window; ``forget`` lifts it at once).

    Raises:
        UsageError: a group of limits that is not a tuple of :class:`DeclineLimit`, a MAC in
            ``mac_waits`` that is not two digits, or a wait or hold that is no number of
            seconds.

    Example:
        >>> visa_20 = (payerr.networks.DeclineLimit(20, 30 * 24 * 3600, "Visa"),)
        >>> limits = payerr.networks.ReattemptLimits(visa=visa_20, hold_for=30 * 60)
    """

    visa: tuple[DeclineLimit, ...] = VISA_LIMITS
    mastercard: tuple[DeclineLimit, ...] = MASTERCARD_LIMITS
    other: tuple[DeclineLimit, ...] | None = None
    mac_waits: Mapping[str, float] = field(default_factory=lambda: MAC_WAITS)
    never_retry_macs: frozenset[str] = NEVER_RETRY_MACS
    never_retry_for: float = 365 * DAY
    hold_for: float = 15 * 60
    pending_hold_for: float = 30 * DAY
    horizon: float = field(init=False, repr=False)
    """The longest window: declines older than this count for nothing."""
    keep: int = field(init=False, repr=False)
    """The most declines any limit needs to see: a store keeps no more per card."""

    def __post_init__(self) -> None:
        groups = {"visa": self.visa, "mastercard": self.mastercard, "other": self.other or ()}
        for name, group in groups.items():
            if not isinstance(group, tuple) or not all(isinstance(x, DeclineLimit) for x in group):
                raise UsageError(f"{name} must be a tuple of DeclineLimit")
        waits = dict(self.mac_waits)
        for code, wait in waits.items():
            if not isinstance(code, str) or _two_digits(code) != code:
                raise UsageError(f"mac_waits keys must be two-digit codes, got {code!r}")
            if not (isinstance(wait, int | float) and 0 <= wait < math.inf):
                raise UsageError(f"mac_waits[{code!r}] must be seconds >= 0, got {wait!r}")
        for name in ("never_retry_for", "hold_for", "pending_hold_for"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, int | float) and 0 < value < 1e10):
                raise UsageError(f"{name} must be > 0 seconds, got {value!r}")
        every = self._every()
        object.__setattr__(self, "mac_waits", MappingProxyType(waits))
        object.__setattr__(self, "never_retry_macs", frozenset(self.never_retry_macs))
        object.__setattr__(self, "horizon", max((x.window for x in every), default=DAY))
        object.__setattr__(self, "keep", max((x.declines for x in every), default=1))

    def __hash__(self) -> int:
        waits = tuple(sorted(self.mac_waits.items()))
        holds = (self.never_retry_for, self.hold_for, self.pending_hold_for)
        return hash((self._every(), self.other is None, waits, self.never_retry_macs, holds))

    def _every(self) -> tuple[DeclineLimit, ...]:
        return self.visa + self.mastercard + (self.other or ())

    def for_brand(self, brand: str) -> tuple[tuple[DeclineLimit, ...], str]:
        """The limits for a normalised brand, and a note when they are a conservative guess."""
        if brand == "visa":
            return self.visa, ""
        if brand == "mastercard":
            return self.mastercard, ""
        if not brand:
            return self._every(), "card brand unknown: every configured limit applies"
        if self.other is not None:
            return self.other, ""
        return self._every(), f"no limits configured for {brand}: every configured limit applies"


@dataclass(frozen=True, slots=True)
class ReattemptDecision:
    """Whether a card may be tried again now, and if not, from when.

    Truthy exactly when ``allowed``, so ``if limiter.allowed(card, last):`` reads as it should.

    Attributes:
        allowed: whether the card may be tried now.
        not_before: when not allowed: the earliest time a reattempt may be allowed, or None
            when no waiting helps.
        reason: why, in a sentence an operator can read.
        brand: the brand whose rules applied (``""``: unknown).
        reservation: from ``reserve`` when allowed: pass it to ``record``.

    Example:
        ``decision = limiter.reserve(card, last)``, then ``charge(decision.reservation)`` if
        ``decision``, else ``schedule(decision.not_before)``.
    """

    allowed: bool
    not_before: float | None
    """When ``allowed`` is false: the earliest POSIX time a reattempt may be allowed, or
    ``None`` when no waiting helps (never retry, or the last outcome is unknown)."""
    reason: str
    """Why, in a sentence an operator can read; never the card id or provider text."""
    brand: str = ""
    """The brand whose rules applied (``""``: unknown, every limit applied)."""
    reservation: str | None = None
    """From :meth:`ReattemptLimiter.reserve` when allowed: pass it to ``record``."""

    def __bool__(self) -> bool:
        return self.allowed


# -- the store ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardState:
    """What a store remembers of one card."""

    declines: tuple[float, ...] = ()
    """Times of declined (and reserved) attempts within the horizon, oldest first."""
    never_until: float | None = None
    never_reason: str = ""
    wait_until: float | None = None
    wait_reason: str = ""
    hold_until: float | None = None
    """A reserved attempt holds the card until then (its answer is not recorded yet)."""
    hold_pending: bool = False
    """The hold is a reserved attempt whose answer was pending (outcome unknown)."""


@dataclass(frozen=True, slots=True)
class StoreWrite:
    """One recorded answer, applied by a store atomically."""

    add: str | None = None
    """Count a declined attempt under this id, unless one is counted under it already (an
    attempt id seen before: the same decline reported again)."""
    remove: str | None = None
    """Drop the attempt counted under this id (a reservation). With ``add``, the added decline
    takes the dropped one's time: the reserved attempt, now counted under its attempt id."""
    never_until: float | None = None
    never_reason: str = ""
    wait_until: float | None = None
    wait_reason: str = ""
    settle: str | None = None
    """The reservation this answer settles: its hold on the card is lifted (only if the hold
    is still this reservation's)."""
    pending_until: float | None = None
    """With ``settle``: the answer is pending, so the hold stays (marked pending) until then,
    also when it had lapsed and no other reservation holds the card."""


@dataclass(frozen=True, slots=True)
class ReserveCheck:
    """What admits an attempt, in terms a store can check atomically (a Lua script too)."""

    now: float
    windows: tuple[tuple[float, DeclineLimit], ...]
    """(bound, limit): declines later than ``bound`` (exclusive) count against the limit."""
    wait: float = 0.0
    """Seconds the last answer asks to wait after the newest decline (or after now, when
    none is recorded)."""
    wait_reason: str = ""


# -- the limits document ------------------------------------------------------------------------
# What a store decides and trims by, built once here, by name: MemoryReattemptStore evaluates it
# and RedisReattemptStore's Lua scripts take it whole, as JSON. Nothing of it is computed again
# by a store (tests/networks/test_reattempt_stores_agree.py holds the two stores' logic to one
# answer).


class LimitsDocument(TypedDict):
    """What every store operation trims and expires by, from :func:`limits_document`."""

    now: float
    """The limiter's clock (stores read none)."""
    since: float
    """``now - horizon``: declines at or before it count for nothing and are dropped, before a
    write or a granted reserve counts its member (a member whose decline left every window
    counts anew)."""
    keep: int
    """The most declines a card keeps (the largest limit)."""
    horizon: float
    """The longest window in seconds: a card with nothing newer is forgotten."""


class WindowDocument(TypedDict):
    """One limit of a reserve, as :func:`reserve_document` puts it."""

    after: float
    """Declines later than this (exclusive) count: ``now - window``."""
    declines: int
    """At most this many: when as many count, the window refuses."""
    window: float
    """Its length in seconds: the oldest counted decline leaves it then."""
    name: str
    """Who set it (``"Visa"``), for the reason."""


class RuleDocument(TypedDict):
    """What :func:`stops` needs of a reserve or an ``allowed``: the answer's wait and the
    card's windows, at ``now``."""

    now: float
    wait: float
    """Seconds the last answer asks to wait after the newest decline (0: none)."""
    wait_reason: str
    windows: list[WindowDocument]


class ReserveDocument(TypedDict):
    """Everything one reserve is decided and applied by, from :func:`reserve_document`. The
    memory store evaluates it; the Redis store's Lua script takes it whole, as JSON."""

    limits: LimitsDocument
    rule: RuleDocument
    """What decides (:func:`stops`); its ``now`` is ``limits``' (each part is whole alone)."""
    member: str
    """The attempt counted and holding the card when granted (a reservation or attempt id)."""
    hold_until: float
    """``now + hold_for``: the hold's deadline when granted."""


class ChangeDocument(TypedDict, total=False):
    """A :class:`StoreWrite` by name, each field only when set (not ``None``, not ``""``)."""

    add: str
    remove: str
    never_until: float
    never_reason: str
    wait_until: float
    wait_reason: str
    settle: str
    pending_until: float


class WriteDocument(TypedDict):
    """One recorded answer and the limits it is trimmed by, from :func:`write_document`: the
    Redis store's write script takes it whole; the memory store applies the same
    :class:`StoreWrite` with the same :func:`limits_document`."""

    limits: LimitsDocument
    change: ChangeDocument


def limits_document(now: float, limits: ReattemptLimits) -> LimitsDocument:
    """The numbers every store operation trims and expires by, at ``now``."""
    return {
        "now": now,
        "since": now - limits.horizon,
        "keep": limits.keep,
        "horizon": limits.horizon,
    }


def rule_document(check: ReserveCheck) -> RuleDocument:
    """The part of a check the rule reads (:func:`stops`)."""
    windows: list[WindowDocument] = []
    for bound, limit in check.windows:  # (a loop: cheaper than a comprehension of dicts here)
        windows.append(
            {"after": bound, "declines": limit.declines, "window": limit.window, "name": limit.name}
        )
    return {
        "now": check.now,
        "wait": check.wait,
        "wait_reason": check.wait_reason,
        "windows": windows,
    }


def reserve_document(check: ReserveCheck, limits: ReattemptLimits, member: str) -> ReserveDocument:
    """Everything one reserve is decided and applied by, built once for every store: the
    memory store evaluates it (:func:`stops`), the Redis store's Lua script takes it whole."""
    return {
        "limits": limits_document(check.now, limits),
        "rule": rule_document(check),
        "member": member,
        "hold_until": check.now + limits.hold_for,
    }


_CHANGE_FIELDS = tuple(f.name for f in fields(StoreWrite))


def write_document(now: float, limits: ReattemptLimits, change: StoreWrite) -> WriteDocument:
    """One recorded answer by name, with the limits it is trimmed by."""
    named = {
        name: value
        for name in _CHANGE_FIELDS
        if (value := getattr(change, name)) is not None and value != ""
    }
    return {"limits": limits_document(now, limits), "change": cast(ChangeDocument, named)}


class ReattemptStore(Protocol):
    """Where a limiter keeps each card's declines; keys are payerr's hashes, never card ids.

    Every method is atomic with respect to every other caller of the same store (threads,
    processes, hosts). ``since`` and ``now`` are the limiter's clock; stores read none.

    Example:
        ``payerr.networks.ReattemptLimiter(store=MyStore())``: a store of your own implements
        ``read``, ``write``, ``reserve`` and ``forget``, each atomic for every caller.
    """

    def read(self, key: str, since: float) -> CardState:
        """The card's state, declines later than ``since`` only."""
        ...

    def write(self, key: str, now: float, limits: ReattemptLimits, change: StoreWrite) -> None:
        """Apply one recorded answer; keep at most ``limits.keep`` declines and forget those
        older than ``limits.horizon``."""
        ...

    def reserve(
        self, key: str, check: ReserveCheck, limits: ReattemptLimits, member: str
    ) -> tuple[bool, CardState]:
        """If ``check`` admits an attempt (no never-retry, wait, hold or full window stops
        it, the card's hold included), count one under ``member`` and hold the card for
        ``member`` until ``check.now + limits.hold_for``, at once. Returns whether it did, and
        the state it decided on (before the reservation).

        Declines at or before ``check.now - limits.horizon`` go before the attempt is counted,
        as in ``write``: a decline still stored under ``member`` that has left every window (an
        attempt id used again, nothing written since) no longer stands for it, and the attempt
        counts anew from ``check.now``. (Within the windows, ``member``'s decline is the same
        attempt's, counted once, as ``write`` counts it.)

        Repeatable: when the card's live, settled-answer-free hold is ``member``'s already (the
        same reserve sent again after its reply was lost), decide on the state without that
        hold and its counted attempt; if admitted, keep both as they are (granted again); if
        not, release both."""
        ...

    def forget(self, key: str) -> None:
        """Drop everything about the card."""
        ...


def blocks(state: CardState, check: ReserveCheck) -> list[tuple[float | None, str]]:
    """What stops an attempt now: (until, why) pairs, ``None`` for "no waiting helps"
    (:func:`stops` on the check's :func:`rule_document`)."""
    return stops(state, rule_document(check))


def stops(state: CardState, rule: RuleDocument) -> list[tuple[float | None, str]]:
    """What stops an attempt now: (until, why) pairs, ``None`` for "no waiting helps".

    The one rule every store applies, read from the ``rule`` of the document every store is
    given (:class:`ReserveDocument`). The Redis store's Lua script applies it to the same
    document; tests/networks/test_reattempt_stores_agree.py runs both stores through the same
    sequences
    and asserts the same decisions.
    """
    now = rule["now"]
    if state.never_until is not None and state.never_until > now:
        return [(None, state.never_reason or "never retry")]
    held = state.hold_until is not None and state.hold_until > now
    if held and state.hold_pending:
        return [(None, _PENDING_HOLD)]
    found: list[tuple[float | None, str]] = []
    if held and state.hold_until is not None:
        found.append((state.hold_until, _HOLD))
    if state.wait_until is not None and state.wait_until > now:
        found.append((state.wait_until, state.wait_reason or "wait"))
    wait = rule["wait"]
    if wait > 0:
        last = state.declines[-1] if state.declines else now
        stored = state.wait_until if state.wait_until is not None else -math.inf
        if stored < last + wait > now:  # (a stored wait as long already says it)
            why = rule["wait_reason"]
            if not state.declines:
                why += ", counted from now (no decline of this card is recorded)"
            found.append((last + wait, why))
    for window in rule["windows"]:
        after, declines = window["after"], window["declines"]
        recent = [t for t in state.declines if t > after]
        if len(recent) >= declines:
            # The limit-th newest decline has to leave the window.
            until = recent[len(recent) - declines] + window["window"]
            who = f"{window['name']} " if window["name"] else ""
            why = f"{len(recent)} declines in the last {_span(window['window'])} ({who}limit: "
            found.append((until, f"{why}{declines})"))
    return found


_HOLD = "another attempt on this card is in flight (reserved; its answer is not recorded yet)"
_PENDING_HOLD = (
    "a reserved attempt on this card is pending (outcome unknown): inquire, then record its "
    "settled answer with its reservation (or forget the card)"
)


class MemoryReattemptStore:
    """The embedded store: one process, thread-safe, bounded memory.

    A card is forgotten once its newest decline has left every window and its waits and hold
    are over. Past ``max_cards`` cards, the one written least recently is forgotten entirely:
    its declines no longer count, and a never-retry it carried (Visa category 1, Mastercard
    MAC 03/21) is forgotten too, so that card would be allowed again. Size ``max_cards`` above
    the number of cards you decline within ``never_retry_for`` (a year by default), or use
    :class:`~payerr.networks.RedisReattemptStore`, which forgets a card only when its own
    deadlines pass. Nothing is shared between processes.

    Args:
        max_cards: the most cards kept; past it, the least recently written is forgotten.

    Raises:
        UsageError: ``max_cards`` is not a positive whole number.

    Example:
        >>> limiter = payerr.networks.ReattemptLimiter(
        ...     payerr.networks.MemoryReattemptStore(max_cards=500_000))
    """

    def __init__(self, *, max_cards: int = 100_000) -> None:
        if isinstance(max_cards, bool) or not isinstance(max_cards, int) or max_cards < 1:
            raise UsageError(f"max_cards must be a positive int, got {max_cards!r}")
        self.max_cards = max_cards
        self._cards: OrderedDict[str, _Card] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cards)

    def read(self, key: str, since: float) -> CardState:
        with self._lock:
            card = self._cards.get(key)
            return _EMPTY if card is None else card.state(since)

    def write(self, key: str, now: float, limits: ReattemptLimits, change: StoreWrite) -> None:
        with self._lock:
            card = self._cards.get(key)
            if card is None:
                if (
                    change.add is None
                    and change.never_until is None
                    and change.wait_until is None
                    and change.pending_until is None
                ):
                    return  # nothing to release on a card we do not know
                card = self._cards[key] = _Card()
            terms = limits_document(now, limits)
            card.apply(now, change, terms["since"])
            self._settle(key, card, terms)

    def reserve(
        self, key: str, check: ReserveCheck, limits: ReattemptLimits, member: str
    ) -> tuple[bool, CardState]:
        # The same document the Redis store's script takes, evaluated here.
        document = reserve_document(check, limits, member)
        terms, now = document["limits"], document["rule"]["now"]
        with self._lock:
            card = self._cards.get(key)
            own = card is not None and card.holds(member, now)
            state = _EMPTY if card is None else card.state(terms["since"], member if own else None)
            if stops(state, document["rule"]):
                if own and card is not None:  # a repeated reserve the rules now refuse
                    card.apply(now, StoreWrite(remove=member, settle=member))
                    self._settle(key, card, terms)
                return False, state
            if card is None:
                card = self._cards[key] = _Card()
            if not own:
                # Declines past the horizon go first, as in a write: a member whose decline
                # left every window (still stored, nothing written since) counts anew, from now.
                card.apply(now, StoreWrite(add=member), terms["since"])
                card.hold_member, card.hold_pending = member, False
                card.hold_until = document["hold_until"]
            self._settle(key, card, terms)
            return True, state

    def forget(self, key: str) -> None:
        with self._lock:
            self._cards.pop(key, None)

    def _settle(self, key: str, card: _Card, terms: LimitsDocument) -> None:
        """Trim the card, drop it if empty, and keep the whole store within its bounds."""
        now = terms["now"]
        card.trim(terms)
        if card.expires <= now:
            del self._cards[key]
        else:
            self._cards.move_to_end(key)
        # Forget a few cards whose windows are over (the least recently written come first),
        # then the least recently written beyond max_cards.
        for old in [k for k in islice(self._cards, 4) if self._cards[k].expires <= now]:
            del self._cards[old]
        while len(self._cards) > self.max_cards:
            self._cards.popitem(last=False)


_EMPTY = CardState()


class _Card:
    __slots__ = (
        "declines",
        "expires",
        "hold_member",
        "hold_pending",
        "hold_until",
        "never_reason",
        "never_until",
        "wait_reason",
        "wait_until",
    )

    def __init__(self) -> None:
        self.declines: list[tuple[float, str]] = []  # (time, member), oldest first
        self.never_until: float | None = None
        self.never_reason = ""
        self.wait_until: float | None = None
        self.wait_reason = ""
        self.hold_member = ""
        self.hold_until: float | None = None
        self.hold_pending = False
        self.expires = -math.inf

    def holds(self, member: str, now: float) -> bool:
        """The card's live hold is ``member``'s, and no answer of it was recorded."""
        live = self.hold_until is not None and self.hold_until > now
        return live and self.hold_member == member and not self.hold_pending

    def state(self, since: float, without: str | None = None) -> CardState:
        """What the store knows; ``without``: as if that member's hold and attempt were not."""
        if without is not None:
            return CardState(
                tuple(t for t, m in self.declines if t > since and m != without),
                self.never_until,
                self.never_reason,
                self.wait_until,
                self.wait_reason,
            )
        return CardState(
            tuple(t for t, _ in self.declines if t > since),
            self.never_until,
            self.never_reason,
            self.wait_until,
            self.wait_reason,
            self.hold_until,
            self.hold_pending,
        )

    def apply(self, now: float, change: StoreWrite, since: float | None = None) -> None:
        """``since``: declines at or before it go before the new one is added (a write or a
        granted reserve, as the Redis store's): an attempt id recorded or reserved again once
        its decline has left every window counts anew, whether or not anything trimmed the
        card in between."""
        when = now
        if change.remove is not None:
            kept = []
            for decline in self.declines:
                if decline[1] == change.remove:
                    when = decline[0]
                else:
                    kept.append(decline)
            self.declines = kept
        if since is not None:
            self.declines = [d for d in self.declines if d[0] > since]
        if change.add is not None and all(m != change.add for _, m in self.declines):
            self.declines.append((when, change.add))
            self.declines.sort()
        if change.settle is not None:
            live = self.hold_until is not None and self.hold_until > now
            if change.pending_until is not None:
                if self.hold_member == change.settle or not live:
                    self.hold_member, self.hold_pending = change.settle, True
                    self.hold_until = change.pending_until
            elif self.hold_member == change.settle:
                self.hold_member, self.hold_until, self.hold_pending = "", None, False
        if change.never_until is not None and (
            self.never_until is None or change.never_until > self.never_until
        ):
            self.never_until, self.never_reason = change.never_until, change.never_reason
        if change.wait_until is not None and (
            self.wait_until is None or change.wait_until > self.wait_until
        ):
            self.wait_until, self.wait_reason = change.wait_until, change.wait_reason

    def trim(self, terms: LimitsDocument) -> None:
        now, since = terms["now"], terms["since"]
        self.declines = [d for d in self.declines if d[0] > since][-terms["keep"] :]
        if self.never_until is not None and self.never_until <= now:
            self.never_until, self.never_reason = None, ""
        if self.wait_until is not None and self.wait_until <= now:
            self.wait_until, self.wait_reason = None, ""
        if self.hold_until is not None and self.hold_until <= now:
            self.hold_member, self.hold_until, self.hold_pending = "", None, False
        newest = self.declines[-1][0] + terms["horizon"] if self.declines else -math.inf
        self.expires = max(
            newest,
            self.never_until or -math.inf,
            self.wait_until or -math.inf,
            self.hold_until or -math.inf,
        )


# -- the limiter --------------------------------------------------------------------------------


class ReattemptLimiter:
    """Decides whether a declined card may be tried again, under the networks' rules.

    ``allowed(card_id, last)`` answers for the answer ``last`` (usually the decline you want to
    reattempt after); ``record(card_id, answer)`` remembers each answer. For a fleet,
    ``allowed`` then ``record`` is a race (two workers can both see 9 of 10 declines and both
    try); :meth:`reserve` checks, counts and holds the card in one atomic step: while a granted
    reservation's answer is not recorded (at most ``limits.hold_for``, 15 minutes by default),
    every other ``reserve`` and ``allowed`` on that card is refused, with ``not_before`` at the
    hold's end. A reservation whose answer is recorded pending keeps holding the card (refused
    with ``not_before=None``) until its settled answer is recorded with the same reservation,
    :meth:`forget`, or ``limits.pending_hold_for``.

    What ``record`` counts: an issuer's decline, that is a *failed* answer whose category is
    user-action, risk or final and that is not a repeat answer (``Classification.repeat``: the
    provider answering a request id it has already seen). Only those carry ``network`` advice.
    A retryable or merchant-config failure (a timeout, a 5xx, a rate limit, a bad signature,
    access denied) is about the call, not the card: not counted, and no advice in it applies.
    The same decline reported more than once (the pay answer, an inquiry, a notification, a
    webhook delivered twice) counts once when each ``record`` passes the payment's request id
    as ``attempt_id``. *Success* changes nothing: the networks count declines, and an approval
    does not un-count one (Mastercard's 24 h count is per card "for any amount"); nor does it
    lift a never-retry (MAC 21 means the cardholder stopped the recurring payment, and a one-off
    approval on the same card does not restart it): call :meth:`forget` when the cardholder
    gives new card details or agrees again. *Pending* (outcome unknown) is not a decline and is
    not counted, but ``allowed`` refuses after it: inquire first, or a reattempt may charge
    twice. A reserved attempt counts as a decline until its answer is recorded, and while that
    answer is pending.

    Brands: Visa's category 1 is read only on a ``visa`` card, Mastercard's MACs (03/21 never,
    02 and 24-30 waits) only on a ``mastercard`` card, as
    :func:`payerr.networks.network_advice` reads them; a card whose brand is unknown gets
    every configured count limit, but no never-retry or wait from a code whose meaning
    depends on the brand.

    Args:
        store: where declines are kept (default: a new :class:`MemoryReattemptStore`); a
            :class:`~payerr.networks.RedisReattemptStore` shares them across a fleet.
            Limiters sharing a store should share their limits.
        clock: POSIX time (default ``time.time``); injectable for tests.
        limits: the rules (default :class:`ReattemptLimits`, the strictest reading).

    Example:
        >>> limiter = payerr.networks.ReattemptLimiter()
        >>> stolen = payerr.classify_http("antom", 200, {
        ...     "result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"},
        ...     "paymentResultInfo": {"cardBrand": "VISA", "refusalCodeRaw": "43"}})
        >>> limiter.record("fp_2f8c41d07a", stolen, attempt_id="renewal-1")
        >>> limiter.allowed("fp_2f8c41d07a", stolen).allowed
        False
    """

    def __init__(
        self,
        store: ReattemptStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        limits: ReattemptLimits | None = None,
    ) -> None:
        self.store: ReattemptStore = MemoryReattemptStore() if store is None else store
        self.limits = ReattemptLimits() if limits is None else limits
        self._clock = clock
        self._unwritten: dict[int, tuple[str, float, StoreWrite]] = {}
        """Answers (and give-backs) the store did not take yet, in the order they came."""
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._down = False
        _LIMITERS.add(self)

    @property
    def unwritten(self) -> int:
        """How many recorded answers (and given-back reservations) this process keeps
        because the store failed; they are written, in order, before its next use."""
        return len(self._unwritten)

    def flush(self) -> None:
        """Write the answers this process keeps (see :attr:`unwritten`) now. Every other
        method does it first anyway; call this from a worker that may stay idle after an
        outage.

        Raises:
            ReattemptStoreError: the store still fails (the answers stay kept).
        """
        self._write_back("flush")

    def allowed(self, card_id: str, classification: Classification) -> ReattemptDecision:
        """Whether ``card_id`` may be tried again now, after the answer ``classification``.
        Refused while another worker's reservation holds the card.

        Raises:
            ReattemptStoreError: the store failed: nothing is decided, never a guess.
            UsageError: ``card_id`` is not a printable, non-blank str of 1 to 256
                characters, or looks like a card number (pass the provider's fingerprint or
                token id, never a PAN), or the limiter's clock returned no finite POSIX time.
        """
        key = card_key(card_id)
        plan = self._plan(classification)
        if isinstance(plan, ReattemptDecision):
            return plan
        since = plan.check.now - self.limits.horizon
        state = self._use("allowed", lambda: self.store.read(key, since))
        return plan.decide(state)

    def reserve(
        self, card_id: str, classification: Classification, *, attempt_id: str | None = None
    ) -> ReattemptDecision:
        """Like :meth:`allowed`, and when allowed, count the attempt and hold the card at once
        (atomically in the store): one worker wins, and until its answer is recorded (or
        ``limits.hold_for`` passes) every other ``reserve`` or ``allowed`` on the card is
        refused with ``not_before`` at the hold's end. Record the attempt's answer with
        ``record(card_id, answer, reservation=decision.reservation)``: a decline keeps the slot
        and lifts the hold, a success or a non-decline releases both, a pending answer keeps
        both until the settled answer is recorded (or ``forget``, or
        ``limits.pending_hold_for``). A reservation never settled counts as a decline until it
        leaves the windows.

        ``attempt_id`` (the payment request id you will charge under) makes it repeatable:
        when the store failed or its reply was lost, reserve again with the same id, from any
        worker. A reservation the store granted meanwhile is this attempt's: granted again
        (the same ``reservation``, not counted twice) while its hold lasts. Without one, a
        reservation whose reply was lost is given back by this process before its next use of
        the store (until then it holds the card, at most ``limits.hold_for``).

        Raises:
            ReattemptStoreError: the store failed: no reservation is granted to this call
                (reserve again with the same ``attempt_id``).
            UsageError: ``card_id`` is not a printable, non-blank str of 1 to 256
                characters, or looks like a card number (pass the provider's fingerprint or
                token id, never a PAN); an ``attempt_id`` that is not printable text of 1 to
                256 characters; or the limiter's clock returned no finite POSIX time.
        """
        key = card_key(card_id)
        plan = self._plan(classification)
        if isinstance(plan, ReattemptDecision):
            return plan
        member = _member() if attempt_id is None else _attempt_member(attempt_id)
        check = plan.check
        try:
            granted, state = self._use(
                "reserve", lambda: self.store.reserve(key, check, self.limits, member)
            )
        except ReattemptStoreError as error:
            if attempt_id is None:
                error.args = (self._give_back(key, check.now, member, error),)
            raise
        decision = plan.decide(state)
        if granted and decision.allowed:
            return ReattemptDecision(True, None, decision.reason, plan.brand, member)
        if granted:  # the store admitted what the rule refuses: give the slot back
            give_back = StoreWrite(remove=member, settle=member)
            self._record_change(key, check.now, give_back, "reserve")
        if decision.allowed:
            return ReattemptDecision(False, None, "the store refused the reservation", plan.brand)
        return decision

    def record(
        self,
        card_id: str,
        classification: Classification,
        *,
        reservation: str | None = None,
        attempt_id: str | None = None,
    ) -> None:
        """Remember the answer to an attempt on ``card_id`` (see the class docstring for what
        counts). ``reservation`` settles an attempt :meth:`reserve` admitted.

        ``attempt_id``: the payment's request id (Antom ``paymentRequestId``). A decline already
        recorded under it for this card is not counted again, so the pay answer, an inquiry and
        a notification of one decline (or a webhook delivered twice) count once. Remembered as
        long as the decline counts (the longest window, and at most as many declines per card
        as the largest limit); only its hash is stored.

        When the store fails, this process keeps the answer (``kept``) and writes it before
        its next use of the store, and recording it again is safe (with ``attempt_id`` or
        ``reservation``, it counts once).

        Raises:
            ReattemptStoreError: the store failed: the answer was not recorded yet (``kept``
                says whether this process keeps it to write later).
            UsageError: ``card_id`` is not a printable, non-blank str of 1 to 256
                characters, or looks like a card number; a ``reservation`` that is not the id
                a :class:`ReattemptDecision` carried; an ``attempt_id`` that is not printable
                text of 1 to 256 characters; or the limiter's clock returned no finite POSIX
                time.
        """
        key = card_key(card_id)
        if reservation is not None and not (
            isinstance(reservation, str) and 0 < len(reservation) <= 64
        ):
            raise UsageError("reservation must be the id a ReattemptDecision carried")
        attempt = None if attempt_id is None else _attempt_member(attempt_id)
        now = self._now()
        advice = _advice(classification, self.limits)
        if advice is not None and advice.decline:
            change = StoreWrite(
                add=attempt or reservation or _member(),
                remove=reservation,
                never_until=None if advice.never is None else now + self.limits.never_retry_for,
                never_reason=advice.never or "",
                wait_until=now + advice.wait if advice.wait > 0 else None,
                wait_reason=advice.wait_reason,
                settle=reservation,
            )
        elif reservation is None:
            return  # nothing counted, nothing reserved: nothing to remember
        elif classification.outcome is Outcome.PENDING:
            # The reserved slot stays counted and the card held until the outcome is known.
            pending_until = now + self.limits.pending_hold_for
            change = StoreWrite(settle=reservation, pending_until=pending_until)
        else:
            change = StoreWrite(remove=reservation, settle=reservation)
        self._record_change(key, now, change, "record")

    def forget(self, card_id: str) -> None:
        """Forget the card: the cardholder gave new details or agreed to be charged again.
        Answers this process keeps for it are written first (and so forgotten too).

        Raises:
            ReattemptStoreError: the store failed: the card was not forgotten (call again).
            UsageError: ``card_id`` is not a printable, non-blank str of 1 to 256
                characters, or looks like a card number.
        """
        key = card_key(card_id)
        self._use("forget", lambda: self.store.forget(key))

    # -- the store, and what to do when it fails -------------------------------------------

    def _use(self, operation: str, call: Callable[[], _T]) -> _T:
        """Write back what this process keeps, then ``call`` the store; a failure is a
        ReattemptStoreError (a PayerrError the store raised passes as it is)."""
        if self._unwritten:
            self._write_back(operation)
        try:
            result = call()
        except PayerrError:
            raise
        except Exception as exc:
            raise self._failed(operation, exc) from exc
        if self._down:
            self._recovered()
        return result

    def _record_change(self, key: str, now: float, change: StoreWrite, operation: str) -> None:
        """Write one answer, after the ones kept before it; kept when the store fails."""
        if not self._unwritten:
            try:
                self.store.write(key, now, self.limits, change)
            except PayerrError:
                raise
            except Exception as exc:
                kept = self._keep(key, now, change)
                raise self._failed(operation, exc, kept=kept) from exc
            if self._down:
                self._recovered()
            return
        self._write_back(operation, kept=self._keep(key, now, change))

    def _give_back(self, key: str, now: float, member: str, error: ReattemptStoreError) -> str:
        """A reserve without an attempt id failed, and the store may have granted it before
        its reply was lost: nobody can claim that reservation, so give it back. At once,
        unless the store hung (a timeout: another wait as long would follow); otherwise before
        this process's next use of the store. Returns the error's text, saying which."""
        self._keep(key, now, StoreWrite(remove=member, settle=member))
        cause = error.__cause__
        if cause is not None and "Timeout" not in type(cause).__name__:
            with contextlib.suppress(ReattemptStoreError):
                self._write_back("reserve")
        where = str(error).split(", so none is granted")[0]
        if not self._unwritten:
            return f"{where}; a reservation it may have granted was given back"
        return (
            f"{where}; a reservation it may have granted holds the card until this process "
            "gives it back, before its next use of the store (at most limits.hold_for). Pass "
            "attempt_id to make reserve repeatable from any worker"
        )

    def _keep(self, key: str, now: float, change: StoreWrite) -> bool:
        with self._lock:
            if len(self._unwritten) >= UNWRITTEN_LIMIT:
                return False
            self._unwritten[next(self._numbers)] = (key, now, change)
            return True

    def _write_back(self, operation: str, *, kept: bool = True) -> None:
        """Write every kept answer, oldest first, one writer at a time (answers on one card
        apply in the order they came); each leaves the list only once written."""
        with self._writing:
            with self._lock:
                pending = list(self._unwritten.items())
            for number, (key, now, change) in pending:
                try:
                    self.store.write(key, now, self.limits, change)
                except PayerrError:
                    raise
                except Exception as exc:
                    raise self._failed(operation, exc, kept=kept) from exc
                with self._lock:
                    self._unwritten.pop(number, None)
        if self._down:
            self._recovered()

    def _failed(self, operation: str, exc: Exception, *, kept: bool = False) -> ReattemptStoreError:
        with self._lock:
            first, self._down = not self._down, True
            unwritten = len(self._unwritten)
        cause = type(exc).__name__
        if first:
            _log.emit(
                logging.WARNING,
                REATTEMPT_STORE_UNREACHABLE,
                error=cause,
                store=type(self.store).__name__,
                consequence="no reattempt is allowed until it answers; answers are kept",
            )
        where = f"the reattempt store failed ({cause})"
        if operation == "record":
            if kept:
                also = (
                    f"this process keeps it and writes it before its next use of the store "
                    f"({unwritten} kept)"
                )
            else:
                also = f"it is NOT kept: this process already keeps {unwritten} answers"
            message = (
                f"the answer was not recorded: {where}; {also}. Recording it again (same "
                "card, attempt_id and reservation) is safe and counts it once (without an "
                "attempt_id or a reservation, each record counts)"
            )
        elif operation == "reserve":
            message = (
                f"no reservation: {where}, so none is granted to this call. Reserving again "
                "with the same attempt_id is safe: a reservation the store granted before its "
                "reply was lost is this attempt's again"
            )
        elif operation == "forget":
            message = f"the card was not forgotten: {where}; call forget again"
        else:
            message = (
                f"nothing was decided: {where}; no reattempt is allowed until it answers "
                f"({unwritten} answers kept to write)"
            )
        return ReattemptStoreError(message, operation, kept=kept, unwritten=unwritten)

    def _recovered(self) -> None:
        with self._lock:
            was, self._down = self._down, bool(self._unwritten)
        if was and not self._down:
            _log.emit(logging.INFO, REATTEMPT_STORE_RECOVERED, store=type(self.store).__name__)

    def _now(self) -> float:
        now = self._clock()
        if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
            raise UsageError(f"the limiter's clock must return a finite POSIX time, got {now!r}")
        return float(now)

    def _plan(self, classification: Classification) -> ReattemptDecision | _Plan:
        """What the answer alone decides, or what the store has to check."""
        now = self._now()
        brand = _brand(classification.network)
        if classification.outcome is Outcome.PENDING:
            return ReattemptDecision(
                False,
                None,
                "the last attempt's outcome is unknown (pending): inquire before a reattempt, "
                "which could charge twice",
                brand,
            )
        advice = _advice(classification, self.limits)
        if advice is not None and advice.never is not None:
            return ReattemptDecision(False, None, f"{advice.never}: do not reattempt", brand)
        limits, note = self.limits.for_brand(brand)
        windows = tuple((now - limit.window, limit) for limit in limits)
        wait, why = (advice.wait, advice.wait_reason) if advice is not None else (0.0, "")
        return _Plan(ReserveCheck(now, windows, wait, why), brand, note)

    def __repr__(self) -> str:
        return f"ReattemptLimiter(store={type(self.store).__name__}, limits={self.limits!r})"


@dataclass(frozen=True, slots=True)
class _Plan:
    check: ReserveCheck
    brand: str
    note: str

    def decide(self, state: CardState) -> ReattemptDecision:
        found = blocks(state, self.check)
        prefix = f"{self.note}; " if self.note else ""
        if not found:
            counts = ", ".join(
                f"{sum(1 for t in state.declines if t > bound)} of {limit.describe()}"
                for bound, limit in self.check.windows
            )
            reason = f"{prefix}allowed: {counts or 'no limits apply'}"
            return ReattemptDecision(True, None, reason, self.brand)
        whys = "; ".join(why for _, why in found)
        if any(until is None for until, _ in found):
            return ReattemptDecision(False, None, f"{prefix}{whys}: do not reattempt", self.brand)
        not_before = max(until for until, _ in found if until is not None)
        reason = f"{prefix}{whys}; next attempt from {_when(not_before)}"
        return ReattemptDecision(False, not_before, reason, self.brand)


@dataclass(frozen=True, slots=True)
class _Advice:
    brand: str
    decline: bool
    never: str | None
    wait: float
    wait_reason: str


def _advice(c: Classification, limits: ReattemptLimits) -> _Advice | None:
    """What a failed answer says about reattempts; ``None`` for any other outcome."""
    if c.outcome is not Outcome.FAILED:
        return None
    network = c.network
    brand = _brand(network)
    if not is_issuer_decline(c):
        # Retryable, merchant-config or a repeat answer: about the call, not the card.
        return _Advice(brand, False, None, 0.0, "")
    never: str | None = None
    wait, wait_reason = 0.0, ""
    if network is not None:
        # A MAC is Mastercard's: on another or an unknown brand it is not read (as advice).
        mac = _two_digits(network.advice_code) if brand == "mastercard" else None
        if brand == "visa" and network.category == "1":
            never = "Visa decline category 1 (the issuer will never approve)"
        elif mac is not None and mac in limits.never_retry_macs:
            words = _MAC_WORDS.get(mac, "never retry")
            never = f"Mastercard merchant advice code {mac} ({words})"
        elif network.never_retry:
            never = "the network or issuer said never retry this card"
        if mac is not None and mac in limits.mac_waits and c.category is not Category.RISK:
            # A network's wait never makes a risk refusal reattemptable (as the advice).
            wait = limits.mac_waits[mac]
            wait_reason = f"Mastercard merchant advice code {mac}: wait {_span(wait)}"
            if mac == "02":
                wait_reason += " (02 names no time; see ReattemptLimits.mac_waits)"
    retry_after = c.retry_after
    if retry_after is not None and wait < retry_after < math.inf:
        wait, wait_reason = retry_after, f"the provider asked to wait {_span(retry_after)}"
    if never is None and c.category is Category.RISK and retry_after is None:
        # Refused by risk controls, and the provider names no wait (Antom's SUSPECTED_RISK
        # does: a working day): payerr advises do_not_retry, and the limiter agrees.
        never = f"refused by the provider's risk controls ({c.code or 'risk'})"
    return _Advice(brand, True, never, wait, wait_reason)


_MAC_WORDS = {"03": "do not try again", "21": "payment cancelled by the cardholder"}


def _brand(network: NetworkAdvice | None) -> str:
    """The advice's brand as payerr reads a provider's (``"MC"`` -> ``"mastercard"``); ``""``
    when unknown (every limit applies)."""
    return "" if network is None else card_brand(network.brand)


def _two_digits(code: str | None) -> str | None:
    """A Merchant Advice Code: exactly two ASCII digits, else None. A one-digit code is not
    padded, as the classification does not pad it (Barclays sends its own one-digit scheme
    in the field, where 4 means "do not try again": never MAC 04), so the limiter and the
    advice read one code one way."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    if not (code.isascii() and code.isdigit() and len(code) == 2):
        return None
    return code


def card_key(card_id: str) -> str:
    """The store key for ``card_id``: a hash, so no card id reaches a store, a key cannot
    collide with another's or inject anything, and every key has the same length.

    Raises :class:`~payerr.UsageError` for anything but a printable str of 1 to
    ``MAX_CARD_ID_LENGTH`` characters that is not only white space, and for anything holding a
    card number (a Luhn-valid run of 13 to 19 digits, plain or grouped by spaces, ``-``, ``.``,
    ``/``, ``_``, ``+`` or one of them percent-encoded, full-width digits too: the check reads
    the id NFKC-normalised): pass the
    provider's card fingerprint or token id, never a PAN. The message never repeats the id.
    The hash is of the id as given, unkeyed: the store's keys identify a card to whoever can
    compute sha256 over candidate ids.
    """
    if not isinstance(card_id, str):
        raise UsageError(f"card_id must be a str (a token or fingerprint), not {type(card_id)}")
    if not 0 < len(card_id) <= MAX_CARD_ID_LENGTH:
        raise UsageError(f"card_id must have 1 to {MAX_CARD_ID_LENGTH} characters")
    if not card_id.isprintable():
        raise UsageError("card_id must be printable text")
    if not card_id.strip():
        raise UsageError("card_id must not be only white space")
    if _holds_card_number(ascii_digits(unicodedata.normalize("NFKC", card_id))):
        raise UsageError(
            "card_id looks like a card number: pass the provider's card fingerprint or token "
            "id, never a PAN"
        )
    return hashlib.sha256(card_id.encode()).hexdigest()[:32]


def _holds_card_number(text: str) -> bool:
    """A card number as payerr's redaction reads one (digit groups as cards are printed, Luhn,
    no leading zero), of 13 digits or more."""
    for match in CARD_RUN.finditer(text):
        groups = GROUPS.split(match.group(0))[::2]
        for first, last in pan_spans(groups):
            if sum(len(g) for g in groups[first : last + 1]) >= 13:
                return True
    return False


def _attempt_member(attempt_id: str) -> str:
    """The counted-attempt id for a payment request id: a hash (the id itself is not stored)."""
    if not isinstance(attempt_id, str):
        raise UsageError(f"attempt_id must be a str (a payment request id), not {type(attempt_id)}")
    if not 0 < len(attempt_id) <= MAX_ATTEMPT_ID_LENGTH or not attempt_id.isprintable():
        raise UsageError(
            f"attempt_id must be printable text of 1 to {MAX_ATTEMPT_ID_LENGTH} characters"
        )
    return "id:" + hashlib.sha256(attempt_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _member() -> str:
    """A unique id for one counted attempt (a reservation's id)."""
    return secrets.token_hex(12)


def _span(seconds: float) -> str:
    if seconds >= DAY and seconds % DAY == 0 and seconds != DAY:
        return f"{seconds / DAY:g} days"
    if seconds >= HOUR and seconds % HOUR == 0:
        return f"{seconds / HOUR:g} h"
    return f"{seconds:g} s"


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


_LIMITERS: weakref.WeakSet[ReattemptLimiter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child gets new locks (another thread may have held one at the fork)."""
    for limiter in list(_LIMITERS):
        limiter._lock = threading.Lock()
        limiter._writing = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
for _public in (
    DeclineLimit, MemoryReattemptStore, ReattemptDecision, ReattemptLimiter, ReattemptLimits,
    ReattemptStore,
):  # fmt: skip
    _public.__module__ = "payerr.networks"
