"""``payerr export [PROVIDER] --format markdown|csv|json``: the code tables, whole."""

from __future__ import annotations

import argparse
from typing import TextIO

from payerr._cli.common import Verb, entries
from payerr._cli.text import EXIT_OK, print_json
from payerr._mappings.registry import Registry

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("provider", nargs="?")
    p.add_argument("--format", choices=["markdown", "csv", "json"], default="markdown")


_FIELDS = (
    "provider", "code", "outcome", "category", "retryable", "reason", "advice", "message",
    "description",
    "provider_action", "action", "user_message", "retry_after", "retry_hint", "group", "note",
    "document", "seed", "doc_url", "spellings", "operations",
)  # fmt: skip


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    rows = [e.as_dict() for e in entries(registry, args.provider)]
    if args.format == "json":
        print_json(rows, out)
    elif args.format == "csv":
        import csv  # noqa: PLC0415 -- loaded for this format only

        writer = csv.DictWriter(out, fieldnames=_FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            joined = {k: " ".join(row[k]) for k in ("spellings", "operations")}  # type: ignore[arg-type]
            writer.writerow({**row, **joined})
    else:
        cols = (
            "provider",
            "code",
            "operations",
            "outcome",
            "category",
            "reason",
            "advice",
            "message",
            "action",
            "document",
        )
        out.write("| " + " | ".join(cols) + " |\n")
        out.write("|" + "---|" * len(cols) + "\n")
        for row in rows:
            cells = (_cell(row[c]) for c in cols)
            out.write(
                "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |\n"
            )
    return EXIT_OK


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


VERB = Verb(
    name="export",
    help="export the code tables",
    arguments=_arguments,
    run=_run,
)
