"""The payerr command: verbs, --json keys, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from payerr._cli.main import main
from tests.support.repo import CONTRACT_KEYS, row_counts


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_human(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "antom", "SUSPECTED_RISK")
    assert code == 0
    assert "failed / risk" in out
    assert "one working day" in out
    assert "Antom web/app checkout SDK reference" in out  # the document's title
    assert "seeds/" not in out  # never a file the user cannot open
    assert err == ""


def test_explain_json_has_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "alipay_plus", "10005", "--json")
    data = json.loads(out)
    assert code == 0
    assert data.keys() >= CONTRACT_KEYS
    assert (data["category"], data["retryable"], data["known"]) == ("retryable", True, True)
    assert data["description"] == "Network exception"


def test_explain_unknown_code_exits_1_but_answers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "paykka", "9999", "--json")
    assert code == 1
    data = json.loads(out)
    assert (data["known"], data["outcome"], data["category"]) == (False, "pending", None)
    assert err == ""  # the unknown-code warning is not printed over the answer


def test_unknown_provider_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "stripe", "x")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "unknown provider 'stripe'" in err
    assert "Traceback" not in err


def test_classify_file_with_status_and_headers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.json"
    body.write_text(
        '{"result": {"resultCode": "REQUEST_TRAFFIC_EXCEED_LIMIT", "resultStatus": "U"}}'
    )
    code, out, _ = run(capsys, "classify", "antom", "--status", "429", "--header", "Retry-After: 4",
                       str(body), "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0
    assert data.keys() >= CONTRACT_KEYS
    # resultStatus U is "unknown" (docs.antom.com/ac/ams/api_fund): pending, never failed; the
    # rate limiter's Retry-After stays a hint for the resend under the same request id.
    assert (data["outcome"], data["category"]) == ("pending", None)
    assert (data["retry_after"], data["http_status"]) == (4.0, 429)
    assert "same request id" in data["action"]


def test_classify_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(
        io.BytesIO(b'{"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5019"}}')
    )
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "classify", "paykka", "-")
    assert code == 0
    assert "failed / risk" in out
    assert "5019" in out


def test_classify_garbage_body_is_an_answer_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "garbage"
    body.write_bytes(b"\x00\xff<html>")
    code, out, _ = run(capsys, "classify", "ottpay", str(body), "--json")
    assert code == 0
    assert json.loads(out)["outcome"] == "pending"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["classify", "antom", "/nonexistent/body.json"], "cannot read /nonexistent/body.json"),
        (["classify", "antom", "--header", "no-colon", "/dev/null"], "--header must look like"),
    ],
)
def test_classify_input_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert says in err
    assert err.count("\n") == 1


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["classify", "antom", "--bogus"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_list_json_is_an_array_of_contract_objects(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "ottpay", "--json")
    rows = json.loads(out)
    assert code == 0
    assert len(rows) == row_counts()["ottpay"]  # every row, scoped ones included
    assert all(r.keys() >= CONTRACT_KEYS for r in rows)


def test_list_filters_by_category(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "list", "--category", "risk", "--json")
    rows = json.loads(out)
    assert rows
    assert {r["category"] for r in rows} == {"risk"}
    assert {r["provider"] for r in rows} == {"alipay_plus", "antom", "ottpay", "paykka"}
    _, out, _ = run(capsys, "list", "antom", "--category", "risk")
    assert "FRAUD_REJECT" in out
    assert out.rstrip().endswith("codes")


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_export_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "export", "--format", fmt)
    assert code == 0
    total = sum(row_counts().values())
    if fmt == "json":
        assert len(json.loads(out)) == total
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == total
        assert rows[0]["provider"] == "alipay_plus"
        assert {"message", "provider_action", "seed", "doc_url"} <= rows[0].keys()
    else:
        lines = out.splitlines()
        assert lines[0].startswith("| provider | code |")
        assert len(lines) == total + 2


def test_validate_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert out.count("ok  ") == 5  # the four providers of the seeds, and ottpay_rest


def test_validate_reports_every_problem_in_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[provider]\nid = "x"\n[[code]]\ncode = "A"\nmessage = "m"\noutcome = "meh"\n'
                   '[[code]]\ncode = "a"\nmessage = "m"\noutcome = "success"\n')  # fmt: skip
    good = tmp_path / "good.toml"
    good.write_text('[provider]\nid = "y"\n')
    code, out, err = run(capsys, "validate", str(bad), str(good))
    assert code == 1
    assert f"ok  {good}" in out
    assert "bad.toml: code 'A': field 'outcome': unknown outcome 'meh'" in err
    # The invalid first copy still claims its code: the second is a duplicate (issue 11).
    assert "code 'a': field 'code': duplicate of 'A'" in err
    assert "2 problems found" in out


def test_validate_with_broken_user_mappings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "antom-extra.toml"
    broken.write_text("[provider\n")
    code, _, err = run(capsys, "--mappings", str(broken), "validate")
    assert code == 1
    assert "antom-extra.toml: invalid TOML" in err


def test_user_mappings_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "acme.toml"
    extra.write_text('[provider]\nid = "acme"\n[[code]]\ncode = "X1"\nmessage = "Busy"\n'
                     'outcome = "failed"\ncategory = "retryable"\n')  # fmt: skip
    code, out, _ = run(capsys, "--mappings", str(extra), "explain", "acme", "x1", "--json")
    assert code == 0
    assert json.loads(out)["category"] == "retryable"


def test_python_dash_m_and_version() -> None:
    """The module entry point works the same as the console script."""
    done = subprocess.run(
        [sys.executable, "-m", "payerr", "explain", "ottpay", "ORDER_PAID", "--json"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["category"] == "final"
    version = subprocess.run(
        [sys.executable, "-m", "payerr", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert version.stdout.startswith("payerr ")


# -- issue 11: the CLI's rough edges ----------------------------------------------------------


def test_classify_on_a_terminal_without_a_file_says_it_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"{}")))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    code, out, err = run(capsys, "classify", "antom")
    assert code == 0
    assert "reading the answer from standard input" in err
    assert "pending" in out


def test_a_network_where_a_provider_is_needed_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "export", "visa")
    assert code == 2
    assert "visa is a card network, not a provider" in err
    assert "Did you mean" not in err


def test_classify_an_unmapped_code_exits_1_with_a_did_you_mean(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "answer.json"
    body.write_text('{"result": {"resultCode": "SUSPECTED_RISC", "resultStatus": "F"}}')
    code, _, err = run(capsys, "classify", "antom", str(body))
    assert code == 1
    assert "did you mean 'SUSPECTED_RISK'" in err
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    code, _, _ = run(capsys, "classify", "antom", "--status", "503", str(empty))
    assert code == 0  # no code at all: classified by its status, no failed check


def test_json_code_is_null_when_the_answer_has_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    code, out, _ = run(capsys, "classify", "antom", "--status", "503", str(empty), "--json")
    assert code == 0
    assert json.loads(out)["code"] is None


@pytest.mark.parametrize(
    "content",
    [
        b'{"result": {"resultCode": "X\\u001b[2J\\ud800", "resultStatus": "F",'
        b' "resultMessage": "\\u001b[31mred\\u009b1m\\u202e"}}',
        b"\x1b[2J\xff\xfe\x00 not json at all",
        b"[" * 50_000,
    ],
)
def test_no_control_character_ever_reaches_the_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    answer = tmp_path / "answer.json"
    answer.write_bytes(content)
    for extra in ((), ("--json",)):
        code, out, err = run(capsys, "classify", "antom", str(answer), *extra)
        assert code in (0, 1)  # 1: the first answer's code is not mapped
        for text in (out, err):
            assert not any(
                unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch != "\n" for ch in text
            ), text


def test_no_traceback_for_any_input_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    huge = tmp_path / "huge.json"
    huge.write_bytes(b'{"a": "' + b"x" * (3 << 20) + b'"}')
    for target in (str(tmp_path), str(huge), str(tmp_path / "missing.json")):
        code, _, err = run(capsys, "classify", "antom", target)
        assert code in (0, 2)
        assert "Traceback" not in err


def test_an_unknown_provider_name_is_shown_without_its_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "explain", "no\x1b[2Jpe", "X")
    assert code == 2
    assert "\x1b" not in err


def test_explain_names_the_providers_document_not_a_file_hash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "explain", "paykka", "5004")
    assert code == 0
    assert "PayKKa transaction errorCode table" in out
    _, exported, _ = run(capsys, "export", "paykka", "--format", "json")
    assert all(row["document"] for row in json.loads(exported))


def test_classify_calls_a_repeat_answer_unknown_unless_told_it_was_a_first_send(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 20: on its own, "Repeated requests are inconsistent" (Antom,
    Architecture#where-each-provider-fact-lives) cannot be
    called failed; the provider's "use a new paymentRequestId" is shown as first-send advice.
    --first-send gives the row's verdict."""
    body = tmp_path / "answer.json"
    body.write_text(
        '{"result": {"resultCode": "REPEAT_REQ_INCONSISTENT", "resultStatus": "F",'
        ' "resultMessage": "Repeated requests are inconsistent."}}'
    )
    code, out, _ = run(capsys, "classify", "antom", str(body))
    assert code == 0
    assert "REPEAT_REQ_INCONSISTENT: pending" in out
    assert "provider (for a first send only):" in out
    code, out, _ = run(capsys, "classify", "antom", str(body), "--first-send", "--json")
    assert (json.loads(out)["outcome"], json.loads(out)["category"]) == (
        "failed",
        "merchant-config",
    )
    code, out, _ = run(capsys, "explain", "ottpay", "ORDER_USED")
    assert "failed / final" in out
    assert "only when the request was never sent before" in " ".join(out.split())  # wrapped


