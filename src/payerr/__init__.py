"""payerr: one failure taxonomy for payment providers.

Translate what Antom, Alipay+, OTT Pay and PayKKa answer into outcome ``success`` / ``pending``
/ ``failed`` and, for failures, one of five categories that say who acts and whether a retry
can help.
"""

from __future__ import annotations

import typing
import warnings

from payerr import networks
from payerr._budget import RetryBudget
from payerr._bulk import classify_many
from payerr._classify import (
    as_operation as _as_operation,
)
from payerr._classify import (
    classification_of,
    classify,
    classify_http,
    classify_response,
)
from payerr._decide import AttemptRecord
from payerr._exceptions import (
    FinalError,
    MappingError,
    MerchantConfigError,
    NotificationInProgressError,
    NotificationLedgerError,
    OutcomeUnknownError,
    PayerrError,
    PaymentError,
    RetryableError,
    RiskError,
    UnknownProviderError,
    UsageError,
    UserActionError,
)
from payerr._ledger import CallLedger, MemoryCallLedger
from payerr._ledger_redis import RedisCallLedger
from payerr._logs import add_payment_context
from payerr._network_tables import card_networks as _card_networks
from payerr._network_tables import network_table as _network_table
from payerr._notifications import (
    Ack,
    Notification,
    SignatureError,
    averify_notification,
    verify_notification,
)
from payerr._policy import RetryPolicy
from payerr._reasons import Advice, Reason
from payerr._redaction import RedactSensitive
from payerr._redis_checks import RedisConfigWarning
from payerr._registry import Registry, default_registry, load_mappings
from payerr._retry_pieces import (
    retry_if_retryable,
    stop_before_timeout,
    stop_when_budget_spent,
    wait_retry_after,
)
from payerr._safety import is_replay_safe
from payerr._schema import normalize_code as _normalize_code
from payerr._shopper import locales, shopper_message
from payerr._taxonomy import (
    Category,
    Classification,
    CodeEntry,
    Operation,
    Outcome,
)
from payerr._transport import AsyncPaymentTransport, PaymentTransport

if typing.TYPE_CHECKING:
    from payerr._network_codes import AdviceCode, IssuerCode

__all__ = [
    "Ack",
    "Advice",
    "AsyncPaymentTransport",
    "AttemptRecord",
    "CallLedger",
    "Category",
    "Classification",
    "CodeEntry",
    "FinalError",
    "MappingError",
    "MemoryCallLedger",
    "MerchantConfigError",
    "Notification",
    "NotificationInProgressError",
    "NotificationLedgerError",
    "Operation",
    "Outcome",
    "OutcomeUnknownError",
    "PayerrError",
    "PaymentError",
    "PaymentTransport",
    "Reason",
    "RedactSensitive",
    "RedisCallLedger",
    "RedisConfigWarning",
    "Registry",
    "RetryBudget",
    "RetryPolicy",
    "RetryableError",
    "RiskError",
    "SignatureError",
    "UnknownProviderError",
    "UsageError",
    "UserActionError",
    "add_payment_context",
    "averify_notification",
    "classification_of",
    "classify",
    "classify_http",
    "classify_many",
    "classify_response",
    "default_registry",
    "explain",
    "is_replay_safe",
    "load_mappings",
    "locales",
    "providers",
    "retry_if_retryable",
    "shopper_message",
    "stop_before_timeout",
    "stop_when_budget_spent",
    "verify_notification",
    "wait_retry_after",
]


def providers() -> list[str]:
    """The provider ids payerr can classify (shipped and user mappings), sorted.

    Returns:
        The ids, as ``classify`` and the transports take them.

    Example:
        >>> payerr.providers()
        ['alipay_plus', 'antom', 'ottpay', 'ottpay_rest', 'paykka']
    """
    return default_registry().providers()


@typing.overload
def explain(  # type: ignore[overload-overlap]  # a network's name is a str too
    provider: typing.Literal["visa", "mastercard"],
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> IssuerCode | AdviceCode | None: ...


@typing.overload
def explain(
    provider: str,
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> CodeEntry | None: ...


def explain(
    provider: str,
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> CodeEntry | IssuerCode | AdviceCode | None:
    """The mapping row for a code: the provider's words, payerr's verdict and provenance.

    Args:
        provider: a provider id (``"antom"``), or a card network (``"visa"``,
            ``"mastercard"``), in any case.
        code: the code as the provider sends it (case and white space do not matter; a
            numeric code may be an int).
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        operation: what the code answered (``"refund"``, :class:`Operation`): a row scoped to
            that operation wins over the code's general row.

    Returns:
        The :class:`CodeEntry`, or None when the code is not mapped. For a card network: its
        issuer response code row, else its Merchant Advice Code row. Mastercard uses some
        numbers for both (``03``, ``04``, ``21``...): this returns the issuer code, and
        ``payerr.networks.network_table("mastercard").advice_code("03")`` the advice (which
        says never reattempt); ``payerr explain mastercard 03`` prints both.

    Raises:
        UnknownProviderError: ``provider`` is neither a provider nor a card network.
        UsageError: ``operation`` is not an operation payerr knows, or is given with a card
            network.

    Example:
        >>> payerr.explain("antom", "USER_BALANCE_NOT_ENOUGH").category
        <Category.USER_ACTION: 'user-action'>
    """
    registry = registry or default_registry()
    name = provider.strip().lower() if isinstance(provider, str) else ""
    known = {p.lower(): p for p in registry.providers()}
    if name not in known and name in _card_networks():
        if operation is not None:
            raise UsageError("operation applies to provider codes, not to a card network's")
        table = _network_table(name)
        return table.issuer_code(code) or table.advice_code(code)
    if name not in known:  # neither a provider nor a card network: say both kinds
        error = UnknownProviderError(provider, registry.providers())
        error.args = (f"{error}; card networks: {', '.join(_card_networks())}",)
        raise error
    rows = registry.table(known[name])
    if operation is not None:
        scoped = rows.scoped.get((_normalize_code(str(code)), _as_operation(operation)))
        if scoped is not None:
            return scoped
    return rows.entry(code)


_MOVED = frozenset(networks.__all__) - {"ReattemptStoreError", "IssuerCode", "AdviceCode"}
"""Names that moved to :mod:`payerr.networks` (kept here for one release, with a warning)."""


def __getattr__(name: str) -> object:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 -- only paid for when asked

        return version("payerr")
    if name in _MOVED:
        warnings.warn(
            f"payerr.{name} moved to payerr.networks.{name}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(networks, name)
    raise AttributeError(f"module 'payerr' has no attribute {name!r}")


for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("payerr._"):
        _obj.__module__ = "payerr"  # help(), reprs and tracebacks name the public module
del _name, _obj
