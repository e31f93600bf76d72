"""The shipped mapping files' JSON twins: current, equal to their TOML, and never believed
over it when they disagree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from payerr._core.files import TWIN_SUFFIX, read_toml, read_twin, shipped_mappings_dir
from payerr._mappings.schema import parse_file

REPO = Path(__file__).resolve().parents[2]


def test_every_twin_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "mapping_twins.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_a_twin_holds_exactly_its_toml() -> None:
    for path in sorted(shipped_mappings_dir().rglob("*.toml")):
        raw = path.read_bytes()
        assert read_twin(path, raw) == tomllib.loads(raw.decode()), path


def test_a_stale_twin_is_ignored(tmp_path: Path) -> None:
    """A TOML file edited after its twin was made is read as TOML."""
    source = shipped_mappings_dir() / "paykka.toml"
    path = tmp_path / "paykka.toml"
    shutil.copy(source, path)
    shutil.copy(
        source.with_name(source.name + TWIN_SUFFIX), tmp_path / ("paykka.toml" + TWIN_SUFFIX)
    )
    raw = path.read_bytes()
    assert read_twin(path, raw) is not None
    edited = raw.replace(b'message = "', b'message = "EDITED ', 1)
    path.write_bytes(edited)
    assert read_twin(path, edited) is None
    data = read_toml(path, 1 << 24, "a mapping file")
    assert "EDITED " in str(data)
    assert any(e.message.startswith("EDITED ") for e in parse_file(path).rows)


def test_a_garbled_twin_is_ignored(tmp_path: Path) -> None:
    source = shipped_mappings_dir() / "paykka.toml"
    path = tmp_path / "paykka.toml"
    shutil.copy(source, path)
    for garbage in (b"", b"{", b"[]", b'{"source": "x", "data": {}}', b"\xff" * 10):
        (tmp_path / ("paykka.toml" + TWIN_SUFFIX)).write_bytes(garbage)
        assert read_twin(path, path.read_bytes()) is None
        assert read_toml(path, 1 << 24, "a mapping file") == tomllib.loads(source.read_text())


def test_a_twin_edited_by_hand_is_ignored(tmp_path: Path) -> None:
    """The twin's data line changed without its TOML (a hand edit, a bad merge): its own CRC
    no longer matches, and the TOML is what is read."""
    source = shipped_mappings_dir() / "paykka.toml"
    path = tmp_path / "paykka.toml"
    shutil.copy(source, path)
    twin = tmp_path / ("paykka.toml" + TWIN_SUFFIX)
    shutil.copy(source.with_name(source.name + TWIN_SUFFIX), twin)
    assert read_twin(path, path.read_bytes()) is not None
    twin.write_bytes(twin.read_bytes().replace(b'"message":"', b'"message":"EDITED ', 1))
    assert read_twin(path, path.read_bytes()) is None
    assert "EDITED" not in str(read_toml(path, 1 << 24, "a mapping file"))
