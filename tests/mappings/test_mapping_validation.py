"""Mapping validation (errors name file, code and field) and user overlays and providers."""

from __future__ import annotations

import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import payerr
from payerr import Category, MappingError, Outcome, Registry, UnknownProviderError
from payerr._core.files import shipped_mappings_dir
from payerr._mappings.registry import ENV_VAR, reset_default_registry
from payerr._mappings.table import ProviderTable
from tests.support.repo import REPO, row_counts

HEADER = '[provider]\nid = "acme"\ntitle = "Acme Pay"\n'


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_for(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as info:
        Registry([path], use_env=False)
    assert isinstance(info.value, ValueError)
    return list(info.value.errors)


ROW = '[[code]]\ncode = "E1"\nmessage = "Declined"\noutcome = "failed"\ncategory = "final"\n'


def test_a_valid_new_provider_loads(tmp_path: Path) -> None:
    registry = Registry([write(tmp_path, HEADER + ROW)], use_env=False)
    assert "acme" in registry.providers()
    assert payerr.classify("acme", "e1", registry=registry).category is Category.FINAL


@pytest.mark.parametrize(
    ("row", "field", "says"),
    [
        (
            'code = "E1"\nmessage = "m"\noutcome = "failure"\ncategory = "final"',
            "outcome",
            "unknown outcome",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "failed"\ncategory = "fatal"',
            "category",
            "unknown category",
        ),
        ('code = "E1"\noutcome = "failed"\ncategory = "final"', "message", "missing"),
        (
            'code = "E1"\nmessage = 5\noutcome = "failed"\ncategory = "final"',
            "message",
            "must be a string",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "failed"',
            "category",
            "required when outcome is failed",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "success"\ncategory = "final"',
            "category",
            "only failed",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "failed"\ncategory = "final"\ncategroy = "x"',
            "categroy",
            "unknown field",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "failed"\ncategory = "risk"\nretry_after = -1',
            "retry_after",
            "seconds",
        ),
        (
            'code = "E1"\nmessage = "m"\noutcome = "success"\nspellings = ["E2"]',
            "spellings",
            "not a spelling",
        ),
        ('code = ""\nmessage = "m"\noutcome = "success"', "code", "non-empty"),
    ],
)
def test_row_errors_name_file_code_and_field(
    tmp_path: Path, row: str, field: str, says: str
) -> None:
    errors = errors_for(tmp_path, HEADER + "[[code]]\n" + row + "\n")
    assert len(errors) == 1, errors
    assert "acme.toml" in errors[0]
    assert f"'{field}'" in errors[0]
    assert says in errors[0]
    if 'code = "E1"' in row:
        assert "'E1'" in errors[0]


def test_duplicate_codes_differing_only_by_case(tmp_path: Path) -> None:
    dup = ROW + ROW.replace('"E1"', '"e1 "')
    errors = errors_for(tmp_path, HEADER + dup)
    assert len(errors) == 1
    assert "duplicate" in errors[0]
    assert "'e1'" in errors[0]
    assert "'E1'" in errors[0]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    bad = (
        HEADER
        + ROW.replace('"final"', '"fatal"')
        + ROW.replace('"E1"', '"E2"').replace('"failed"', '"nope"')
    )
    assert len(errors_for(tmp_path, bad)) == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[provider]\nid = "acme"\n[[code]\n', "invalid TOML"),
        ('[[code]]\ncode = "E1"\n', "missing [provider]"),
        ('[provider]\ntitle = "x"\n', "missing field 'id'"),
        ('[provider]\nid = "Acme Pay"\n', "not a provider id"),
        ('[provider]\nid = "acme"\nadapter = "soap"\n', "unknown adapter"),
        ('[provider]\nid = "acme"\nwebsite = "x"\n', "unknown field 'website'"),
        ('schema = 2\n[provider]\nid = "acme"\n', "unsupported schema"),
        ("[provider]\nid = 5\n", "wrong type"),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, says: str) -> None:
    errors = errors_for(tmp_path, text)
    assert any(says in e for e in errors), errors
    assert all("acme.toml" in e for e in errors)


def test_not_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MappingError, match="not UTF-8"):
        Registry([path], use_env=False)
    with pytest.raises(MappingError, match="cannot read"):
        Registry([tmp_path / "missing.toml"], use_env=False)


def test_override_a_single_shipped_code(tmp_path: Path) -> None:
    """A user file with a shipped provider id replaces just the rows it names."""
    overlay = write(tmp_path, """
        [provider]
        id = "paykka"

        [[code]]
        code = "6008"
        message = "Unknown error"
        outcome = "pending"
        note = "Our PayKKa account manager says 6008 means the acquirer timed out."
        """, "paykka-overrides.toml")  # fmt: skip
    registry = Registry([overlay], use_env=False)
    c = payerr.classify("paykka", "6008", registry=registry)
    assert (c.outcome, c.category) == (Outcome.PENDING, None)
    assert payerr.classify("paykka", "5004", registry=registry).category is Category.USER_ACTION
    table = registry.table("paykka")
    assert [Path(o).name for o, _ in table.origins] == ["paykka.toml", "paykka-overrides.toml"]
    assert table.seed == "003_d209bba18c741ad0.txt"  # the overlay leaves the header alone


