"""The card network tables as data (issue 14, item 2): provenance, validation, CLI, packaging.

Expected values come from the public pages the rows cite: Visa's category 1 codes from Evolve's
'Visa's Processing Integrity Fee Program', Mastercard's 'do not try again' advice codes from
Checkout.com's 'When can I retry a declined transaction?', the MAC waits from Everonet's
'Mastercard-Merchant Advice Code' appendix.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import payerr
from payerr._cli.main import main
from payerr._core.exceptions import MappingError, UsageError
from payerr._mappings.registry import Registry
from payerr.networks._schema import parse_network_file
from payerr.networks._tables import shipped_networks_dir
from tests.support.repo import REPO, row_counts

NETWORKS = REPO / "mappings" / "networks"
EVOLVE_CATEGORY_1 = {"04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def raw(network: str) -> dict[str, object]:
    """The file as tomllib reads it: the data, not payerr's reading of it."""
    with (NETWORKS / f"{network}.toml").open("rb") as f:
        return tomllib.load(f)


# -- the shipped data -------------------------------------------------------------------------


def test_the_shipped_networks_are_visa_and_mastercard() -> None:
    assert payerr.networks.card_networks() == ["mastercard", "visa"]
    assert shipped_networks_dir() == NETWORKS


def test_every_row_cites_a_public_page_in_its_own_words() -> None:
    for network in payerr.networks.card_networks():
        data = raw(network)
        for kind in ("code", "advice", "limit"):
            for row in data.get(kind, []):  # type: ignore[attr-defined]
                assert row["sources"], (network, row)
                for source in row["sources"]:
                    assert source["url"].startswith("https://")
                    assert len(source["says"]) >= 5


def test_visa_category_1_is_evolves_list() -> None:
    """Evolve: category 1 '04, 07, 12, 14, 15, 41, 43, 46, 57, R0, R1, R3 ... Re-attempt not
    allowed'; every other Visa code may be reattempted."""
    visa = payerr.networks.network_table("visa")
    never = {code for code, row in visa.codes.items() if row.never_retry}
    assert never == EVOLVE_CATEGORY_1
    assert {code for code, row in visa.codes.items() if row.category == "1"} == never
    assert not visa.advice


def test_mastercard_never_retries_only_on_advice_03_and_21() -> None:
    """Checkout.com: 'Do not try again recommendation codes: 03 ... 21'. Mastercard's issuer
    codes carry descriptions only."""
    mastercard = payerr.networks.network_table("mastercard")
    assert {c for c, row in mastercard.advice.items() if row.never_retry} == {"03", "21"}
    assert not any(row.never_retry or row.category for row in mastercard.codes.values())


