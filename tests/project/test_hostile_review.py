"""Issue 11, hostile review: hostile text at the edges, secrets in exception text, files that
break parsers, errors that all share the PayerrError root."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import httpx
import pytest

import payerr
import payerr._mappings.registry
import payerr._mappings.schema
import payerr._mappings.table
from payerr import Outcome
from payerr._cli.main import main
from tests.support.loopback import Script, serve

PAN = "4111111111111111"


def test_a_header_secret_never_reaches_the_error_or_its_classification() -> None:
    """httpx refuses 'Bearer ...\\n' with "Illegal header value b'Bearer sk_live_...\\n'"."""
    script = Script([(200, {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}}, {})])
    policy = payerr.RetryPolicy(attempts=1, budget=False)
    with (
        serve(script) as url,
        httpx.Client(transport=payerr.PaymentTransport("antom", policy=policy)) as client,
        pytest.raises(payerr.PaymentError) as info,
    ):
        client.post(url, json={}, headers={"Authorization": "Bearer sk_live_SECRET\n"})
    error = info.value
    for text in (str(error), error.classification.message, repr(error.classification)):
        assert "sk_live_SECRET" not in text


def test_a_card_number_in_a_code_never_reaches_payerrs_own_logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """payment.code / payment.raw_code of payerr.unknown_code, with no processors at all."""
    monkeypatch.setattr("structlog.is_configured", lambda: False)
    with caplog.at_level(logging.WARNING, logger="payerr"):
        c = payerr.classify("paykka", PAN)
    assert PAN not in (c.raw_code or "")
    assert PAN not in c.message
    assert "unknown_code" in caplog.text
    assert PAN not in caplog.text


@pytest.mark.parametrize(
    "garbled", ["SUCCESS\x00", "SUC\u200bCESS", "\ufeffSUCCESS", "SUCC\xadESS"]
)
def test_invisible_or_control_characters_never_make_a_success(garbled: str) -> None:
    assert payerr.classify("antom", garbled).outcome is not Outcome.SUCCESS
    ok = {"resultCode": "SUCCESS", "resultStatus": "S"}
    body = {"result": ok, "paymentStatus": garbled}
    assert payerr.classify_http("antom", 200, body, operation="inquiry").outcome is not (
        Outcome.SUCCESS
    )


def test_an_in_process_code_with_a_zero_width_space_is_still_in_process() -> None:
    """Antom's SDK docstrings carry U+200B around PAYMENT_IN_PROCESS: still pending."""
    assert payerr.classify("antom", "\u200bPAYMENT_IN_PROCESS\u200b").outcome is Outcome.PENDING


@pytest.mark.parametrize(
    "content",
    [
        b'schema = 1\n[provider]\nid = "x"\n[[code]]\ncode = "A"\nn = ' + b"9" * 5000 + b"\n",
        b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    ],
)
def test_a_file_that_breaks_the_toml_parser_is_a_mapping_error(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / "x.toml"
    hostile.write_bytes(content)
    with pytest.raises(payerr.MappingError):
        payerr._mappings.schema.parse_file(hostile)
    assert main(["validate", str(hostile)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_file_name_with_escapes_is_shown_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / "a\x1b]0;pwned\x07b.toml"
    hostile.write_text("[provider\n", encoding="utf-8")
    assert main(["validate", str(hostile)]) == 1
    _, err = capsys.readouterr()
    assert "\x1b" not in err
    assert "\x07" not in err
    with pytest.raises(SystemExit):  # argparse exits on an unknown option, naming it
        main(["classify", "antom", "--bogus\x1b[2J"])
    assert "\x1b" not in capsys.readouterr().err


def test_a_broken_payerr_mappings_file_raises_on_every_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[provider\n", encoding="utf-8")
    monkeypatch.setenv(payerr._mappings.registry.ENV_VAR, str(broken))
    payerr._mappings.registry.reset_default_registry()
    for _ in range(3):
        with pytest.raises(payerr.MappingError):
            payerr.classify("antom", "SUCCESS")


@pytest.mark.parametrize(
    "misuse",
    [
        lambda: payerr.RetryPolicy(attempts=0),
        lambda: payerr.RetryBudget(percent=2),
        lambda: payerr.classify("antom", "X", operation="teleport"),
        lambda: payerr.classify_http("antom", 200, object()),  # type: ignore[arg-type]
        lambda: payerr.PaymentTransport("antom", idempotency_headers=[]),
    ],
)
def test_every_misuse_is_a_payerr_error_and_a_value_error(misuse: object) -> None:
    with pytest.raises(payerr.UsageError) as info:
        misuse()  # type: ignore[operator]
    assert isinstance(info.value, payerr.PayerrError)
    assert isinstance(info.value, ValueError)


def test_explain_takes_any_int() -> None:
    assert payerr.explain("antom", 10**5000) is None
    assert sys.get_int_max_str_digits() > 0  # the limit is still in force
