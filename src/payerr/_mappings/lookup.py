"""Looking a code up: the provider ids payerr knows, and the mapping row of one code."""

from __future__ import annotations

import typing

from payerr._core.exceptions import UnknownProviderError, UsageError
from payerr._core.taxonomy import CodeEntry, Operation
from payerr._mappings.classify import as_operation as _as_operation
from payerr._mappings.registry import Registry, default_registry
from payerr._mappings.schema import normalize_code as _normalize_code
from payerr.networks._tables import card_networks as _card_networks
from payerr.networks._tables import network_table as _network_table

if typing.TYPE_CHECKING:
    from payerr.networks._codes import AdviceCode, IssuerCode

__all__ = ["explain", "providers"]


def providers() -> list[str]:
    """The provider ids payerr can classify (shipped and user mappings), sorted.

    Returns:
        The ids, as ``classify`` and the transports take them.

    Example:
        >>> payerr.providers()
        ['alipay_plus', 'antom', 'ottpay', 'ottpay_rest', 'paykka']
    """
    return default_registry().providers()


@typing.overload
def explain(  # type: ignore[overload-overlap]  # a network's name is a str too
    provider: typing.Literal["visa", "mastercard"],
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> IssuerCode | AdviceCode | None: ...


@typing.overload
def explain(
    provider: str,
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> CodeEntry | None: ...


def explain(
    provider: str,
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
) -> CodeEntry | IssuerCode | AdviceCode | None:
    """The mapping row for a code: the provider's words, payerr's verdict and provenance.

    Args:
        provider: a provider id (``"antom"``), or a card network (``"visa"``,
            ``"mastercard"``), in any case.
        code: the code as the provider sends it (case and white space do not matter; a
            numeric code may be an int).
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        operation: what the code answered (``"refund"``, :class:`Operation`): a row scoped to
            that operation wins over the code's general row.

    Returns:
        The :class:`CodeEntry`, or None when the code is not mapped. For a card network: its
        issuer response code row, else its Merchant Advice Code row. Mastercard uses some
        numbers for both (``03``, ``04``, ``21``...): this returns the issuer code, and
        ``payerr.networks.network_table("mastercard").advice_code("03")`` the advice (which
        says never reattempt); ``payerr explain mastercard 03`` prints both.

    Raises:
        UnknownProviderError: ``provider`` is neither a provider nor a card network.
        UsageError: ``operation`` is not an operation payerr knows, or is given with a card
            network.

    Example:
        >>> payerr.explain("antom", "USER_BALANCE_NOT_ENOUGH").category
        <Category.USER_ACTION: 'user-action'>
    """
    registry = registry or default_registry()
    name = provider.strip().lower() if isinstance(provider, str) else ""
    known = {p.lower(): p for p in registry.providers()}
    if name not in known and name in _card_networks():
        if operation is not None:
            raise UsageError("operation applies to provider codes, not to a card network's")
        table = _network_table(name)
        return table.issuer_code(code) or table.advice_code(code)
    if name not in known:  # neither a provider nor a card network: say both kinds
        error = UnknownProviderError(provider, registry.providers())
        error.args = (f"{error}; card networks: {', '.join(_card_networks())}",)
        raise error
    rows = registry.table(known[name])
    if operation is not None:
        scoped = rows.scoped.get((_normalize_code(str(code)), _as_operation(operation)))
        if scoped is not None:
            return scoped
    return rows.entry(code)
