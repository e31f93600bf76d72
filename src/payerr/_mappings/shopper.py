"""Shopper messages in the shoppers' languages: locale negotiation and the gettext catalogs.

Messages are keyed by reason (and, where the message must name it, by the operation: a
refund, a capture, a cancellation, a card being set up). The catalogs are gettext ``.mo``
files shipped in ``payerr/locales/`` (compiled from ``locales/*/LC_MESSAGES/payerr.po`` with
Babel, ``tools/catalogs.py``) and read with the standard library's ``gettext``: no runtime
dependency. Negotiation follows BCP 47 lookup (RFC 4647, section 3.4) over a tag or an
``Accept-Language`` list, with explicit fallbacks (``zh-HK`` -> ``zh-Hant``), and never raises.
"""

from __future__ import annotations

import gettext
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from payerr._core.exceptions import PayerrError, UsageError
from payerr._core.reasons import REASON_VERDICTS, Reason
from payerr._core.taxonomy import Category, Classification, Operation, Outcome
from payerr._mappings.operations import QUERIES, REFUND_OPERATIONS

if TYPE_CHECKING:
    from payerr._mappings.registry import Registry

__all__ = ["LOCALES", "locales", "message_key", "negotiate", "shopper_message"]

LOCALES: tuple[str, ...] = (
    "en",
    "zh-Hans",
    "zh-Hant",
    "ja",
    "ko",
    "th",
    "id",
    "ms",
    "vi",
    "fil",
    "fr",
)
"""The shipped locales, as BCP 47 tags (their folders: ``zh_Hans``, ``fil`` ...)."""

_BY_LOWER = {tag.lower(): tag for tag in LOCALES}
_LANGUAGES = {tag.split("-")[0].lower(): tag for tag in LOCALES if tag.split("-")[0] != "zh"}
_ALIASES = {  # lower case: compared with lower-cased tags
    "tl": "fil",  # Tagalog: Filipino is its standard form (ISO 639-2 fil)
    "in": "id",  # Indonesian's withdrawn ISO 639 code, still sent by old Java and Android
    "zsm": "ms",  # Standard Malay
    "cmn": "zh",  # Mandarin: Chinese, by its script or region
    "yue": "zh-hant",  # Cantonese, written in Traditional characters (Hong Kong, Macao)
}
_HANT_REGIONS = frozenset({"hk", "tw", "mo"})

_MAX_HEADER = 4096
_MAX_ITEMS = 32
_CACHE_LIMIT = 512
_cache: dict[object, str] = {}

_LOCALES = Path(__file__).parents[1] / "locales"
"""The compiled catalogs (``<locale>/LC_MESSAGES/payerr.mo``), shipped in the package."""


def locales() -> tuple[str, ...]:
    """The locales payerr's shopper messages ship in, as BCP 47 tags; ``en`` first.

    Returns:
        ``("en", "zh-Hans", "zh-Hant", "ja", "ko", "th", "id", "ms", "vi", "fil", "fr")``.

    Example:
        >>> "zh-Hant" in payerr.locales()
        True
    """
    return LOCALES


def negotiate(locale: object) -> str:
    """The shipped locale for a BCP 47 tag or an ``Accept-Language`` value; ``en`` when none
    fits. Never raises: anything that is not text, or text that is not a tag, is English.

    Each tag (in the header's order of preference, ``q=0`` excluded, an entry whose ``q`` is
    not a number from 0 to 1 ignored, the first 32 entries read) is tried exactly, then
    through the fallbacks: Chinese by script (``zh-Hant``, ``zh-Hans``) or by region (Hong
    Kong, Taiwan, Macao: Traditional; any other: Simplified), Tagalog as Filipino, then its
    language alone (``fr-CA`` is ``fr``); ``es-ES`` finds no Spanish and falls to the next
    tag, and at the end to English.
    """
    if type(locale) is not str:
        return "en"
    hit = _cache.get(locale)
    if hit is not None:
        return hit
    found = _negotiate(locale[:_MAX_HEADER])
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[locale] = found
    return found


