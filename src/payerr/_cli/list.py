"""``payerr list [PROVIDER]``: the mapped codes, filtered by category, outcome or reason; a card
network's table (``payerr list mastercard``) through the network verbs."""

from __future__ import annotations

import argparse
from typing import TextIO

from payerr._cli.common import CliUsageError, Verb, entries
from payerr._cli.text import EXIT_OK, WIDTH, print_json, shorten
from payerr._core.reasons import Reason
from payerr._core.taxonomy import Category, Outcome
from payerr._mappings.registry import Registry
from payerr.networks._tables import network_table

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("provider", nargs="?", help="a provider, or a card network (visa, mastercard)")
    p.add_argument("--category", choices=[c.value for c in Category])
    p.add_argument("--outcome", choices=[o.value for o in Outcome])
    p.add_argument(
        "--reason",
        type=lambda text: text.strip().lower(),
        choices=[r.value for r in Reason],
        metavar="REASON",
        help="only the codes with this reason (payerr.Reason: insufficient_funds, ...)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array")


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    rows = entries(registry, args.provider)
    if args.category:
        rows = [e for e in rows if e.category == args.category]
    if args.outcome:
        rows = [e for e in rows if e.outcome == args.outcome]
    if args.reason:
        rows = [e for e in rows if e.reason == args.reason]
    if args.json:
        print_json([e.as_dict() for e in rows], out)
        return EXIT_OK
    width = min(max((len(e.code) for e in rows), default=4), 24)
    prefix = "" if args.provider else f"{'provider':<12} "
    out.write(f"{prefix}{'code':<{width}}  {'verdict':<22}  the provider's words\n")
    for e in rows:
        verdict = f"{e.outcome}/{e.category}" if e.category else str(e.outcome)
        if e.operations:
            verdict += f" [{', '.join(e.operations)}]"
        prefix = "" if args.provider else f"{e.provider:<12} "
        line = f"{prefix}{e.code:<{width}}  {verdict:<22}  "
        room = WIDTH - len(line)
        if room < 20:  # a long verdict (scoped to operations): the words on the next line
            out.write(line.rstrip() + "\n")
            line, room = " " * 4, WIDTH - 4
        out.write(f"{line}{shorten(e.message, room)}".rstrip() + "\n")
    out.write(f"{len(rows)} code{'s' if len(rows) != 1 else ''}\n")
    return EXIT_OK


def _run_network(args: argparse.Namespace, network: str, out: TextIO) -> int:
    if args.category or args.outcome or args.reason:
        raise CliUsageError(
            "--category, --outcome and --reason filter provider codes, not a network's"
        )
    from payerr._cli.networks import list_network  # noqa: PLC0415 -- a network named

    return list_network(network_table(network), args.json, out)


VERB = Verb(
    name="list",
    help="list mapped codes",
    arguments=_arguments,
    run=_run,
    network=_run_network,
)
