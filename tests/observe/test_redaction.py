"""RedactSensitive: card numbers and secrets never survive; innocent data does; it never raises."""

from __future__ import annotations

import copy
import json
import re
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.processors import dict_tracebacks
from structlog.testing import capture_logs

import payerr
from payerr import RedactSensitive
from payerr._core.cards import luhn_ok, mask_pan, safe_url
from payerr._observe.redaction import REDACTED
from tests.support.answers import paykka_failure
from tests.support.clients import policy
from tests.support.clock import FakeTime
from tests.support.loopback import Script, serve
from tests.support.scripted import Scripted
from tests.support.strategies import card_numbers, hide, written_card_numbers

redact = RedactSensitive()


def render(event: Any) -> str:
    return json.dumps(redact(None, "info", event), default=repr, ensure_ascii=False)


def test_known_test_cards_are_masked_to_first_six_last_four() -> None:
    for pan in ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
                "3530111333300000", "6200000000000005", "4222222222222"):  # fmt: skip
        assert luhn_ok(pan)
        out = redact(None, "info", {"event": f"card {pan}"})["event"]
        assert out == f"card {mask_pan(pan)}"
        assert out.startswith(f"card {pan[:6]}")
        assert out.endswith(pan[-4:])


@settings(max_examples=300, deadline=None)
@given(card=written_card_numbers(), data=st.data())
def test_generated_card_numbers_never_survive(card: tuple[str, str], data: st.DataObject) -> None:
    """Any Luhn-valid PAN, plain or grouped, anywhere in any nesting, in any form, is masked."""
    digits, written = card
    event = {"event": "payment", "payload": data.draw(hide(written))}
    out = render(event)
    assert digits not in out
    assert written not in out
    assert digits not in re.sub(r"[ \-]", "", out.replace("\\", ""))


@settings(max_examples=100, deadline=None)
@given(digits=card_numbers())
def test_card_numbers_as_integers_are_masked(digits: str) -> None:
    out = redact(None, "info", {"event": "x", "pan": int(digits)})
    assert out["pan"] == mask_pan(digits)


def test_bytes_keep_their_type_when_nothing_changes() -> None:
    raw = b'{"amount": 1000, "currency": "EUR"}'
    assert redact(None, "info", {"event": "x", "body": raw})["body"] is raw
    masked = redact(None, "info", {"event": "x", "body": b"pan=4111111111111111"})["body"]
    assert masked == b"pan=411111******1111"


@pytest.mark.parametrize(
    "key",
    ["cvv", "CVV2", "cvc", "card_cvc", "securityCode", "cardSecurityCode", "pin", "card_pin",
     "pinBlock", "Authorization", "authorization", "Proxy-Authorization", "signature", "sign",
     "X-PayKKa-Sign", "Cookie", "Set-Cookie", "access_token", "refresh_token", "token",
     "card_token", "api_key", "apiKey", "X-Api-Key", "password", "client_secret", "private_key"],
)  # fmt: skip
def test_secret_keys_are_removed(key: str) -> None:
    out = redact(None, "info", {"event": "x", "nested": [{key: "s3cr3t-value"}], key: 12345})
    assert out[key] == REDACTED
    assert out["nested"][0][key] == REDACTED
    assert "s3cr3t" not in json.dumps(out)


INNOCENT = {
    "event": "payment failed",
    "amount": 1000,
    "value": "1000.50",
    "currency": "EUR",
    "order_id": "ORD-20261122-0001",
    "merchant_order_no": "pay_20261122_000123",
    "paymentId": "202611221940108001001880C0200000001",
    "payment.code": "5004",
    "payment.provider": "paykka",
    "payment.category": "user-action",
    "resultCode": "USER_BALANCE_NOT_ENOUGH",
    "alipay_code": 10005,
    "http.status_code": 503,
    "created": "2026-11-22T03:00:05-08:00",
    "shipping": {"city": "Toronto", "postal_code": "M5V 2T6"},
    "expiry": "12/29",
    "last4": "1111",
    "phone": "+1 416 555 0100",
    "ratio": 0.25,
    "ok": True,
    "nothing": None,
}


