"""Mapping files: load, validate, merge, and look codes up fast.

A mapping file is TOML: a ``[provider]`` header and one ``[[code]]`` table per provider code (see
``mappings/README.md`` for the schema). The four shipped files load lazily, one provider at a
time, on first use. Users add files of their own, to override single codes or to add a whole
provider, with :func:`load_mappings` or the ``PAYERR_MAPPINGS`` environment variable; a later
file's row replaces an earlier row for the same code.

Lookups are two dict hits: every spelling a row answers to, and every source it may be read
from, maps to a :class:`~payerr._taxonomy.Classification` built once.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
import string
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from payerr._exceptions import MappingError, UnknownProviderError
from payerr._taxonomy import (
    DEFAULT_ACTIONS,
    DEFAULT_USER_MESSAGES,
    Category,
    Classification,
    CodeEntry,
    Operation,
    Outcome,
)
from payerr._text import clean, int_text

__all__ = [
    "ENV_VAR",
    "ProviderTable",
    "Registry",
    "default_registry",
    "load_mappings",
    "network_ids",
    "normalize_code",
    "reset_default_registry",
    "shipped_mappings_dir",
]

ENV_VAR = "PAYERR_MAPPINGS"
"""Extra mapping files or folders, separated by ``os.pathsep``; read on first use."""

ADAPTERS = frozenset({"antom", "alipay_plus", "ottpay", "paykka", "fields"})
"""Envelope readers a mapping header may name (see ``payerr._adapters``)."""

DEFAULT_CODE_FIELDS = ("error.code", "error_code", "errorCode", "code", "result_code", "resultCode")

_PROVIDER_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
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
    }
)
_MAX_CODE_LEN = 128
_CACHE_LIMIT = 4096  # spellings cached per source; beyond it lookups still work, uncached


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
"""Zero-width characters: Antom's own SDK docstrings carry U+200B around PAYMENT_IN_PROCESS."""


def _garbled(code: str) -> bool:
    """Whether a code holds characters a code never does (controls, format characters)."""
    return not code.strip().isprintable()


def normalize_code(code: str) -> str:
    """The form codes are compared in: zero-width characters and surrounding white space
    dropped, ASCII letters upper-cased.

    Only ASCII is upper-cased: Unicode case mapping turns look-alikes into codes (a long s,
    U+017F, upper-cases to S; a sharp s, U+00DF, to SS), and a garbled status must never read
    as success (DESIGN.md section 6, rule 7).
    """
    if code.isascii():
        return code.strip().upper()
    return code.translate(_INVISIBLE).strip().translate(_ASCII_UPPER)


def network_ids() -> frozenset[str]:
    """The card networks with a shipped table (``mappings/networks/*.toml``): ids no provider
    may take, so ``payerr explain visa 05`` can only mean the network (payerr._network_tables)."""
    folder = shipped_mappings_dir() / "networks"
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.stem for p in folder.glob("*.toml"))


def shipped_mappings_dir() -> Path:
    """Where the shipped ``*.toml`` files are: inside the wheel, or the repository's ``mappings/``.

    A wheel carries them as ``payerr/mappings``; an editable install runs from ``src/payerr`` and
    reads the top-level ``mappings/`` folder of the checkout.
    """
    packaged = resources.files("payerr") / "mappings"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "mappings"


@dataclass(frozen=True, slots=True)
class _Document:
    """One parsed and validated mapping file (or in-memory mapping)."""

    origin: str
    header: dict[str, Any]
    rows: tuple[CodeEntry, ...]

    @property
    def provider(self) -> str:
        return str(self.header["id"])


