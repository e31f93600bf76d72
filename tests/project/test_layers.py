"""payerr's parts import only downwards: no part imports one above it, no two modules import
each other (however late or only for type checkers), and no module takes another module's
private names. A string that names one of payerr's modules (for ``importlib.import_module``
or a lazy table) counts as an import of it.

Every import is read from the source (module level, inside functions, under
``TYPE_CHECKING``): a circle hidden behind a late import is still a circle.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "payerr"

# Each part of payerr, and the parts it may import (besides its own modules). The private
# packages say the same in their docstrings ("May import: ..."), checked below.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "payerr._core": frozenset(),
    "payerr._observe": frozenset({"payerr._core"}),
    "payerr.networks": frozenset({"payerr._core", "payerr._observe"}),
    "payerr.instrumentation": frozenset({"payerr._core", "payerr._observe"}),
    "payerr._mappings": frozenset({"payerr._core", "payerr._observe", "payerr.networks"}),
    "payerr._retry": frozenset(
        {"payerr._core", "payerr._observe", "payerr.networks", "payerr._mappings"}
    ),
    "payerr._bulk": frozenset(
        {"payerr._core", "payerr._observe", "payerr.networks", "payerr._mappings"}
    ),
    "payerr._notifications": frozenset(
        {"payerr._core", "payerr._observe", "payerr.networks", "payerr._mappings", "payerr._retry"}
    ),
    "payerr.integrations": frozenset(
        {"payerr._core", "payerr._observe", "payerr.networks", "payerr._mappings", "payerr._retry"}
    ),
    "payerr.testing": frozenset(
        {"payerr._core", "payerr._observe", "payerr.networks", "payerr._mappings", "payerr._retry"}
    ),
    "payerr._cli": frozenset(
        {
            "payerr._core",
            "payerr._observe",
            "payerr.networks",
            "payerr._mappings",
            "payerr._retry",
            "payerr._bulk",
            "payerr._notifications",
            "payerr.testing",
        }
    ),
    "payerr.__main__": frozenset({"payerr._cli"}),
}
FACE = "payerr"
"""``payerr/__init__.py``: the public names, each loaded from its part on first use."""


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported
    names: tuple[str, ...]  # the names taken from it ("" for a plain import of the module)
    line: int


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports() -> list[Import]:
    out = []
    for module, path in MODULES.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # ``Cls.__module__ = "payerr.networks"`` names the public module pickles use: no import.
        renames = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Attribute) and t.attr == "__module__" for t in node.targets)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [
                    Import(module, a.name, ("",), node.lineno)
                    for a in node.names
                    if a.name.split(".")[0] == "payerr"
                ]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.split(".")[0] != "payerr":
                    continue
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    if submodule in MODULES:  # from payerr._core import log
                        out.append(Import(module, submodule, ("",), node.lineno))
                    else:
                        out.append(Import(module, base, (alias.name,), node.lineno))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in MODULES
                and node.value.startswith("payerr.")
                and id(node) not in renames
            ):
                # A module named in a string (importlib.import_module, __import__, a lazy
                # table of names and modules) is imported all the same.
                out.append(Import(module, node.value, ("",), node.lineno))
    return out


IMPORTS = _imports()


def _part(module: str) -> str:
    """The part a module belongs to: the longest entry of MAY_IMPORT it is in."""
    for part in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return FACE if module == FACE else f"<no part: {module}>"


def test_every_module_belongs_to_a_part() -> None:
    lost = sorted(m for m in MODULES if _part(m).startswith("<"))
    assert lost == [], "add each new module to a part (a folder by concern) in MAY_IMPORT"


def test_the_parts_form_layers() -> None:
    """The parts' permissions have no circle: each part stands above all it may import."""
    seen: set[str] = set()
    order: list[str] = []
    while len(order) < len(MAY_IMPORT):
        ready = [p for p in MAY_IMPORT if p not in seen and MAY_IMPORT[p] <= seen]
        assert ready, f"a circle among {sorted(set(MAY_IMPORT) - seen)}"
        seen.update(ready)
        order += sorted(ready)
    assert order[0] == "payerr._core"


def test_no_part_imports_one_it_may_not() -> None:
    wrong = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if (home := _part(i.module)) != FACE
        and (there := _part(i.target)) != home
        and there not in MAY_IMPORT.get(home, frozenset())
    ]
    assert wrong == []


def test_no_modules_import_each_other() -> None:
    """No circle of imports, counting late and type-checking-only imports: each module can be
    read knowing only those below it."""
    edges: dict[str, set[str]] = defaultdict(set)
    for i in IMPORTS:
        if i.target != i.module and i.target in MODULES:
            edges[i.module].add(i.target)
    # A package's own __init__ importing its modules is how a face works, not a circle.
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert [" -> ".join(c) for c in circles] == []


def test_no_module_takes_another_modules_private_names() -> None:
    taken = [
        f"{i.module}:{i.line} takes {name} from {i.target}"
        for i in IMPORTS
        for name in i.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert taken == []


def _private_attributes(module: str, path: Path) -> list[str]:
    """``other._name`` where ``other`` is another payerr module this one imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:
                    aliases[alias.asname] = alias.name
    return [
        f"{module}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and aliases[node.value.id] != module
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def test_no_module_reads_another_modules_private_names() -> None:
    """Nor as an attribute of the module it imported (``cards._SHAPES``)."""
    read = [
        found for module, path in MODULES.items() for found in _private_attributes(module, path)
    ]
    assert read == []


def _may_import_in_docstring(part: str) -> frozenset[str] | None:
    doc = ast.get_docstring(ast.parse(MODULES[part].read_text(encoding="utf-8"))) or ""
    found = re.search(r"May import:(.*)", doc, re.DOTALL)
    if found is None:
        return None
    return frozenset(re.findall(r"``(payerr\.[\w.]+)``", found.group(1)))


PRIVATE_PACKAGES = sorted(
    p for p in MAY_IMPORT if p.split(".")[1].startswith("_") and MODULES[p].name == "__init__.py"
)


@pytest.mark.parametrize("part", PRIVATE_PACKAGES)
def test_each_private_package_says_what_it_may_import(part: str) -> None:
    """The package's docstring names exactly the parts it may import (the page a maintainer
    reads first; ``payerr._cli`` may import every part but the face)."""
    said = _may_import_in_docstring(part)
    assert said is not None, f"{part}'s docstring has no 'May import:' paragraph"
    if part == "payerr._cli":
        assert "every other part" in (ast.get_docstring(ast.parse(MODULES[part].read_text())) or "")
        return
    assert said == MAY_IMPORT[part]


def test_every_mapping_adapter_has_a_reader() -> None:
    """The adapter names a mapping file may give (checked by the schema, below the readers)
    are exactly the readers there are."""
    from payerr._mappings.adapters import READERS
    from payerr._mappings.schema import ADAPTERS

    assert frozenset(READERS) == ADAPTERS