def _negotiate(value: str) -> str:
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(value.split(",")[:_MAX_ITEMS]):
        tag, _, params = item.partition(";")
        weight = _weight(params)
        if weight is not None and weight > 0:
            ranked.append((-weight, index, tag.strip()))
    for _, _, tag in sorted(ranked):
        found = _lookup(tag)
        if found is not None:
            return found
    return "en"


def _weight(params: str) -> float | None:
    """The ``q`` of an Accept-Language item (1 when absent); None when malformed."""
    params = params.strip()
    if not params:
        return 1.0
    name, _, value = params.partition("=")
    if name.strip().lower() != "q":
        return None
    try:
        weight = float(value.strip())
    except ValueError:
        return None
    return weight if 0.0 <= weight <= 1.0 else None


def _lookup(tag: str) -> str | None:
    subtags = tag.replace("_", "-").lower().split("-")
    if not subtags or not subtags[0].isascii() or not subtags[0].isalpha():
        return None  # "*", "", digits, non-ASCII
    exact = _BY_LOWER.get("-".join(subtags))
    if exact is not None:
        return exact
    language = _ALIASES.get(subtags[0], subtags[0])
    if language in ("zh", "zh-hant"):  # Chinese, or Cantonese ("yue", "zh-yue")
        rest = subtags[1:]
        if "hant" in rest:
            return "zh-Hant"
        if "hans" in rest:
            return "zh-Hans"  # the script wins over the region and the language
        cantonese = language == "zh-hant" or "yue" in rest
        if cantonese or any(s in _HANT_REGIONS for s in rest):
            return "zh-Hant"
        return "zh-Hans"
    if language in _BY_LOWER:
        return _BY_LOWER[language]  # "fil", and an alias's own locale ("zh-hant")
    return _LANGUAGES.get(language)


# -- the catalogs ---------------------------------------------------------------------------

_catalogs: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def _folder(tag: str) -> str:
    return tag.replace("-", "_")


def _catalog(tag: str) -> dict[str, str]:
    """The messages of one shipped locale, ``{"<context>\\x04<id>" or "<id>": text}``, read
    once from its ``.mo`` with the standard library's gettext."""
    found = _catalogs.get(tag)
    if found is not None:
        return found
    with _lock:
        found = _catalogs.get(tag)
        if found is None:
            path = _LOCALES / _folder(tag) / "LC_MESSAGES"
            try:
                with (path / "payerr.mo").open("rb") as fp:
                    translations = gettext.GNUTranslations(fp)
            except OSError:
                if tag == "en":
                    raise  # payerr's own install is broken: say so
                return _catalog("en")  # a locale's file missing: English, never an error
            raw = translations._catalog  # type: ignore[attr-defined]  # gettext's own table
            found = {k: v for k, v in raw.items() if isinstance(k, str) and k and v}
            _catalogs[tag] = found
    return found


# -- which message ---------------------------------------------------------------------------

_PENDING_OWN = frozenset({Reason.PROCESSING, Reason.AWAITING_PAYER, Reason.AUTHENTICATION_REQUIRED})
"""Pending reasons with a message of their own; any other pending answer is outcome unknown
("we could not confirm ... yet")."""

_BY_CATEGORY = {
    Category.RETRYABLE: Reason.PROVIDER_ERROR.value,
    Category.USER_ACTION: Reason.GENERIC_DECLINE.value,
    Category.MERCHANT_CONFIG: Reason.MERCHANT_NOT_ENABLED.value,
    Category.FINAL: "failed",
}
"""A failure whose reason does not go with its verdict (``unknown``): the category's message."""

