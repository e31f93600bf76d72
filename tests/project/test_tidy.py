"""The tree stays tidy: mypy-strict, ruff-clean, and test modules that share helpers through
helper modules (tests/support/answers.py, clients.py, clock.py ...), never through each other. CI
runs
these with the rest of the suite."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys

import pytest

from tests.support.repo import REPO

TESTS = REPO / "tests"


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


def imported_test_modules(source: str) -> list[str]:
    """The ``tests/test_*`` modules a module imports, however it names them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            # `from . import test_x` and `from tests import test_x` import the module by name.
            package = module in ("", "tests")
            names = [alias.name for alias in node.names] if package else [module]
        else:
            continue
        for name in names:
            tested = [part for part in name.split(".") if part.startswith("test_")]
            found += tested[:1]
    return found


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in helper modules: no module under tests/ imports a test module."""
    assert imported_test_modules(
        "from .test_a import x\nfrom . import test_b\nimport tests.test_c\n"
        "from tests.test_d import y\nfrom test_e import z\nfrom tests import test_f\n"
        "from tests.support.answers import ok\nfrom payerr.testing import reset\n"
        "from tests.retry.test_g import w\n"
    ) == ["test_a", "test_b", "test_c", "test_d", "test_e", "test_f", "test_g"]  # it can fail
    offenders = {
        str(path.relative_to(TESTS)): imports
        for path in sorted(TESTS.rglob("*.py"))
        if (imports := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


TEST_FOLDERS = {
    # one per part of payerr (tests/project/test_layers.py names the parts) ...
    "core", "observe", "networks", "mappings", "retry", "bulk", "notifications", "cli",
    "integrations", "simulator",
    # ... and the rest: drills on real processes and servers, docs checks, the project as a
    # whole (public API, layers, tidiness, install), and what the tests share
    "drills", "docs", "project", "support",
}  # fmt: skip


def test_tests_mirror_the_packages() -> None:
    """Every test module sits in the folder of the part it pins; helpers only in support/,
    which holds no tests."""
    loose = sorted(
        p.name for p in TESTS.glob("*.py") if p.name not in ("__init__.py", "conftest.py")
    )
    assert loose == []
    folders = {
        p.name for p in TESTS.iterdir() if p.is_dir() and p.name not in ("data", "__pycache__")
    }
    assert folders == TEST_FOLDERS
    for folder in folders:
        assert (TESTS / folder / "__init__.py").is_file(), folder
        names = [p.name for p in (TESTS / folder).glob("*.py") if p.name != "__init__.py"]
        if folder == "support":
            assert not [n for n in names if n.startswith("test_")]
        else:
            assert names, folder
            assert all(n.startswith("test_") for n in names), (folder, names)


def test_the_public_api_is_one_sorted_all_and_every_other_module_is_private() -> None:
    import pkgutil

    import payerr

    assert payerr.__all__ == sorted(payerr.__all__)
    for name in payerr.__all__:
        assert getattr(payerr, name) is not None
    public = {m.name for m in pkgutil.iter_modules(payerr.__path__) if not m.name.startswith("_")}
    assert public == {"instrumentation", "testing", "integrations", "networks"}


def test_citations_name_a_heading_that_exists() -> None:
    """Code, tests and docs cite the Architecture page by named heading or rule
    (``Architecture#failed-means-not-done``), never by a number that drifts when rules are
    renumbered, and never a file the wheel does not ship; every cited anchor exists."""
    page = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', page))
    for heading in re.findall(r"^#{2,4} (.+)$", page, re.M):
        anchors.add(re.sub(r"[^a-z0-9 -]", "", heading.lower()).strip().replace(" ", "-"))
    places = [*(REPO / "src").rglob("*.py"), *(REPO / "tests").rglob("*.py")]
    places += [*(REPO / "benchmarks").rglob("*.py"), *(REPO / "docs").rglob("*.md")]
    places.append(REPO / "README.md")
    cited = 0
    for path in places:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py" and "src" in path.parts:
            assert "DESIGN.md" not in text, path
            assert "ARCHITECTURE.md" not in text, path
        assert not re.search(r"[Aa]rchitecture(?: page)?,? §\d", text), path
        assert not re.search(r"Architecture#[a-z-]+,\s+(?:#\s*)?rules? \d", text), path
        assert not re.search(r"\(rules? \d", text), path
        for anchor in re.findall(r"(?:Architecture|ARCHITECTURE\.md)#([a-z0-9-]+)", text):
            assert anchor in anchors, (path.name, anchor)
            cited += 1
    for anchor in re.findall(r"\]\(#([a-z0-9-]+)\)", page):
        assert anchor in anchors, ("ARCHITECTURE.md", anchor)
    assert cited > 50


def test_the_architecture_page_names_every_private_module() -> None:
    """Every private module is on the architecture page by its path in the package
    (``_core/taxonomy``), or its folder is (``_mappings/adapters/``)."""
    page = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    src = REPO / "src" / "payerr"
    public = {"testing", "integrations"}
    missing = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).with_suffix("").as_posix()
        if path.name in ("__init__.py", "__main__.py") or rel.split("/")[0] in public:
            continue
        folder = rel.rpartition("/")[0]
        if f"`{rel}`" not in page and f"`{rel}," not in page and f"`{folder}/`" not in page:
            missing.append(rel)
    assert missing == []
