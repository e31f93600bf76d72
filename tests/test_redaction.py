"""RedactSensitive: card numbers and secrets never survive; innocent data does; it never raises."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payerr import RedactSensitive
from payerr.redaction import REDACTED, luhn_ok, mask_pan

from .strategies import card_numbers, hide, written_card_numbers

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
    redact(None, "info", event)  # no exception is the point


def test_exc_info_true_outside_an_exception() -> None:
    assert sys.exc_info() == (None, None, None)
    out = redact(None, "info", {"event": "x", "exc_info": True})
    assert out == {"event": "x"}