def test_add_a_provider_with_its_own_envelope(tmp_path: Path) -> None:
    """A new provider is a mapping file: code_fields say where its codes live."""
    path = write(tmp_path, """
        [provider]
        id = "acme"
        code_fields = ["error.decline_code", "error.code"]
        message_fields = ["error.message"]

        [[code]]
        code = "insufficient_funds"
        message = "Your card has insufficient funds."
        outcome = "failed"
        category = "user-action"
        """)  # fmt: skip
    registry = Registry([path], use_env=False)
    body = (
        b'{"error": {"code": "card_declined", "decline_code": "insufficient_funds",'
        b' "message": "No"}}'
    )
    c = payerr.classify_http("acme", 402, body, registry=registry)
    assert (c.code, c.category, c.detail, c.source) == (
        "INSUFFICIENT_FUNDS", Category.USER_ACTION, "No", "error.decline_code"
    )  # fmt: skip
    assert (
        payerr.classify_http("acme", 503, b"{}", registry=registry).category is Category.RETRYABLE
    )


def test_python_dict_overlay(registry: Registry) -> None:
    registry.add_mapping({"provider": {"id": "antom"}, "code": [
        {"code": "PROCESS_FAIL", "message": "A general business failure occurred.",
         "outcome": "failed", "category": "merchant-config"}
    ]})  # fmt: skip
    assert (
        payerr.classify("antom", "PROCESS_FAIL", registry=registry).category
        is Category.MERCHANT_CONFIG
    )


def test_load_mappings_changes_the_default_registry(tmp_path: Path) -> None:
    assert payerr.classify("antom", "E1").known is False
    touched = payerr.load_mappings(write(tmp_path, '[provider]\nid = "antom"\n' + ROW, "a.toml"))
    assert touched == ["antom"]
    assert payerr.classify("antom", "E1").category is Category.FINAL  # fast path was refreshed


def test_an_invalid_file_applies_nothing(tmp_path: Path) -> None:
    good = write(tmp_path, '[provider]\nid = "antom"\n' + ROW, "good.toml")
    bad = write(tmp_path, '[provider]\nid = "antom"\n[[code]]\ncode = "E2"\n', "bad.toml")
    with pytest.raises(MappingError):
        payerr.load_mappings(good, bad)
    assert payerr.classify("antom", "E1").known is False


def test_environment_variable_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "maps"
    folder.mkdir()
    write(folder, HEADER + ROW)
    monkeypatch.setenv(ENV_VAR, str(folder))
    registry = Registry()
    assert "acme" in registry.providers()
    assert payerr.classify("acme", "E1", registry=registry).known


def test_broken_environment_file_is_a_clear_error_at_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(write(tmp_path, "not = [valid")))
    registry = Registry()  # constructing reads nothing
    with pytest.raises(MappingError, match=r"acme\.toml: invalid TOML"):
        payerr.classify("antom", "SUCCESS", registry=registry)


def test_unknown_provider_error_lists_user_providers_too(tmp_path: Path) -> None:
    registry = Registry([write(tmp_path, HEADER + ROW)], use_env=False)
    with pytest.raises(UnknownProviderError, match="acme"):
        registry.table("nope")


def test_shipped_mappings_resolve_to_the_repository_folder_in_a_checkout() -> None:
    """Running from the source tree (editable install), the top-level mappings/ is used."""
    import payerr as pkg

    if "site-packages" in (pkg.__file__ or ""):
        pytest.skip("installed as a wheel: tests/project/test_install.py covers that mode")
    assert shipped_mappings_dir() == REPO / "mappings"


def test_validate_reports_each_file_with_its_row_count(registry: Registry) -> None:
    report = {Path(o).stem: n for o, n in registry.validate()}
    assert report == row_counts()


def test_a_load_racing_the_first_classify_never_leaves_a_stale_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: load_mappings racing the first classify() left the old verdict in the fast
    path in 3 of 400 trials. After a load returns, every classify sees the loaded row. (A
    short pause in ProviderTable.codes widens the window the race needs.)"""
    codes = ProviderTable.codes

    def slow_codes(self: ProviderTable, source: str = "code") -> Any:
        time.sleep(0.002)
        return codes(self, source)

    monkeypatch.setattr(ProviderTable, "codes", slow_codes)
    override = tmp_path / "antom.toml"
    override.write_text(
        """schema = 1
[provider]
id = "antom"
[[code]]
code = "RISK_REJECT"
message = "overridden"
outcome = "failed"
category = "final"
""",
        encoding="utf-8",
    )
    for _ in range(40):
        reset_default_registry()
        start = threading.Barrier(5)

        def classify_now(start: threading.Barrier = start) -> None:
            start.wait()
            for _ in range(20):
                payerr.classify("antom", "RISK_REJECT")

        workers = [threading.Thread(target=classify_now) for _ in range(4)]
        for worker in workers:
            worker.start()
        start.wait()
        payerr.load_mappings(override)
        for worker in workers:
            worker.join(timeout=10)
        assert payerr.classify("antom", "RISK_REJECT").category is payerr.Category.FINAL
    reset_default_registry()
