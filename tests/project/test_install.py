"""Both install modes ship every mapping: a built wheel used from another folder, and editable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import payerr
from tests.support.repo import REPO, row_counts

PROBE = """
import json, pathlib, sys
import payerr
from payerr._core.files import shipped_mappings_dir
print(json.dumps({
    "module": payerr.__file__,
    "mappings": str(shipped_mappings_dir()),
    "rows": {p: len(payerr.default_registry().table(p).all_entries()) for p in payerr.providers()},
    "fraud": payerr.classify("antom", "FRAUD_REJECT").category,
    "babel": "babel" in sys.modules,
    "messages": {
        t: payerr.shopper_message(payerr.classify("paykka", "5004"), t) for t in payerr.locales()
    },
}))
"""
EXPECTED_ROWS = row_counts()


def run_probe(cwd: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return next(out.glob("payerr-*.whl"))


def test_wheel_carries_mappings_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for provider in EXPECTED_ROWS:
        assert f"payerr/mappings/{provider}.toml" in names
    assert "payerr/py.typed" in names
    assert not any(n.startswith(("tests/", "mappings/", "locales/")) for n in names)
    # Shopper messages: the compiled catalogs only (the .po sources stay in the repository).
    for tag in payerr.locales():
        assert f"payerr/locales/{tag.replace('-', '_')}/LC_MESSAGES/payerr.mo" in names
    assert not any(n.endswith(".po") for n in names)


def test_installed_wheel_works_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    """pip install (not editable), then use payerr far from the checkout: every mapping is there."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("PAYERR_MAPPINGS", None)
    result = run_probe(elsewhere, env)
    assert Path(str(result["module"])).is_relative_to(target)
    assert Path(str(result["mappings"])).is_relative_to(target)
    assert result["rows"] == EXPECTED_ROWS
    assert result["fraud"] == "risk"
    # Read from the wheel's .mo files with the standard library: no Babel at run time.
    assert result["babel"] is False
    messages = result["messages"]
    assert isinstance(messages, dict)
    assert len(set(messages.values())) == len(payerr.locales())


def test_editable_install_reads_the_checkout(tmp_path: Path) -> None:
    """An editable install imports src/payerr and reads the top-level mappings/ folder."""
    if not Path(payerr.__file__).is_relative_to(REPO / "src"):
        pytest.skip("payerr is not installed in editable mode in this environment")
    env = {**os.environ}
    env.pop("PYTHONPATH", None)
    env.pop("PAYERR_MAPPINGS", None)
    result = run_probe(tmp_path, env)
    assert Path(str(result["module"])).is_relative_to(REPO / "src")
    assert Path(str(result["mappings"])) == REPO / "mappings"
    assert result["rows"] == EXPECTED_ROWS