def test_innocent_data_passes_untouched() -> None:
    assert redact(None, "info", dict(INNOCENT)) == INNOCENT


def test_a_13_to_19_digit_number_that_fails_luhn_is_left_alone() -> None:
    assert (
        redact(None, "info", {"event": "ref 4111111111111112"})["event"] == "ref 4111111111111112"
    )


def test_secret_values_in_free_text_and_json_text() -> None:
    out = redact(None, "info", {
        "event": "declined: cvv=123&password=hunter2, Authorization: Bearer abc.def.ghi",
        "body": '{"card": {"number": "5555555555554444", "cvc": "999"}, "amount": 100}',
    })  # fmt: skip
    assert "123" not in out["event"]
    assert "hunter2" not in out["event"]
    assert "abc.def.ghi" not in out["event"]
    body = json.loads(out["body"])
    assert body == {"card": {"number": "555555******4444", "cvc": REDACTED}, "amount": 100}


def test_exception_text_is_redacted_and_exc_info_consumed() -> None:
    try:
        raise ValueError("card 4111-1111-1111-1111 rejected, cvv=321")
    except ValueError:
        out = redact(None, "error", {"event": "boom", "exc_info": True})
    assert "exc_info" not in out
    assert "ValueError" in out["exception"]
    assert "4111-1111-1111-1111" not in out["exception"]
    assert "411111******1111" in out["exception"]
    assert "321" not in out["exception"]
    error_value = redact(None, "error", {"event": "x", "error": ValueError("pan 4111111111111111")})
    assert error_value["error"] == "ValueError('pan 411111******1111')"
    harmless = ValueError("nothing to hide")
    assert redact(None, "error", {"event": "x", "error": harmless})["error"] is harmless


def test_extra_keys_and_patterns() -> None:
    custom = RedactSensitive(keys=["iban", "Tax-ID"], patterns=[r"\bACCT-\d+\b"], mask="***")
    out = custom(None, "info", {"event": "moved ACCT-998877 to x", "IBAN": "DE89370400440532013000",
                                "tax_id": "123", "cvv": "1"})  # fmt: skip
    assert out == {"event": "moved *** to x", "IBAN": "***", "tax_id": "***", "cvv": "***"}


# -- never raises, never loses the line -----------------------------------------------------


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")

    __str__ = __repr__


class LeakyRepr:
    def __repr__(self) -> str:
        return "LeakyRepr(pan=4111111111111111)"


def test_hostile_and_odd_values_never_raise() -> None:
    cyclic: dict[str, Any] = {"a": 1}
    cyclic["self"] = cyclic
    looped: list[Any] = [1]
    looped.append(looped)
    deep: Any = "4111111111111111"
    for _ in range(5000):
        deep = [deep]
    event = {
        "event": "odd",
        "hostile": Hostile(),
        "leaky": LeakyRepr(),
        "cyclic": cyclic,
        "looped": looped,
        "deep": deep,
        "huge": "x" * 2_000_000 + " 4111111111111111",
        "bad_bytes": b"\xff\xfe 4111111111111111",
        7: "non-string key",
        ("tuple", "key"): "value",
        "exc_info": ("not", "an", "exc_info"),
    }
    out = redact(None, "info", event)
    assert out["event"] == "odd"
    assert out["hostile"] == "<unredactable Hostile>"
    assert out["leaky"] == "LeakyRepr(pan=411111******1111)"
    assert "4111111111111111" not in repr(out)
    assert out["huge"].endswith("411111******1111")
    assert out[7] == "non-string key"


@pytest.mark.parametrize("event", [None, "a string event", 42, ["list"], {"event": None}])
def test_non_dict_events_pass_through(event: Any) -> None:
    """An event that is not a dict (another processor's output) comes back as it was."""
    before = copy.deepcopy(event)
    assert redact(None, "info", event) == before


def test_exc_info_true_outside_an_exception() -> None:
    assert sys.exc_info() == (None, None, None)
    out = redact(None, "info", {"event": "x", "exc_info": True})
    assert out == {"event": "x"}


