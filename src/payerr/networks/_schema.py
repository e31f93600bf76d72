"""Card network tables: the schema, and every problem in a file listed with file, row and field.

A network table is TOML in ``mappings/networks/`` (schema: ``mappings/networks/README.md``): a
``[network]`` header, the issuer response codes (``[[code]]``, with Visa's decline categories),
Mastercard's Merchant Advice Codes (``[[advice]]``) and the network's reattempt limits
(``[[limit]]``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payerr._core.exceptions import MappingError
from payerr._core.files import NETWORK_ID, read_toml
from payerr.networks._codes import (
    ADVICE_CODE,
    CATEGORIES,
    ISSUER_CODE,
    MASTERCARD_NEVER_MACS,
    AdviceCode,
    IssuerCode,
    NetworkTable,
    ReattemptLimit,
    Source,
)

__all__ = ["parse_network_document", "parse_network_file"]

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
