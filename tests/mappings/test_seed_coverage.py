"""Every code in the four seed documents is mapped, and each row keeps the provider's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import payerr
from payerr._core.taxonomy import Category, Outcome
from payerr._mappings.registry import Registry
from tests.support.repo import PROVIDERS, REPO, seed_codes

SEEDS_DIR = REPO.parent / "shared" / "seeds"
EXPECTED_COUNTS = {"alipay_plus": 48, "antom": 47, "ottpay": 55, "paykka": 144}


def test_seed_code_lists_hold_all_294_codes() -> None:
    """The test data lists every seed code: 48 + 47 + 55 + 144."""
    counts = {p: len(seed_codes(p)) for p in PROVIDERS}
    assert counts == EXPECTED_COUNTS
    assert sum(counts.values()) == 294


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_seed_code_is_known(provider: str) -> None:
    """Each seed code, spelled as the seed spells it, classifies as a known code."""
    unknown = [c for c in seed_codes(provider) if not payerr.classify(provider, c).known]
    assert unknown == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_seed_code_has_a_row_naming_its_seed(registry: Registry, provider: str) -> None:
    """Rows for seed codes carry the seed file name as provenance."""
    table = registry.table(provider)
    for code in seed_codes(provider):
        entry = table.entry(code)
        assert entry is not None
        assert entry.seed == table.seed != ""
        assert entry.message


def test_antom_mixed_case_spellings_are_one_row(registry: Registry) -> None:
    """The Antom doc mixes SDK_Payment_SUCCESSFUL and SDK_PAYMENT_SUCCESSFUL: one row, both kept."""
    table = registry.table("antom")
    entry = table.entry("SDK_Payment_SUCCESSFUL")
    assert entry is table.entry("SDK_PAYMENT_SUCCESSFUL")
    assert entry is not None
    assert entry.spellings == ("SDK_Payment_SUCCESSFUL",)
    assert payerr.classify("antom", "SDK_Payment_FAIL").code == "SDK_PAYMENT_FAIL"


def _bounded(part: str) -> re.Pattern[str]:
    """The text as a whole phrase: a truncated word ("fund" for "funds") does not match."""
    return re.compile(r"(?<!\w)" + re.escape(part) + r"(?!\w)")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("•", " ")).strip()


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed documents live in ../shared/seeds")
@pytest.mark.parametrize("provider", PROVIDERS)
def test_row_text_is_verbatim_from_the_seed(registry: Registry, provider: str) -> None:
    """Message, description and provider action of seed rows appear word for word in the seed."""
    table = registry.table(provider)
    seed_text = _normalise((SEEDS_DIR / table.seed).read_text(encoding="utf-8"))
    unfaithful = []
    for entry in table.entries.values():
        if entry.seed != table.seed:
            continue
        for field in ("message", "description", "provider_action"):
            value = _normalise(getattr(entry, field))
            # The seed writes one list across lines and bullets; compare each sentence.
            parts = [p for p in re.split(r"(?<=[.:])\s", value) if p] or [value]
            if entry.code == "SDK_PAYMENT_CANCEL" and field != "provider_action":
                continue  # the seed shows this code only in its code samples (see the row's note)
            missing = [p for p in parts if not _bounded(p).search(seed_text)]
            if missing:
                unfaithful.append((entry.code, field, missing))
    assert unfaithful == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_shipped_headers_are_complete(registry: Registry, provider: str) -> None:
    """Each shipped file names its provider, docs, seed and the date it was checked."""
    table = registry.table(provider)
    assert table.id == provider
    assert table.title
    assert table.docs_url.startswith("https://")
    assert table.seed.endswith(".txt")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.checked)


RISK_WORDS = re.compile(r"fraud|risk|suspect|blacklist|black list|stolen|security|blocked", re.I)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_risk_rows_never_tell_the_shopper_why(registry: Registry, provider: str) -> None:
    """Card networks forbid revealing risk reasons: risk rows' shopper messages are neutral."""
    for entry in registry.table(provider).entries.values():
        if entry.category is Category.RISK:
            assert not RISK_WORDS.search(entry.user_message), entry.code
            assert entry.user_message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_shopper_message_leaks_internals(registry: Registry, provider: str) -> None:
    """Shopper messages never mention signatures, keys, parameters or merchant contracts."""
    internals = re.compile(r"signature|api|parameter|contract|merchant id|whitelist|KYB", re.I)
    for entry in registry.table(provider).entries.values():
        assert not internals.search(entry.user_message), entry.code


def test_every_outcome_and_category_is_used() -> None:
    """The tables exercise the whole taxonomy, lifecycle events included."""
    registry = Registry(use_env=False)
    seen: set[object] = set()
    for provider in PROVIDERS:
        for entry in registry.table(provider).entries.values():
            seen.add(entry.outcome)
            seen.add(entry.category)
    assert set(Outcome) | set(Category) <= seen


def test_retry_hints_are_hints_not_retries() -> None:
    """SUSPECTED_RISK carries 'retry after one working day' as a hint; it is still not retryable."""
    c = payerr.classify("antom", "SUSPECTED_RISK")
    assert c.category is Category.RISK
    assert not c.retryable
    assert c.retry_after == 86400
    assert c.retry_hint is not None
    assert "one working day" in c.retry_hint


def test_seed_files_exist_where_rows_say() -> None:
    """Row provenance names real seed files (checked when ../shared is present)."""
    if not SEEDS_DIR.is_dir():
        pytest.skip("the seed documents live in ../shared/seeds")
    registry = Registry(use_env=False)
    for provider in PROVIDERS:
        assert Path(SEEDS_DIR / registry.table(provider).seed).is_file()
