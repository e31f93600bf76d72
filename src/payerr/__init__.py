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
    from payerr import instrumentation as instrumentation
    from payerr import networks as networks
    from payerr import testing as testing
    from payerr._bulk.many import classify_many
    from payerr._core.attempts import AttemptRecord
    from payerr._core.exceptions import (
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
    from payerr._core.reasons import Advice, Reason
    from payerr._core.redis_checks import RedisConfigWarning
    from payerr._core.taxonomy import Category, Classification, CodeEntry, Operation, Outcome
    from payerr._mappings.classify import (
        classification_of,
        classify,
        classify_http,
        classify_response,
    )
    from payerr._mappings.lookup import explain, providers
    from payerr._mappings.registry import Registry, default_registry, load_mappings
    from payerr._mappings.shopper import locales, shopper_message
    from payerr._notifications import (
        Ack,
        Notification,
        SignatureError,
        averify_notification,
        verify_notification,
    )
    from payerr._observe.logs import add_payment_context
    from payerr._observe.redaction import RedactSensitive
    from payerr._retry.budget import RetryBudget
    from payerr._retry.ledger import CallLedger, MemoryCallLedger
    from payerr._retry.ledger_redis import RedisCallLedger
    from payerr._retry.pieces import (
        retry_if_retryable,
        stop_before_timeout,
        stop_when_budget_spent,
        wait_retry_after,
    )
    from payerr._retry.policy import RetryPolicy
    from payerr._retry.safety import is_replay_safe
    from payerr._retry.transport import AsyncPaymentTransport, PaymentTransport

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
    "Advice": "payerr._core.reasons",
    "AsyncPaymentTransport": "payerr._retry.transport",
    "AttemptRecord": "payerr._core.attempts",
    "CallLedger": "payerr._retry.ledger",
    "Category": "payerr._core.taxonomy",
    "Classification": "payerr._core.taxonomy",
    "CodeEntry": "payerr._core.taxonomy",
    "FinalError": "payerr._core.exceptions",
    "MappingError": "payerr._core.exceptions",
    "MemoryCallLedger": "payerr._retry.ledger",
    "MerchantConfigError": "payerr._core.exceptions",
    "Notification": "payerr._notifications",
    "NotificationInProgressError": "payerr._core.exceptions",
    "NotificationLedgerError": "payerr._core.exceptions",
    "Operation": "payerr._core.taxonomy",
    "Outcome": "payerr._core.taxonomy",
    "OutcomeUnknownError": "payerr._core.exceptions",
    "PayerrError": "payerr._core.exceptions",
    "PaymentError": "payerr._core.exceptions",
    "PaymentTransport": "payerr._retry.transport",
    "Reason": "payerr._core.reasons",
    "RedactSensitive": "payerr._observe.redaction",
    "RedisCallLedger": "payerr._retry.ledger_redis",
    "RedisConfigWarning": "payerr._core.redis_checks",
    "Registry": "payerr._mappings.registry",
    "RetryBudget": "payerr._retry.budget",
    "RetryPolicy": "payerr._retry.policy",
    "RetryableError": "payerr._core.exceptions",
    "RiskError": "payerr._core.exceptions",
    "SignatureError": "payerr._notifications",
    "UnknownProviderError": "payerr._core.exceptions",
    "UsageError": "payerr._core.exceptions",
    "UserActionError": "payerr._core.exceptions",
    "add_payment_context": "payerr._observe.logs",
    "averify_notification": "payerr._notifications",
    "classification_of": "payerr._mappings.classify",
    "classify": "payerr._mappings.classify",
    "classify_http": "payerr._mappings.classify",
    "classify_many": "payerr._bulk.many",
    "classify_response": "payerr._mappings.classify",
    "default_registry": "payerr._mappings.registry",
    "explain": "payerr._mappings.lookup",
    "is_replay_safe": "payerr._retry.safety",
    "load_mappings": "payerr._mappings.registry",
    "locales": "payerr._mappings.shopper",
    "providers": "payerr._mappings.lookup",
    "retry_if_retryable": "payerr._retry.pieces",
    "shopper_message": "payerr._mappings.shopper",
    "stop_before_timeout": "payerr._retry.pieces",
    "stop_when_budget_spent": "payerr._retry.pieces",
    "verify_notification": "payerr._notifications",
    "wait_retry_after": "payerr._retry.pieces",
}
"""Each public name, and the private module that defines it."""

_SUBMODULES = frozenset({"instrumentation", "networks", "testing"})
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
    if name == "_restore_error":  # what a pickled payerr exception is rebuilt by
        return importlib.import_module("payerr._core.exceptions")._restore_error
    if name in _SUBMODULES:
        return importlib.import_module(f"payerr.{name}")
    if name.startswith("_") and not name.startswith("__") and name.isidentifier():
        # A private module named as an attribute (payerr._mappings.shopper), as when everything was
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
