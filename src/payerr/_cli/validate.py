"""``payerr validate [FILE...]``: check mapping files and card network tables (no files: the
shipped ones and the user's), every problem said, exit 1 when there is one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from payerr._cli.common import MAX_READ, Verb, check_readable
from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK, terminal_safe
from payerr._core.exceptions import MappingError
from payerr._core.reasons import Reason
from payerr._core.text import clean
from payerr._mappings.registry import Registry
from payerr._mappings.schema import parse_file
from payerr.networks._tables import shipped_networks_dir

__all__ = ["VERB"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE")


def _run(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    problems: list[str] = []
    checked: list[tuple[str, int]] = []
    networks: list[Path] = []
    if args.files:
        for name in args.files:
            check_readable(Path(name), "", folder_ok=False)
            if _is_network_file(Path(name)):
                networks.append(Path(name))
                continue
            try:
                doc = parse_file(Path(name))
            except MappingError as exc:
                problems.extend(exc.errors)
            else:
                checked.append((doc.origin, len(doc.rows)))
                unnamed = [r.code for r in doc.rows if r.reason is Reason.UNKNOWN]
                if unnamed:  # allowed (old files load), and worth saying
                    shown = ", ".join(unnamed[:5]) + (" ..." if len(unnamed) > 5 else "")
                    print(
                        f"payerr: note: {clean(name)}: {len(unnamed)} row"
                        f"{'s say' if len(unnamed) != 1 else ' says'} reason 'unknown' "
                        f'(add reason = "..." from payerr.Reason): {terminal_safe(shown)}',
                        file=sys.stderr,
                    )
    else:
        for provider in registry.providers():
            try:
                checked.extend(registry.table(provider).origins)
            except MappingError as exc:
                problems.extend(exc.errors)
        networks.extend(sorted(shipped_networks_dir().glob("*.toml")))
    for origin, count in checked:
        out.write(f"ok  {origin}  ({count} codes)\n")
    if networks:
        from payerr._cli.networks import check_tables  # noqa: PLC0415 -- a network table named

        problems.extend(check_tables(networks, out))
    for line in problems:
        print(f"payerr: error: {terminal_safe(line)}", file=sys.stderr)
    if problems:
        out.write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found\n")
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _is_network_file(path: Path) -> bool:
    """Whether a file is a card network table (a ``[network]`` header, no ``[provider]``)."""
    import tomllib  # noqa: PLC0415 -- payerr validate FILE only

    try:
        with path.open("rb") as f:
            data = tomllib.loads(f.read(MAX_READ).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False  # parse_file reports it
    return "network" in data and "provider" not in data


VERB = Verb(
    name="validate",
    help="check mapping files (default: shipped and user ones)",
    arguments=_arguments,
    run=_run,
)
