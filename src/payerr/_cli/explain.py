"""``payerr explain PROVIDER CODE``: what a provider's code means and what to do; a card
network's code (``payerr explain visa 05``) through the network verbs."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from payerr._cli.common import (
    CliUsageError,
    Verb,
    document_of,
    lang_option,
    operation_option,
    render,
    with_lang,
)
from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK, near, print_json
from payerr._core.taxonomy import CodeEntry
from payerr._mappings.classify import classify
from payerr._mappings.registry import Registry
from payerr._mappings.schema import normalize_code
from payerr.networks._tables import network_table

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("provider", help="a provider, or a card network (visa, mastercard)")
    p.add_argument("code")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    operation_option(p)
    lang_option(p)


def _needs_code(args: argparse.Namespace) -> None:
    if not args.code.strip():
        raise CliUsageError("explain needs a code: payerr explain PROVIDER CODE")


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    _needs_code(args)
    # The row as the mapping says it: what the code means when this was the request's first
    # send; render says what it means otherwise.
    result = classify(
        args.provider, args.code, registry=registry, operation=args.operation, first_send=True
    )
    table = registry.table(args.provider)
    key = normalize_code(args.code)
    scoped = {str(o): e for (code, o), e in table.scoped.items() if code == key}
    entry = scoped.get(args.operation or "") or table.entry(args.code)
    if args.json:
        data = with_lang(result, args.lang)
        if entry is not None:
            data.update(_provenance(entry))
        data["scoped"] = {o: e.as_dict() for o, e in sorted(scoped.items())}
        print_json(data, out)
    else:
        out.write(render(result, entry, lang=args.lang))
        for operation, row in sorted(scoped.items()):
            verdict = f"{row.outcome} / {row.category}" if row.category else str(row.outcome)
            out.write(f"  {'scoped:':<10} for {operation}: {verdict} (--operation {operation})\n")
    if not result.known and not args.json:  # a hint for a person, not over JSON
        close = near(args.code, [e.code for e in table.entries.values()])
        if close:
            print(f"payerr: did you mean {close}?", file=sys.stderr)
    return EXIT_OK if result.known else EXIT_CHECK_FAILED


def _run_network(args: argparse.Namespace, network: str, out: TextIO) -> int:
    _needs_code(args)
    if args.operation:
        raise CliUsageError("--operation applies to provider codes, not to a card network's")
    from payerr._cli.networks import explain_network  # noqa: PLC0415 -- a network named

    return explain_network(network_table(network), args.code, args.json, out)


def _provenance(entry: CodeEntry) -> dict[str, Any]:
    keys = (
        *("description", "provider_action", "group", "note", "seed", "doc_url", "spellings"),
        "operations",
    )
    data = entry.as_dict()
    return {**{k: data[k] for k in keys}, "document": document_of(entry)}


VERB = Verb(
    name="explain",
    help="what a provider code, or a card network's code, means and what to do",
    arguments=_arguments,
    run=_run,
    network=_run_network,
)
