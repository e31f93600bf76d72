"""The data files payerr ships (mapping files, card-network tables): where they are, and
reading one (its TOML, or the JSON twin made from it) within a size limit.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from payerr._core.exceptions import MappingError

__all__ = [
    "NETWORK_ID",
    "TWIN_SUFFIX",
    "read_toml",
    "read_twin",
    "shipped_mappings_dir",
    "source_stamp",
    "twin_data",
]


NETWORK_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""A card network's id: the name of its table's file (``mappings/networks/visa.toml``)."""


def shipped_mappings_dir() -> Path:
    """Where the shipped ``*.toml`` files are: inside the wheel, or the repository's ``mappings/``.

    A wheel carries them as ``payerr/mappings``; an editable install runs from ``src/payerr`` and
    reads the top-level ``mappings/`` folder of the checkout.
    """
    package = Path(__file__).resolve().parents[1]  # src/payerr, or payerr in a wheel
    packaged = package / "mappings"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "mappings"


def read_toml(path: Path, limit: int, what: str) -> dict[str, Any]:
    """A TOML file's data, read no further than ``limit`` bytes; :class:`MappingError` saying
    why for a file that cannot be read, is too large, is not UTF-8 or is not TOML."""
    origin = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise MappingError([f"{origin}: cannot read: {exc.strerror or exc}"]) from exc
    if len(raw) > limit:
        raise MappingError([f"{origin}: larger than {limit >> 20} MiB: not {what}"])
    twin = read_twin(path, raw)
    if twin is not None:
        return twin
    import tomllib  # noqa: PLC0415 -- a file without a twin (a user's): ~1.5 ms to load

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MappingError([f"{origin}: not UTF-8 text: {exc.reason} at byte {exc.start}"]) from exc
    except (ValueError, RecursionError) as exc:
        # TOMLDecodeError, and what tomllib lets through: a 5,000-digit integer's ValueError,
        # a RecursionError for arrays nested thousands deep.
        why = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else type(exc).__name__
        raise MappingError([f"{origin}: invalid TOML: {why}"]) from exc


TWIN_SUFFIX = ".json"
"""A shipped TOML file's twin: the same data as JSON (``antom.toml.json``), with the size and
CRC-32 of the TOML it was made from, and the CRC-32 of its own data. JSON parses in a tenth of
TOML's time (``payerr explain`` read antom.toml in 24 ms); ``python tools/mapping_twins.py``
writes them and a test keeps them equal. A twin whose stamp does not match its TOML (a file
edited since), or whose data does not match its own CRC (the twin edited by hand), is
ignored. The stamps guard against an edit, not an attacker: whoever can write the twin can
write the code."""


def source_stamp(raw: bytes) -> str:
    """What a twin records of the TOML it was made from: its size and CRC-32 (zlib, loaded in
    a fraction of a millisecond where hashlib's OpenSSL takes several)."""
    import zlib  # noqa: PLC0415

    return f"{len(raw)}:{zlib.crc32(raw):08x}"


def twin_data(data: Any) -> Any:
    """TOML data in JSON's terms: a date as ``{"$date": "2026-11-22"}``."""
    if isinstance(data, dict):
        return {k: twin_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [twin_data(v) for v in data]
    if isinstance(data, _dt.date):
        return {"$date": data.isoformat()}
    return data


def _dates(obj: dict[str, Any]) -> Any:
    date = obj.get("$date")
    return _dt.date.fromisoformat(date) if len(obj) == 1 and isinstance(date, str) else obj


def read_twin(path: Path, raw: bytes) -> dict[str, Any] | None:
    """The data of ``path``'s JSON twin when it was made from exactly ``raw`` and has not been
    edited since, else None.

    A twin is two lines: a header (the TOML's stamp, the CRC-32 of the data line) and the data.
    A data line edited by hand no longer matches its CRC, and the TOML is read instead."""
    twin = path.with_name(path.name + TWIN_SUFFIX)
    try:
        text = twin.read_bytes()
    except OSError:
        return None
    import json  # noqa: PLC0415 -- only where a twin exists
    import zlib  # noqa: PLC0415

    head, _, body = text.partition(b"\n")
    body = body.removesuffix(b"\n")
    try:
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("source") != source_stamp(raw):
            return None
        if header.get("data_crc") != f"{zlib.crc32(body):08x}":
            return None
        data = json.loads(body, object_hook=_dates)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
