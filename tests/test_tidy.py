"""The tree stays mypy-strict and ruff-clean: CI runs these with the rest of the suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "--quiet", "src", "tests", "benchmarks", "examples"],
        ["ruff", "format", "--check", "--quiet", "src", "tests", "benchmarks", "examples"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tool_is_clean(argv: list[str]) -> None:
    if importlib.util.find_spec(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