def test_mac_waits_say_what_the_codes_names_say() -> None:
    """Each wait is the one its name states ('Retry after 1 hour' ... 'Retry after 10 days')."""
    units = {"hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
    for row in payerr.networks.network_table("mastercard").advice.values():
        match = re.fullmatch(r"Retry after (\d+) (\w+)", row.message)
        if match:
            assert row.retry_after == int(match[1]) * units[match[2]], row.code
    assert payerr.networks.network_table("mastercard").advice["02"].retry_after == 72 * 3600


def test_disagreements_are_recorded_in_the_data() -> None:
    """Sources disagree on Visa's limit (15, or 20 from 2025-05-19), on Mastercard's 24-hour
    count (10 or 20), and on codes Visa moved between categories in April 2021."""
    visa = payerr.networks.network_table("visa")
    limits = {limit.id: limit for limit in visa.limits}
    assert limits["categories-2-4"].max_reattempts == 15
    assert limits["categories-2-4"].disputed
    assert limits["categories-2-4-from-2025-05-19"].max_reattempts == 20
    assert limits["categories-2-4-from-2025-05-19"].effective == "2025-05-19"
    assert limits["category-1"].max_reattempts == 0
    for moved in ("03", "62", "78", "93"):
        assert visa.codes[moved].category == "2"
        assert "category 1" in visa.codes[moved].disputed
    mc_limits = {limit.id: limit for limit in payerr.networks.network_table("mastercard").limits}
    assert mc_limits["declines-24-hours"].max_reattempts == 10
    assert "20 declines" in mc_limits["declines-24-hours"].disputed
    assert mc_limits["declines-30-days"].max_reattempts == 35
    assert mc_limits["do-not-try-again"].advice_codes == ("03", "21")


def test_the_same_number_means_different_things_per_network() -> None:
    """Visa 82 is a card-verification failure (Forte); Mastercard 82 is 'Policy' (Cybersource)."""
    assert payerr.networks.network_table("visa").codes["82"].category == "3"
    assert payerr.networks.network_table("mastercard").codes["82"].message == "Policy"


def test_row_lookups_never_raise() -> None:
    visa = payerr.networks.network_table("visa")
    for odd in (None, 5, 4.0, ["05"], {"05": 1}, b"05", "0" * 10_000, "\x0005", "05\u200b"):
        assert visa.issuer_code(odd) is None
        assert visa.advice_code(odd) is None
    assert visa.issuer_code(" n7 ") is visa.codes["N7"]


# -- a network is not a provider --------------------------------------------------------------


def test_providers_and_their_row_counts_are_unchanged() -> None:
    assert payerr.providers() == ["alipay_plus", "antom", "ottpay", "ottpay_rest", "paykka"]
    registry = Registry(use_env=False)
    for provider, count in row_counts().items():
        assert len(registry.table(provider).all_entries()) > 0
        assert count > 0


def test_a_network_is_no_provider() -> None:
    """No transport, no classify, no explain() for a network: it has no envelope."""
    for name in payerr.networks.card_networks():
        with pytest.raises(payerr.UnknownProviderError):
            payerr.PaymentTransport(name)
        with pytest.raises(payerr.UnknownProviderError):
            payerr.classify(name, "05")


def test_a_provider_mapping_may_not_take_a_networks_id(tmp_path: Path) -> None:
    path = tmp_path / "visa.toml"
    path.write_text('[provider]\nid = "visa"\n')
    with pytest.raises(MappingError, match="names a card network"):
        Registry([path], use_env=False)


def test_an_unknown_network_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="known networks: mastercard, visa"):
        payerr.networks.network_table("amex")
    with pytest.raises(ValueError, match="unknown card network"):
        payerr.networks.network_table("../antom")


# -- validation -------------------------------------------------------------------------------

GOOD = """
schema = 1
[network]
id = "{id}"
[[code]]
code = "05"
message = "Do not honor"
category = "4"
sources = [{{ url = "https://example.com/a", says = "05 Do not honor" }}]
"""


def write(tmp_path: Path, text: str, name: str = "visa") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_table_parses(tmp_path: Path) -> None:
    table = parse_network_file(write(tmp_path, GOOD.format(id="visa")))
    assert table.issuer_code("05") is not None
    assert table.row_count == 1


def test_every_problem_is_reported_with_file_row_and_field(tmp_path: Path) -> None:
    text = """
schema = 1
extra = 1
[network]
id = "visa"
colour = "blue"
[[code]]
code = "43"
message = "Stolen card"
category = "1"
sources = [{ url = "https://example.com", says = "43 stolen" }]
[[code]]
code = "43"
message = "again"
category = "2"
sources = [{ url = "https://example.com", says = "x43" }]
[[code]]
code = "5"
message = "short"
sources = []
[[code]]
code = "51"
message = "Insufficient funds"
category = "2"
never_retry = true
when = "now"
sources = [{ url = "http://example.com", says = "plain http" }]
[[advice]]
code = "03"
message = "Do not try again"
never_retry = true
retry_after = 3600
sources = [{ url = "https://example.com", says = "03 do not" }]
[[limit]]
id = "bad"
advice_codes = ["99"]
max_reattempts = 15
sources = [{ url = "https://example.com", says = "15" }]
"""
    with pytest.raises(MappingError) as info:
        parse_network_file(write(tmp_path, text))
    errors = "\n".join(info.value.errors)
    for expected in (
        "unknown top-level key 'extra'",
        "[network]: unknown field 'colour'",
        "code '43': field 'never_retry': category 1 is never reattempted",
        "code '43': duplicate of an earlier row",
        "code '5': field 'code': two upper-case letters or digits",
        "code '5': field 'sources': at least one",
        "code '51': field 'never_retry': category 2 may be reattempted",
        "code '51': unknown field 'when'",
        "'http://example.com' is not an https URL",
        "advice '03': field 'retry_after': a never-retry code has no wait",
        "limit 'bad': field 'window_seconds': a limit above 0 needs its window",
    ):
        assert expected in errors, expected
    assert str(tmp_path / "visa.toml") in errors


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="must match the file name"):
        parse_network_file(write(tmp_path, GOOD.format(id="amex"), name="visa"))


