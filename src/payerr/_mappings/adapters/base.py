"""What every envelope reader shares: the verdict types and defensive field readers.

A reader gets the body as a JSON object and returns a :data:`Reading`: a verdict and the
provider's message for this response. The verdict is a Classification (a known code decided),
an :class:`Unresolved` (a code or status was there but no mapping row decides), or None
(nothing in the body decides; the HTTP status will). Readers never raise on odd bodies.

Each reader is its provider's precedence written as data: an ordered table of :class:`Rule`
(``RULES`` in each adapter module), walked by :func:`first_answer`; the first rule that answers
wins. The docs' table of every provider's precedence is generated from those tables
(``tools/docs_hooks.py``; ``tests/docs/test_docs_site.py`` keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from payerr._core.taxonomy import Category, Classification, Operation, Outcome
from payerr._core.text import clean_cut, int_text
from payerr._mappings.schema import garbled, normalize_code
from payerr._mappings.table import ProviderTable

__all__ = [
    "INVALID",
    "Fallback",
    "Reading",
    "Rule",
    "Unresolved",
    "code_of",
    "fallbacks",
    "first_answer",
    "get_path",
    "group",
    "inquiry_failed",
    "pending",
    "resolve",
    "text_of",
    "unmapped_of",
    "upper_of",
]

_MAX_TEXT = 1000
_MAX_CODE = 128


@dataclass(frozen=True, slots=True)
class Fallback:
    """What a provider-level status field says, used when the code is unknown or disagrees."""

    outcome: Outcome
    category: Category | None
    source: str
    action: str | None = None
    """What to do, where the status field's meaning says more than the outcome's default."""


def fallbacks(
    source: str, statuses: dict[str, tuple[Outcome, Category | None]]
) -> dict[str, Fallback]:
    """A provider status field's values, each mapped to the Fallback it stands for."""
    return {
        value: Fallback(outcome, category, source)
        for value, (outcome, category) in statuses.items()
    }


def pending(source: str) -> Fallback:
    """What a status field says when its answer cannot be trusted: outcome unknown."""
    return Fallback(Outcome.PENDING, None, source)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A code (or status) was present, but no mapping row decides."""

    raw_code: str | None
    source: str
    fallback: Fallback | None = None
    why: str = ""
    unmapped: str | None = None
    """The deciding field's value, when it is one payerr does not know (the value to map)."""


Finding = Classification | Unresolved | None
Reading = tuple[Finding, str | None]

_A = TypeVar("_A")
_B = TypeVar("_B")


@dataclass(frozen=True, slots=True)
class Rule(Generic[_A]):
    """One step of a provider's precedence: when it applies, what it answers.

    ``applies`` takes the answer as the reader sees it (each adapter's ``_Answer``: the body and
    the values every rule looks at, read once) and returns a :data:`Reading` when this rule
    decides, None when the next rule should look. It reads only the fields it needs, and the
    same fields give the same answer: the table's verdicts are remembered by the fields read
    (:mod:`payerr._mappings.memo`). A group (:func:`group`) is a rule made of rules.
    """

    name: str
    """A short name, unique in its table (the docs' table lists it)."""
    says: str
    """What the rule does, in one line of plain words."""
    source: str
    """Where it comes from: the provider's pages (``;`` between two), or payerr's own rule by
    its heading on the docs' Architecture page (``Architecture#truth-rules``)."""
    applies: Callable[[_A], Reading | None]
    rules: tuple[Rule[Any], ...] = ()
    """A group's rules, walked in order when the group applies (empty for a single rule)."""


def group(
    name: str,
    says: str,
    source: str,
    when: Callable[[_A], _B | None],
    rules: tuple[Rule[_B], ...],
) -> Rule[_A]:
    """A rule made of ``rules``, for the answers ``when`` accepts: it hands them the answer as
    they see it (None: the group does not apply), and the first of them that answers decides;
    when none does, the next rule after the group looks."""

    def applies(answer: _A) -> Reading | None:
        inner = when(answer)
        return None if inner is None else _walk(rules, inner)

    return Rule(name, says, source, applies, rules)


def _walk(rules: tuple[Rule[_A], ...], answer: _A) -> Reading | None:
    for rule in rules:
        reading = rule.applies(answer)
        if reading is not None:
            return reading
    return None


_NOTHING: Reading = (None, None)


def first_answer(rules: tuple[Rule[_A], ...], answer: _A) -> Reading:
    """The reading of the first rule in ``rules`` that answers (each table's last rule always
    does)."""
    for rule in rules:  # _walk's loop, written out: one call less on every answer
        reading = rule.applies(answer)
        if reading is not None:
            return reading
    return _NOTHING


