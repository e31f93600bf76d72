"""mkdocs hooks for payerr's docs site (``hooks:`` in ``mkdocs.yml``).

- The home page is the README, and the changelog is ``CHANGELOG.md``: both live at the root of
  the repository (where GitHub and PyPI show them) and are copied in at build time, their links
  made relative to the site.
- ``docs/reasons.md`` is generated from the reason vocabulary by ``python tools/docs_hooks.py``
  and committed (``tests/docs/test_docs_site.py`` keeps it equal), so it reads on GitHub too.
- The precedence tables in ``docs/reference.md`` ("How each provider's answer is read", between
  the ``precedence`` markers) are generated the same way from the readers' rule tables
  (``payerr._mappings.adapters.PRECEDENCE``), and kept equal the same way.
- The code reference is generated from the mapping files, as installed: one page per provider
  and per card network, every code with its verdict, the provider's words, the shopper
  message and its source. :func:`code_pages` is what the build writes and what
  ``tests/docs/test_docs_site.py`` checks (every code of every table on its page).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path
from typing import Any

from payerr import default_registry
from payerr._core.reasons import (
    ADVICE_ALLOWED,
    REASON_VERDICTS,
    STRIPE_DECLINE_CODES,
    Advice,
    Reason,
)
from payerr._mappings.adapters import PRECEDENCE, Rule
from payerr._mappings.shopper import locales
from payerr.networks._tables import card_networks, network_table

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
        # A row scoped to several operations is one row (table.scoped holds it once for each).
        unique = {id(e): e for e in table.scoped.values()}
        scoped = sorted(unique.values(), key=lambda e: (e.code, e.operations))
        lines = [
            f"# {provider}",
            "",
            f"{len(rows)} codes, and {len(scoped)} rows that apply to some operations only. The",
            "reason and the next step are payerr's vocabulary for every provider",
            "([Reasons and advice](../reasons.md)).",
            "",
            "| code | verdict | reason, next step | the provider's words | tell the shopper "
            "| source |",
            "|---|---|---|---|---|---|",
        ]
        for entry in [*rows, *scoped]:
            verdict = f"{entry.outcome} / {entry.category}" if entry.category else entry.outcome
            if entry.operations:
                verdict = f"{verdict} (for {', '.join(entry.operations)})"
            lines.append(
                _row(
                    f"`{entry.code}`",
                    str(verdict),
                    f"`{entry.reason}`, `{entry.classification().advice}`",
                    entry.message,
                    entry.user_message,
                    _source(entry.document),  # as the CLI names it: the provider's document
                )
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
            "| code | meaning | decline category | never retry | note | sources |",
            "|---|---|---|---|---|---|",
        ]
        for row in sorted(table.codes.values(), key=lambda r: r.code):
            lines.append(
                _row(
                    f"`{row.code}`",
                    row.message,
                    row.category or row.group or "",
                    "yes" if row.never_retry else "",
                    " ".join(x for x in (row.note, row.disputed) if x),
                    _sources(row.sources),
                )
            )
        if table.advice:
            lines += [
                "",
                "## Merchant Advice Codes",
                "",
                "| code | meaning | never retry | wait | note | sources |",
                "|---|---|---|---|---|---|",
            ]
            for advice in sorted(table.advice.values(), key=lambda r: r.code):
                wait = "" if advice.retry_after is None else f"{advice.retry_after:g} s"
                lines.append(
                    _row(
                        f"`{advice.code}`",
                        advice.message,
                        "yes" if advice.never_retry else "",
                        wait,
                        " ".join(x for x in (advice.note, advice.disputed) if x),
                        _sources(advice.sources),
                    )
                )
        if table.limits:
            lines += [
                "",
                "## Reattempt limits",
                "",
                "| limit | applies to | reattempts | window | scope | note | sources |",
                "|---|---|---|---|---|---|---|",
            ]
            for limit in table.limits:
                applies = ", ".join(
                    [*(f"category {c}" for c in limit.categories), *limit.advice_codes]
                )
                window = "" if limit.window_seconds is None else f"{limit.window_seconds:g} s"
                lines.append(
                    _row(
                        f"`{limit.id}`",
                        applies,
                        "never" if limit.max_reattempts == 0 else str(limit.max_reattempts),
                        window,
                        limit.scope,
                        " ".join(x for x in (limit.note, limit.disputed) if x),
                        _sources(limit.sources),
                    )
                )
        pages[f"codes/{network}.md"] = "\n".join(lines) + "\n"
        index.append(f"- [{table.title}]({network}.md): {table.row_count} rows")
    pages["codes/index.md"] = "\n".join(index) + "\n"
    return pages


def _member_docs(path: Path, cls: str) -> dict[str, str]:
    """An enum's member docstrings (the string after each ``NAME = "value"``), by value."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            body = node.body
            for here, after in itertools.pairwise(body):
                if (
                    isinstance(here, ast.Assign)
                    and isinstance(here.value, ast.Constant)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                ):
                    found[str(here.value.value)] = " ".join(str(after.value.value).split())
    return found