# -- card numbers next to other digit groups ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111111111111111 737", "card 411111******1111 737"),
        ("5555 5555 5555 4444 12/26", "555555******4444 12/26"),
        ("qty 2 4012888888881881", "qty 2 401288******1881"),
        ("4111-1111-1111-1111-737 declined", "411111******1111-737 declined"),
        ("amex 3782 822463 10005 1234", "amex 378282*****0005 1234"),
        ("qty 1000 4012 8888 8888 1881", "qty 1000 401288******1881"),
        ("maestro 501800000009 exp 12/26", "maestro 501800**0009 exp 12/26"),  # 12 digits
        ("pans 4111111111111111 5555555555554444", "pans 411111******1111 555555******4444"),
    ],
)
def test_a_card_number_next_to_a_cvv_expiry_or_quantity_is_still_masked(
    text: str, expected: str
) -> None:
    """A CVV, an expiry, a quantity or another card written next to a card number (as logs of
    checkout forms do) never lets the card number through; the neighbours stay readable."""
    assert redact(None, "info", {"event": text})["event"] == expected
    try:
        raise ValueError(text)
    except ValueError:
        out = redact(None, "error", {"event": "x", "exc_info": True})
    assert out["exception"].endswith(f"ValueError: {expected}")


@st.composite
def pans(draw: st.DrawFn) -> str:
    """Luhn-valid card numbers of 12 to 19 digits (no card number starts with 0)."""
    length = draw(st.integers(min_value=12, max_value=19))
    first = draw(st.sampled_from("123456789"))
    body = first + draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@st.composite
