"""Card network code tables as values: issuer codes, Merchant Advice Codes, reattempt limits.

One network's table (:class:`NetworkTable`) and its rows, each carrying its public sources in
their own words; ``payerr.networks._schema`` builds them from ``mappings/networks/*.toml`` and
``payerr.networks._tables`` loads the shipped ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ADVICE_CODE",
    "CATEGORIES",
    "ISSUER_CODE",
    "MASTERCARD_NEVER_MACS",
    "AdviceCode",
    "IssuerCode",
    "NetworkTable",
    "ReattemptLimit",
    "Source",
]

ISSUER_CODE = re.compile(r"^[0-9A-Z]{2}$")
"""An issuer response code as the networks list it: two characters (``05``, ``N7``, ``R0``)."""
ADVICE_CODE = re.compile(r"^[0-9]{2}$")
"""A Merchant Advice Code: two digits, never padded (``4`` is not ``04``)."""
CATEGORIES = ("1", "2", "3", "4")
"""Visa's decline categories."""
MASTERCARD_NEVER_MACS = frozenset({"03", "21"})
"""Mastercard's Merchant Advice Codes after which a card is never tried again: 03 "do not try
again", 21 "payment cancelled" (a resubmission within 30 days draws a fee; Maast, TabaPay)."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a row's facts come from: a public page, and what it says in its own words."""

    url: str
    says: str


@dataclass(frozen=True, slots=True)
class IssuerCode:
    """One issuer response code of a network (ISO 8583 field 39 as the network reads it).

    Attributes:
        network: the network's id (``"visa"``, ``"mastercard"``).
        code: the code as the network lists it: two characters (``"05"``, ``"N7"``).
        message: the code's name in the sources' words.
        category: Visa's decline category (``"1"`` to ``"4"``); None where the network has
            none.
        never_retry: True only for codes the network says must never be reattempted (Visa
            category 1).
        group: Mastercard's decline reason grouping (``79 lifecycle``, ``82 policy``,
            ``83 security``).
        note: payerr's note on the row (what to do, or how it reads the sources); may be
            empty.
        disputed: where public sources disagree about this code, in a sentence; empty when
            they agree.
        sources: the public pages the row comes from, each with its ``url`` and what it
            ``says``, in its own words.

    Example:
        >>> payerr.explain("visa", "43").never_retry
        True
    """

    network: str
    code: str
    message: str
    """The code's name in the sources' words."""
    category: str | None
    """Visa's decline category (``"1"`` to ``"4"``); None where the network has none."""
    never_retry: bool
    """True only for codes the network says must never be reattempted (Visa category 1)."""
    group: str
    """Mastercard's decline reason grouping (``79 lifecycle``, ``82 policy``, ``83 security``)."""
    note: str
    disputed: str
    """Where public sources disagree about this code, in a sentence; empty when they agree."""
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr list|explain NETWORK --json``."""
        return {
            "network": self.network,
            "kind": "issuer_code",
            "code": self.code,
            "message": self.message,
            "category": self.category,
            "never_retry": self.never_retry,
            "group": self.group,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class AdviceCode:
    """One Merchant Advice Code: whether and when a declined payment may be reattempted.

    Attributes:
        network: the network's id (``"mastercard"``).
        code: the code: two digits (``"03"``, ``"24"``).
        message: the code's meaning in the sources' words.
        never_retry: True for codes after which the card is never tried again (Mastercard 03,
            21).
        retry_after: seconds to wait before reattempting (MAC 24: 3600); None when the code
            gives no wait.
        note: payerr's note on the row (what to do, or how it reads the sources); may be
            empty.
        disputed: where public sources disagree about this code, in a sentence; empty when
            they agree.
        sources: the public pages the row comes from, each with its ``url`` and what it
            ``says``, in its own words.

    Example:
        >>> payerr.networks.network_table("mastercard").advice_code("03").never_retry
        True
    """

    network: str
    code: str
    message: str
    never_retry: bool
    retry_after: float | None
    """Seconds to wait before reattempting (MAC 24: 3600); None when the code gives no wait."""
    note: str
    disputed: str
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr list|explain NETWORK --json``."""
        return {
            "network": self.network,
            "kind": "advice_code",
            "code": self.code,
            "message": self.message,
            "never_retry": self.never_retry,
            "retry_after": self.retry_after,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class ReattemptLimit:
    """A network's limit on reattempting declined payments, as public sources state it.

    Data for a reattempt limiter, not enforced by payerr: the sources disagree on numbers and
    dates (``disputed``), so a limiter should take them as configuration.
    """

    network: str
    id: str
    categories: tuple[str, ...]
    """The decline categories it applies to (Visa); empty with ``advice_codes`` empty: all."""
    advice_codes: tuple[str, ...]
    """The Merchant Advice Codes it applies to (Mastercard 03, 21)."""
    max_reattempts: int
    """Reattempts allowed within the window (0: never reattempt)."""
    window_seconds: float | None
    """The rolling window; None for a limit without one (a category 1 decline, ever)."""
    scope: str
    """What is counted, in the sources' terms (the same card, amount and currency ...)."""
    effective: str
    note: str
    disputed: str
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "network": self.network,
            "kind": "limit",
            "id": self.id,
            "categories": list(self.categories),
            "advice_codes": list(self.advice_codes),
            "max_reattempts": self.max_reattempts,
            "window_seconds": self.window_seconds,
            "scope": self.scope,
            "effective": self.effective,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class NetworkTable:
    """One card network's tables, validated and frozen.

    Attributes:
        id: ``visa`` or ``mastercard``.
        title: the table's title.
        checked: when its sources were last read.
        notes: what the sources disagree on.
        codes: issuer response codes by code.
        advice: Merchant Advice Codes by code.
        limits: the reattempt limits the network sets.
        origin: the file the table was read from.

    Example:
        >>> payerr.networks.network_table("mastercard").advice_code("24").retry_after
        3600.0
    """

    id: str
    title: str
    checked: str
    notes: str
    codes: Mapping[str, IssuerCode]
    """Issuer response codes by code (upper-case)."""
    advice: Mapping[str, AdviceCode]
    """Merchant Advice Codes by code."""
    limits: tuple[ReattemptLimit, ...]
    origin: str
    """The file the table was read from."""

    def issuer_code(self, code: object) -> IssuerCode | None:
        """The row for an issuer response code exactly as listed (two characters, any ASCII
        case, surrounding white space ignored); None for anything else. Never raises."""
        key = _code_key(code)
        return None if key is None else self.codes.get(key)

    def advice_code(self, code: object) -> AdviceCode | None:
        """The row for a Merchant Advice Code: exactly two digits (``"4"`` is not ``"04"``:
        some processors send their own one-digit scheme). None for anything else."""
        key = _code_key(code)
        return None if key is None else self.advice.get(key)

    @property
    def row_count(self) -> int:
        return len(self.codes) + len(self.advice)


def _code_key(code: object) -> str | None:
    """A code as the tables key it (the rows were validated to two characters): ASCII only,
    white space around it dropped, upper-cased; None for anything that cannot be a code."""
    if not isinstance(code, str) or len(code) > 8 or not code.isascii():
        return None
    return code.strip().upper()


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
for _public in (AdviceCode, IssuerCode, NetworkTable):
    _public.__module__ = "payerr.networks"
