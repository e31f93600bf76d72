"""Hypothesis strategies for what providers might send."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

CODE_FIELDS = (
    "resultCode", "resultStatus", "paymentResultCode", "paymentStatus", "notifyType", "code",
    "errorCode", "rsp_code", "respcode", "ret_code", "error_code", "status", "data", "result",
    "paymentResult",
)  # fmt: skip

KNOWN_VALUES = (
    "S", "F", "U", "SUCCESS", "FAIL", "PROCESSING", "PENDING", "CANCELLED", "UNKNOWN",
    "PAYMENT_IN_PROCESS", "PAYMENT_PENDING", "FRAUD_REJECT", "000000", "0000", "5004",
    "FAILURE", "SDK_PAYMENT_FAIL", "10005",
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