# -- first contact (issue 23) -----------------------------------------------------------------


def test_bare_payerr_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0
    assert "usage: payerr" in out
    assert "explain" in out
    assert err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ("validate", "missing.toml"),
        ("--mappings", "missing.toml", "explain", "antom", "SUCCESS"),
    ],
)
def test_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 2  # the README: 2 for usage errors and unreadable files
    assert "missing.toml" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("where", [("validate",), ("--mappings",)])
def test_an_unreadable_file_or_a_folder_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    where: tuple[str, ...],
) -> None:
    locked = tmp_path / "locked.toml"
    locked.write_text("schema = 1\n")
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == locked:  # as chmod 000 does for anyone but root (CI runs as root)
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    tail = () if where == ("validate",) else ("list",)
    code, _out, err = run(capsys, *where, str(locked), *tail)
    assert (code, err.count("\n")) == (2, 1)
    assert "Permission denied" in err
    if where == ("validate",):
        code, _out, err = run(capsys, "validate", str(tmp_path))
        assert code == 2
        assert "is a folder" in err


def test_provider_ids_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "Antom", "SUSPECTED_RISK", "--json")
    assert code == 0
    assert json.loads(out)["provider"] == "antom"
    code, out, _ = run(capsys, "list", "PAYKKA")
    assert code == 0
    assert "5004" in out


