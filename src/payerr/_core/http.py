"""Pure HTTP helpers: reading bodies that may be anything, ``Retry-After``, status fallbacks."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from payerr._core.taxonomy import Category, Outcome

__all__ = [
    "MAX_BODY_BYTES",
    "parse_json_object",
    "parse_retry_after",
    "read_retry_after",
    "status_fallback",
]

_DECIMAL = re.compile(r"[0-9]{1,12}\.[0-9]{1,6}")
MAX_BODY_BYTES = 1 << 20
"""Bodies above 1 MiB are not parsed: no payment answer is that big, and a huge one is garbage."""


def parse_json_object(body: bytes, limit: int = MAX_BODY_BYTES) -> dict[str, Any] | None:
    """The body as a JSON object, or None for anything else. Never raises.

    None covers empty, oversized, non-JSON, invalid UTF-8, duplicate names in an object,
    deeply nested (``json`` raises ``RecursionError``) and JSON that is not an object.
    """
    if not body or len(body) > limit:
        return None
    try:
        if body[:1] == b"{":
            # An object from its first byte (nearly every answer): the C scanner directly,
            # without JSONDecoder.decode's two Python frames around it.
            text = body.decode("utf-8", "surrogatepass")
            value, end = _SCAN(text, 0)
            if end != len(text) and text[end:].strip(" \t\n\r"):
                return None  # something after the object (JSON's white space aside)
        else:
            # json.loads(body, object_pairs_hook=...) builds a decoder per call; one is enough.
            text = body.decode(json.detect_encoding(body), "surrogatepass")
            value = _DECODER.decode(text)
    except (ValueError, RecursionError, StopIteration):
        # ValueError covers JSONDecodeError and UnicodeDecodeError; StopIteration is the
        # scanner's "no value here".
        return None
    return value if isinstance(value, dict) else None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose names are unique. A name given twice ("paymentStatus": "FAIL",
    "paymentStatus": "SUCCESS") is read differently by different parsers (RFC 8259 section 4):
    the body is garbled, never a result."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate names in a JSON object")
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique)
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
"""The decoder's scanner (C): the value at an index and where it ends; StopIteration when no
value starts there. Undocumented in typeshed, public in json.decoder since Python 2.6."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110).

    Returns None for a missing or unreadable value; a date in the past gives 0. A date is
    measured from ``now`` (POSIX time; the wall clock when omitted).
    """
    seconds, at = read_retry_after(value)
    if at is None:
        return seconds
    return max(0.0, at - (time.time() if now is None else now))


def read_retry_after(value: str | None) -> tuple[float | None, float | None]:
    """``Retry-After`` as ``(seconds, None)``, ``(None, POSIX time)`` for a date, or neither.

    Pure: a date is returned as the moment it names; the caller measures it with its clock.
    """
    if not value or not value.isascii():  # RFC 9110 values are ASCII; "²".isdigit() is True
        return None, None
    value = value.strip()
    if value.isdigit():
        return float(int(value[:12])), None
    if _DECIMAL.fullmatch(value):
        # Not RFC form (delay-seconds is 1*DIGIT), but some gateways send "1.5". Exponents,
        # signs, NaN and infinity are not taken.
        return float(value[:20]), None
    try:
        import email.utils  # noqa: PLC0415 -- an HTTP-date: rare, and email is slow to load

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; treat a naive one as UTC
        return None, None
    try:
        return None, when.timestamp()
    except (OverflowError, ValueError, OSError):
        return None, None


# HTTP statuses whose meaning is independent of the provider
# (Architecture#where-each-provider-fact-lives: RFC 9110
# and RFC 6585, read the same for every provider).
_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
_FINAL = frozenset({409, 410})


def status_fallback(status: int) -> tuple[Outcome, Category | None, str]:
    """What an HTTP status alone says, for answers with no usable code.

    2xx with nothing readable is *pending* (the request may have executed: outcome unknown),
    never success; a 3xx is *pending* too (the answer is elsewhere: a 303 after a POST that
    executed points at its result); 429/5xx are retryable; 409/410 final; 401/403 and other
    4xx are merchant-config.
    """
    name = _reason(status)
    if 200 <= status < 300:
        return (
            Outcome.PENDING,
            None,
            f"HTTP {status} {name} without a readable result: outcome unknown",
        )
    if 300 <= status < 400:
        return (
            Outcome.PENDING,
            None,
            f"HTTP {status} {name}: a redirect, the answer is at its location: outcome unknown",
        )
    if status in _RETRYABLE or (500 <= status < 600 and status not in (501, 505)):
        return Outcome.FAILED, Category.RETRYABLE, f"HTTP {status} {name}"
    if status in _FINAL:
        return Outcome.FAILED, Category.FINAL, f"HTTP {status} {name}"
    if 300 <= status < 600:
        return Outcome.FAILED, Category.MERCHANT_CONFIG, f"HTTP {status} {name}"
    return Outcome.PENDING, None, f"HTTP status {status} is not a valid status: outcome unknown"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "(unregistered status)"