def pans_among_neighbours(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, text): a card number, plain or grouped as printed, with digit groups (CVVs,
    quantities, amounts, expiries) before and after it, joined by single spaces or dashes."""
    digits = draw(pans())
    sep = draw(st.sampled_from([" ", "-"]))
    if draw(st.booleans()):
        written = digits
    elif len(digits) == 15 and draw(st.booleans()):  # 4-6-5, as American Express prints it
        written = sep.join((digits[:4], digits[4:10], digits[10:]))
    else:
        written = sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    group = st.text(alphabet="0123456789", min_size=1, max_size=6)
    before = draw(st.lists(group, max_size=3))
    after = draw(st.lists(st.one_of(group, st.just("12/26")), max_size=3))
    return digits, sep.join([*before, written, *after])


@settings(max_examples=400, deadline=None)
@given(card=pans_among_neighbours())
def test_generated_card_numbers_among_neighbouring_groups_never_survive(
    card: tuple[str, str],
) -> None:
    """Whatever digit groups surround a card number, its digits never appear in the output,
    and at least as many digits are starred as its own first-six-last-four mask hides."""
    digits, text = card
    out = redact(None, "info", {"event": f"paid {text} ok"})["event"]
    assert digits not in re.sub(r"[ \-]", "", out)
    assert out.count("*") >= len(digits) - 10


@settings(max_examples=100, deadline=None)
@given(digits=pans())
def test_card_numbers_of_12_to_19_digits_are_masked_as_text_and_as_integers(digits: str) -> None:
    """Card numbers as short as twelve digits (some Maestro cards) are masked too."""
    out = redact(None, "info", {"event": f"pan {digits}", "pan": int(digits)})
    assert out["event"] == f"pan {mask_pan(digits)}"
    assert out["pan"] == mask_pan(digits)


def test_overlapping_readings_show_no_more_than_six_and_four_of_either() -> None:
    """When a neighbour makes a second reading Luhn-valid too ("1006 4012 8888" and
    "4012 8888 8888 1881" are both card numbers), every digit either reading hides is hidden."""
    assert luhn_ok("100640128888")
    assert luhn_ok("4012888888881881")
    out = redact(None, "info", {"event": "qty 1006 4012 8888 8888 1881"})["event"]
    assert out == "qty 1006 40** **** **** 1881"


NOT_CARD_NUMBERS = [
    "amount 1000",
    "order 20261122000123",
    "paymentRequestId 2024112212345678901234",  # 22 digits: never part of a longer number
    "paymentRequestId 4111111111111111000000",  # Luhn-valid 16-digit windows: still one id
    "ret_code 000000",
    "ret_code 0000000000000",  # zero-padded and Luhn-valid: no card number starts with 0
    "error_code 5004",
    "2026-11-23T01:00:00",
    "created 2026-11-23 01:00:00 amount 1000",
    "ORD-20261122-0001",
    "order 20261122000123 1000 2",  # an id and an amount next to it
    "+86 138 0013 8000",
    "+86 138 0013 8002",  # its digits pass Luhn: still a phone number
    "tel 86 138 0013 8002",
    "+1 416 555 0100",
]


@pytest.mark.parametrize("text", NOT_CARD_NUMBERS)
def test_amounts_ids_codes_dates_and_phone_numbers_pass_untouched(text: str) -> None:
    """Logs stay useful: the numbers support staff search for are never masked."""
    out = redact(None, "info", {"event": text, "message": f"failed: {text}", "body": text.encode()})
    assert out == {"event": text, "message": f"failed: {text}", "body": text.encode()}


# -- header secrets in exception text -------------------------------------------------------------


def _raise_through_httpx(headers: dict[str, str]) -> httpx.HTTPError:
    """The exception httpx raises for ``headers`` against a real loopback server."""
    with serve(Script(answers=[(200, {}, {})])) as base, httpx.Client() as client:
        try:
            client.post(f"{base}/v1/payments", json={}, headers=headers)
        except httpx.HTTPError as exc:
            return exc
    raise AssertionError("httpx sent an illegal header")


def test_httpx_illegal_header_value_is_masked_in_tracebacks_and_messages() -> None:
    """A token read with its trailing newline makes httpx (h11) raise "Illegal header value
    b'Bearer ...\\n'": the log keeps why (the newline), never the token."""
    exc = _raise_through_httpx({"Authorization": "Bearer sk_live_s3cr3t\n"})
    assert "sk_live_s3cr3t" in str(exc)  # what would have been logged
    out = redact(None, "error", {"event": "charge failed", "exc_info": exc, "error": exc,
                                 "message": str(exc)})  # fmt: skip
    assert "sk_live_s3cr3t" not in json.dumps(out, default=repr)
    assert out["exception"].endswith(
        "httpx.LocalProtocolError: Illegal header value b'[REDACTED]\\n'"
    )
    assert out["message"] == "Illegal header value b'[REDACTED]\\n'"
    assert out["error"] == "LocalProtocolError(\"Illegal header value b'[REDACTED]\\\\n'\")"


def test_payerr_error_for_an_illegal_header_logs_no_secret() -> None:
    """The same mistake through payerr's transport: the PaymentError it raises quotes httpx's
    message, and its logged traceback (both chained exceptions) carries no token."""
    bearer = {"Authorization": "Bearer sk_live_s3cr3t\n"}
    with (
        serve(Script(answers=[(200, {}, {})])) as base,
        httpx.Client(transport=payerr.PaymentTransport("paykka")) as client,
        pytest.raises(payerr.PaymentError) as caught,
    ):
        client.post(f"{base}/v1/payments", json={}, headers=bearer)
    out = redact(None, "error", {"event": "charge failed", "exc_info": caught.value})
    assert "sk_live_s3cr3t" not in out["exception"]
    assert "Illegal header value b'[REDACTED]\\n'" in out["exception"]


