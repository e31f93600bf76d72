"""payerr: one failure taxonomy for payment providers.

Translate what Antom, Alipay+, OTT Pay and PayKKa answer into outcome ``success`` / ``pending``
/ ``failed`` and, for failures, one of five categories that say who acts and whether a retry
can help.
"""

from __future__ import annotations

from payerr._budget import RetryBudget
from payerr._classify import classification_of, classify, classify_http, classify_response
from payerr._decide import AttemptRecord
from payerr._exceptions import (
    FinalError,
    MappingError,
    MerchantConfigError,
    OutcomeUnknownError,
    PayerrError,
    PaymentError,
    ReattemptStoreError,
    RetryableError,
    RiskError,
    UnknownProviderError,
    UsageError,
    UserActionError,
)
from payerr._ledger import CallLedger, MemoryCallLedger
from payerr._ledger_redis import RedisCallLedger
from payerr._logs import add_payment_context
from payerr._network_codes import NetworkTable
from payerr._network_tables import card_networks, network_table
from payerr._networks import network_advice
from payerr._policy import RetryPolicy
from payerr._reattempt import (
    DeclineLimit,
    MemoryReattemptStore,
    ReattemptDecision,
    ReattemptLimiter,
    ReattemptLimits,
    ReattemptStore,
)
from payerr._reattempt_redis import RedisReattemptStore
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
from payerr._taxonomy import (
    Category,
    Classification,
    CodeEntry,
    NetworkAdvice,
    Operation,
    Outcome,
)
from payerr._transport import AsyncPaymentTransport, PaymentTransport

__all__ = [
    "AsyncPaymentTransport",
    "AttemptRecord",
    "CallLedger",
    "Category",
    "Classification",
    "CodeEntry",
    "DeclineLimit",
    "FinalError",
    "MappingError",
    "MemoryCallLedger",
    "MemoryReattemptStore",
    "MerchantConfigError",
    "NetworkAdvice",
    "NetworkTable",
    "Operation",
    "Outcome",
    "OutcomeUnknownError",
    "PayerrError",
    "PaymentError",
    "PaymentTransport",
    "ReattemptDecision",
    "ReattemptLimiter",
    "ReattemptLimits",
    "ReattemptStore",
    "ReattemptStoreError",
    "RedactSensitive",
    "RedisCallLedger",
    "RedisConfigWarning",
    "RedisReattemptStore",
    "Registry",
    "RetryBudget",
    "RetryPolicy",
    "RetryableError",
    "RiskError",
    "UnknownProviderError",
    "UsageError",
    "UserActionError",
    "add_payment_context",
    "card_networks",
    "classification_of",
    "classify",
    "classify_http",
    "classify_response",
    "default_registry",
    "explain",
    "is_replay_safe",
    "load_mappings",
    "network_advice",
    "network_table",
    "providers",
    "retry_if_retryable",
    "stop_before_timeout",
    "stop_when_budget_spent",
    "wait_retry_after",
]


def providers() -> list[str]:
    """The provider ids payerr can classify (shipped and user mappings), sorted."""
    return default_registry().providers()


def explain(provider: str, code: str | int) -> CodeEntry | None:
    """The mapping row for a code: the provider's words, payerr's verdict and provenance.

    None when the code is not mapped. Raises :class:`UnknownProviderError` for an unknown provider.
    """
    return default_registry().table(provider).entry(code)


def __getattr__(name: str) -> object:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 -- only paid for when asked

        return version("payerr")
    raise AttributeError(f"module 'payerr' has no attribute {name!r}")
