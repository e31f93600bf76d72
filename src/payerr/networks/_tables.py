"""The shipped card network tables, each read and validated once, on first use.

A card network is not a provider: there is no envelope to read and no transport to build, so
these tables live apart from :class:`~payerr._mappings.registry.Registry` and
``payerr.providers()``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from payerr._core.exceptions import UsageError
from payerr._core.files import NETWORK_ID, shipped_mappings_dir

if TYPE_CHECKING:
    from payerr.networks._codes import NetworkTable


__all__ = ["card_networks", "lookup_table", "network_table", "shipped_networks_dir"]

# -- loading ------------------------------------------------------------------------------------


def shipped_networks_dir() -> Path:
    """Where the shipped network tables are: ``mappings/networks`` beside the provider files."""
    return shipped_mappings_dir() / "networks"


class _Tables:
    """The shipped network tables, each read and validated once, on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, NetworkTable] = {}

    def ids(self) -> list[str]:
        folder = shipped_networks_dir()
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.toml") if NETWORK_ID.match(p.stem))

    def get(self, network: object) -> NetworkTable | None:
        if not isinstance(network, str):
            return None
        table = self._tables.get(network)
        if table is not None:
            return table
        if not NETWORK_ID.match(network):
            return None
        path = shipped_networks_dir() / f"{network}.toml"
        if not path.is_file():
            return None
        with self._lock:
            table = self._tables.get(network)
            if table is None:
                from payerr.networks._schema import parse_network_file  # noqa: PLC0415

                table = parse_network_file(path)
                self._tables[network] = table
            return table


_SHIPPED = _Tables()


def card_networks() -> list[str]:
    """The card networks payerr has tables for, sorted.

    Returns:
        Their ids, as :func:`network_table` and ``payerr explain`` take them.

    Example:
        >>> payerr.networks.card_networks()
        ['mastercard', 'visa']
    """
    return _SHIPPED.ids()


def network_table(network: str) -> NetworkTable:
    """One card network's tables: issuer codes, Merchant Advice Codes, reattempt limits.

    Args:
        network: ``"visa"`` or ``"mastercard"`` (see :func:`card_networks`), lower-case.

    Returns:
        The :class:`NetworkTable`.

    Raises:
        UsageError: payerr has no table for ``network`` (a ``ValueError``).
        MappingError: the shipped table is broken.

    Example:
        >>> payerr.networks.network_table("visa").issuer_code("05").message
        'Do not honor'
    """
    table = lookup_table(network)
    if table is None:
        known = ", ".join(card_networks()) or "(none)"
        raise UsageError(f"unknown card network {network!r}; known networks: {known}")
    return table


def lookup_table(network: object) -> NetworkTable | None:
    """The table for a network id, or None when payerr has none (the advice path's lookup)."""
    return _SHIPPED.get(network)