class ProviderTable:
    """One provider's merged code table, frozen once built."""

    __slots__ = (
        "_by_source",
        "_in_response",
        "_lock",
        "adapter",
        "checked",
        "code_fields",
        "docs_url",
        "entries",
        "id",
        "message_fields",
        "origins",
        "request_id_fields",
        "scoped",
        "seed",
        "title",
    )

    def __init__(self, documents: Sequence[_Document]) -> None:
        header: dict[str, Any] = {}
        rows: dict[str, CodeEntry] = {}
        scoped: dict[tuple[str, Operation], CodeEntry] = {}
        for doc in documents:
            header.update(doc.header)
            for row in doc.rows:
                if row.operations:
                    for operation in row.operations:
                        scoped[normalize_code(row.code), operation] = row
                else:
                    rows[normalize_code(row.code)] = row
        self.scoped: Mapping[tuple[str, Operation], CodeEntry] = scoped
        """Rows scoped to operations, by (normalised code, operation)."""
        self.id: str = header["id"]
        self.title: str = header.get("title", self.id)
        self.docs_url: str = header.get("docs_url", "")
        self.seed: str = header.get("seed", "")
        checked = header.get("checked", "")
        self.checked: str = checked.isoformat() if isinstance(checked, _dt.date) else checked
        self.adapter: str = header.get("adapter", self.id if self.id in ADAPTERS else "fields")
        self.code_fields: tuple[str, ...] = tuple(header.get("code_fields", DEFAULT_CODE_FIELDS))
        self.message_fields: tuple[str, ...] = tuple(header.get("message_fields", ()))
        self.request_id_fields: tuple[str, ...] = tuple(header.get("request_id_fields", ()))
        """Top-level request JSON fields the provider documents as idempotency keys."""
        self.origins: tuple[tuple[str, int], ...] = tuple(
            (d.origin, len(d.rows)) for d in documents
        )
        """Each file the table was merged from, with its row count, in order."""
        self.entries: Mapping[str, CodeEntry] = rows
        self._by_source: dict[str, dict[object, Classification]] = {}
        self._in_response: dict[
            tuple[int, str | None, int, Operation], tuple[Classification, Classification]
        ] = {}
        self._lock = threading.Lock()
        self._prime("code")

    def _prime(self, source: str) -> dict[object, Classification]:
        """Build the lookup dict for one source: every known spelling → its Classification."""
        cache: dict[object, Classification] = {}
        for key, entry in self.entries.items():
            spellings = {entry.code, key, *entry.spellings}
            for spelling in spellings:
                cache[spelling] = entry.classification(raw_code=spelling, source=source)
            # Numeric codes arrive as int from JSON and SDKs; "0000" keeps its zeros and stays str.
            if key.isdigit() and (key == "0" or not key.startswith("0")):
                cache[int(key)] = entry.classification(raw_code=key, source=source)
        with self._lock:
            self._by_source[source] = cache
        return cache

    def codes(self, source: str = "code") -> dict[object, Classification]:
        """The lookup dict for one source (spelling -> Classification); grows as it is used."""
        cache = self._by_source.get(source)
        return cache if cache is not None else self._prime(source)

    def lookup(self, code: object, source: str = "code") -> Classification | None:
        """The Classification for a known code, or None. Never raises on odd input."""
        cache = self.codes(source)
        try:
            hit = cache.get(code)
        except TypeError:  # unhashable: a list or dict where a code should be
            return None
        if hit is not None:
            return hit
        if type(code) is int:
            text = int_text(code)
            if text is None:
                return None
            raw = text
        elif isinstance(code, str) and len(code) <= _MAX_CODE_LEN:
            raw = clean(code)
        else:
            return None
        entry = self.entries.get(normalize_code(raw))
        if entry is None:
            return None
        if entry.outcome is Outcome.SUCCESS and isinstance(code, str) and _garbled(code):
            # "SUCCESS\x00", "SUC\u200bCESS": invisible or control characters inside a code
            # may help recognise an in-process or failed code, never a success.
            return None
        result = entry.classification(raw_code=raw, source=source)
        if len(cache) < _CACHE_LIMIT:
            cache[code] = result
        return result

    def in_response(
        self,
        c: Classification,
        detail: str | None,
        status: int,
        operation: Operation = Operation.UNKNOWN,
    ) -> Classification:
        """``c`` carrying one response's message and status, shared between equal responses.

        Building a frozen 15-field object costs as much as parsing a small body; most answers
        repeat (the same code, message and status), so copies are cached per table, bounded.
        """
        key = (id(c), detail, status, operation)
        hit = self._in_response.get(key)
        if hit is not None and hit[0] is c:  # the cache holds c, so its id cannot be reused
            return hit[1]
        result = c.in_response(detail, status, operation)
        if len(self._in_response) >= _CACHE_LIMIT:
            # Full (messages that carry order ids never repeat): start again, so the answers
            # that do repeat are cached again at once, and memory stays bounded.
            self._in_response.clear()
        self._in_response[key] = (c, result)
        return result

    def all_entries(self) -> list[CodeEntry]:
        """Every row: the ones for every operation, then the scoped ones (each once)."""
        scoped = list({id(e): e for e in self.scoped.values()}.values())
        return [*self.entries.values(), *scoped]

    def in_operation(self, c: Classification, operation: Operation) -> Classification:
        """``c`` as the row scoped to ``operation`` reads it, where one is (rare: no cache)."""
        entry = self.scoped.get((c.code, operation)) if c.code else None
        if entry is None:
            return c
        return dataclasses.replace(
            entry.classification(raw_code=c.raw_code, source=c.source),
            detail=c.detail,
            http_status=c.http_status,
            retry_after=c.retry_after if c.retry_after is not None else entry.retry_after,
            retry_at=c.retry_at,
            operation=operation,
        )

    def entry(self, code: object) -> CodeEntry | None:
        """The mapping row for a code (any accepted spelling), or None."""
        if type(code) is int:
            code = int_text(code)
        if not isinstance(code, str):
            return None
        return self.entries.get(normalize_code(code))

    def unknown(
        self,
        raw_code: str | None,
        outcome: Outcome,
        category: Category | None,
        *,
        source: str,
        message: str,
        action: str | None = None,
        detail: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        known: bool = False,
        repeat: bool = False,
        operation: Operation = Operation.UNKNOWN,
    ) -> Classification:
        """A Classification decided by a fallback rather than a mapping row."""
        if outcome is Outcome.SUCCESS and not known:
            outcome = Outcome.PENDING  # an unknown code is never success
        if outcome is not Outcome.FAILED:
            category = None
        elif category is None:
            category = Category.FINAL
        key: Outcome | Category = category if category is not None else outcome
        return Classification(
            provider=self.id,
            code=normalize_code(raw_code) if raw_code else "",
            raw_code=raw_code,
            message=message,
            outcome=outcome,
            category=category,
            retryable=category is Category.RETRYABLE,
            known=known,
            action=action or DEFAULT_ACTIONS[key],
            user_message=DEFAULT_USER_MESSAGES[key],
            retry_after=retry_after,
            source=source,
            detail=detail,
            http_status=http_status,
            repeat=repeat and outcome is Outcome.FAILED,
            operation=operation,
        )


