"""``payerr demo``: run payments against the built-in provider simulator (the drill, with the
simulator and the transports, is loaded only when the demo runs)."""

from __future__ import annotations

import argparse
from typing import TextIO

from payerr._cli.common import Verb
from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK
from payerr._mappings.registry import Registry

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.add_argument("--seed", type=_seed, default=7, help="workload seed, 0 or more (default 7)")
    p.add_argument("--verbose", action="store_true", help="also print payerr's structured logs")
    p.add_argument(
        "--metrics",
        action="store_true",
        help="also print the OpenTelemetry metric points the demo produced (needs the SDK)",
    )


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number, 0 or more: {text!r}")
    return seed


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    from payerr._cli.drill import run  # noqa: PLC0415 -- the simulator is loaded only for the demo

    summary = run(
        seed=args.seed,
        json_output=args.json,
        out=out,
        verbose=args.verbose,
        metrics=args.metrics,
    )
    return EXIT_OK if summary["duplicate_executions"] == 0 else EXIT_CHECK_FAILED


VERB = Verb(
    name="demo",
    help="run payments against the built-in provider simulator",
    arguments=_arguments,
    run=_run,
)
