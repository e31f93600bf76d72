"""Card network advice on a declined card payment: whether the card may be tried again, and when.

A provider relays what the issuer and the network said (Antom's ``paymentResultInfo``: card
brand, the issuer's raw code, Mastercard's Merchant Advice Code). :func:`network_advice` reads
those values against the network tables (:mod:`payerr.networks._tables`) into a
:class:`~payerr._core.taxonomy.NetworkAdvice`; :func:`refine` attaches it to a failed
Classification. The provider's code keeps deciding the verdict: advice never changes an
outcome, a category or ``retryable`` (Architecture#card-networks).

Rules, each from the tables' public sources:

- Advice is attached only to an issuer's decline: a failed answer whose category is
  user-action, risk or final and that is not a repeat answer (``Classification.repeat``: the
  provider answering a request id it already has). A retryable failure (the provider says
  transient, the transports may resend it) or a merchant-config one (a bad signature, access
  denied) is about the call, not the card: whatever ``paymentResultInfo`` it carries, it gets
  no ``network`` advice (and so no never-retry and no MAC wait).
- ``never_retry`` only from a positive signal: a Visa category 1 issuer code, or Mastercard
  MAC 03 or 21. A code payerr does not know, garbled, or from another network says nothing.
  So a never-retry needs a known brand: with ``cardBrand`` missing or unrecognised, even issuer
  code 04 or MAC 03 gives ``never_retry=False`` (the limiter agrees: it reads categories and
  MACs only for the brand that defines them).
- Brands are read from the provider's spelling, ASCII only: ``VISA``, ``Visa``, ``visa``;
  ``MASTERCARD``, ``Mastercard``, ``MC``, ``MASTER_CARD``, ``MASTER CARD``, ``master-card``.
  Other card brands keep a plain id (``amex``, ``jcb``, ...: no tables, no never-retry); a
  brand payerr does not know, or garbled, is ``""``.
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
from functools import lru_cache
from operator import attrgetter

from payerr._core.taxonomy import Category, Classification, NetworkAdvice, Outcome
from payerr._core.text import clean, clean_cut
from payerr.networks._tables import lookup_table

__all__ = ["card_brand", "is_issuer_decline", "network_advice", "refine"]

_MAX_BRAND = 32
_MAX_CODE = 16
_MAX_FINGERPRINT = 256
"""Antom's documented maximum (SDK 1.7.1, PaymentResultInfo.fingerprint)."""
_MAX_MESSAGE = 256
_MAX_RAW_MESSAGE = 4096
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
        The :class:`NetworkAdvice`; None when none of brand, issuer code or advice code is
        usable.

    Example:
        >>> advice = payerr.networks.network_advice("MASTERCARD", "51", "24")
        >>> (advice.brand, advice.retry_after)
        ('mastercard', 3600.0)
    """
    name = card_brand(brand)
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
_ADVICE = _FIELDS.index("advice")


_DECLINES = frozenset({Category.USER_ACTION, Category.RISK, Category.FINAL})


def is_issuer_decline(c: Classification) -> bool:
    """Whether ``c`` is an issuer's decline of a card payment: failed, user-action, risk or
    final, and not a repeat answer. Only those carry network advice and count as declines
    (``payerr.ReattemptLimiter``); a retryable or merchant-config failure never reached an
    issuer as a decision about the card."""
    return c.outcome is Outcome.FAILED and c.category in _DECLINES and not c.repeat


def refine(c: Classification, advice: NetworkAdvice | None) -> Classification:
    """``c`` carrying the network's advice, when ``c`` is an issuer's decline
    (:func:`is_issuer_decline`); otherwise ``c`` as it is.

    Only ``network``, ``retry_after`` and the advice change. The network's "never reattempt
    this card" wins over any wait (the provider's own included: Antom's SUSPECTED_RISK allows
    one after a working day, Mastercard's MAC 21 never); a network's wait lengthens
    ``retry_after`` on a decline that is not a risk refusal (a stolen card is never "retry in
    an hour").
    """
    if advice is None or not is_issuer_decline(c):
        return c
    # Positional, every field read back by name: half the cost of dataclasses.replace.
    values = list(_VALUES(c))
    values[_NETWORK] = advice
    values[_ADVICE] = None  # derived again, with the network's never_retry and wait
    wait = advice.retry_after
    if advice.never_retry:
        values[_RETRY_AFTER] = None
    elif (
        wait is not None
        and c.category is not Category.RISK
        and (c.retry_after is None or c.retry_after < wait)
    ):
        values[_RETRY_AFTER] = wait
    return Classification(*values)


_BRANDS = {
    "visa": "visa",
    "mastercard": "mastercard",
    "master card": "mastercard",
    "mc": "mastercard",
    # Other brands Antom accepts (docs.antom.com/ac/antomop/card_overview): no tables.
    "amex": "amex",
    "american express": "amex",
    "americanexpress": "amex",
    "diners": "diners",
    "diners club": "diners",
    "discover": "discover",
    "jcb": "jcb",
    "maestro": "maestro",
    "unionpay": "unionpay",
    "union pay": "unionpay",
    "china unionpay": "unionpay",
    "cup": "unionpay",
    "cartes bancaires": "cartes_bancaires",
}
"""Brand spellings (lower-case, ``_`` and ``-`` read as spaces) -> payerr's brand id."""


def card_brand(value: object) -> str:
    """A provider's card brand as payerr's id: ``"VISA"`` -> ``"visa"``, ``"MC"`` or
    ``"MASTER_CARD"`` -> ``"mastercard"``, ``"AMEX"`` -> ``"amex"``; ``""`` for a brand payerr
    does not know, anything not ASCII (full-width letters, a dotted capital I) or not a
    string. Never raises."""
    if not isinstance(value, str) or len(value) > _MAX_BRAND or not value.isascii():
        return ""
    return _normal_brand(value)


@lru_cache(maxsize=128)
def _normal_brand(value: str) -> str:
    name = " ".join(value.replace("_", " ").replace("-", " ").split()).lower()
    return _BRANDS.get(name, "")


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
    text = clean_cut(value, _MAX_RAW_MESSAGE).strip()
    if len(value) > _MAX_RAW_MESSAGE or len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE].rstrip(_EDGE) + "..."
    return text or None
