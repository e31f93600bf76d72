"""Envelope readers, one per wire format, chosen by a mapping header's ``adapter``.

Each reader walks its provider's precedence, an ordered table of rules (:data:`PRECEDENCE`):
the first rule that answers decides. The docs' table is generated from these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payerr._core.taxonomy import NetworkAdvice, Operation
from payerr._mappings.adapters import antom, fields, ottpay, ottpay_rest, paykka
from payerr._mappings.adapters.base import Fallback, Reading, Rule, Unresolved
from payerr._mappings.table import ProviderTable

__all__ = ["CARD_READERS", "PRECEDENCE", "READERS", "Fallback", "Reading", "Rule", "Unresolved"]

Reader = Callable[[ProviderTable, dict[str, Any], Operation], Reading]
CardReader = Callable[[dict[str, Any]], NetworkAdvice | None]

READERS: dict[str, Reader] = {
    "antom": antom.read,
    "alipay_plus": antom.read,  # Alipay+ server APIs share Antom's result envelope
    "ottpay": ottpay.read,
    "ottpay_rest": ottpay_rest.read,  # OTT Pay's REST API (apidocs.ottpay.com)
    "paykka": paykka.read,
    "fields": fields.read,
}

PRECEDENCE: dict[str, tuple[Rule[Any], ...]] = {
    "antom": antom.RULES,
    "alipay_plus": antom.RULES,
    "ottpay": ottpay.RULES,
    "ottpay_rest": ottpay_rest.RULES,
    "paykka": paykka.RULES,
    "fields": fields.RULES,
}
"""Per adapter: the rules its reader walks, in order (the same keys as :data:`READERS`)."""

CARD_READERS: dict[str, CardReader] = {
    # Only Antom documents the issuer's codes in its answers (paymentResultInfo). Alipay+
    # (wallets), OTT Pay and PayKKa answers carry no network or issuer code.
    "antom": antom.read_card,
}
"""Per adapter: where a failed card payment's answer carries the network's advice."""