@pytest.mark.parametrize("content", [b"\xff\xfe", b"[network\n", b"x = [" * 5000])
def test_unreadable_files_are_mapping_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "visa.toml"
    path.write_bytes(content)
    with pytest.raises(MappingError):
        parse_network_file(path)


# -- the CLI ----------------------------------------------------------------------------------


def test_explain_visa_05(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "visa", "05")
    assert code == 0
    assert err == ""
    assert out.startswith("visa 05: Do not honor")
    assert "category 4" in out
    assert "at most 15 reattempts in 30 days" in out
    assert "at most 20 reattempts in 30 days (from 2025-05-19)" in out
    assert (
        "https://www.checkout.com/docs/developer-resources/codes/visa-response-codes-categories"
        in out
    )


def test_explain_mastercard_03_shows_the_issuer_code_and_the_advice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "explain", "mastercard", "03", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["issuer_code"]["message"] == "Invalid merchant"
    assert data["advice_code"]["never_retry"] is True
    assert [limit["id"] for limit in data["limits"]] == ["do-not-try-again"]


def test_explain_an_unlisted_network_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "visa", "5")
    assert code == 1
    assert "not in payerr's Visa table" in out
    code, out, _ = run(capsys, "explain", "visa", "ZZ", "--json")
    assert code == 1
    assert json.loads(out)["known"] is False


def test_explain_network_rejects_operation(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "visa", "05", "--operation", "pay")
    assert code == 2
    assert "--operation applies to provider codes" in err


def test_list_mastercard(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "mastercard")
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "21 issuer codes, 15 advice codes, 3 limits"
    assert any(
        re.match(r"advice\s+24\s+reattempt after 1 h\s+Retry after 1 hour", x) for x in lines
    )
    assert any(re.match(r"advice\s+03\s+never reattempt", x) for x in lines)
    code, out, _ = run(capsys, "list", "visa", "--json")
    rows = json.loads(out)
    assert {row["kind"] for row in rows} == {"issuer_code", "limit"}
    assert sum(row["kind"] == "issuer_code" for row in rows) == len(raw("visa")["code"])  # type: ignore[arg-type]


def test_list_network_rejects_provider_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "visa", "--category", "risk")
    assert code == 2
    assert "filter provider codes" in err


def test_list_without_a_name_still_lists_provider_codes_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {row["provider"] for row in rows} == set(payerr.providers())


def test_validate_checks_the_network_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert f"ok (card network)  {NETWORKS / 'visa.toml'}" in out
    assert f"ok (card network)  {NETWORKS / 'mastercard.toml'}" in out


def test_validate_a_network_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, GOOD.format(id="visa"))
    bad = write(tmp_path, GOOD.format(id="mastercard").replace('"4"', '"9"'), name="mastercard")
    code, out, err = run(capsys, "validate", str(good), str(bad))
    assert code == 1
    assert f"ok (card network)  {good}" in out
    assert "field 'category': one of 1, 2, 3, 4" in err


# -- packaging --------------------------------------------------------------------------------


