"""Card networks and dunning: what Visa and Mastercard advise on a decline, and reattempts
within their rules, in memory or shared by a fleet on Redis.

``payerr.networks.network_advice(brand, issuer_code, advice_code)`` reads the advice from
another provider's issuer fields (payerr's own classifications carry it as
``Classification.network``); ``ReattemptLimiter`` decides whether and when a declined card may
be tried again. These names lived at the top of ``payerr`` before 0.x: they still work there
for one release, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import importlib
import typing

# Nothing is imported here but what a name asks for (PEP 562), as in ``payerr`` itself: the
# classifiers read card-network advice from ``payerr.networks._advice`` and must not load the
# reattempt limiter and its Redis store with it.
if typing.TYPE_CHECKING:
    from payerr._core.exceptions import ReattemptStoreError
    from payerr._core.taxonomy import NetworkAdvice
    from payerr.networks._advice import network_advice
    from payerr.networks._codes import AdviceCode, IssuerCode, NetworkTable
    from payerr.networks._reattempts import (
        DeclineLimit,
        MemoryReattemptStore,
        ReattemptDecision,
        ReattemptLimiter,
        ReattemptLimits,
        ReattemptStore,
    )
    from payerr.networks._redis_store import RedisReattemptStore
    from payerr.networks._tables import card_networks, network_table

__all__ = [
    "AdviceCode",
    "DeclineLimit",
    "IssuerCode",
    "MemoryReattemptStore",
    "NetworkAdvice",
    "NetworkTable",
    "ReattemptDecision",
    "ReattemptLimiter",
    "ReattemptLimits",
    "ReattemptStore",
    "ReattemptStoreError",
    "RedisReattemptStore",
    "card_networks",
    "network_advice",
    "network_table",
]

_LAZY: dict[str, str] = {
    "AdviceCode": "_codes",
    "DeclineLimit": "_reattempts",
    "IssuerCode": "_codes",
    "MemoryReattemptStore": "_reattempts",
    "NetworkAdvice": "payerr._core.taxonomy",
    "NetworkTable": "_codes",
    "ReattemptDecision": "_reattempts",
    "ReattemptLimiter": "_reattempts",
    "ReattemptLimits": "_reattempts",
    "ReattemptStore": "_reattempts",
    "ReattemptStoreError": "payerr._core.exceptions",
    "RedisReattemptStore": "_redis_store",
    "card_networks": "_tables",
    "network_advice": "_advice",
    "network_table": "_tables",
}
"""Each public name, and the module that defines it (a bare name: a module of this package)."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not module.startswith("payerr."):
        module = f"{__name__}.{module}"
    value = getattr(importlib.import_module(module), name)
    if getattr(value, "__module__", "").startswith(("payerr._", f"{__name__}._")):
        value.__module__ = __name__  # help() and tracebacks name the public module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
