"""The scan report, written out: text for a terminal, JSON, CSV, and one self-contained HTML
page (inline SVG bar charts; no scripts, styles from elsewhere or requests of any kind).

Every code and message in a report came from a provider: it is escaped for HTML, kept from
starting a spreadsheet formula in CSV, and (in text) cleaned by the CLI's output.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from typing import Any, TextIO

from payerr._bulk.scan import Report
from payerr._core.text import clean

__all__ = ["as_json", "write_csv", "write_html", "write_text"]

TOP = 20
"""Codes listed in the text and HTML reports (JSON and CSV list them all)."""


def _share(n: int, of: int) -> float:
    return round(n / of, 6) if of else 0.0


def _ranked(counter: Counter[Any]) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))


def as_json(report: Report, source: str) -> dict[str, Any]:
    """The report's JSON form (its keys are a contract)."""
    n = report.answers

    def shares(counter: Counter[str]) -> dict[str, dict[str, float | int]]:
        return {str(k): {"count": c, "share": _share(c, n)} for k, c in _ranked(counter)}

    return {
        "source": source,
        "answers": n,
        "lines": report.lines,
        "bad_lines": {
            "count": report.bad,
            "first": [{"line": line, "error": why} for line, why in report.bad_lines],
        },
        "providers": shares(report.providers),
        "outcomes": shares(report.outcomes),
        "categories": shares(report.categories),
        "reasons": shares(report.reasons),
        "retryable": {"count": report.retryable, "share": _share(report.retryable, n)},
        "codes": [_code_row(key, c, n) for key, c in _ranked(report.codes)],
        "unknown_codes": [
            {"provider": p, "code": code, "count": c, "share": _share(c, n)}
            for (p, code), c in _ranked(report.unknown)
        ],
    }


def _code_row(key: tuple[str, str, str, str, str], count: int, n: int) -> dict[str, Any]:
    provider, code, outcome, category, reason = key
    return {
        "provider": provider,
        "code": code,
        "outcome": str(outcome),
        "category": str(category) if category else None,
        "reason": str(reason) if reason else None,
        "count": count,
        "share": _share(count, n),
    }


# -- text ------------------------------------------------------------------------------------


def write_text(report: Report, source: str, out: TextIO) -> None:
    n = report.answers
    bad = f"{report.bad:,} bad line{'s' if report.bad != 1 else ''}"
    if report.bad_lines:
        shown = ", ".join(str(line) for line, _ in report.bad_lines[:10])
        bad += f": {shown}{', ...' if report.bad > 10 else ''}"
    out.write(f"payerr scan: {n:,} answers from {source} ({bad})\n")
    for title, counter in (
        ("provider", report.providers),
        ("outcome", report.outcomes),
        ("category (failures)", report.categories),
        ("reason", report.reasons),
    ):
        out.write(f"\nby {title}\n")
        for key, count in _ranked(counter):
            out.write(f"  {key:<34} {count:>12,} {_pct(count, n):>7}\n")
    out.write(
        f"\nretryable failures: {report.retryable:,} ({_pct(report.retryable, n)} of answers)\n"
    )
    out.write(f"\ntop codes ({min(TOP, len(report.codes))} of {len(report.codes):,})\n")
    for (provider, code, outcome, category, reason), count in _ranked(report.codes)[:TOP]:
        verdict = outcome + (f"/{category}" if category else "") + f" ({reason})"
        out.write(
            f"  {provider:<11} {_short(code or '(no code)', 26):<26} {count:>10,} "
            f"{_pct(count, n):>6}  {_short(verdict, 40)}\n"
        )
    unknown = _ranked(report.unknown)
    out.write(f"\nunknown codes to map ({len(unknown):,})\n")
    if not unknown:
        out.write("  none: every code is mapped\n")
    for (provider, code), count in unknown:
        out.write(f"  {provider:<11} {_short(code, 60):<60} {count:>10,} {_pct(count, n):>7}\n")
    if unknown:
        out.write("  (map them: docs' Mapping codes page; `payerr explain PROVIDER CODE`)\n")
        if any("=" in code for (_, code), _ in unknown):
            out.write(
                "  (field=value: a status value payerr's reader does not know yet; outcome\n"
                "   unknown until it does: report it with the provider's page that names it)\n"
            )


def _pct(n: int, of: int) -> str:
    return f"{100 * n / of:.1f}%" if of else "-"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- CSV -------------------------------------------------------------------------------------


def write_csv(report: Report, source: str, out: TextIO) -> None:
    """One row per count: ``section, provider, key, outcome, category, reason, count, share``."""
    data = as_json(report, source)
    writer = csv.writer(out, lineterminator="\n")
    header = ["section", "provider", "key", "outcome", "category", "reason", "count", "share"]
    writer.writerow(header)

    def row(section: str, count: object, share: object, **cells: str | None) -> None:
        writer.writerow([section, *(_cell(cells.get(k) or "") for k in header[1:6]), count, share])

    writer.writerow(["answers", "", "", "", "", "", data["answers"], 1.0 if data["answers"] else 0])
    row("bad_lines", data["bad_lines"]["count"], "")
    for section in ("providers", "outcomes", "categories", "reasons"):
        for key, value in data[section].items():
            row(section, value["count"], value["share"], key=key)
    row("retryable", data["retryable"]["count"], data["retryable"]["share"])
    for code in data["codes"]:
        row("codes", code["count"], code["share"], provider=code["provider"], key=code["code"],
            outcome=code["outcome"], category=code["category"], reason=code["reason"])  # fmt: skip
    for code in data["unknown_codes"]:
        row("unknown_codes", code["count"], code["share"], provider=code["provider"],
            key=code["code"])  # fmt: skip


