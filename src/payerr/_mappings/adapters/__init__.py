"""Envelope readers, one per wire format, chosen by a mapping header's ``adapter``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payerr._core.taxonomy import NetworkAdvice, Operation
from payerr._mappings.adapters import antom, fields, ottpay, ottpay_rest, paykka
from payerr._mappings.adapters.base import Fallback, Reading, Unresolved
from payerr._mappings.table import ProviderTable

__all__ = ["CARD_READERS", "READERS", "Fallback", "Reading", "Unresolved"]

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

CARD_READERS: dict[str, CardReader] = {
    # Only Antom documents the issuer's codes in its answers (paymentResultInfo). Alipay+
    # (wallets), OTT Pay and PayKKa answers carry no network or issuer code.
    "antom": antom.read_card,
}
"""Per adapter: where a failed card payment's answer carries the network's advice."""
