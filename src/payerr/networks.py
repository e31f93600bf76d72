"""Card networks and dunning: what Visa and Mastercard advise on a decline, and reattempts
within their rules, in memory or shared by a fleet on Redis.

``payerr.networks.network_advice(brand, issuer_code, advice_code)`` reads the advice from
another provider's issuer fields (payerr's own classifications carry it as
``Classification.network``); ``ReattemptLimiter`` decides whether and when a declined card may
be tried again. These names lived at the top of ``payerr`` before 0.x: they still work there
for one release, with a ``DeprecationWarning``.
"""

from __future__ import annotations

from payerr._exceptions import ReattemptStoreError
from payerr._network_codes import AdviceCode, IssuerCode, NetworkTable
from payerr._network_tables import card_networks, network_table
from payerr._networks import network_advice
from payerr._reattempt import (
    DeclineLimit,
    MemoryReattemptStore,
    ReattemptDecision,
    ReattemptLimiter,
    ReattemptLimits,
    ReattemptStore,
)
from payerr._reattempt_redis import RedisReattemptStore
from payerr._taxonomy import NetworkAdvice

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

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("payerr._"):
        _obj.__module__ = __name__  # help() and tracebacks name the public module
