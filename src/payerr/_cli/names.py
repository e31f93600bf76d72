"""What a name on the command line is: a card network or a provider (the one place the CLI
asks), and what to say when it is neither."""

from __future__ import annotations

from typing import Literal

from payerr._cli.text import near
from payerr._core.exceptions import UnknownProviderError
from payerr._mappings.registry import Registry
from payerr.networks._tables import card_networks

__all__ = ["named", "network_named", "unknown_name"]


def named(name: str, registry: Registry) -> tuple[Literal["network", "provider"], str]:
    """What a command line's PROVIDER names, and its id: a card network, in any case (``VISA``,
    ``Mastercard``); else a provider, in any case and as the providers write their names
    (``Antom``, ``Alipay+``, ``OTT Pay``); as typed when no provider has that name (the
    registry then says which it knows)."""
    network = network_named(name)
    if network is not None:
        return "network", network
    known = {p.lower(): p for p in registry.providers()}
    key = name.strip().lower()
    # As the providers write their own names: "Alipay+", "OTT Pay", "ottpay-rest".
    spelled = key.replace("+", "_plus").replace(" ", "").replace("-", "_")
    return "provider", known.get(key) or known.get(spelled) or name


def network_named(name: object) -> str | None:
    """The card network a command line names, in any case; None when it names none."""
    if not isinstance(name, str) or not name.isascii():
        return None
    network = name.strip().lower()
    return network if network in card_networks() else None


def unknown_name(exc: UnknownProviderError) -> str:
    """The error for a name no provider has: a card network where only a provider goes is said
    so; otherwise the card networks are named beside the providers, with a near miss if any."""
    network = network_named(exc.provider)
    if network is not None:
        return (
            f"{network} is a card network, not a provider: 'payerr list {network}' and "
            f"'payerr explain {network} CODE' read its table"
        )
    message = str(exc)
    if card_networks():
        message += f"; card networks: {', '.join(card_networks())}"
        close = near(str(exc.provider), [*exc.known, *card_networks()])
        if close:
            message += f". Did you mean {close}?"
    return message