class Registry:
    """The set of mappings payerr classifies with: shipped files plus the user's own.

    Most code uses the process-wide :func:`default_registry` through ``payerr._classify`` and
    friends; build a Registry of your own for isolation (tests, several configurations).

    Args:
        paths: extra mapping files or folders, applied after the shipped ones, in order.
        shipped: include the mappings that ship with payerr.
        use_env: also read the files named by ``PAYERR_MAPPINGS`` (on first use).
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]] = (),
        *,
        shipped: bool = True,
        use_env: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._shipped_dir = shipped_mappings_dir() if shipped else None
        self._user_docs: list[_Document] = []
        self._env_pending = use_env
        self._tables: dict[str, ProviderTable] = {}
        self.fast: dict[object, dict[object, Classification]] = {}
        """provider -> code -> Classification for bare codes; ``payerr._classify``'s fast path."""
        self.add_files(*paths)

    # -- registration ---------------------------------------------------------------------

    def add_files(self, *paths: str | os.PathLike[str]) -> list[str]:
        """Validate and apply mapping files, or every ``*.toml`` in the folders given.

        Returns the provider ids the files touch. Raises :class:`MappingError` naming the file,
        code and field of every problem; nothing is applied when any file is invalid.
        """
        docs = [parse_file(p) for path in paths for p in _expand(Path(path))]
        return self._apply(docs)

    def add_mapping(self, data: Mapping[str, Any], origin: str = "<mapping>") -> list[str]:
        """Apply a mapping given as data shaped like a mapping file (``provider`` and ``code``)."""
        return self._apply([parse_document(data, origin)])

    def _apply(self, docs: list[_Document]) -> list[str]:
        with self._lock:
            self._user_docs.extend(docs)  # env files, read later, still go first: see _load_env
            touched = sorted({d.provider for d in docs})
            for provider in touched:
                self._tables.pop(provider, None)
                self.fast.pop(provider, None)
            return touched

    def reset(self) -> None:
        """Forget every added file and table; re-read ``PAYERR_MAPPINGS`` on next use."""
        with self._lock:
            self._user_docs.clear()
            self._tables.clear()
            self.fast.clear()
            self._env_pending = True

    def _load_env(self) -> None:
        if not self._env_pending:
            return
        value = os.environ.get(ENV_VAR, "")
        docs = [
            parse_file(p) for part in value.split(os.pathsep) if part for p in _expand(Path(part))
        ]
        # Only once they all loaded: a broken file raises on every use, never falls back
        # silently on the shipped tables without the operator's overrides.
        self._env_pending = False
        self._user_docs[:0] = docs  # env files come before files added in code

    # -- queries --------------------------------------------------------------------------

    def _shipped_file(self, provider: str) -> Path | None:
        if self._shipped_dir is None or not _PROVIDER_ID.match(provider):
            return None
        path = self._shipped_dir / f"{provider}.toml"
        return path if path.is_file() else None

    def providers(self) -> list[str]:
        """Every provider id this registry can classify, sorted."""
        with self._lock:
            self._load_env()
            ids = {d.provider for d in self._user_docs}
        if self._shipped_dir is not None and self._shipped_dir.is_dir():
            ids.update(
                p.stem for p in self._shipped_dir.glob("*.toml") if _PROVIDER_ID.match(p.stem)
            )
        return sorted(ids)

    def fast_table(self, provider: str) -> ProviderTable:
        """The provider's table, with its code cache installed as the fast path, atomically
        with respect to loading files: a load racing the first classify() can never leave the
        old table's verdicts in the fast path."""
        with self._lock:
            table = self.table(provider)
            self.fast.setdefault(provider, table.codes())
            return table

    def table(self, provider: str) -> ProviderTable:
        """The merged table for one provider, loading it on first use.

        Raises :class:`UnknownProviderError` (a ``ValueError``) for a provider with no mapping,
        and :class:`MappingError` when one of its files is broken.
        """
        if not isinstance(provider, str):
            raise UnknownProviderError(provider, self.providers())
        table = self._tables.get(provider)
        if table is not None:
            return table
        with self._lock:
            table = self._tables.get(provider)
            if table is not None:
                return table
            self._load_env()
            docs: list[_Document] = []
            shipped = self._shipped_file(provider)
            if shipped is not None:
                docs.append(parse_file(shipped))
            docs.extend(d for d in self._user_docs if d.provider == provider)
            if not docs:
                raise UnknownProviderError(provider, self.providers())
            table = ProviderTable(docs)
            self._tables[provider] = table
            return table

    def validate(self) -> list[tuple[str, int]]:
        """Load every provider; return (file, row count) for each file read.

        Raises :class:`MappingError` for the first broken file.
        """
        return [origin for provider in self.providers() for origin in self.table(provider).origins]


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    return [path]


