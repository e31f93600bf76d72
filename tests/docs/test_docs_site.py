"""The docs site: its code reference lists every code of every table, and it builds."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from types import ModuleType

import pytest

import payerr
from payerr.networks._tables import card_networks, network_table
from tests.support.repo import REPO


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "tools" / "docs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_code_of_every_table_is_on_its_page() -> None:
    pages = hooks().code_pages()
    registry = payerr.default_registry()
    for provider in registry.providers():
        page = pages[f"codes/{provider}.md"]
        table = registry.table(provider)
        for entry in [*table.entries.values(), *table.scoped.values()]:
            assert f"`{entry.code}`" in page, (provider, entry.code)
            assert " ".join(entry.message.split()).replace("|", "\\|") in page
        assert f"({provider}.md)" in pages["codes/index.md"]
    for network in card_networks():
        page = pages[f"codes/{network}.md"]
        rows = network_table(network)
        for code in [*rows.codes, *rows.advice]:
            assert f"`{code}`" in page, (network, code)


def test_the_reasons_page_is_made_from_the_vocabulary() -> None:
    """docs/reasons.md is generated (``python tools/docs_hooks.py``) and committed, so that it
    reads on GitHub too; it must say what payerr.Reason and payerr.Advice are today."""
    page = (REPO / "docs" / "reasons.md").read_text(encoding="utf-8")
    assert page == hooks().reasons_page(), "run: python tools/docs_hooks.py"
    for reason in payerr.Reason:
        assert f"| `{reason}` |" in page
    for advice in payerr.Advice:
        assert f"| `{advice}` |" in page


def test_the_precedence_tables_are_the_readers_rules() -> None:
    """docs/reference.md's "How each provider's answer is read" is generated from the readers'
    rule tables (``python tools/docs_hooks.py``): reorder, add, drop or reword a rule and this
    fails until the page says the same."""
    from payerr._mappings.adapters import PRECEDENCE

    page = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    docs = hooks()
    written = docs.precedence_in(page)
    assert written, "docs/reference.md lost its precedence markers"
    assert written == docs.precedence_section(), "run: python tools/docs_hooks.py"
    for adapter, rules in PRECEDENCE.items():
        section = written[written.index(f"`{adapter}`") :]
        numbered = [f"| {n} | `{rule.name}` |" for n, rule in docs.numbered_rules(rules)]
        at = [section.index(row) for row in numbered]
        assert at == sorted(at), adapter  # in the reader's order


def test_the_nav_names_every_code_page() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for uri in hooks().code_pages():
        assert uri in nav, uri


@pytest.mark.skipif(shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs") is None,
                    reason="the docs extra is not installed (pip install -e '.[docs]'; .ci/run "
                           "builds the site)")  # fmt: skip
def test_the_site_builds_strictly(tmp_path: pytest.TempPathFactory) -> None:
    """No warning at all: not quiet (``-q``), for mkdocs counts only the warnings it shows,
    and with ``-q`` a broken cross-reference in a docstring passed unseen."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