def test_near_misses_get_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "antm", "X")
    assert code == 2
    assert "Did you mean 'antom'?" in err
    code, _, err = run(capsys, "explain", "antom", "SUSPECTED_RISC")
    assert code == 1
    assert "did you mean 'SUSPECTED_RISK'" in err
    code, _out, err = run(capsys, "explain", "antom", "SUSPECTED_RISC", "--json")
    assert err == ""  # nothing over a machine's JSON


@pytest.mark.parametrize("status", ["99999", "99", "abc", "-1"])
def test_status_is_an_http_status(capsys: pytest.CaptureFixture[str], status: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["classify", "antom", "--status", status, "/dev/null"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "HTTP status" in err
    assert "pay,refund" not in err  # usage errors no longer list every operation


def test_a_body_of_another_provider_gets_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "paykka.json"
    body.write_text('{"ret_code": "000000", "ret_msg": "ok", "data": {"status": "SUCCESS"}}')
    code, out, err = run(capsys, "classify", "antom", str(body))
    assert code == 0
    assert "pending" in out
    assert "paykka's envelope (ret_code)" in err
    code, out, err = run(capsys, "classify", "paykka", str(body))
    assert err == ""


def test_list_has_a_header(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "antom")
    assert code == 0
    assert out.splitlines()[0].split()[:2] == ["code", "verdict"]


def test_classify_from_a_terminal_says_it_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"{}")))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    code, _, err = run(capsys, "classify", "antom", "-")
    assert code == 0
    assert "reading the answer from standard input" in err


def test_every_line_of_human_output_fits_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.repo import REPO

    for argv in (
        ("list",), ("list", "visa"), ("explain", "antom", "SUSPECTED_RISK"),
        ("explain", "visa", "05"),
        ("classify", "antom", str(REPO / "examples/responses/antom_inquiry_declined.json")),
    ):  # fmt: skip
        _, out, _ = run(capsys, *argv)
        assert max(len(line) for line in out.splitlines()) <= 100, argv


def test_providers_as_they_write_their_names_and_network_near_misses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "explain", "Alipay+", "10005")
    assert code == 0
    assert out.startswith("alipay_plus 10005")
    code, out, _ = run(capsys, "explain", "OTT Pay", "ORDER_PAID")
    assert out.startswith("ottpay ORDER_PAID")
    code, _, err = run(capsys, "explain", "visa", "5")
    assert code == 1
    assert "did you mean '05'" in err


def test_each_verb_loads_its_heavy_modules_only_when_it_runs() -> None:
    """Issue 27: one module a verb, all of them imported to build the parser; what a verb needs
    beyond the mappings (httpx, the scanner, the simulator, a card network's table) is loaded
    when that verb runs, and `payerr explain` of a provider loads none of it."""
    heavy = ["httpx", "structlog", "csv", "tomllib", "payerr._bulk", "payerr._retry",
             "payerr.testing", "payerr._cli.drill", "payerr._cli.networks",
             "payerr.networks._codes"]  # fmt: skip
    code = (
        "import sys, contextlib, io; from payerr._cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('payerr', *HEAVY)))"
    ).replace("HEAVY", repr(tuple(h.split(".")[0] for h in heavy)))

    def loaded(*argv: str) -> set[str]:
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, check=True, timeout=60)  # fmt: skip
        return set(json.loads(done.stdout.replace("'", '"')))

    def unloaded(modules: set[str]) -> set[str]:
        return {h for h in heavy if not any(m == h or m.startswith(h + ".") for m in modules)}

    assert unloaded(loaded("explain", "antom", "FRAUD_REJECT")) == set(heavy)
    assert "payerr._cli.networks" not in unloaded(loaded("explain", "visa", "05"))
    assert "httpx" not in unloaded(loaded("classify", "antom", "/dev/null"))
