"""Card numbers are masked before payerr cuts any text (issue 22, point 2, the cut points).

A card number straddling one of payerr's own cuts (a code's 128 characters, a message's
1,000, a transport error's 300) used to lose its tail before masking: 15 of 16 digits stayed,
and the check digit rebuilds the rest. Here a test card number (4111 1111 1111 1111, Luhn-valid)
is placed at every offset around each cut, plain and grouped; no 13 of its digits in a row may
survive in any field of the classification, the error's text or its repr.
"""

from __future__ import annotations

import re

import httpx
import pytest

import payerr

PAN = "4111111111111111"
FORMS = [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111"]
PIECES = {PAN[i : i + 13] for i in range(len(PAN) - 12)}


def leaks(text: str) -> bool:
    """Whether 13 or more of the card's digits in a row survive (separators ignored)."""
    digits = re.sub(r"[\s\-]", "", text)
    return any(piece in digits for piece in PIECES)


def fields(c: payerr.Classification) -> str:
    return " ".join(str(v) for v in c.as_dict().values())


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_code_cut_is_masked(form: str) -> None:
    for offset in range(100, 140):
        code = "C" * offset + form + "D" * 20
        body = {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": "m"}}
        c = payerr.classify_http("antom", 200, body)
        assert not leaks(fields(c)), offset
        assert not leaks(fields(payerr.classify("antom", code))), offset


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_message_cut_is_masked(form: str) -> None:
    for offset in range(960, 1010):
        message = "m" * offset + form + "z" * 40
        for provider, body in (
            ("antom", {"result": {"resultCode": "X", "resultStatus": "F",
                                  "resultMessage": message}}),
            ("ottpay", {"rsp_code": "FAIL", "rsp_msg": message}),
            ("paykka", {"ret_code": "000000", "data": {"status": "FAILURE",
                        "error_code": "5004", "error_description": message}}),
        ):  # fmt: skip
            c = payerr.classify_http(provider, 200, body)
            assert not leaks(fields(c)), (provider, offset)


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_transport_error_cut_is_masked(form: str) -> None:
    for offset in range(270, 320, 3):

        def handler(request: httpx.Request, o: int = offset) -> httpx.Response:
            raise httpx.ConnectError("e" * o + form + " tail")

        policy = payerr.RetryPolicy(attempts=1, budget=False)
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy
        )
        with httpx.Client(transport=transport) as client, pytest.raises(payerr.PaymentError) as e:
            client.post("https://api.paykka.test/v1/payments", json={})
        assert not leaks(str(e.value)), offset
        assert not leaks(repr(e.value)), offset
        assert not leaks(fields(e.value.classification)), offset


def test_masking_a_megabyte_of_digits_stays_bounded() -> None:
    """A message of a million digits is cut at 1,000 characters; only that window is read."""
    body = {"rsp_code": "FAIL", "rsp_msg": "4" * 1_000_000}
    c = payerr.classify_http("ottpay", 200, body)
    assert c.detail is not None
    assert len(c.detail) <= 1_003


@pytest.mark.parametrize("separator", [" ", "-", ".", "_", "/"])
def test_a_card_number_grouped_by_any_separator_is_masked(separator: str) -> None:
    """Grouped as printed (4-4-4-4), by a space, "-", ".", "_" or "/": in a message, and in
    a URL path the error names (``request_url``)."""
    grouped = separator.join(["4111", "1111", "1111", "1111"])
    body = {"rsp_code": "FAIL", "rsp_msg": f"card {grouped} refused"}
    assert not leaks(fields(payerr.classify_http("ottpay", 200, body)).replace(separator, ""))

    def handler(request: httpx.Request) -> httpx.Response:
        failure = {"status": "FAILURE", "error_code": "5004", "error_description": "x"}
        return httpx.Response(200, json={"ret_code": "000000", "data": failure})

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(handler))
    path = f"/v1/cards/{grouped}/pay" if separator != "/" else f"/v1/cards/{grouped}"
    with httpx.Client(transport=transport) as client, pytest.raises(payerr.PaymentError) as e:
        client.post("https://api.paykka.test" + path, json={})
    shown = f"{e.value.request_url} {e.value} {e.value!r}"
    assert not leaks(shown.replace(separator, "")), shown


def test_numbers_that_are_not_card_numbers_stay() -> None:
    """An IP address, a date, a version: groups shorter than a card's four digits."""
    for text in ("from 192.168.100.200", "on 2026.12.07", "v1.2.3", "id 12_34_56"):
        body = {"rsp_code": "FAIL", "rsp_msg": text}
        assert payerr.classify_http("ottpay", 200, body).detail == text


def test_a_card_number_in_full_width_digits_is_masked() -> None:
    """CJK text and input methods write digits full width (U+FF10 to U+FF19)."""
    full = "".join(chr(0xFF10 + int(d)) for d in PAN)
    body = {"rsp_code": "FAIL", "rsp_msg": f"card {full} refused"}
    c = payerr.classify_http("ottpay", 200, body)
    assert c.detail is not None
    assert "411111******1111" in c.detail
    assert not leaks(fields(c))
