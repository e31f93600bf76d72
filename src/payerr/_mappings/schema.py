"""Mapping files: their schema, and every problem in one listed with file, row and field.

A mapping file is TOML: a ``[provider]`` header and one ``[[code]]`` table per provider code (see
``mappings/README.md`` for the schema). :func:`parse_file` and :func:`parse_document` check a
file or an in-memory mapping and return it as a ``Document``; ``payerr._mappings.registry`` merges
documents, ``payerr._mappings.table`` looks codes up in them.
"""

from __future__ import annotations

import datetime as _dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from payerr._core.exceptions import MappingError
from payerr._core.files import read_toml, shipped_mappings_dir
from payerr._core.reasons import Reason, reason_conflict
from payerr._core.taxonomy import (
    DEFAULT_ACTIONS,
    DEFAULT_USER_MESSAGES,
    Category,
    CodeEntry,
    Operation,
    Outcome,
)

__all__ = [
    "ADAPTERS",
    "DEFAULT_CODE_FIELDS",
    "adapter_names",
    "network_ids",
    "normalize_code",
    "parse_document",
    "parse_file",
]

DEFAULT_CODE_FIELDS = ("error.code", "error_code", "errorCode", "code", "result_code", "resultCode")

PROVIDER_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEADER_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "title": str,
    "docs_url": str,
    "seed": str,
    "checked": (str, _dt.date),
    "adapter": str,
    "code_fields": list,
    "message_fields": list,
    "request_id_fields": list,
    "operation_field": str,
    "idempotency_key_header": bool,
    "notes": str,
}
_ROW_REQUIRED = ("code", "message", "outcome")
_ROW_STR_FIELDS = (
    "message",
    "description",
    "provider_action",
    "action",
    "user_message",
    "retry_hint",
    "group",
    "note",
    "doc_url",
    "seed",
)
_ROW_KEYS = frozenset(
    {
        *_ROW_STR_FIELDS,
        *("code", "outcome", "category", "retry_after", "spellings", "repeat", "operations"),
        "resend",
        "reason",
        "topic",
    }
)
_TOPICS = frozenset({"card-activation"})
MAX_CODE_LEN = 128


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
"""Zero-width characters: Antom's own SDK docstrings carry U+200B around PAYMENT_IN_PROCESS."""


def garbled(code: str) -> bool:
    """Whether a code holds characters a code never does (controls, format characters)."""
    return not code.strip().isprintable()


def normalize_code(code: str) -> str:
    """The form codes are compared in: zero-width characters and surrounding white space
    dropped, ASCII letters upper-cased.

    Only ASCII is upper-cased: Unicode case mapping turns look-alikes into codes (a long s,
    U+017F, upper-cases to S; a sharp s, U+00DF, to SS), and a garbled status must never read
    as success (Architecture#provider-text-is-hostile).
    """
    if code.isascii():
        return code.strip().upper()
    return code.translate(_INVISIBLE).strip().translate(_ASCII_UPPER)


ADAPTERS = frozenset({"alipay_plus", "antom", "fields", "ottpay", "ottpay_rest", "paykka"})
"""The envelope readers a mapping header may name: ``payerr._mappings.adapters.READERS`` holds
one reader for each (a test keeps the two equal; the readers read tables, which this module
checks, so the names live here, below them)."""


def adapter_names() -> frozenset[str]:
    """The envelope readers a mapping header may name (:data:`ADAPTERS`)."""
    return ADAPTERS


def network_ids() -> frozenset[str]:
    """The card networks with a shipped table (``mappings/networks/*.toml``): ids no provider
    may take, so ``payerr explain visa 05`` can only mean the network (payerr.networks._tables)."""
    folder = shipped_mappings_dir() / "networks"
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.stem for p in folder.glob("*.toml"))


