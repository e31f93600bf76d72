"""The mappings payerr classifies with: shipped files, the user's own, and the default registry.

The shipped files load lazily, one provider at a time, on first use. Users add files of their
own, to override single codes or to add a whole provider, with :func:`load_mappings` or the
``PAYERR_MAPPINGS`` environment variable; a later file's row replaces an earlier row for the
same code.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from payerr._core.exceptions import UnknownProviderError
from payerr._core.files import shipped_mappings_dir
from payerr._core.taxonomy import (
    Classification,
)
from payerr._mappings.schema import (
    PROVIDER_ID,
    Document,
    parse_document,
    parse_file,
)
from payerr._mappings.table import ProviderTable

__all__ = ["ENV_VAR", "Registry", "default_registry", "load_mappings", "reset_default_registry"]

ENV_VAR = "PAYERR_MAPPINGS"
"""Extra mapping files or folders, separated by ``os.pathsep``; read on first use."""


class Registry:
    """The set of mappings payerr classifies with: shipped files plus the user's own.

    Most code uses the process-wide :func:`default_registry` through :func:`payerr.classify`
    and friends; build a Registry of your own for isolation (tests, several configurations).

    Args:
        paths: extra mapping files or folders, applied after the shipped ones, in order.
        shipped: include the mappings that ship with payerr.
        use_env: also read the files named by ``PAYERR_MAPPINGS`` (on first use).

    Raises:
        MappingError: a file in ``paths`` is invalid or cannot be read (nothing is applied);
            the shipped files and those in ``PAYERR_MAPPINGS`` are read, and checked, on first
            use, by the method that needs them.

    Example:
        >>> registry = payerr.Registry()
        >>> payerr.classify("antom", "RISK_REJECT", registry=registry).category
        <Category.RISK: 'risk'>
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
        self._user_docs: list[Document] = []
        self._env_pending = use_env
        self._tables: dict[str, ProviderTable] = {}
        self.fast: dict[object, dict[object, Classification]] = {}
        """provider -> code -> Classification for bare codes: :func:`payerr.classify`'s fast
        path."""
        self.add_files(*paths)

    # -- registration ---------------------------------------------------------------------

    def add_files(self, *paths: str | os.PathLike[str]) -> list[str]:
        """Validate and apply mapping files, or every ``*.toml`` in the folders given.

        Returns the provider ids the files touch; nothing is applied when any file is invalid.

        Raises:
            MappingError: a file is invalid or cannot be read; it names the file, code and
                field of every problem.
        """
        docs = [parse_file(p) for path in paths for p in _expand(Path(path))]
        return self._apply(docs)

    def add_mapping(self, data: Mapping[str, Any], origin: str = "<mapping>") -> list[str]:
        """Apply a mapping given as data shaped like a mapping file (``provider`` and ``code``).

        Raises:
            MappingError: ``data`` is not a valid mapping (nothing is applied).
        """
        return self._apply([parse_document(data, origin)])

    def _apply(self, docs: list[Document]) -> list[str]:
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
        if self._shipped_dir is None or not PROVIDER_ID.match(provider):
            return None
        path = self._shipped_dir / f"{provider}.toml"
        return path if path.is_file() else None

    def providers(self) -> list[str]:
        """Every provider id this registry can classify, sorted.

        Raises:
            MappingError: a file named by ``PAYERR_MAPPINGS`` is invalid (read on first use).
        """
        with self._lock:
            self._load_env()
            ids = {d.provider for d in self._user_docs}
        if self._shipped_dir is not None and self._shipped_dir.is_dir():
            ids.update(
                p.stem for p in self._shipped_dir.glob("*.toml") if PROVIDER_ID.match(p.stem)
            )
        return sorted(ids)

    def fast_table(self, provider: str) -> ProviderTable:
        """The provider's table, with its code cache installed as the fast path, atomically
        with respect to loading files: a load racing the first classify() can never leave the
        old table's verdicts in the fast path.

        Raises:
            UnknownProviderError: no mapping exists for ``provider``.
            MappingError: one of the provider's mapping files is broken.
        """
        with self._lock:
            table = self.table(provider)
            self.fast.setdefault(provider, table.codes())
            return table

    def table(self, provider: str) -> ProviderTable:
        """The merged table for one provider, loading it on first use.

        Raises:
            UnknownProviderError: no mapping exists for ``provider`` (a ``ValueError``).
            MappingError: one of the provider's mapping files is broken.
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
            docs: list[Document] = []
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

        Raises:
            MappingError: a mapping file is broken (the first one found).
        """
        return [origin for provider in self.providers() for origin in self.table(provider).origins]


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    return [path]


# -- parsing and validation -----------------------------------------------------------------


_default = Registry()
"""Built at import: creating it reads nothing; files load on first use."""


def default_registry() -> Registry:
    """The registry every function uses when given no ``registry=``: the shipped mappings,
    ``PAYERR_MAPPINGS`` and what :func:`load_mappings` added.

    Returns:
        The process-wide :class:`Registry`.

    Example:
        >>> "antom" in payerr.default_registry().providers()
        True
    """
    return _default


def load_mappings(*paths: str | os.PathLike[str]) -> list[str]:
    """Add mapping files or folders to the default registry; return the provider ids touched.

    Rows in these files override shipped rows with the same code; a file whose provider id is
    new adds a provider. Every file is validated first: :class:`MappingError` names the file,
    the code and the field, and nothing is applied when any file is invalid.

    Args:
        paths: TOML mapping files, or folders of them.

    Returns:
        The provider ids the files touched.

    Raises:
        MappingError: a file is invalid (nothing is applied).

    Example:
        ``payerr.load_mappings("my_mappings/")`` returns ``["antom"]`` for a folder that
        overrides Antom rows.
    """
    return _default.add_files(*paths)


def reset_default_registry() -> None:
    """Forget files added with :func:`load_mappings`; re-read ``PAYERR_MAPPINGS`` on next use."""
    _default.reset()
