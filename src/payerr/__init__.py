"""payerr: one failure taxonomy for payment providers.

Translate what Antom, Alipay+, OTT Pay and PayKKa answer into outcome ``success`` / ``pending``
/ ``failed`` and, for failures, one of five categories that say who acts and whether a retry
can help.
"""

from __future__ import annotations

import importlib
import sys
import typing
import warnings

# Nothing is imported here but what a name asks for (PEP 562): ``import payerr`` costs little
# more than its dependencies, and each part is loaded on first use (``payerr.classify`` loads
# the mappings' code, ``payerr.PaymentTransport`` the transport's, and so on).
if typing.TYPE_CHECKING:
    from payerr import networks as networks
    from payerr import testing as testing
    from payerr._budget import RetryBudget
    from payerr._bulk import classify_many
    from payerr._classify import classification_of, classify, classify_http, classify_response
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
    from payerr._lookup import explain, providers
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
    from payerr._shopper import locales, shopper_message
    from payerr._taxonomy import Category, Classification, CodeEntry, Operation, Outcome
    from payerr._transport import AsyncPaymentTransport, PaymentTransport

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

_LAZY: dict[str, str] = {
    "Ack": "payerr._notifications",
    "Advice": "payerr._reasons",
    "AsyncPaymentTransport": "payerr._transport",
    "AttemptRecord": "payerr._decide",
    "CallLedger": "payerr._ledger",
    "Category": "payerr._taxonomy",
    "Classification": "payerr._taxonomy",
    "CodeEntry": "payerr._taxonomy",
    "FinalError": "payerr._exceptions",
    "MappingError": "payerr._exceptions",
    "MemoryCallLedger": "payerr._ledger",
    "MerchantConfigError": "payerr._exceptions",
    "Notification": "payerr._notifications",
    "NotificationInProgressError": "payerr._exceptions",
    "NotificationLedgerError": "payerr._exceptions",
    "Operation": "payerr._taxonomy",
    "Outcome": "payerr._taxonomy",
    "OutcomeUnknownError": "payerr._exceptions",
    "PayerrError": "payerr._exceptions",
    "PaymentError": "payerr._exceptions",
    "PaymentTransport": "payerr._transport",
    "Reason": "payerr._reasons",
    "RedactSensitive": "payerr._redaction",
    "RedisCallLedger": "payerr._ledger_redis",
    "RedisConfigWarning": "payerr._redis_checks",
    "Registry": "payerr._registry",
    "RetryBudget": "payerr._budget",
    "RetryPolicy": "payerr._policy",
    "RetryableError": "payerr._exceptions",
    "RiskError": "payerr._exceptions",
    "SignatureError": "payerr._notifications",
    "UnknownProviderError": "payerr._exceptions",
    "UsageError": "payerr._exceptions",
    "UserActionError": "payerr._exceptions",
    "add_payment_context": "payerr._logs",
    "averify_notification": "payerr._notifications",
    "classification_of": "payerr._classify",
    "classify": "payerr._classify",
    "classify_http": "payerr._classify",
    "classify_many": "payerr._bulk",
    "classify_response": "payerr._classify",
    "default_registry": "payerr._registry",
    "explain": "payerr._lookup",
    "is_replay_safe": "payerr._safety",
    "load_mappings": "payerr._registry",
    "locales": "payerr._shopper",
    "providers": "payerr._lookup",
    "retry_if_retryable": "payerr._retry_pieces",
    "shopper_message": "payerr._shopper",
    "stop_before_timeout": "payerr._retry_pieces",
    "stop_when_budget_spent": "payerr._retry_pieces",
    "verify_notification": "payerr._notifications",
    "wait_retry_after": "payerr._retry_pieces",
}
"""Each public name, and the private module that defines it."""

_SUBMODULES = frozenset({"networks", "testing"})
_MISSING = object()

_MOVED = frozenset(
    {
        "DeclineLimit", "MemoryReattemptStore", "NetworkAdvice", "NetworkTable",
        "ReattemptDecision", "ReattemptLimiter", "ReattemptLimits", "ReattemptStore",
        "RedisReattemptStore", "card_networks", "network_advice", "network_table",
    }
)  # fmt: skip
"""Names that moved to :mod:`payerr.networks` (kept here for one release, with a warning)."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is not None:
        # import_module returns once the module is whole (importlib's per-module lock), so the
        # name is read from it, never from a module another thread is still running.
        value = getattr(importlib.import_module(module), name)
        _publish()
        return globals().get(name, value)
    if name in _SUBMODULES:
        return importlib.import_module(f"payerr.{name}")
    if name.startswith("_") and not name.startswith("__") and name.isidentifier():
        # A private module named as an attribute (payerr._shopper), as when everything was
        # imported eagerly: loaded now.
        try:
            return importlib.import_module(f"payerr.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"payerr.{name}":
                raise

    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 -- only paid for when asked

        return version("payerr")
    if name in _MOVED:
        warnings.warn(
            f"payerr.{name} moved to payerr.networks.{name}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("payerr.networks"), name)
    raise AttributeError(f"module 'payerr' has no attribute {name!r}")


def _publish() -> None:
    """Every public name whose module is loaded now (by this name or by another's): set here,
    so later lookups are plain attribute reads, and naming the public module (help(), reprs
    and tracebacks say payerr.X, as httpx's do)."""
    found = globals()
    for name, module_name in _LAZY.items():
        module = sys.modules.get(module_name)
        if module is None or name in found:
            continue
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            continue  # still being run (by another thread): published when it is whole
        value = getattr(module, name, _MISSING)
        if value is _MISSING:
            continue
        if getattr(value, "__module__", "").startswith("payerr._"):
            value.__module__ = "payerr"
        found[name] = value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