@dataclass(frozen=True, slots=True)
class RequestIdField:
    """A request JSON field the provider documents as its idempotency key for some operations
    (``[[request_id]]`` in a mapping file): a request carrying it is replay-safe for them."""

    field: str
    """The top-level JSON body field (``captureRequestId``)."""
    operations: tuple[Operation, ...]
    doc_url: str
    """The page that says the provider deduplicates on it."""
    quote: str
    """The provider's words there, verbatim."""


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed and validated mapping file (or in-memory mapping)."""

    origin: str
    header: dict[str, Any]
    rows: tuple[CodeEntry, ...]
    request_ids: tuple[RequestIdField, ...] = ()

    @property
    def provider(self) -> str:
        return str(self.header["id"])


_MAX_FILE_BYTES = 16 << 20
"""A mapping file larger than this is refused unread (``/dev/zero`` must not fill memory)."""


def parse_file(path: Path) -> Document:
    """Read and validate one mapping file; raise :class:`MappingError` listing every problem."""
    return parse_document(read_toml(path, _MAX_FILE_BYTES, "a mapping file"), str(path))


def parse_document(data: Mapping[str, Any], origin: str) -> Document:
    """Validate mapping data (as parsed from TOML); raise :class:`MappingError` on any problem."""
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise MappingError([f"{origin}: expected a table with [provider] and [[code]] entries"])
    for key in data:
        if key not in ("schema", "provider", "code", "request_id"):
            errors.append(
                f"{origin}: unknown top-level key {key!r} "
                "(expected schema, provider, code, request_id)"
            )
    schema = data.get("schema", 1)
    if schema != 1:
        errors.append(
            f"{origin}: field 'schema': unsupported schema {schema!r} (this payerr reads 1)"
        )
    header = _parse_header(data.get("provider"), origin, errors)
    provider = header.get("id", "?")
    rows_data = data.get("code", [])
    rows: list[CodeEntry] = []
    seen: dict[str, str] = {}
    if not isinstance(rows_data, list):
        errors.append(f"{origin}: 'code' must be an array of tables ([[code]])")
        rows_data = []
    for index, row_data in enumerate(rows_data):
        entry = _parse_row(
            row_data, index=index, provider=provider, header=header, origin=origin, errors=errors
        )
        if entry is None:
            # An invalid row still claims its code: a second copy is reported as a duplicate.
            raw = row_data.get("code") if isinstance(row_data, Mapping) else None
            if isinstance(raw, str) and raw.strip():
                ops = row_data.get("operations")
                scoped = [o for o in ops if isinstance(o, str)] if isinstance(ops, list) else []
                claim = normalize_code(raw)
                for k in [f"{claim}@{o}" for o in scoped] or [claim]:
                    seen.setdefault(k, raw)
            continue
        code = normalize_code(entry.code)
        keys = [f"{code}@{o}" for o in entry.operations] or [code]
        clash = next((k for k in keys if k in seen), None)
        if clash is not None:
            scope = f" for operation {clash.split('@', 1)[1]!r}" if "@" in clash else ""
            errors.append(
                f"{origin}: code {entry.code!r}: field 'code': duplicate of {seen[clash]!r}"
                f"{scope} (codes compare case-insensitively)"
            )
            continue
        for k in keys:
            seen[k] = entry.code
        rows.append(entry)
    request_ids = _request_ids(data.get("request_id", []), origin, errors)
    if errors:
        raise MappingError(errors)
    return Document(origin=origin, header=header, rows=tuple(rows), request_ids=request_ids)


_REQUEST_ID_KEYS = frozenset({"field", "operations", "doc_url", "quote"})


def _request_ids(value: object, origin: str, errors: list[str]) -> tuple[RequestIdField, ...]:
    """The ``[[request_id]]`` tables: each a field, the operations it keys, and the page (with
    its words) that says so. All four are required: an idempotency promise needs its source."""
    if not isinstance(value, list):
        errors.append(f"{origin}: 'request_id' must be an array of tables ([[request_id]])")
        return ()
    found: list[RequestIdField] = []
    for index, item in enumerate(value):
        where = f"{origin}: [[request_id]] #{index + 1}"
        if not isinstance(item, Mapping):
            errors.append(f"{where}: must be a table")
            continue
        before = len(errors)
        for key in item:
            if key not in _REQUEST_ID_KEYS:
                errors.append(
                    f"{where}: unknown field {key!r} "
                    f"(expected one of {', '.join(sorted(_REQUEST_ID_KEYS))})"
                )
        for key in ("field", "doc_url", "quote"):
            if not (isinstance(item.get(key), str) and item[key].strip()):
                errors.append(f"{where}: field {key!r}: must be a non-empty string")
        operations = _operations_field(item.get("operations"), where, errors)
        if not operations and len(errors) == before:
            errors.append(f"{where}: field 'operations': name at least one operation")
        if len(errors) == before:
            found.append(
                RequestIdField(item["field"].strip(), operations, item["doc_url"], item["quote"])
            )
    return tuple(found)


def _parse_header(value: object, origin: str, errors: list[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        errors.append(f'{origin}: missing [provider] table with at least id = "..."')
        return {}
    header: dict[str, Any] = {}
    for key, item in value.items():
        expected = _HEADER_KEYS.get(key)
        if expected is None:
            errors.append(
                f"{origin}: [provider]: unknown field {key!r} "
                f"(expected one of {', '.join(sorted(_HEADER_KEYS))})"
            )
            continue
        if not isinstance(item, expected):
            errors.append(f"{origin}: [provider]: field {key!r}: wrong type {type(item).__name__}")
            continue
        if isinstance(item, list) and not all(isinstance(x, str) and x for x in item):
            errors.append(
                f"{origin}: [provider]: field {key!r}: must be a list of non-empty strings"
            )
            continue
        header[key] = item
    pid = header.get("id")
    if pid is None:
        if "id" not in value:
            errors.append(f"{origin}: [provider]: missing field 'id'")
    elif not PROVIDER_ID.match(pid):
        errors.append(
            f"{origin}: [provider]: field 'id': {pid!r} is not a provider id "
            "(lower-case letters, digits and _; starts with a letter)"
        )
        del header["id"]
    elif pid in network_ids():
        errors.append(
            f"{origin}: [provider]: field 'id': {pid!r} names a card network's table "
            f"(payerr explain {pid} CODE), not a provider"
        )
        del header["id"]
    adapter = header.get("adapter")
    if adapter is not None and adapter not in adapter_names():
        errors.append(
            f"{origin}: [provider]: field 'adapter': unknown adapter {adapter!r} "
            f"(expected one of {', '.join(sorted(adapter_names()))})"
        )
    return header


_E = TypeVar("_E", Outcome, Category)


def _enum_field(
    data: Mapping[str, Any], name: str, enum: type[_E], where: str, errors: list[str]
) -> _E | None:
    """The row's value for an enum field, or None (with an error when present but invalid)."""
    if name not in data:
        return None
    try:
        return enum(data[name])
    except (ValueError, TypeError):
        errors.append(
            f"{where}: field {name!r}: unknown {name} {data[name]!r} "
            f"(expected one of {', '.join(e.value for e in enum)})"
        )
        return None


