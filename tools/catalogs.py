"""Build and check payerr's shopper-message catalogs with Babel (development and CI only).

    python tools/catalogs.py compile   # locales/*/LC_MESSAGES/payerr.po -> src/payerr/locales/*.mo
    python tools/catalogs.py template  # locales/payerr.pot from the English catalog
    python tools/catalogs.py check     # every locale complete, .mo and .pot up to date

The English catalog (``locales/en``) is the source: its message ids are reasons
(:class:`payerr.Reason`) and ``failed``, its contexts the operations a message must name. Every
other locale translates every one of its messages. At run time payerr reads the compiled
``.mo`` files with the standard library's ``gettext``; Babel is not a runtime dependency.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "locales"
COMPILED = ROOT / "src" / "payerr" / "locales"
DOMAIN = "payerr"


def po_files() -> dict[str, Path]:
    """Each locale folder (``zh_Hans``) with its ``.po``."""
    return {p.parent.parent.name: p for p in sorted(SOURCES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


def read(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, domain=DOMAIN)


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def template() -> bytes:
    """The ``.pot`` every translation starts from: the English ids, with the English text as
    the translators' comment."""
    english = read(SOURCES / "en" / "LC_MESSAGES" / f"{DOMAIN}.po")
    pot = Catalog(
        project="payerr",
        version="1",
        copyright_holder="payerr developers",
        creation_date=english.creation_date,
        header_comment="# Shopper messages of payerr: the template each locale translates.",
        fuzzy=False,
    )
    for message in english:
        if message.id:
            pot.add(
                message.id,
                "",
                context=message.context,
                auto_comments=[f"English: {message.string}"],
            )
    out = io.BytesIO()
    write_po(out, pot, width=100, omit_header=False, sort_output=False)
    return out.getvalue()


def problems() -> list[str]:
    """What is wrong with the catalogs: a message missing, extra, empty or fuzzy; a compiled
    ``.mo`` or the template not up to date with its source."""
    found: list[str] = []
    files = po_files()
    english = read(files["en"])
    keys = {(m.context, m.id) for m in english if m.id}
    for name, path in files.items():
        catalog = read(path)
        got = {(m.context, m.id): m for m in catalog if m.id}
        found += [f"{name}: missing {k}" for k in sorted(keys - got.keys(), key=str)]
        found += [f"{name}: not in English {k}" for k in sorted(got.keys() - keys, key=str)]
        found += [f"{name}: empty or fuzzy {k}" for k, m in got.items() if not m.string or m.fuzzy]
        mo = COMPILED / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if not mo.is_file() or mo.read_bytes() != compiled(catalog):
            found.append(f"{name}: {mo.relative_to(ROOT)} is not compiled from its .po")
    for mo in COMPILED.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"):
        if mo.parent.parent.name not in files:
            found.append(f"{mo.relative_to(ROOT)} has no .po")
    pot = SOURCES / f"{DOMAIN}.pot"
    if not pot.is_file() or pot.read_bytes() != template():
        found.append(f"{pot.relative_to(ROOT)} is not made from the English catalog")
    return found


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else "check"
    if verb == "compile":
        for name, path in po_files().items():
            target = COMPILED / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(compiled(read(path)))
        return 0
    if verb == "template":
        (SOURCES / f"{DOMAIN}.pot").write_bytes(template())
        return 0
    if verb == "check":
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
