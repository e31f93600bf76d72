"""Card network code tables: load, validate and look up Visa's and Mastercard's codes.

A network table is TOML in ``mappings/networks/`` (schema: ``mappings/networks/README.md``): a
``[network]`` header, the issuer response codes (``[[code]]``, with Visa's decline categories),
Mastercard's Merchant Advice Codes (``[[advice]]``) and the network's reattempt limits
(``[[limit]]``). Every row carries its public sources in their own words. The tables ship inside
the wheel next to the provider mappings and load once, on first use.

A card network is not a provider: there is no envelope to read and no transport to build, so
these tables live apart from :class:`~payerr._registry.Registry` and ``payerr.providers()``.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payerr._exceptions import MappingError, UsageError
from payerr._schema import read_toml, shipped_mappings_dir

__all__ = [
    "AdviceCode",
    "IssuerCode",
    "NetworkTable",
    "ReattemptLimit",
    "Source",
    "card_networks",
    "lookup_table",
    "network_table",
    "parse_network_file",
    "shipped_networks_dir",
]

NETWORK_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""A network id: the lower-case brand name (``visa``, ``mastercard``)."""
ISSUER_CODE = re.compile(r"^[0-9A-Z]{2}$")
"""An issuer response code as the networks list it: two characters (``05``, ``N7``, ``R0``)."""
ADVICE_CODE = re.compile(r"^[0-9]{2}$")
"""A Merchant Advice Code: two digits, never padded (``4`` is not ``04``)."""
CATEGORIES = ("1", "2", "3", "4")
"""Visa's decline categories."""
MASTERCARD_NEVER_MACS = frozenset({"03", "21"})
"""Mastercard's Merchant Advice Codes after which a card is never tried again: 03 "do not try
again", 21 "payment cancelled" (a resubmission within 30 days draws a fee; Maast, TabaPay)."""

_TOP_KEYS = frozenset({"schema", "network", "code", "advice", "limit"})
_HEADER_KEYS = frozenset({"id", "title", "checked", "notes"})
_CODE_KEYS = frozenset(
    {"code", "message", "category", "never_retry", "group", "note", "disputed", "sources"}
)
_ADVICE_KEYS = frozenset(
    {"code", "message", "never_retry", "retry_after", "note", "disputed", "sources"}
)
_LIMIT_KEYS = frozenset(
    {
        "id",
        "categories",
        "advice_codes",
        "max_reattempts",
        "window_seconds",
        "scope",
        "effective",
        "note",
        "disputed",
        "sources",
    }
)
_SOURCE_KEYS = frozenset({"url", "says"})
_MAX_FILE_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Source:
    """Where a row's facts come from: a public page, and what it says in its own words."""

    url: str
    says: str