def _parse_row(
    data: object,
    *,
    index: int,
    provider: str,
    header: Mapping[str, Any],
    origin: str,
    errors: list[str],
) -> CodeEntry | None:
    """One ``[[code]]`` table as a CodeEntry, or None with its problems added to ``errors``."""
    if not isinstance(data, Mapping):
        errors.append(f"{origin}: [[code]] #{index + 1}: must be a table")
        return None
    raw_code = data.get("code")
    if type(raw_code) is int:
        raw_code = str(raw_code)
    label = repr(raw_code) if isinstance(raw_code, str) else f"#{index + 1}"
    where = f"{origin}: code {label}"
    before = len(errors)
    _check_fields(data, raw_code, where, errors)
    outcome = _enum_field(data, "outcome", Outcome, where, errors)
    category = _enum_field(data, "category", Category, where, errors)
    if outcome is Outcome.FAILED and "category" not in data:
        errors.append(f"{where}: field 'category': missing (required when outcome is failed)")
    if outcome is not None and outcome is not Outcome.FAILED and "category" in data:
        errors.append(f"{where}: field 'category': only failed codes have a category")
    retry_after, repeat = _check_hints(data, where, errors)
    resend = _resend_field(data, outcome, where, errors)
    reason = _reason_field(data, outcome, category, where, errors)
    topic = data.get("topic", "")
    if topic != "" and topic not in _TOPICS:
        errors.append(
            f"{where}: field 'topic': unknown topic {topic!r} (expected one of "
            f"{', '.join(sorted(_TOPICS))})"
        )
    operations = _operations_field(data.get("operations", []), where, errors)
    spellings = _spellings(data, raw_code, where, errors)
    if len(errors) > before or outcome is None or not isinstance(raw_code, str):
        return None
    verdict: Outcome | Category = category if category is not None else outcome

    def text(name: str, default: str = "") -> str:
        value = data.get(name, default)
        return value if isinstance(value, str) else default

    return CodeEntry(
        provider=provider,
        code=raw_code.strip(),
        message=text("message"),
        description=text("description"),
        provider_action=text("provider_action"),
        outcome=outcome,
        category=category,
        action=text("action") or DEFAULT_ACTIONS[verdict],
        user_message=text("user_message") or DEFAULT_USER_MESSAGES[verdict],
        retry_after=retry_after,
        retry_hint=text("retry_hint") or None,
        group=text("group"),
        note=text("note"),
        doc_url=text("doc_url") or str(header.get("docs_url", "")),
        seed=text("seed", str(header.get("seed", ""))),
        spellings=tuple(s for s in spellings if s != raw_code),
        origin=origin,
        repeat=repeat,
        operations=operations,
        resend=resend,
        reason=reason,
        topic=topic if isinstance(topic, str) else "",
    )