def reasons_page() -> str:
    """``reasons.md``: the reason vocabulary, the advice, and the shopper-message locales."""
    source = ROOT / "src" / "payerr" / "_core" / "reasons.py"
    reasons = _member_docs(source, "Reason")
    advice = _member_docs(source, "Advice")
    registry = default_registry()
    counts: dict[str, int] = {}
    for provider in registry.providers():
        for entry in registry.table(provider).all_entries():
            counts[entry.reason] = counts.get(entry.reason, 0) + 1
    lines = [
        "# Reasons, advice and languages",
        "",
        "A category says who acts; a **reason** says why, in one vocabulary for every provider,",
        "and **advice** says what a program does next. Every mapping row names its reason",
        '(`reason = "..."`); a row whose verdict the reason does not allow is refused when',
        "the mappings load (`suspected_fraud` is always risk), and `payerr validate` says so.",
        "The advice is derived from the verdict and the reason by one table, and checked on",
        "every `Classification`: it never contradicts the outcome, the category, `retryable` or",
        "`retry_after`, and the transports do what it says (`retry_same` is exactly what they",
        "resend).",
        "",
        "```text",
        "$ payerr explain paykka 5004 --lang ja",
        "$ payerr list --reason insufficient_funds",
        "```",
        "",
        'In Python: `c.reason`, `c.advice`, `payerr.shopper_message(c, "zh-HK")`,',
        "`payerr.locales()`. Logs carry `payment.reason` and `payment.advice`; the metrics carry",
        "`payment.reason` as a label (a bounded set: the values below).",
        "",
        "## Reasons",
        "",
        "| reason | means | verdicts it allows | Stripe `decline_code` | rows |",
        "|---|---|---|---|---|",
    ]
    for reason in Reason:
        allowed = ", ".join(sorted(REASON_VERDICTS[reason]))
        stripe = ", ".join(f"`{c}`" for c in STRIPE_DECLINE_CODES.get(reason, ()))
        lines.append(
            _row(
                f"`{reason}`",
                reasons.get(reason.value, ""),
                "any" if reason is Reason.UNKNOWN else allowed,
                stripe,
                str(counts.get(reason, 0)),
            )
        )
    lines += [
        "",
        "Stripe's codes are from <https://docs.stripe.com/declines/codes>; a reason without one",
        "has no Stripe equivalent.",
        "",
        "## Advice",
        "",
        "| advice | next step | with which verdicts |",
        "|---|---|---|",
    ]
    for item in Advice:
        verdicts = ", ".join(k for k, allowed in ADVICE_ALLOWED.items() if item in allowed)
        lines.append(f"| `{item}` | {_cell(advice.get(item.value, ''))} | {_cell(verdicts)} |")
    lines += [
        "",
        "A payer's failure takes its advice from the reason (`authentication_required`:",
        "`step_up`; `card_expired`, `incorrect_cvc`: `update_payment_details`; `do_not_honor`:",
        "`contact_issuer`; otherwise `try_another_method`). A failure whose next step would be",
        "`do_not_retry` says `retry_later` when it names a wait (`retry_after`: the provider's,",
        "or the card network's). A decline whose card network says never to reattempt the card",
        "(Visa category 1, Mastercard MAC 03 or 21) says `do_not_retry` whatever its reason, and",
        "carries no wait; a network's wait never lengthens a risk refusal's, and the reattempt",
        "limiter reads both the same way. Pending is `inquire`, except Antom's and Alipay+'s",
        "`resultStatus` U that a resend of the same request id settles: `retry_same`.",
        "",
        "## Shopper messages in the shoppers' languages",
        "",
        f"Shipped locales: {', '.join(f'`{t}`' for t in locales())}. The messages are gettext",
        "catalogs: `locales/<locale>/LC_MESSAGES/payerr.po` in the repository, compiled to `.mo`",
        "in the wheel and read with the standard library's `gettext` (Babel builds and checks",
        "them in development: `python tools/catalogs.py check`). English is written by payerr's",
        "developers; the other catalogs were translated with machine assistance and are not yet",
        "reviewed by native speakers, as their headers say. Corrections are welcome.",
        "",
        "`shopper_message(c, locale)` takes a BCP 47 tag or an `Accept-Language` value and",
        "never raises. Tags are tried in the header's order of preference (`q=0` excluded, and",
        "an entry whose `q` is not a number from 0 to 1 ignored; the first 32 entries are read):",
        "",
        "- exactly (`zh-Hant`, `fil`), in any case, `_` or `-`;",
        "- Chinese by script (`zh-Hant`, `zh-Hans`), else by region: `zh-HK`, `zh-TW`, `zh-MO`",
        "  are `zh-Hant`; `zh`, `zh-CN`, `zh-SG` and any other are `zh-Hans`; Cantonese (`yue`,",
        "  `zh-yue`) is `zh-Hant` unless it names `Hans`; Mandarin (`cmn`) is Chinese;",
        "- `tl` (Tagalog) is `fil`, `in` (Indonesian's old code) is `id`;",
        "- then the language alone (`fr-CA` is `fr`);",
        "- a tag with no shipped language (`es-ES`) passes to the next; at the end, `en`.",
        "",
        "A message is chosen by the reason and the outcome; a refund, capture, cancellation or",
        "card set-up (and Alipay+'s card activation) gets a message that names it; a risk",
        "refusal gets the same neutral message whatever its reason, in every language. A",
        "failure of the merchant's integration or account says only that the payment cannot be",
        "processed right now (the shopper can fix nothing there), unless the shopper can act",
        "(another currency or method, a refreshed page); a failure that is final never says",
        '"try again". An answer payerr cannot call a failure (outcome unknown) says it could',
        "not confirm the payment yet, whatever its reason.",
        "`Classification.user_message` stays the mapping row's own English.",
        "",
    ]
    return "\n".join(lines)