# -- parsing and validation -----------------------------------------------------------------


_MAX_FILE_BYTES = 16 << 20
"""A mapping file larger than this is refused unread (``/dev/zero`` must not fill memory)."""


def parse_file(path: Path) -> _Document:
    """Read and validate one mapping file; raise :class:`MappingError` listing every problem."""
    origin = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise MappingError([f"{origin}: cannot read: {exc.strerror or exc}"]) from exc
    if len(raw) > _MAX_FILE_BYTES:
        raise MappingError(
            [f"{origin}: larger than {_MAX_FILE_BYTES >> 20} MiB: not a mapping file"]
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MappingError([f"{origin}: not UTF-8 text: {exc.reason} at byte {exc.start}"]) from exc
    except (ValueError, RecursionError) as exc:
        # TOMLDecodeError, and what tomllib lets through: a 5,000-digit integer's ValueError,
        # a RecursionError for arrays nested thousands deep.
        why = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else type(exc).__name__
        raise MappingError([f"{origin}: invalid TOML: {why}"]) from exc
    return parse_document(data, origin)


def parse_document(data: Mapping[str, Any], origin: str) -> _Document:
    """Validate mapping data (as parsed from TOML); raise :class:`MappingError` on any problem."""
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise MappingError([f"{origin}: expected a table with [provider] and [[code]] entries"])
    for key in data:
        if key not in ("schema", "provider", "code"):
            errors.append(
                f"{origin}: unknown top-level key {key!r} (expected schema, provider, code)"
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
    if errors:
        raise MappingError(errors)
    return _Document(origin=origin, header=header, rows=tuple(rows))


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
    elif not _PROVIDER_ID.match(pid):
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
    if adapter is not None and adapter not in ADAPTERS:
        errors.append(
            f"{origin}: [provider]: field 'adapter': unknown adapter {adapter!r} "
            f"(expected one of {', '.join(sorted(ADAPTERS))})"
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
    if not isinstance(data, Mapping):
        errors.append(f"{origin}: [[code]] #{index + 1}: must be a table")
        return None
    raw_code = data.get("code")
    if type(raw_code) is int:
        raw_code = str(raw_code)
    label = repr(raw_code) if isinstance(raw_code, str) else f"#{index + 1}"
    where = f"{origin}: code {label}"
    before = len(errors)

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
    elif isinstance(raw_code, str) and len(raw_code) > _MAX_CODE_LEN:
        errors.append(f"{where}: field 'code': longer than {_MAX_CODE_LEN} characters")
    for key in _ROW_STR_FIELDS:
        if key in data and not isinstance(data[key], str):
            errors.append(
                f"{where}: field {key!r}: must be a string, not {type(data[key]).__name__}"
            )

    outcome = _enum_field(data, "outcome", Outcome, where, errors)
    category = _enum_field(data, "category", Category, where, errors)
    if outcome is Outcome.FAILED and "category" not in data:
        errors.append(f"{where}: field 'category': missing (required when outcome is failed)")
    if outcome is not None and outcome is not Outcome.FAILED and "category" in data:
        errors.append(f"{where}: field 'category': only failed codes have a category")

    retry_after = data.get("retry_after")
    if retry_after is not None and (
        isinstance(retry_after, bool)
        or not isinstance(retry_after, int | float)
        or not 0 <= retry_after < 10**9
    ):
        errors.append(f"{where}: field 'retry_after': must be a number of seconds >= 0")
    repeat = data.get("repeat", False)
    if not isinstance(repeat, bool):
        errors.append(f"{where}: field 'repeat': must be true or false")
    operations = _operations_field(data.get("operations", []), where, errors)
    spellings = data.get("spellings", [])
    if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
        errors.append(f"{where}: field 'spellings': must be a list of strings")
        spellings = []
    elif isinstance(raw_code, str):
        for s in spellings:
            if normalize_code(s) != normalize_code(raw_code):
                errors.append(
                    f"{where}: field 'spellings': {s!r} is not a spelling of {raw_code!r} "
                    "(add it as a code of its own)"
                )

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
        retry_after=None if retry_after is None else float(retry_after),
        retry_hint=text("retry_hint") or None,
        group=text("group"),
        note=text("note"),
        doc_url=text("doc_url") or str(header.get("docs_url", "")),
        seed=text("seed", str(header.get("seed", ""))),
        spellings=tuple(s for s in spellings if s != raw_code),
        origin=origin,
        repeat=repeat is True,
        operations=operations,
    )


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

_default = Registry()
"""Built at import: creating it reads nothing; files load on first use."""


def default_registry() -> Registry:
    """The registry ``payerr._classify`` and friends use."""
    return _default


def load_mappings(*paths: str | os.PathLike[str]) -> list[str]:
    """Add mapping files or folders to the default registry; return the provider ids touched.

    Rows in these files override shipped rows with the same code; a file whose provider id is
    new adds a provider. Every file is validated first: :class:`MappingError` names the file,
    the code and the field, and nothing is applied when any file is invalid.
    """
    return _default.add_files(*paths)


def reset_default_registry() -> None:
    """Forget files added with :func:`load_mappings`; re-read ``PAYERR_MAPPINGS`` on next use."""
    _default.reset()