def _reason_field(
    data: Mapping[str, Any],
    outcome: Outcome | None,
    category: Category | None,
    where: str,
    errors: list[str],
) -> Reason:
    """``reason``: one of :class:`Reason`, allowed with the row's verdict (``suspected_fraud``
    only with risk). A row without one says ``unknown`` (``payerr validate`` points it out)."""
    value = data.get("reason")
    if value is None:
        return Reason.UNKNOWN
    try:
        reason = Reason(value)
    except (ValueError, TypeError):
        import difflib  # noqa: PLC0415 -- only for a mapping file's mistake

        near = difflib.get_close_matches(str(value).strip().lower(), [r.value for r in Reason], n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        errors.append(
            f"{where}: field 'reason': unknown reason {value!r}{hint} (the vocabulary: "
            "payerr.Reason, listed on the docs' Reasons page)"
        )
        return Reason.UNKNOWN
    if outcome is not None:
        why = reason_conflict(reason, outcome, category)
        if why is not None:
            errors.append(f"{where}: field 'reason': {why}")
    return reason


def _check_fields(data: Mapping[str, Any], raw_code: object, where: str, errors: list[str]) -> None:
    """Unknown and missing fields, the code itself, and the fields that must be text."""
    for key in data:
        if key not in _ROW_KEYS:
            errors.append(
                f"{where}: unknown field {key!r} (expected one of {', '.join(sorted(_ROW_KEYS))})"
            )
    for key in _ROW_REQUIRED:
        if key not in data:
            errors.append(f"{where}: field {key!r}: missing")
    if "code" in data and not (isinstance(raw_code, str) and raw_code.strip()):
        errors.append(f"{where}: field 'code': must be a non-empty string")
    elif isinstance(raw_code, str) and len(raw_code) > MAX_CODE_LEN:
        errors.append(f"{where}: field 'code': longer than {MAX_CODE_LEN} characters")
    for key in _ROW_STR_FIELDS:
        if key in data and not isinstance(data[key], str):
            errors.append(
                f"{where}: field {key!r}: must be a string, not {type(data[key]).__name__}"
            )


def _check_hints(
    data: Mapping[str, Any], where: str, errors: list[str]
) -> tuple[float | None, bool]:
    """``retry_after`` (seconds) and ``repeat`` (a bool), checked."""
    retry_after = data.get("retry_after")
    if retry_after is not None and (
        isinstance(retry_after, bool)
        or not isinstance(retry_after, int | float)
        or not 0 <= retry_after < 10**9
    ):
        errors.append(f"{where}: field 'retry_after': must be a number of seconds >= 0")
        retry_after = None
    repeat = data.get("repeat", False)
    if not isinstance(repeat, bool):
        errors.append(f"{where}: field 'repeat': must be true or false")
    return (None if retry_after is None else float(retry_after)), repeat is True


def _resend_field(
    data: Mapping[str, Any], outcome: Outcome | None, where: str, errors: list[str]
) -> bool:
    """``resend`` (a bool): the provider marks the code's result unknown and says to call again
    with the same request (Antom and Alipay+ ``resultStatus`` U). Such a code is never failed:
    it is pending, and a resend under the same request id settles it."""
    resend = data.get("resend", False)
    if not isinstance(resend, bool):
        errors.append(f"{where}: field 'resend': must be true or false")
        return False
    if resend and outcome is not None and outcome is not Outcome.PENDING:
        errors.append(
            f"{where}: field 'resend': only a pending code is resent (the provider does not "
            f"know its result, so it is never {outcome})"
        )
    return resend is True


def _spellings(
    data: Mapping[str, Any], raw_code: object, where: str, errors: list[str]
) -> list[str]:
    """The other spellings of the code: strings that normalise to it."""
    spellings = data.get("spellings", [])
    if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
        errors.append(f"{where}: field 'spellings': must be a list of strings")
        return []
    if isinstance(raw_code, str):
        for s in spellings:
            if normalize_code(s) != normalize_code(raw_code):
                errors.append(
                    f"{where}: field 'spellings': {s!r} is not a spelling of {raw_code!r} "
                    "(add it as a code of its own)"
                )
    return spellings


def _operations_field(value: object, where: str, errors: list[str]) -> tuple[Operation, ...]:
    """A row's ``operations`` scope: a list of operation names (not ``unknown``)."""
    allowed = [o.value for o in Operation if o is not Operation.UNKNOWN]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: field 'operations': must be a list of operation names")
        return ()
    result: list[Operation] = []
    for name in value:
        if name not in allowed:
            errors.append(
                f"{where}: field 'operations': unknown operation {name!r} "
                f"(expected any of {', '.join(allowed)})"
            )
        else:
            result.append(Operation(name))
    return tuple(dict.fromkeys(result))


# -- the process-wide registry --------------------------------------------------------------
