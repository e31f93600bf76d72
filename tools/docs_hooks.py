"""mkdocs hooks for payerr's docs site (``hooks:`` in ``mkdocs.yml``).

- The home page is the README, and the changelog is ``CHANGELOG.md``: both live at the root of
  the repository (where GitHub and PyPI show them) and are copied in at build time, their links
  made relative to the site.
- The code reference is generated from the mapping files, as installed: one page per provider
  and per card network, every code with its verdict, the provider's words, the shopper
  message and its source. :func:`code_pages` is what the build writes and what
  ``tests/test_docs.py`` checks (every code of every table on its page).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from payerr import default_registry
from payerr._cli import document_of
from payerr._network_tables import card_networks, network_table

ROOT = Path(__file__).resolve().parent.parent


def code_pages() -> dict[str, str]:
    """``codes/<id>.md`` -> its Markdown, for every provider and card network, and an index."""
    registry = default_registry()
    pages: dict[str, str] = {}
    index = [
        "# Code reference",
        "",
        "Every code payerr maps, generated from the mapping files it ships: the verdict, the",
        "provider's own words, what to tell the shopper and where the row comes from. Use the",
        "site's search to find a code.",
        "",
        "## Providers",
        "",
    ]
    for provider in registry.providers():
        table = registry.table(provider)
        rows = sorted(table.entries.values(), key=lambda e: e.code)
        scoped = sorted(table.scoped.values(), key=lambda e: (e.code, e.operations))
        lines = [
            f"# {provider}",
            "",
            f"{len(rows)} codes, and {len(scoped)} rows that apply to one operation only.",
            "",
            "| code | verdict | the provider's words | tell the shopper | source |",
            "|---|---|---|---|---|",
        ]
        for entry in [*rows, *scoped]:
            verdict = f"{entry.outcome} / {entry.category}" if entry.category else entry.outcome
            if entry.operations:
                verdict = f"{verdict} (for {', '.join(entry.operations)})"
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        f"`{entry.code}`",
                        str(verdict),
                        entry.message,
                        entry.user_message,
                        _source(document_of(entry)),
                    )
                )
                + " |"
            )
        pages[f"codes/{provider}.md"] = "\n".join(lines) + "\n"
        index.append(f"- [{provider}]({provider}.md): {len(rows) + len(scoped)} rows")
    index += ["", "## Card networks", ""]
    for network in card_networks():
        table = network_table(network)
        lines = [
            f"# {table.title}",
            "",
            f"Checked {table.checked}. {table.notes}".strip(),
            "",
            "## Issuer response codes",
            "",
            "| code | meaning | decline category | never retry | note |",
            "|---|---|---|---|---|",
        ]
        for row in sorted(table.codes.values(), key=lambda r: r.code):
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        f"`{row.code}`",
                        row.message,
                        row.category or row.group or "",
                        "yes" if row.never_retry else "",
                        row.note,
                    )
                )
                + " |"
            )
        if table.advice:
            lines += [
                "",
                "## Merchant Advice Codes",
                "",
                "| code | meaning | never retry | wait | note |",
                "|---|---|---|---|---|",
            ]
            for advice in sorted(table.advice.values(), key=lambda r: r.code):
                wait = "" if advice.retry_after is None else f"{advice.retry_after:g} s"
                lines.append(
                    "| "
                    + " | ".join(
                        _cell(x)
                        for x in (
                            f"`{advice.code}`",
                            advice.message,
                            "yes" if advice.never_retry else "",
                            wait,
                            advice.note,
                        )
                    )
                    + " |"
                )
        pages[f"codes/{network}.md"] = "\n".join(lines) + "\n"
        index.append(f"- [{table.title}]({network}.md): {table.row_count} rows")
    pages["codes/index.md"] = "\n".join(index) + "\n"
    return pages


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _source(text: str) -> str:
    """A row's source, its URLs as links."""
    return re.sub(r"(https?://[^\s;,)]+)", r"<\1>", text)


def _site_links(text: str) -> str:
    """A root Markdown file's links, made relative to the site (``docs/x.md`` -> ``x.md``)."""
    text = text.replace("](docs/", "](")
    return text.replace("](CHANGELOG.md)", "](changelog.md)")


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages: the home page, the changelog, the code reference."""
    from mkdocs.structure.files import File  # noqa: PLC0415 -- only under mkdocs

    generated = {
        "index.md": _site_links((ROOT / "README.md").read_text(encoding="utf-8")),
        "changelog.md": (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
        **code_pages(),
    }
    for uri, content in generated.items():
        files.append(File.generated(config, uri, content=content))
    return files
