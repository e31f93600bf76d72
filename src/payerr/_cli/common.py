"""What the CLI's verbs share: the ``Verb`` record each verb module declares itself with, the
usage error, the options two verbs take (``--operation``, ``--lang``), reading a file the user
named, and the human form of a classification (``explain`` and ``classify``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from payerr._cli.text import wrapped
from payerr._core.http import MAX_BODY_BYTES
from payerr._core.taxonomy import Classification, CodeEntry, Operation, Outcome
from payerr._core.text import clean
from payerr._mappings.registry import Registry
from payerr._mappings.shopper import locales, negotiate, shopper_message
from payerr._mappings.unknown import resend_settles

__all__ = [
    "MAX_READ",
    "CliUsageError",
    "NetworkRun",
    "Run",
    "Verb",
    "check_readable",
    "document_of",
    "entries",
    "lang_option",
    "operation_option",
    "render",
    "with_lang",
]

Run = Callable[[argparse.Namespace, Registry, TextIO], int]
"""A verb's body: the parsed arguments, the mappings, standard output (terminal-safe); it
returns the exit status."""

NetworkRun = Callable[[argparse.Namespace, str, TextIO], int]
"""A verb's body when its PROVIDER names a card network: the network's id (``visa``) in place
of the mappings."""


class Verb(NamedTuple):
    """One verb of the ``payerr`` command, as its module declares it: ``main`` adds its
    subparser (``name``, ``help``, ``description``, then ``arguments``) and runs ``run``. (A
    named tuple: a frozen dataclass costs every command ~1 ms to define.)"""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    """Adds the verb's arguments and options to its subparser, in the order ``--help`` shows."""
    run: Run
    network: NetworkRun | None = None
    """The body for a card network named where a provider goes (``payerr explain visa 05``).
    None: the verb reads providers only, and a network's name is an unknown provider (said by
    the registry when the verb asks it for the provider's table, after the verb's own checks)."""
    leftover: Callable[[argparse.Namespace, list[str]], list[str]] | None = None
    """Takes what argparse left over and returns what is still unrecognized (``classify``: the
    body file named after an option)."""
    description: str | None = None


class CliUsageError(Exception):
    """A problem with what the user typed or pointed us at; exit 2."""


MAX_READ = MAX_BODY_BYTES + 1
"""Read no more than this: a larger answer is not parsed anyway (and a huge file must not
fill memory)."""


def check_readable(path: Path, what: str, *, folder_ok: bool, stream_ok: bool = False) -> None:
    """A path the user named that payerr cannot read is a usage error (exit 2), said plainly.
    ``stream_ok``: a pipe (``<(zcat log.gz)``) or a character device is read as a stream."""
    name = f"{what}{clean(str(path))}"
    if not path.exists():
        raise CliUsageError(
            f"cannot read {name}: no such file" + (" or folder" if folder_ok else "")
        )
    if path.is_dir():
        if not folder_ok:
            raise CliUsageError(f"cannot read {name}: it is a folder; name the .toml files in it")
        return
    if not path.is_file():
        if stream_ok and (path.is_fifo() or path.is_char_device()):
            return  # opened once, when read: a pipe opened twice loses what it held
        raise CliUsageError(f"cannot read {name}: not a regular file")
    try:
        path.open("rb").close()  # readable by this process (root reads past chmod 000)
    except OSError as exc:
        raise CliUsageError(f"cannot read {name}: {exc.strerror or exc}") from exc


def entries(registry: Registry, provider: str | None) -> list[CodeEntry]:
    """Every row of one provider's table, or of every provider's (``list``, ``export``)."""
    providers = [provider] if provider else registry.providers()
    return [e for p in providers for e in registry.table(p).all_entries()]


# -- the options explain and classify share ---------------------------------------------------


def operation_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--operation",
        type=lambda text: text.strip().lower(),  # as payerr.explain reads it: any case
        choices=[o.value for o in Operation],
        metavar="OPERATION",
        help="what was classified: rows scoped to it apply ("
        + ", ".join(o.value for o in Operation)
        + ")",
    )


def lang_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        metavar="LANG",
        help="print the shopper message in this language (a BCP 47 tag such as zh-HK, or an "
        "Accept-Language value); payerr ships " + ", ".join(locales()),
    )


def with_lang(result: Classification, lang: str | None) -> dict[str, Any]:
    """The JSON form, with ``locale`` and ``shopper_message`` when ``--lang`` asked for them."""
    data = result.as_dict()
    if lang is not None:
        data["locale"] = negotiate(lang)
        data["shopper_message"] = shopper_message(result, lang)
    return data


# -- a classification, for a person -----------------------------------------------------------


def render(
    result: Classification, entry: CodeEntry | None, *, mapped: bool = True, lang: str | None = None
) -> str:
    """What ``explain`` and ``classify`` print: the verdict, then a labelled line for each
    thing payerr knows about it, wrapped to the CLI's width."""
    verdict = f"{result.outcome} / {result.category}" if result.category else str(result.outcome)
    code = result.raw_code if result.raw_code is not None else "(no code)"
    if result.known:
        known = "known"
    elif result.raw_code and mapped:
        known = "a mapped code the answer overrules"  # an HTTP status or a status field
    else:
        known = "UNKNOWN code" if result.raw_code else "no known code"
    lines = wrapped(
        "", f"{result.provider} {code}: {verdict}  ({known}, decided by {result.source})"
    )

    def add(label: str, value: object) -> None:
        if value not in (None, ""):
            head = f"  {label + ':':<10} "
            lines.extend(wrapped(head, str(value)))

    add("message", result.message)
    add("detail", result.detail if result.detail != result.message else None)
    if entry is not None:
        add("described", entry.description if entry.description != entry.message else None)
        # A repeat answer payerr could not call a failure: the provider's advice (often "use
        # a new id") holds only for a first send.
        unsure = result.repeat and result.outcome is not Outcome.FAILED and entry.repeat
        add("provider" if not unsure else "provider (for a first send only)", entry.provider_action)
    add("reason", f"{result.reason}  (next: {result.advice})")
    add("action", result.action)
    if lang is None:
        add("shopper", result.user_message)
    else:
        add(f"shopper ({negotiate(lang)})", shopper_message(result, lang))
    if result.retry_after is not None:
        resend = result.retryable or resend_settles(result) or (entry is not None and entry.resend)
        what = (
            "a hint for resending the same request, not an automatic retry"
            if resend
            else "the provider's hint for a new attempt after review, never a resend of this "
            "request"
        )
        add("retry", f"after {result.retry_after:g} s ({what})")
    add("hint", result.retry_hint)
    if result.network is not None:
        from payerr._cli.networks import network_line  # noqa: PLC0415 -- a network's advice

        add("network", network_line(result.network))
    if entry is not None:
        add("note", entry.note)
    if result.repeat and result.outcome is Outcome.FAILED:
        add("repeat", _REPEAT_NOTE)
    if entry is not None:
        add("source", document_of(entry))
    return "\n".join(lines) + "\n"


_REPEAT_NOTE = (
    "the provider already has this request or order. This verdict holds only when the request "
    "was never sent before; after a resend, or when that is not known, it is outcome unknown: "
    "inquire, and never start over with a new order number"
)


def document_of(entry: CodeEntry) -> str:
    """Where a row's words come from, named as the provider's document (not a file hash)."""
    return entry.document