@dataclass(frozen=True, slots=True)
class IssuerCode:
    """One issuer response code of a network (ISO 8583 field 39 as the network reads it)."""

    network: str
    code: str
    message: str
    """The code's name in the sources' words."""
    category: str | None
    """Visa's decline category (``"1"`` to ``"4"``); None where the network has none."""
    never_retry: bool
    """True only for codes the network says must never be reattempted (Visa category 1)."""
    group: str
    """Mastercard's decline reason grouping (``79 lifecycle``, ``82 policy``, ``83 security``)."""
    note: str
    disputed: str
    """Where public sources disagree about this code, in a sentence; empty when they agree."""
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr list|explain NETWORK --json``."""
        return {
            "network": self.network,
            "kind": "issuer_code",
            "code": self.code,
            "message": self.message,
            "category": self.category,
            "never_retry": self.never_retry,
            "group": self.group,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class AdviceCode:
    """One Merchant Advice Code: whether and when a declined payment may be reattempted."""

    network: str
    code: str
    message: str
    never_retry: bool
    retry_after: float | None
    """Seconds to wait before reattempting (MAC 24: 3600); None when the code gives no wait."""
    note: str
    disputed: str
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr list|explain NETWORK --json``."""
        return {
            "network": self.network,
            "kind": "advice_code",
            "code": self.code,
            "message": self.message,
            "never_retry": self.never_retry,
            "retry_after": self.retry_after,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class ReattemptLimit:
    """A network's limit on reattempting declined payments, as public sources state it.

    Data for a reattempt limiter, not enforced by payerr: the sources disagree on numbers and
    dates (``disputed``), so a limiter should take them as configuration.
    """

    network: str
    id: str
    categories: tuple[str, ...]
    """The decline categories it applies to (Visa); empty with ``advice_codes`` empty: all."""
    advice_codes: tuple[str, ...]
    """The Merchant Advice Codes it applies to (Mastercard 03, 21)."""
    max_reattempts: int
    """Reattempts allowed within the window (0: never reattempt)."""
    window_seconds: float | None
    """The rolling window; None for a limit without one (a category 1 decline, ever)."""
    scope: str
    """What is counted, in the sources' terms (the same card, amount and currency ...)."""
    effective: str
    note: str
    disputed: str
    sources: tuple[Source, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "network": self.network,
            "kind": "limit",
            "id": self.id,
            "categories": list(self.categories),
            "advice_codes": list(self.advice_codes),
            "max_reattempts": self.max_reattempts,
            "window_seconds": self.window_seconds,
            "scope": self.scope,
            "effective": self.effective,
            "note": self.note,
            "disputed": self.disputed,
            "sources": [{"url": s.url, "says": s.says} for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class NetworkTable:
    """One card network's tables, validated and frozen."""

    id: str
    title: str
    checked: str
    notes: str
    codes: Mapping[str, IssuerCode]
    """Issuer response codes by code (upper-case)."""
    advice: Mapping[str, AdviceCode]
    """Merchant Advice Codes by code."""
    limits: tuple[ReattemptLimit, ...]
    origin: str
    """The file the table was read from."""

    def issuer_code(self, code: object) -> IssuerCode | None:
        """The row for an issuer response code exactly as listed (two characters, any ASCII
        case, surrounding white space ignored); None for anything else. Never raises."""
        key = _code_key(code)
        return None if key is None else self.codes.get(key)

    def advice_code(self, code: object) -> AdviceCode | None:
        """The row for a Merchant Advice Code: exactly two digits (``"4"`` is not ``"04"``:
        some processors send their own one-digit scheme). None for anything else."""
        key = _code_key(code)
        return None if key is None else self.advice.get(key)

    @property
    def row_count(self) -> int:
        return len(self.codes) + len(self.advice)


def _code_key(code: object) -> str | None:
    """A code as the tables key it (the rows were validated to two characters): ASCII only,
    white space around it dropped, upper-cased; None for anything that cannot be a code."""
    if not isinstance(code, str) or len(code) > 8 or not code.isascii():
        return None
    return code.strip().upper()


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
                table = parse_network_file(path)
                self._tables[network] = table
            return table


_SHIPPED = _Tables()


def card_networks() -> list[str]:
    """The card networks payerr has tables for (``["mastercard", "visa"]``), sorted."""
    return _SHIPPED.ids()


def network_table(network: str) -> NetworkTable:
    """One card network's tables: issuer codes, Merchant Advice Codes, reattempt limits.

    Raises:
        UsageError: payerr has no table for ``network`` (a ``ValueError``).
        MappingError: the shipped table is broken.
    """
    table = lookup_table(network)
    if table is None:
        known = ", ".join(card_networks()) or "(none)"
        raise UsageError(f"unknown card network {network!r}; known networks: {known}")
    return table


def lookup_table(network: object) -> NetworkTable | None:
    """The table for a network id, or None when payerr has none (the advice path's lookup)."""
    return _SHIPPED.get(network)


# -- parsing and validation ---------------------------------------------------------------------


def parse_network_file(path: Path) -> NetworkTable:
    """Read and validate one network table; raise :class:`MappingError` listing every problem."""
    return parse_network_document(read_toml(path, _MAX_FILE_BYTES, "a network table"), str(path))


def parse_network_document(data: Mapping[str, Any], origin: str) -> NetworkTable:
    """Validate a network table (as parsed from TOML); raise :class:`MappingError` on problems."""
    errors: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            errors.append(
                f"{origin}: unknown top-level key {key!r} (expected {', '.join(sorted(_TOP_KEYS))})"
            )
    if data.get("schema", 1) != 1:
        errors.append(f"{origin}: field 'schema': unsupported schema {data.get('schema')!r}")
    header = _header(data.get("network"), origin, errors)
    network = str(header.get("id", "?"))
    codes: dict[str, IssuerCode] = {}
    for where, row in _rows(data, "code", origin, errors):
        entry = _issuer_row(row, network, where, errors)
        if entry is not None:
            codes[entry.code] = entry
    advice: dict[str, AdviceCode] = {}
    for where, row in _rows(data, "advice", origin, errors):
        adv = _advice_row(row, network, where, errors)
        if adv is not None:
            advice[adv.code] = adv
    limits: dict[str, ReattemptLimit] = {}
    for where, row in _rows(data, "limit", origin, errors):
        limit = _limit_row(row, network, where, errors)
        if limit is not None:
            limits[limit.id] = limit
    for limit in limits.values():
        for code in limit.advice_codes:
            if code not in advice:
                errors.append(f"{origin}: limit {limit.id!r}: advice code {code!r} has no row")
    if errors:
        raise MappingError(errors)
    checked = header.get("checked", "")
    return NetworkTable(
        id=network,
        title=str(header.get("title", network)),
        checked=checked.isoformat() if isinstance(checked, _dt.date) else str(checked),
        notes=str(header.get("notes", "")),
        codes=codes,
        advice=advice,
        limits=tuple(limits.values()),
        origin=origin,
    )


def _header(value: object, origin: str, errors: list[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        errors.append(f'{origin}: missing [network] table with at least id = "..."')
        return {}
    header: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _HEADER_KEYS:
            errors.append(f"{origin}: [network]: unknown field {key!r}")
        elif isinstance(item, str) or (key == "checked" and isinstance(item, _dt.date)):
            header[key] = item
        else:
            errors.append(f"{origin}: [network]: field {key!r}: wrong type {type(item).__name__}")
    pid = header.get("id")
    if pid is None:
        if "id" not in value:
            errors.append(f"{origin}: [network]: missing field 'id'")
    elif not NETWORK_ID.match(pid):
        errors.append(f"{origin}: [network]: field 'id': {pid!r} is not a network id")
        del header["id"]
    elif Path(origin).suffix == ".toml" and Path(origin).stem != pid:
        errors.append(f"{origin}: [network]: field 'id': {pid!r} must match the file name")
    return header


def _rows(
    data: Mapping[str, Any], name: str, origin: str, errors: list[str]
) -> list[tuple[str, Mapping[str, Any]]]:
    rows = data.get(name, [])
    if not isinstance(rows, list):
        errors.append(f"{origin}: {name!r} must be an array of tables ([[{name}]])")
        return []
    out: list[tuple[str, Mapping[str, Any]]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.append(f"{origin}: [[{name}]] #{index + 1}: must be a table")
            continue
        label = row.get("id" if name == "limit" else "code")
        shown = repr(label) if isinstance(label, str) else f"#{index + 1}"
        where = f"{origin}: {name} {shown}"
        if isinstance(label, str):
            # A row claims its code even when it is invalid: a second copy is a duplicate.
            key = label.strip().upper()
            if key in seen:
                errors.append(f"{where}: duplicate of an earlier row")
                continue
            seen.add(key)
        out.append((where, row))
    return out


def _check_keys(
    row: Mapping[str, Any], allowed: frozenset[str], where: str, errors: list[str]
) -> None:
    for key in row:
        if key not in allowed:
            errors.append(
                f"{where}: unknown field {key!r} (expected one of {', '.join(sorted(allowed))})"
            )


def _text(
    row: Mapping[str, Any], key: str, where: str, errors: list[str], *, required: bool = False
) -> str:
    value = row.get(key)
    if value is None:
        if required:
            errors.append(f"{where}: field {key!r}: missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors.append(f"{where}: field {key!r}: must be a non-empty string")
        return ""
    return value


def _flag(row: Mapping[str, Any], key: str, where: str, errors: list[str]) -> bool:
    value = row.get(key, False)
    if not isinstance(value, bool):
        errors.append(f"{where}: field {key!r}: must be true or false")
        return False
    return value


def _seconds(value: object, key: str, where: str, errors: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 10**9:
        errors.append(f"{where}: field {key!r}: must be a number of seconds >= 0")
        return None
    return float(value)


def _sources(row: Mapping[str, Any], where: str, errors: list[str]) -> tuple[Source, ...]:
    """Provenance is required: at least one public https page and its own words."""
    value = row.get("sources")
    if not isinstance(value, list) or not value:
        errors.append(f"{where}: field 'sources': at least one {{ url, says }} is required")
        return ()
    out: list[Source] = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) != _SOURCE_KEYS:
            errors.append(f"{where}: field 'sources': each entry is {{ url = ..., says = ... }}")
            continue
        url, says = item["url"], item["says"]
        if not isinstance(url, str) or not url.startswith("https://") or " " in url:
            errors.append(f"{where}: field 'sources': {url!r} is not an https URL")
        elif not isinstance(says, str) or not says.strip():
            errors.append(f"{where}: field 'sources': 'says' must quote the source")
        else:
            out.append(Source(url, says))
    return tuple(out)


def _issuer_row(
    row: Mapping[str, Any], network: str, where: str, errors: list[str]
) -> IssuerCode | None:
    before = len(errors)
    _check_keys(row, _CODE_KEYS, where, errors)
    code = row.get("code")
    if not isinstance(code, str) or not ISSUER_CODE.match(code):
        errors.append(f"{where}: field 'code': two upper-case letters or digits, as a string")
    message = _text(row, "message", where, errors, required=True)
    category = row.get("category")
    if category is not None and category not in CATEGORIES:
        errors.append(f"{where}: field 'category': one of {', '.join(CATEGORIES)} (a string)")
    never = _flag(row, "never_retry", where, errors)
    if category == "1" and not never:
        errors.append(f"{where}: field 'never_retry': category 1 is never reattempted: true")
    if category in ("2", "3", "4") and never:
        errors.append(f"{where}: field 'never_retry': category {category} may be reattempted")
    texts = {k: _text(row, k, where, errors) for k in ("group", "note", "disputed")}
    sources = _sources(row, where, errors)
    if len(errors) > before or not isinstance(code, str):
        return None
    return IssuerCode(
        network=network,
        code=code,
        message=message,
        category=category if isinstance(category, str) else None,
        never_retry=never,
        sources=sources,
        **texts,
    )


def _advice_row(
    row: Mapping[str, Any], network: str, where: str, errors: list[str]
) -> AdviceCode | None:
    before = len(errors)
    _check_keys(row, _ADVICE_KEYS, where, errors)
    code = row.get("code")
    if not isinstance(code, str) or not ADVICE_CODE.match(code):
        errors.append(f"{where}: field 'code': two digits, as a string")
    message = _text(row, "message", where, errors, required=True)
    never = _flag(row, "never_retry", where, errors)
    wait = _seconds(row.get("retry_after"), "retry_after", where, errors)
    if never and wait is not None:
        errors.append(f"{where}: field 'retry_after': a never-retry code has no wait")
    if network == "mastercard" and code in MASTERCARD_NEVER_MACS and not never:
        errors.append(
            f"{where}: field 'never_retry': Mastercard MAC {code} is never reattempted: true"
        )
    texts = {k: _text(row, k, where, errors) for k in ("note", "disputed")}
    sources = _sources(row, where, errors)
    if len(errors) > before or not isinstance(code, str):
        return None
    return AdviceCode(
        network=network,
        code=code,
        message=message,
        never_retry=never,
        retry_after=wait,
        sources=sources,
        **texts,
    )


def _limit_row(
    row: Mapping[str, Any], network: str, where: str, errors: list[str]
) -> ReattemptLimit | None:
    before = len(errors)
    _check_keys(row, _LIMIT_KEYS, where, errors)
    limit_id = row.get("id")
    if not isinstance(limit_id, str) or not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", limit_id):
        errors.append(f"{where}: field 'id': lower-case letters, digits and dashes")
    categories = _strings(row, "categories", where, errors)
    for category in categories:
        if category not in CATEGORIES:
            errors.append(f"{where}: field 'categories': {category!r} is not a category")
    advice_codes = _strings(row, "advice_codes", where, errors)
    for code in advice_codes:
        if not ADVICE_CODE.match(code):
            errors.append(f"{where}: field 'advice_codes': {code!r} is not two digits")
    most = row.get("max_reattempts")
    if isinstance(most, bool) or not isinstance(most, int) or most < 0:
        errors.append(f"{where}: field 'max_reattempts': a whole number >= 0")
    window = _seconds(row.get("window_seconds"), "window_seconds", where, errors)
    if isinstance(most, int) and most > 0 and not window:
        errors.append(f"{where}: field 'window_seconds': a limit above 0 needs its window")
    texts = {k: _text(row, k, where, errors) for k in ("scope", "effective", "note", "disputed")}
    sources = _sources(row, where, errors)
    if len(errors) > before or not isinstance(limit_id, str) or not isinstance(most, int):
        return None
    return ReattemptLimit(
        network=network,
        id=limit_id,
        categories=categories,
        advice_codes=advice_codes,
        max_reattempts=most,
        window_seconds=window,
        sources=sources,
        **texts,
    )


def _strings(row: Mapping[str, Any], key: str, where: str, errors: list[str]) -> tuple[str, ...]:
    value = row.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: field {key!r}: must be a list of strings")
        return ()
    return tuple(value)
