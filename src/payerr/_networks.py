"""Card network advice on a declined card payment: whether the card may be tried again, and when.

A provider relays what the issuer and the network said (Antom's ``paymentResultInfo``: card
brand, the issuer's raw code, Mastercard's Merchant Advice Code). :func:`network_advice` reads
those values against the network tables (:mod:`payerr._network_tables`) into a
:class:`~payerr._taxonomy.NetworkAdvice`; :func:`refine` attaches it to a failed
Classification. The provider's code keeps deciding the verdict: advice never changes an
outcome, a category or ``retryable`` (DESIGN.md section 6).

Rules, each from the tables' public sources:

- ``never_retry`` only from a positive signal: a Visa category 1 issuer code, or Mastercard
  MAC 03 or 21. A code payerr does not know, garbled, or from another network says nothing.
- Mastercard's MAC is read only for a ``mastercard`` card; Visa has no MACs of its own (some
  processors put Visa's categories or their own one-digit scheme in the same field), so a
  MAC on another brand is kept but not interpreted.
- A wait (MAC 24-30; MAC 02's 72 hours) is about a new attempt later. It becomes
  ``Classification.retry_after`` only on a failure that is not retryable, and only when it is
  longer than the wait already there: the transports resend only retryable answers, and
  resending a request within seconds is not reattempting a decline.
"""

from __future__ import annotations

import dataclasses
import re
from operator import attrgetter

from payerr._network_tables import lookup_table
from payerr._taxonomy import Classification, NetworkAdvice, Outcome
from payerr._text import clean

__all__ = ["network_advice", "refine"]

_MAX_BRAND = 32
_MAX_CODE = 16
_MAX_FINGERPRINT = 256
"""Antom's documented maximum (SDK 1.7.1, PaymentResultInfo.fingerprint)."""
_MAX_MESSAGE = 256
_MAX_RAW_MESSAGE = 4096
_BRAND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_EDGE = " -0123456789"
"""What a cut may leave of a card number at the end of a truncated message."""
_MASTERCARD = "mastercard"


def network_advice(
    brand: object,
    issuer_code: object = None,
    advice_code: object = None,
    *,
    issuer_message: object = None,
    fingerprint: object = None,
) -> NetworkAdvice | None:
    """What the network and the issuer said about a declined card payment, from the values a
    provider relays. Hostile input is fine: anything that is not a short printable string is
    dropped, text is cleaned (control characters, card numbers), nothing raises.

    Args:
        brand: the card brand as the provider names it (Antom ``cardBrand``: ``VISA``,
            ``MASTERCARD``); compared lower-case.
        issuer_code: the issuer's response code (Antom ``refusalCodeRaw``).
        advice_code: Mastercard's Merchant Advice Code (Antom ``merchantAdviceCode``).
        issuer_message: the issuer's reason text (Antom ``refusalReasonRaw``).
        fingerprint: the provider's card fingerprint (Antom ``fingerprint``).

    Returns:
        None when none of brand, issuer code or advice code is usable.
    """
    name = _brand(brand)
    issuer = _short_text(issuer_code, _MAX_CODE)
    advice = _short_text(advice_code, _MAX_CODE)
    if not (name or issuer or advice):
        return None
    never, category, wait = False, None, None
    table = lookup_table(name) if name else None
    if table is not None:
        row = table.issuer_code(issuer)
        if row is not None:
            category, never = row.category, row.never_retry
        mac = table.advice_code(advice) if name == _MASTERCARD else None
        if mac is not None:
            never = never or mac.never_retry
            wait = mac.retry_after
    return NetworkAdvice(
        name,
        issuer,
        advice,
        never,
        category,
        _message(issuer_message),
        None if never else wait,
        _short_text(fingerprint, _MAX_FINGERPRINT),
    )


_FIELDS = tuple(f.name for f in dataclasses.fields(Classification))
_VALUES = attrgetter(*_FIELDS)
_NETWORK = _FIELDS.index("network")
_RETRY_AFTER = _FIELDS.index("retry_after")


def refine(c: Classification, advice: NetworkAdvice | None) -> Classification:
    """``c`` carrying the network's advice, when ``c`` is a failure; otherwise ``c`` as it is.

    Only ``network`` and, on a failure that is not retryable, a longer ``retry_after`` change.
    """
    if advice is None or c.outcome is not Outcome.FAILED:
        return c
    # Positional, every field read back by name: half the cost of dataclasses.replace.
    values = list(_VALUES(c))
    values[_NETWORK] = advice
    wait = advice.retry_after
    if wait is not None and not c.retryable and (c.retry_after is None or c.retry_after < wait):
        values[_RETRY_AFTER] = wait
    return Classification(*values)


def _brand(value: object) -> str:
    """The brand lower-case (``visa``), or ``""`` when it is not a plain brand name."""
    if not isinstance(value, str) or len(value) > _MAX_BRAND or not value.isascii():
        return ""
    name = value.strip().lower()
    return name if _BRAND.match(name) else ""


def _short_text(value: object, limit: int) -> str | None:
    """A code-like field: a printable string of at most ``limit`` characters, cleaned (card
    numbers masked); None otherwise. Nothing is cut: a truncated code or fingerprint would be
    another code or another card."""
    if not isinstance(value, str) or not value or len(value) > limit:
        return None
    text = value.strip()
    if not text or not text.isprintable():
        return None  # "0\x005" must not read as "05"
    return clean(text)


def _message(value: object) -> str | None:
    """The issuer's reason text, cleaned and cut to 256 characters; a cut never leaves the
    start of a card number at the end."""
    if not isinstance(value, str) or not value:
        return None
    text = clean(value[:_MAX_RAW_MESSAGE]).strip()
    if len(value) > _MAX_RAW_MESSAGE or len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE].rstrip(_EDGE) + "..."
    return text or None