def test_the_wheel_ships_the_network_tables(tmp_path: Path) -> None:
    """Built like tests/project/test_install.py builds it, installed elsewhere, the tables load."""
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    wheel = next(out.glob("payerr-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for network in payerr.networks.card_networks():
        assert f"payerr/mappings/networks/{network}.toml" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    probe = (
        "import json, payerr; t = payerr.networks.network_table('visa');"
        "print(json.dumps([payerr.networks.card_networks(), t.origin, len(t.codes)]))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("PAYERR_MAPPINGS", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    networks, origin, count = json.loads(done.stdout)
    assert networks == ["mastercard", "visa"]
    assert Path(origin).is_relative_to(target)
    assert count == len(raw("visa")["code"])  # type: ignore[arg-type]


def test_classify_shows_the_network_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``payerr classify`` prints the advice in a line, and under ``network`` with --json."""
    body = tmp_path / "decline.json"
    body.write_text(
        json.dumps(
            {
                "result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"},
                "paymentResultInfo": {"cardBrand": "VISA", "refusalCodeRaw": "46"},
            }
        )
    )
    code, out, _ = run(capsys, "classify", "antom", str(body), "--operation", "pay")
    assert code == 0
    assert "network:   visa, issuer code 46 (category 1), never reattempt this card" in out
    code, out, _ = run(capsys, "classify", "antom", str(body), "--json")
    assert json.loads(out)["network"]["never_retry"] is True


# -- issue 14 review: Mastercard's never-retry MACs, the CLI's network names ---------------------

MAC_ROW = """
schema = 1
[network]
id = "mastercard"
[[advice]]
code = "{code}"
message = "Do not try again"
never_retry = {never}
sources = [{{ url = "https://example.com/mac", says = "{code} Do not try again" }}]
"""


@pytest.mark.parametrize("code", ["03", "21"])
def test_a_mastercard_never_mac_must_say_never_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    """MAC 03 'Do not try again' and 21 'Payment cancellation' (Braintree's MAC table,
    https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes;
    a resubmission within 30 days draws a fee: https://help.maast.com/help/mastercards-decline-code-grouping-and-mac).
    A table saying otherwise is refused, as a Visa category 1 code without never_retry is."""
    bad = write(tmp_path, MAC_ROW.format(code=code, never="false"), name="mastercard")
    with pytest.raises(MappingError, match=f"Mastercard MAC {code} is never reattempted"):
        parse_network_file(bad)
    exit_code, _, err = run(capsys, "validate", str(bad))
    assert exit_code == 1
    assert f"advice '{code}': field 'never_retry'" in err
    good = write(tmp_path, MAC_ROW.format(code=code, never="true"), name="mastercard")
    assert parse_network_file(good).advice[code].never_retry


@pytest.mark.parametrize("name", ["VISA", "Visa", "visa", "ViSa"])
def test_explain_finds_a_network_in_any_case(capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Brands are written VISA and MASTERCARD by providers (Antom's cardBrand)."""
    code, out, _ = run(capsys, "explain", name, "05")
    assert code == 0
    assert out.startswith("visa 05: Do not honor")
    code, out, _ = run(capsys, "list", name.replace("isa", "ISA"), "--json")
    assert code == 0


def test_an_unknown_provider_names_the_card_networks_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "explain", "nope", "05")
    assert code == 2
    assert "unknown provider 'nope'" in err
    assert "card networks: mastercard, visa" in err


def test_a_networks_hint_shows_its_own_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """Mastercard has no letter codes such as Visa's N7 or R0 (Checkout.com's Visa categories
    page lists R0, R1, R3; Braintree's MAC table lists Mastercard's two-digit MACs)."""
    code, out, _ = run(capsys, "explain", "mastercard", "99")
    assert code == 1
    assert "not in payerr's Mastercard table" in out
    for visa_only in ("N7", "R0", "R1", "1A", "6P"):
        assert visa_only not in out
    assert "Merchant Advice Codes" in out
    code, out, _ = run(capsys, "explain", "visa", "99")
    assert code == 1
    assert "Merchant Advice Codes" not in out


def test_visa_54_keeps_category_3_and_says_nexi_disagrees() -> None:
    """Checkout.com's Visa categories page and Forte list 54 'Expired card' in category 3; Nexi
    Checkout's 'Manage subscription retries' lists it under 'Issuer will never approve'."""
    row = payerr.networks.network_table("visa").issuer_code("54")
    assert row is not None
    assert (row.category, row.never_retry) == ("3", False)
    assert "Nexi" in row.disputed
    assert "Issuer will never approve" in row.disputed
    nexi = "https://developer.nexigroup.com/nexi-checkout/en-EU/docs/manage-subscription-retries"
    assert any(s.url == nexi and "Expired card" in s.says for s in row.sources)