def test_header_secrets_in_structlog_dict_tracebacks_are_masked() -> None:
    """With structlog's dict_tracebacks (frame locals included) before RedactSensitive, the
    headers dict httpx kept in its locals loses its secrets too."""
    exc = _raise_through_httpx({"Authorization": "Bearer sk_live_s3cr3t\n", "Cookie": "sid=c00k"})
    event = dict_tracebacks(None, "error", {"event": "charge failed", "exc_info": exc})
    assert "sk_live_s3cr3t" in json.dumps(event)  # structlog keeps what the frames held
    out = json.dumps(redact(None, "error", event), default=repr)
    assert "sk_live_s3cr3t" not in out
    assert "c00k" not in out


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("Illegal header value b'Bearer s3cr3t\\r\\n'", "s3cr3t"),
        ('Illegal header value b"it\'s s3cr3t\\n"', "s3cr3t"),
        ("Authorization: Token s3cr3t extra-s3cr3t", "s3cr3t"),
        ('Authorization: Digest username="u", response="s3cr3t"', "s3cr3t"),
        ("X-Api-Key: s3cr3t", "s3cr3t"),
        ("Cookie: sid=s3cr3t; csrftoken=s3cr3t", "s3cr3t"),
        ("headers: [(b'authorization', b'Bearer s3cr3t\\n'), (b'x-api-key', b's3cr3t')]", "s3cr3t"),
        ("headers {'Proxy-Authorization': b'Basic s3cr3t'}", "s3cr3t"),
        ("headers {'authorization': 'Bearer s3cr3t...", "s3cr3t"),  # a truncated repr
    ],
)
def test_header_like_secrets_in_exception_text_are_masked(message: str, secret: str) -> None:
    """Whatever shape an exception prints a secret header in, the log never carries it."""
    try:
        raise RuntimeError(message)
    except RuntimeError:
        out = redact(None, "error", {"event": "x", "exc_info": True})
    assert secret not in out["exception"]
    assert "RuntimeError" in out["exception"]


# -- payerr's own url field ------------------------------------------------------------------


def test_payerr_url_field_never_carries_a_card_number() -> None:
    """A card number in a request path is masked in payerr's own ``url`` field, even when the
    application configured no processors at all (capture_logs runs none)."""
    url = "https://user:pw@api.example-psp.test:8443/v1/cards/4111111111111111/pay?cvv=123"
    assert (
        safe_url(httpx.URL(url))
        == "https://api.example-psp.test:8443/v1/cards/411111******1111/pay"
    )
    grouped = httpx.URL("https://api.example-psp.test/v1/cards/4111%201111%201111%201111")
    assert safe_url(grouped) == "https://api.example-psp.test/v1/cards/411111******1111"
    plain = httpx.URL("https://api.example-psp.test/v1/orders/ORD-20261122-0001/refund")
    assert safe_url(plain) == "https://api.example-psp.test/v1/orders/ORD-20261122-0001/refund"

    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(Scripted(paykka_failure("5004"))),
        policy=policy(FakeTime()),
    )
    with (
        capture_logs() as logs,
        httpx.Client(transport=transport) as client,
        pytest.raises(payerr.PaymentError),
    ):
        client.post(url, json={})
    events = [e for e in logs if e["event"].startswith("payerr.")]
    assert events
    assert events[0]["url"] == "https://api.example-psp.test:8443/v1/cards/411111******1111/pay"
    assert "4111111111111111" not in repr(events)


def test_secrets_in_header_pairs_and_bytes_keys_are_masked() -> None:
    """httpx's headers.raw and http.client's getheaders() are lists of (name, value) pairs;
    raw header dicts have bytes keys. The names stay, the secret values go."""
    event = {
        "event": "x",
        "headers": [("authorization", "Bearer s3cret"), ("accept", "json")],
        "raw": [(b"Authorization", b"Bearer s3cret")],
        "as_lists": [["X-Api-Key", "k3y"]],
        "by_bytes": {b"authorization": b"Bearer s3cret"},
    }
    out = redact(None, "info", event)
    assert "s3cret" not in repr(out)
    assert "k3y" not in repr(out)
    assert out["headers"][1] == ("accept", "json")
    assert out["headers"][0][0] == "authorization"


def test_a_secret_pairs_name_holding_a_card_number_is_masked() -> None:
    """A ``(name, value)`` pair whose name reads as a secret key keeps its name: a card
    number inside that name is masked all the same (hypothesis found ' 2000000000008 cid')."""
    out = render({"event": "x", "payload": [(" 4111111111111111 cid", 0)]})
    assert "4111111111111111" not in out
    assert "411111******1111" in out