_FORMULA = tuple("=+-@\t\r|\uff1d\uff0b\uff0d\uff20")
"""What a spreadsheet may read as the start of a formula: OWASP's list, the pipe, and their
full-width forms (which some spreadsheets fold to ASCII)."""


def _cell(text: str) -> str:
    """A provider's text, never read as a formula by a spreadsheet (OWASP: CSV injection),
    leading white space or not."""
    return "'" + text if text.lstrip(" ").startswith(_FORMULA) else text


# -- HTML ------------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#1b1f24;
padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;text-align:left;
border-bottom:1px solid #eaeef2;vertical-align:top}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}code{font-size:.95em;word-break:break-all}
.lead{font-size:1.1em}.muted{color:#57606a}svg text{font:12px system-ui,sans-serif}
"""

_COLOURS = {
    "success": "#2da44e", "pending": "#bf8700", "failed": "#cf222e", "retryable": "#0969da",
    "user-action": "#8250df", "merchant-config": "#bc4c00", "risk": "#cf222e",
    "final": "#57606a",
}  # fmt: skip


def write_html(report: Report, source: str, out: TextIO) -> None:
    source = clean(source)  # a file's name: card numbers masked, control characters gone
    n = report.answers
    e = html.escape
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>payerr scan: {e(source)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Declines in <code>{e(source)}</code></h1>",
        f'<p class="lead">{n:,} answers; {report.retryable:,} retryable failures '
        f"({_pct(report.retryable, n)}); {len(report.unknown):,} unknown codes to map; "
        f"{report.bad:,} bad lines.</p>",
    ]
    for title, counter in (
        ("Outcome", report.outcomes),
        ("Category of the failures", report.categories),
        ("Provider", report.providers),
        ("Reason", report.reasons),
    ):
        parts.append(f"<h2>{title}</h2>")
        parts.append(_bars(_ranked(counter)[:TOP], n))
    codes = _ranked(report.codes)[:TOP]
    parts.append(f"<h2>Top codes ({len(codes)} of {len(report.codes):,})</h2>")
    parts.append(_bars([(f"{p} {c or '(no code)'}", k) for (p, c, *_), k in codes], n, "failed"))
    parts.append(
        "<table><tr><th>provider</th><th>code</th><th>verdict</th><th>reason</th>"
        '<th class="n">answers</th><th class="n">share</th></tr>'
    )
    for (provider, code, outcome, category, reason), count in codes:
        verdict = outcome + (f" / {category}" if category else "")
        parts.append(
            f"<tr><td>{e(provider)}</td><td><code>{e(code or '(no code)')}</code></td>"
            f'<td>{e(verdict)}</td><td>{e(reason)}</td><td class="n">{count:,}</td>'
            f'<td class="n">{_pct(count, n)}</td></tr>'
        )
    parts.append("</table>")
    unknown = _ranked(report.unknown)
    parts.append(f"<h2>Unknown codes to map ({len(unknown):,})</h2>")
    if unknown:
        parts.append(
            '<table><tr><th>provider</th><th>code</th><th class="n">answers</th>'
            '<th class="n">share</th></tr>'
        )
        for (provider, code), count in unknown:
            parts.append(
                f"<tr><td>{e(provider)}</td><td><code>{e(code)}</code></td>"
                f'<td class="n">{count:,}</td><td class="n">{_pct(count, n)}</td></tr>'
            )
        parts.append("</table>")
    else:
        parts.append("<p>None: every code is mapped.</p>")
    if report.bad:
        parts.append(f"<h2>Bad lines ({report.bad:,})</h2><table>")
        for line, why in report.bad_lines:
            parts.append(f'<tr><td class="n">{line}</td><td>{e(why)}</td></tr>')
        parts.append("</table>")
    parts.append('<p class="muted">Written by <code>payerr scan</code>.</p></body></html>\n')
    out.write("\n".join(parts))


def _bars(rows: list[tuple[str, int]], total: int, colour: str = "") -> str:
    """A horizontal bar chart as inline SVG: one bar per row, its share written beside it."""
    if not rows:
        return '<p class="muted">None.</p>'
    height, label, width = 22, 260, 420
    top = max(count for _, count in rows) or 1
    e = html.escape
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
        f'viewBox="0 0 {label + width + 120} {height * len(rows) + 4}">'
    ]
    for i, (name, count) in enumerate(rows):
        y = i * height + 2
        bar = max(1.0, width * count / top)
        fill = _COLOURS.get(str(name), _COLOURS.get(colour, "#0969da"))
        shown = str(name) if len(str(name)) <= 38 else str(name)[:37] + "…"
        lines.append(
            f'<text x="{label - 8}" y="{y + 15}" text-anchor="end">{e(shown)}</text>'
            f'<rect x="{label}" y="{y + 3}" width="{bar:.1f}" height="{height - 6}" '
            f'fill="{fill}"><title>{e(str(name))}: {count:,}</title></rect>'
            f'<text x="{label + bar + 6:.1f}" y="{y + 15}">{count:,} ({_pct(count, total)})</text>'
        )
    lines.append("</svg>")
    return "".join(lines)