PRECEDENCE_START = (
    "<!-- precedence: generated from the readers' rule tables by `python tools/docs_hooks.py`; "
    "edit the rules (RULES in src/payerr/_mappings/adapters/), not this -->"
)
PRECEDENCE_END = "<!-- precedence: end -->"


def precedence_section() -> str:
    """Each adapter's rules, in the order its reader walks them: the text between the markers
    in ``docs/reference.md``."""
    by_table: dict[int, list[str]] = {}
    for adapter, rules in PRECEDENCE.items():
        by_table.setdefault(id(rules), []).append(adapter)
    headings = _architecture_headings()
    lines = [PRECEDENCE_START, ""]
    for adapters in by_table.values():
        rules = PRECEDENCE[adapters[0]]
        names = ", ".join(f"`{a}`" for a in adapters)
        if adapters == ["fields"]:
            names += " (a provider added by a mapping file alone)"
        lines += [f"### {names}", "", "| | rule | what it does | from |", "|---|---|---|---|"]
        lines += [
            _row(number, f"`{rule.name}`", rule.says, _rule_source(rule.source, headings))
            for number, rule in numbered_rules(rules)
        ]
        lines.append("")
    lines.append(PRECEDENCE_END)
    return "\n".join(lines)


def numbered_rules(rules: tuple[Rule[Any], ...], prefix: str = "") -> list[tuple[str, Rule[Any]]]:
    """Each rule with its number in the walk (``3``, a group's own ``3.1`` ...), in order."""
    found = []
    for number, rule in enumerate(rules, 1):
        found.append((f"{prefix}{number}", rule))
        found += numbered_rules(rule.rules, f"{prefix}{number}.")
    return found


def precedence_in(page: str) -> str:
    """The generated part of ``page`` (markers included), or "" when its markers are missing."""
    start, end = page.find(PRECEDENCE_START), page.find(PRECEDENCE_END)
    if start < 0 or end < start:
        return ""
    return page[start : end + len(PRECEDENCE_END)]


def _architecture_headings() -> dict[str, str]:
    """The Architecture page's section headings and their anchors."""
    page = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    found = {}
    for title in re.findall(r"^## (.+)$", page, re.M):
        slug = re.sub(r"[^\w\s-]", "", title.lower()).strip()
        found[title.strip()] = re.sub(r"[\s]+", "-", slug)
    return found


def _rule_source(source: str, headings: dict[str, str]) -> str:
    """A rule's sources: payerr's own rules as links to their Architecture section."""
    parts = []
    for part in source.split("; "):
        if part.startswith("Architecture: "):
            title = part.removeprefix("Architecture: ")
            parts.append(f"[{part}](ARCHITECTURE.md#{headings[title]})")  # KeyError: no heading
        else:
            parts.append(part)
    return "; ".join(parts)


def _row(*cells: object) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(_cell(str(c)) for c in cells) + " |"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _sources(sources: Any) -> str:
    """A network row's public sources, as links."""
    return " ".join(f"<{s.url}>" for s in sources)


def _source(text: str) -> str:
    """A row's source, its URLs as links."""
    return re.sub(r"(https?://[^\s;,)]+)", r"<\1>", text)


def _site_links(text: str) -> str:
    """A root Markdown file's links, made relative to the site (``docs/x.md`` -> ``x.md``)."""
    text = text.replace("](docs/", "](")
    return text.replace("](CHANGELOG.md)", "](changelog.md)")


_ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):(<code>)~?")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Docstrings' Sphinx roles (``:class:`X```), which help() shows as they are, read as
    plain code on the site (mkdocstrings renders Google-style text, not the roles)."""
    return _ROLE.sub(r"\1", html)


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


if __name__ == "__main__":
    # Regenerate the committed pages made from the code (tests/docs/test_docs_site.py checks them).
    (ROOT / "docs" / "reasons.md").write_text(reasons_page(), encoding="utf-8")
    reference = ROOT / "docs" / "reference.md"
    text = reference.read_text(encoding="utf-8")
    old = precedence_in(text)
    if not old:
        raise SystemExit(f"{reference}: the precedence markers are missing")
    reference.write_text(text.replace(old, precedence_section()), encoding="utf-8")
