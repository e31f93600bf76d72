"""The CLI's card-network verbs: ``explain`` and ``list`` of a network's codes, the network line
of a classified decline, and ``validate`` of network tables (loaded only when a network is
named; the verbs that read networks register their network bodies in their ``Verb`` record)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from payerr._cli.text import EXIT_CHECK_FAILED, EXIT_OK, WIDTH
from payerr._cli.text import near as _near
from payerr._cli.text import print_json as _print_json
from payerr._cli.text import shorten as _shorten
from payerr._cli.text import wrapped as _wrapped
from payerr._core.exceptions import MappingError
from payerr._core.taxonomy import NetworkAdvice
from payerr.networks._codes import AdviceCode, IssuerCode, NetworkTable, ReattemptLimit
from payerr.networks._schema import parse_network_file

__all__ = ["check_tables", "counts", "explain_network", "list_network", "network_line"]


def explain_network(table: NetworkTable, code: str, as_json: bool, out: TextIO) -> int:
    """``payerr explain visa 05``: the issuer code's row and, for Mastercard, the MAC's."""
    issuer, advice = table.issuer_code(code), table.advice_code(code)
    if as_json:
        _print_json(
            {
                "network": table.id,
                "code": code,
                "known": issuer is not None or advice is not None,
                "issuer_code": None if issuer is None else issuer.as_dict(),
                "advice_code": None if advice is None else advice.as_dict(),
                "limits": [limit.as_dict() for limit in _limits_for(table, issuer, advice)],
            },
            out,
        )
    if not as_json:
        if issuer is not None:
            out.write(_render_network_row(issuer, _limits_for(table, issuer, None)))
        if advice is not None:
            out.write(_render_network_row(advice, _limits_for(table, None, advice)))
    if issuer is None and advice is None:
        if not as_json:
            out.write(
                f"{table.id} {code}: not in payerr's {table.title} table ({_code_hint(table)})\n"
            )
            near = _near(code.strip().zfill(2), [*table.codes, *table.advice])
            if near:
                print(f"payerr: did you mean {near}?", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _code_hint(table: NetworkTable) -> str:
    """What this network's codes look like, from its own table (``payerr list NETWORK``)."""
    letters = sorted(c for c in table.codes if not c.isdigit())
    digits = sorted(c for c in table.codes if c.isdigit())
    examples = ", ".join([*digits[:2], *letters[:2]])
    hint = f"issuer codes are two characters, as the network lists them: {examples}"
    if table.advice:
        hint += f"; Merchant Advice Codes are two digits: {', '.join(sorted(table.advice)[:3])}"
    return f"{hint}; see payerr list {table.id}"


def list_network(table: NetworkTable, as_json: bool, out: TextIO) -> int:
    """``payerr list mastercard``: issuer codes, advice codes, then reattempt limits."""
    rows: list[IssuerCode | AdviceCode | ReattemptLimit] = [
        *table.codes.values(),
        *table.advice.values(),
        *table.limits,
    ]
    if as_json:
        _print_json([row.as_dict() for row in rows], out)
        return EXIT_OK
    for row in rows:
        if isinstance(row, ReattemptLimit):
            lines = _wrapped(f"{'limit':<7} {row.id:<30}  ", _limit_words(row))
            out.write("\n".join(lines) + "\n")
        else:
            kind = "issuer" if isinstance(row, IssuerCode) else "advice"
            verdict = _network_verdict(row)
            head = f"{kind:<7} {row.code:<4}  {verdict:<28}  "
            out.write(f"{head}{_shorten(row.message, WIDTH - len(head))}\n")
    out.write(f"{counts(table)}\n")
    return EXIT_OK


def _network_verdict(row: IssuerCode | AdviceCode) -> str:
    if row.never_retry:
        prefix = (
            f"category {row.category}, " if isinstance(row, IssuerCode) and row.category else ""
        )
        return prefix + "never reattempt"
    if isinstance(row, AdviceCode):
        if row.retry_after is not None:
            return f"reattempt after {_duration(row.retry_after)}"
        return "no wait given"
    if row.category:
        return f"category {row.category}, may reattempt"
    return row.group or "no reattempt advice"


def _render_network_row(row: IssuerCode | AdviceCode, limits: list[ReattemptLimit]) -> str:
    kind = "issuer response code" if isinstance(row, IssuerCode) else "Merchant Advice Code"
    lines = _wrapped(
        "", f"{row.network} {row.code}: {row.message}  ({kind}: {_network_verdict(row)})"
    )

    def add(label: str, value: str) -> None:
        if value:
            lines.extend(_wrapped(f"  {label + ':':<10} ", value))

    if isinstance(row, IssuerCode):
        add("group", row.group)
    add("note", row.note)
    add("disputed", row.disputed)
    for limit in limits:
        add("limit", f"{limit.id}: {_limit_words(limit)}")
    for source in row.sources:
        add("source", source.url)
        lines.extend(_wrapped(" " * 13, repr(_shorten(source.says, 160))))
    return "\n".join(lines) + "\n"


def _limits_for(
    table: NetworkTable, issuer: IssuerCode | None, advice: AdviceCode | None
) -> list[ReattemptLimit]:
    """The limits that name this code's category or advice code."""
    category = issuer.category if issuer is not None else None
    code = advice.code if advice is not None else None
    return [
        limit
        for limit in table.limits
        if (category is not None and category in limit.categories)
        or (code is not None and code in limit.advice_codes)
    ]


def _limit_words(limit: ReattemptLimit) -> str:
    if limit.max_reattempts == 0:
        words = "never reattempt"
    else:
        window = "" if limit.window_seconds is None else f" in {_duration(limit.window_seconds)}"
        words = f"at most {limit.max_reattempts} reattempts{window}"
    if limit.effective:
        words += f" (from {limit.effective})"
    return words + (" [disputed]" if limit.disputed else "")


def _duration(seconds: float) -> str:
    if seconds >= 172800 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


def network_line(advice: NetworkAdvice) -> str:
    """One line of a classification's network advice (``payerr classify``)."""
    parts = [advice.brand or "unknown brand"]
    if advice.issuer_code:
        category = f" (category {advice.category})" if advice.category else ""
        parts.append(f"issuer code {advice.issuer_code}{category}")
    if advice.advice_code:
        parts.append(f"advice code {advice.advice_code}")
    if advice.never_retry:
        parts.append("never reattempt this card")
    elif advice.retry_after is not None:
        parts.append(f"reattempt after {_duration(advice.retry_after)} at the earliest")
    return ", ".join(parts)


def counts(table: NetworkTable) -> str:
    return (
        f"{len(table.codes)} issuer codes, {len(table.advice)} advice codes, "
        f"{len(table.limits)} limits"
    )


def check_tables(paths: list[Path], out: TextIO) -> list[str]:
    """``payerr validate``: an ``ok`` line for each good network table; the problems found."""
    problems: list[str] = []
    for path in paths:
        try:
            table = parse_network_file(path)
        except MappingError as exc:
            problems.extend(exc.errors)
        else:
            out.write(f"ok (card network)  {table.origin}  ({counts(table)})\n")
    return problems