class _Invalid:
    """A code field holding something that is not a code (a float, a list, a bool...)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()


def code_of(value: object) -> str | _Invalid | None:
    """A code field's value as a string; None when absent or empty, INVALID for a wrong type."""
    if value is None:
        return None
    if isinstance(value, str):
        value = clean_cut(value, _MAX_CODE)
        return value if value.strip() else None
    if type(value) is int:
        text = int_text(value)
        return INVALID if text is None else text
    return INVALID


def _kind(value: object) -> str:
    """What a JSON value is, by its JSON kind (an object is a dict, whatever holds it)."""
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def unmapped_of(value: object) -> str | None:
    """A status field's value payerr does not know, as it may be shown and mapped: text, cut,
    card numbers masked, an invisible or control character written as its escape (``SUCCESS``
    with a zero-width space is ``SUCCESS\\u200b``, never the known ``SUCCESS``); None for
    anything else (null, a number, an object)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if not value.isprintable():
        value = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value[:_MAX_CODE])
    return clean_cut(value, _MAX_CODE, "...")


def text_of(value: object) -> str | None:
    """A message field's value, if it is a string (capped at 1,000 characters)."""
    if isinstance(value, str) and value:
        value = clean_cut(value, _MAX_TEXT, "...")
        return value or None
    return None


def upper_of(value: object) -> str | None:
    """A status field's value, normalised, or None."""
    if isinstance(value, str):
        if not value.strip().isprintable():
            return None  # a status with invisible or control characters is unreadable
        return normalize_code(value) or None
    return None


def get_path(obj: object, path: str) -> Any:
    """Follow a dotted path (``"data.error_code"``) through nested objects; None if it breaks."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def resolve(
    table: ProviderTable,
    value: object,
    source: str,
    fallback: Fallback | None = None,
    *,
    must_agree: bool = False,
) -> Finding:
    """The verdict for one code field, or None when the field is absent.

    Args:
        fallback: what the provider's status field says; it decides when the code is unknown.
        must_agree: when the status field and a known code disagree on the outcome (a
            ``SUCCESS`` code beside a ``FAILURE`` status), let the status decide.
    """
    raw = code_of(value)
    if raw is None:
        return None
    if isinstance(raw, _Invalid):
        return Unresolved(None, source, fallback, why=f"{source} holds a {_kind(value)}")
    hit = table.lookup(raw, source)
    if (
        hit is not None
        and hit.outcome is Outcome.SUCCESS
        and raw is not value  # code_of hands back a printable code itself: no copy
        and isinstance(value, str)
        and garbled(value)
    ):
        # "SUCC\u200bESS", "0000\x00": invisible or control characters may help recognise a
        # failed or in-process code, never a success (Architecture#provider-text-is-hostile).
        why = f"{source} holds invisible or control characters"
        return Unresolved(raw, source, pending(source), why=why)
    if hit is None:
        return Unresolved(raw, source, fallback)
    if must_agree and fallback is not None and fallback.outcome is not hit.outcome:
        if hit.outcome is Outcome.PENDING and fallback.outcome is Outcome.FAILED:
            # An in-process code beside a failure status (PayKKa 4000 "Payment order is
            # processing, please do not pay again" with status FAILURE): this request was
            # refused because the order is in process. Never failed
            # (Architecture#in-process-is-pending).
            return hit
        return Unresolved(
            raw, source, fallback, why=f"{fallback.source} contradicts {source} {hit.code}"
        )
    return hit


# An inquiry that failed for these reasons could not look: "we could not check" (fit_message).
_COULD_NOT_LOOK = frozenset({Category.RETRYABLE, Category.MERCHANT_CONFIG})


def inquiry_failed(
    table: ProviderTable,
    verdict: Classification | Unresolved | None,
    field: str,
    operation: Operation,
) -> Classification | Unresolved:
    """A query whose own call failed: it could not look (retryable, merchant-config: "we could
    not check"), or the order it asked after does not exist (a row scoped to the inquiry:
    the payment never arrived), or it says nothing certain of the payment: pending. Antom's
    inquiryPayment: its result "doesn't indicate the payment result. This field only indicates
    whether the inquiryPayment API is called successfully" (docs.antom.com/ac/ams/
    paymentri_online)."""
    assert isinstance(verdict, Classification)  # the callers checked
    scoped = table.scoped.get((verdict.code, operation)) if verdict.known else None
    if verdict.category in _COULD_NOT_LOOK or (
        scoped is not None and "not exist" in scoped.message.lower()
    ):
        # The provider's words say the order asked after does not exist
        # (Architecture#an-inquiry-is-not-an-execution).
        return verdict
    why = f"the inquiry itself failed ({field} {verdict.code}): it says nothing of the payment"
    return Unresolved(verdict.raw_code, field, pending(field), why=why)
