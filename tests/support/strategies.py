"""Hypothesis strategies for what providers might send."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

CODE_FIELDS = (
    "resultCode", "resultStatus", "paymentResultCode", "paymentStatus", "notifyType", "code",
    "errorCode", "rsp_code", "respcode", "ret_code", "error_code", "status", "data", "result",
    "paymentResult", "refundStatus", "rspCode", "order_status",
)  # fmt: skip

KNOWN_VALUES = (
    "S", "F", "U", "SUCCESS", "FAIL", "PROCESSING", "PENDING", "CANCELLED", "UNKNOWN",
    "PAYMENT_IN_PROCESS", "PAYMENT_PENDING", "FRAUD_REJECT", "000000", "0000", "5004",
    "FAILURE", "SDK_PAYMENT_FAIL", "10005", "ERROR", "success", "orderclosed", "ORDERCLOSE",
    10003, 50002,
)  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(KNOWN_VALUES),
)


def json_values() -> st.SearchStrategy[Any]:
    """Nested JSON-like values whose keys are often the fields adapters read."""
    keys = st.one_of(st.sampled_from(CODE_FIELDS), st.text(max_size=8))
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(keys, children, max_size=6),
        ),
        max_leaves=25,
    )


def bodies() -> st.SearchStrategy[bytes]:
    """Bodies: JSON objects shaped like envelopes, other JSON, truncated JSON, raw bytes."""
    envelope = st.dictionaries(st.sampled_from(CODE_FIELDS), json_values(), max_size=6)
    as_json = st.one_of(envelope, json_values()).map(
        lambda v: json.dumps(v, allow_nan=True).encode()
    )
    truncated = st.tuples(as_json, st.integers(min_value=0, max_value=200)).map(
        lambda t: t[0][: t[1]]
    )
    return st.one_of(as_json, truncated, st.binary(max_size=300))


statuses = st.one_of(st.integers(min_value=100, max_value=599), st.integers())


def _luhn_check_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        d = int(char)
        if index % 2 == 0:  # these digits are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """Luhn-valid primary account numbers, 13 to 19 digits."""
    length = draw(st.integers(min_value=13, max_value=19))
    first = draw(st.sampled_from("23456"))
    body = draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    partial = first + body
    return partial + _luhn_check_digit(partial)


@st.composite
def written_card_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written): plain, or grouped by fours with spaces or dashes."""
    digits = draw(card_numbers())
    style = draw(st.sampled_from(["plain", "spaces", "dashes"]))
    if style == "plain":
        return digits, digits
    sep = " " if style == "spaces" else "-"
    return digits, sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def hide(secret: str) -> st.SearchStrategy[Any]:
    """``secret`` placed somewhere in a random nested structure, in a random form."""
    words = st.text(alphabet="abcdefghij ,.:;()", max_size=12)
    forms = st.one_of(
        st.just(secret),
        st.tuples(words, words).map(lambda t: f"{t[0]} {secret} {t[1]}"),
        st.just(secret.encode()),
        st.just(json.dumps({"card": {"number": secret}})),
        st.just(f"ValueError: card {secret} rejected"),
    )
    return st.recursive(
        forms,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["data", "card", "x", "items"]), inner).map(
                lambda t: {t[0]: t[1]}
            ),
            st.tuples(inner, scalars).map(list),
            st.tuples(inner, st.integers()).map(tuple),
        ),
        max_leaves=6,
    )
