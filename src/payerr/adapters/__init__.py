"""Envelope readers, one per wire format, chosen by a mapping header's ``adapter``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payerr.adapters import antom, fields, ottpay, paykka
from payerr.adapters._base import Fallback, Reading, Unresolved
from payerr.mappings import ProviderTable
from payerr.taxonomy import Operation

__all__ = ["READERS", "Fallback", "Reading", "Unresolved"]

Reader = Callable[[ProviderTable, dict[str, Any], Operation], Reading]

READERS: dict[str, Reader] = {
    "antom": antom.read,
    "alipay_plus": antom.read,  # Alipay+ server APIs share Antom's result envelope
    "ottpay": ottpay.read,
    "paykka": paykka.read,
    "fields": fields.read,
}