_TRANSIENT = frozenset(
    {Reason.RATE_LIMITED, Reason.PROVIDER_ERROR, Reason.NETWORK_ERROR, Reason.ISSUER_UNAVAILABLE}
)
_SHOPPER_CAN_ACT = frozenset(
    {
        Reason.CURRENCY_NOT_SUPPORTED,
        Reason.PAYMENT_METHOD_NOT_SUPPORTED,
        Reason.CARD_NOT_SUPPORTED,
        Reason.SESSION_EXPIRED,
        Reason.AGREEMENT_INACTIVE,
    }
)
"""Merchant-config reasons whose own message still helps the shopper (choose another method,
refresh the page); any other merchant-config failure gets the merchant's "cannot be processed
right now" message."""
_CARD_OWN = frozenset(
    {
        Reason.CARD_EXPIRED,
        Reason.INCORRECT_CVC,
        Reason.INCORRECT_PIN,
        Reason.INVALID_CARD,
        Reason.CARD_NOT_SUPPORTED,
        Reason.CARD_NOT_ACTIVE,
        Reason.CARD_RESTRICTED,
        Reason.AUTHENTICATION_REQUIRED,
        Reason.AUTHENTICATION_FAILED,
        Reason.DEVICE_NOT_SUPPORTED,
        Reason.PAYER_ACCOUNT_UNAVAILABLE,
        Reason.INTERRUPTED,
    }
)
_OWN_IN_CONTEXT: dict[str, frozenset[Reason]] = {
    "refund": frozenset(
        {
            Reason.REFUND_WINDOW_EXPIRED,
            Reason.AMOUNT_EXCEEDS_AVAILABLE,
            Reason.PAYMENT_REFUNDED,
            Reason.MERCHANT_FUNDS_INSUFFICIENT,
        }
    )
    | _TRANSIENT,
    "capture": frozenset({Reason.AMOUNT_EXCEEDS_AVAILABLE}) | _TRANSIENT,
    "cancel": frozenset({Reason.CANCEL_WINDOW_EXPIRED}) | _TRANSIENT,
    "card": _CARD_OWN | _TRANSIENT,
}
"""In an operation's context, the failure reasons whose own message still fits; any other
failure says the operation's "could not be ..." (a refused refund is not "your balance ...")."""

_CONTEXTS: dict[Operation, str] = {
    **dict.fromkeys(REFUND_OPERATIONS, "refund"),
    Operation.CAPTURE: "capture",
    Operation.CAPTURE_NOTIFICATION: "capture",
    Operation.CANCEL: "cancel",
    Operation.VAULTING: "card",
    Operation.VAULTING_INQUIRY: "card",
    Operation.VAULTING_NOTIFICATION: "card",
}
_TOPIC_CONTEXTS = {"card-activation": "card"}
_ON_OUR_SIDE = frozenset({Category.MERCHANT_CONFIG, Category.RETRYABLE})


def message_key(c: Classification, topic: str = "") -> tuple[str | None, str]:
    """``(context, message id)`` of the shopper message for ``c``: the catalogs' key."""
    outcome = c.outcome
    reason = c.reason
    if outcome is Outcome.SUCCESS:
        key = Reason.SUCCEEDED.value
    elif outcome is Outcome.INFO:
        key = Reason.LIFECYCLE_EVENT.value
    elif outcome is Outcome.PENDING:
        key = reason.value if reason in _PENDING_OWN else Reason.UNKNOWN.value
    elif c.category is Category.RISK:
        key = Reason.SUSPECTED_FRAUD.value  # neutral, whatever the reason: never say why
    elif c.category is Category.MERCHANT_CONFIG and reason not in _SHOPPER_CAN_ACT:
        # The merchant's integration or account: nothing the shopper can check or fix.
        key = Reason.MERCHANT_NOT_ENABLED.value
    elif reason in _TRANSIENT and c.category is not Category.RETRYABLE:
        key = _BY_CATEGORY[c.category] if c.category is not None else "failed"  # no "again"
    elif reason is Reason.AUTHENTICATION_FAILED and c.category is Category.FINAL:
        key = Reason.GENERIC_DECLINE.value  # its message says "try again": not when final
    elif reason is not Reason.UNKNOWN and c.category in REASON_VERDICTS[reason]:
        key = reason.value
    else:
        key = _BY_CATEGORY[c.category] if c.category is not None else "failed"
    context = _CONTEXTS.get(c.operation) or _TOPIC_CONTEXTS.get(topic)
    if outcome is Outcome.FAILED and c.operation in QUERIES and c.category in _ON_OUR_SIDE:
        return "inquiry", "failed"  # the inquiry itself failed: it says nothing of the payment
    if context is None:
        return None, key
    if outcome is Outcome.FAILED:
        if c.category is Category.RISK or (
            context == "card"
            and c.category is Category.FINAL
            and reason not in _OWN_IN_CONTEXT[context]
        ):
            # Neutral, about what was asked, and never "try again" when final: "your card
            # could not be set up. Please use another card."
            return context, Reason.SUSPECTED_FRAUD.value if context == "card" else "failed"
        if reason in _OWN_IN_CONTEXT[context]:
            return None, key
        return context, "failed"
    return context, key


