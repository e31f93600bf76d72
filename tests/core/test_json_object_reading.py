"""Reading a body as one JSON object: the fast path (an object from its first byte, read by
the C scanner directly) answers exactly as the standard library's decoder does, duplicate
names included."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from payerr._core.http import parse_json_object


def reference(body: bytes) -> dict[str, Any] | None:
    """What RFC 8259 and the standard library say, with a name given twice refused."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate")
        return dict(pairs)

    try:
        value = json.loads(body, object_pairs_hook=unique)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)
padding = st.sampled_from(["", " ", "\n", "\t\r\n ", "\x0c", "\u00a0", "x", "{}", "\u2028", ","])


@given(json_values, padding, padding)
@example({"a": 1}, "", "\x0c")
@example({"a": 1}, "", "{}")
def test_the_fast_path_reads_as_the_decoder_does(value: Any, before: str, after: str) -> None:
    body = (before + json.dumps(value) + after).encode()
    assert parse_json_object(body) == reference(body)


@given(st.binary(max_size=40).map(lambda b: b"{" + b))
@example(b'{"a":1,"a":2}')
@example(b'{"a":{"b":1,"b":2}}')
@example(b'{"a":"\\ud800"}')
def test_any_bytes_after_a_brace_read_as_the_decoder_does(body: bytes) -> None:
    assert parse_json_object(body) == reference(body)