def shopper_message(
    classification: Classification,
    locale: object = "en",
    *,
    registry: Registry | None = None,
) -> str:
    """A message for the shopper, in their language: short, polite, no codes, and neutral for
    a risk refusal in every language.

    Chosen by the classification's reason, outcome and operation (a refund's answer speaks of
    the refund); the same reason says the same thing whichever provider sent it.
    ``Classification.user_message`` is the mapping row's own English, which may say more.

    Args:
        classification: what payerr made of the answer.
        locale: a BCP 47 tag (``"zh-HK"``, ``"pt_BR"``) or an ``Accept-Language`` header
            value (``"fr-CA,fr;q=0.9,en;q=0.5"``); anything else, or a language payerr does not
            ship, gives English (see :func:`payerr.locales`).
        registry: where the mapping rows live (the default registry if None): a row may say
            what its answers are about (Alipay+'s card activation) when no operation does.

    Returns:
        The message; never empty.

    Raises:
        UsageError: ``classification`` is not a :class:`Classification` (an exception's is
            ``error.classification``).

    Example:
        >>> c = payerr.classify("antom", "CARD_EXPIRED")
        >>> payerr.shopper_message(c, "fr-CA,fr;q=0.9,en;q=0.5")
        'Votre carte a expiré. Veuillez utiliser une autre carte.'
    """
    if not isinstance(classification, Classification):
        what = type(classification).__name__
        hint = (
            " (for an error, pass error.classification)"
            if isinstance(classification, BaseException)
            else ""
        )
        raise UsageError(f"shopper_message takes a Classification, not a {what}{hint}")
    tag = negotiate(locale)
    if registry is None:
        registry = _default_registry()
    # Known codes are shared Classification objects: their message's key is kept by identity
    # (the cache holds the object, so its id cannot be reused), as the tables keep theirs.
    cache_key = (id(classification), id(registry))
    hit = _keys.get(cache_key)
    if hit is not None and hit[0] is classification and hit[1] is registry:
        lookup, key = hit[2], hit[3]
    else:
        topic = ""
        if classification.known and classification.operation is Operation.UNKNOWN:
            topic = _topic(classification, registry)
        # A fresh classification (each answer's own message) of a verdict seen before: its
        # key by the verdict's plain strings (enum members hash in Python, strings in C).
        category = classification.category
        verdict = (
            classification.outcome._value_,
            None if category is None else category._value_,
            classification.reason._value_,
            classification.operation._value_,
            topic,
        )
        found = _by_verdict.get(verdict)
        if found is None:
            context, key = message_key(classification, topic)
            found = (key if context is None else f"{context}\x04{key}", key)
            _by_verdict[verdict] = found  # bounded: a product of small vocabularies
        lookup, key = found
        if len(_keys) >= _CACHE_LIMIT:
            _keys.clear()
        _keys[cache_key] = (classification, registry, lookup, key)
    catalog = _catalog(tag)
    text = catalog.get(lookup)
    if text is None:
        text = catalog.get(key) or _catalog("en").get(lookup) or _catalog("en")[key]
    return text


_keys: dict[tuple[int, int], tuple[Classification, Registry, str, str]] = {}
_by_verdict: dict[tuple[str, str | None, str, str, str], tuple[str, str]] = {}


def _default_registry() -> Registry:
    global _default_registry  # noqa: PLW0603 -- the import, done once, replaces this function
    from payerr._mappings.registry import default_registry  # noqa: PLC0415 -- import cycle

    _default_registry = default_registry
    return default_registry()


def _topic(c: Classification, registry: Registry) -> str:
    try:
        table = registry.table(c.provider)
    except PayerrError:  # a provider the registry lacks (or whose files fail) has no topics
        return ""
    return table.topics.get(c.code, "")
