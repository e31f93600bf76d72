"""PCI-safe redaction for log events: a structlog processor that never raises.

Card numbers (13-19 digits passing the Luhn check, also written with spaces or dashes) are
masked to their first six and last four digits wherever they appear: strings, bytes, integers,
nested dicts and lists, JSON inside strings, ``key=value`` text and exception text. CVV/CVC,
PIN and secret values (authorization headers, signatures, cookies, tokens, API keys, passwords)
are replaced by ``[REDACTED]`` by key. Amounts, currencies, order ids and payment codes pass
untouched.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["REDACTED", "RedactSensitive", "mask_pan", "redact_text"]

REDACTED = "[REDACTED]"

# Keys whose values are secret whatever they hold. Compared after lower-casing and dropping
# everything but letters and digits ("X-PayKKa-Sign" -> "xpaykkasign").
SECRET_KEY_PARTS = (
    "cvv", "cvc", "securitycode", "password", "passwd", "passphrase", "secret", "token",
    "apikey", "accesskey", "privatekey", "signature", "authorization", "cookie", "credential",
)  # fmt: skip
SECRET_KEY_SUFFIXES = ("pin", "pinblock", "sign", "cid", "csc", "auth", "sessionid")
SECRET_KEYS = frozenset({"pin", "pincode", "sign", "xpaykkasign", "csc", "cid", "cvd", "session"})

# A run of 13-19 digits, single spaces or dashes allowed between them, not inside a longer run.
_PAN = re.compile(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])")
_KEYWORDS = (
    r"cvv2?|cvc2?|cvd|csc|pin|pin_?code|password|passwd|secret|client_secret|api_?key|"
    r"access_?token|refresh_?token|token|authorization|signature|sign|x-paykka-sign|cookie"
)
# key=value, key: value, "key": "value" in free text (exception messages, query strings, JSON text)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b(?:{_KEYWORDS})\b["']?\s*[=:]\s*)
    (?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|(?:Bearer|Basic)\s+\S+|[^\s&,;"'}}\]]+)
    """
)
# Cheap tests first (these run on every string of every event): a card number needs 13 digits,
# and a key=value secret needs "=" or ":" and a keyword (searched in lower case: (?i) is slow).
# In bytes: every ASCII digit becomes "0", everything else "x", spaces and dashes vanish. A card
# number then shows as thirteen "0"s in a row: a C-speed substring test, and a superset of
# what _PAN can match (so it never misses one).
_DIGIT_MAP = bytes(ord("0") if chr(i).isdigit() else ord("x") for i in range(256))
_THIRTEEN = b"0" * 13
_KEYWORD = re.compile(r"cvv|cvc|cvd|csc|pin|pass|secret|api.?key|token|authori|sign|cookie")


def _may_hold_pan(text: str) -> bool:
    return _THIRTEEN in text.encode("utf-8", "replace").translate(_DIGIT_MAP, b" -")


def _may_hold_key_value(text: str) -> bool:
    return ("=" in text or ":" in text) and _KEYWORD.search(text.lower()) is not None


def _suspect(text: str) -> bool:
    """Whether ``text`` could hold a card number or a key=value secret (false positives ok)."""
    return _may_hold_pan(text) or _may_hold_key_value(text)


_JSON_STARTS = ("{", "[")
_SAFE_SCALARS = (bool, float, Decimal, date, datetime, time, timedelta, Enum, type(None))
_MAX_DEPTH = 24


def luhn_ok(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812) over a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if index % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask_pan(digits: str) -> str:
    """First six, stars, last four: ``4111111111111111`` -> ``411111******1111``."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = text.replace(" ", "").replace("-", "")
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return mask_pan(digits)
    return text


def redact_text(text: str, extra: Iterable[re.Pattern[str]] = (), mask: str = REDACTED) -> str:
    """Mask card numbers and ``key=value`` secrets in free text, and anything ``extra`` matches."""
    result = text
    if _may_hold_pan(result):
        result = _PAN.sub(_mask_match, result)
    if _may_hold_key_value(result):
        result = _KEY_VALUE.sub(lambda m: m.group("key") + mask, result)
    for pattern in extra:
        result = pattern.sub(mask, result)
    return result


class RedactSensitive:
    """A structlog processor that masks card numbers and removes secrets; it never raises.

    Put it after ``format_exc_info`` / ``dict_tracebacks`` and before the renderer. An event
    that still carries ``exc_info`` gets its exception formatted here, redacted, so no
    unredacted traceback reaches the renderer.

    Args:
        keys: extra keys whose values are always removed (compared case- and
            punctuation-insensitively, like the built-in ones).
        patterns: extra regular expressions; every match in a string is replaced.
        mask: what a removed value becomes (default ``[REDACTED]``).
    """

    def __init__(
        self,
        *,
        keys: Iterable[str] = (),
        patterns: Iterable[str | re.Pattern[str]] = (),
        mask: str = REDACTED,
    ) -> None:
        self._extra_keys = frozenset(_normalise_key(k) for k in keys)
        self._patterns = tuple(re.compile(p) if isinstance(p, str) else p for p in patterns)
        self._mask = mask
        self._key_cache: dict[str, bool] = {}

    def __call__(self, logger: object, method_name: str, event_dict: Any) -> Any:
        try:
            if not isinstance(event_dict, dict):
                return self._value(event_dict, 0, set())
            if event_dict.get("exc_info"):
                _format_exception(event_dict)
            # The hot path, flat on purpose: most values are short innocent strings and small
            # numbers, settled by one cached key check and one C-level regex scan.
            keys, mask = self._key_cache, self._mask
            changes: list[tuple[Any, Any]] = []
            strings: list[tuple[Any, str]] = []
            for key, value in event_dict.items():
                if value is None or value == "":
                    continue
                secret = keys.get(key) if isinstance(key, str) else False
                if secret is None:
                    secret = self.is_secret_key(key)
                if secret:
                    changes.append((key, mask))
                    continue
                kind = type(value)
                if kind is str:
                    strings.append((key, value))
                    continue
                if kind is bool or kind is float or (kind is int and -(10**12) < value < 10**12):
                    continue
                redacted = self._value(value, 0, set())
                if redacted is not value:
                    changes.append((key, redacted))
            if strings:
                # One scan over all top-level strings; only a suspicious event pays per value.
                joined = "\n" + "\n".join([value for _, value in strings])
                if self._patterns or "\n{" in joined or "\n[" in joined or _suspect(joined):
                    for key, value in strings:
                        redacted = self._value(value, 0, set())
                        if redacted != value:
                            changes.append((key, redacted))
            for key, redacted in changes:
                event_dict[key] = redacted
            return event_dict
        except Exception:  # a logging processor must never lose the line
            event = event_dict.get("event") if isinstance(event_dict, dict) else None
            return {
                "event": redact_text(event) if isinstance(event, str) else self._mask,
                "payerr.redaction_error": "the rest of the event could not be redacted",
            }

    # -- keys ---------------------------------------------------------------------------------

    def is_secret_key(self, key: object) -> bool:
        """Whether values under ``key`` are removed."""
        if not isinstance(key, str):
            return False
        cached = self._key_cache.get(key)
        if cached is None:
            norm = _normalise_key(key)
            cached = (
                norm in SECRET_KEYS
                or norm in self._extra_keys
                or any(part in norm for part in SECRET_KEY_PARTS)
                or norm.endswith(SECRET_KEY_SUFFIXES)
            )
            if len(self._key_cache) < 10_000:
                self._key_cache[key] = cached
        return cached

    # -- values -------------------------------------------------------------------------------

    def _item(self, key: object, value: Any, depth: int, seen: set[int]) -> Any:
        if value is not None and value != "" and self.is_secret_key(key):
            return self._mask
        return self._value(value, depth, seen)

    def _value(self, value: Any, depth: int, seen: set[int]) -> Any:
        try:
            return self._redact(value, depth, seen)
        except Exception:  # e.g. a __repr__ that raises: drop it, keep the line
            return f"<unredactable {type(value).__name__}>"

    def _redact(self, value: Any, depth: int, seen: set[int]) -> Any:
        if isinstance(value, str):
            return self._text(value, depth, seen)
        if isinstance(value, int) and not isinstance(value, bool):
            if value >= 10**12 or value <= -(10**12):
                masked = redact_text(str(value))
                return value if masked == str(value) else masked
            return value
        if isinstance(value, _SAFE_SCALARS):
            return value
        if depth >= _MAX_DEPTH:
            return "<too deep to redact>"
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            text = raw.decode("latin-1")  # 1:1, so unchanged bytes round-trip exactly
            redacted = self._text(text, depth, seen)
            return raw if redacted == text else redacted.encode("latin-1", "replace")
        marker = id(value)
        if marker in seen:
            return "<cycle>"
        if isinstance(value, Mapping):
            seen.add(marker)
            try:
                return {k: self._item(k, v, depth + 1, seen) for k, v in value.items()}
            finally:
                seen.discard(marker)
        if isinstance(value, list | tuple | set | frozenset):
            seen.add(marker)
            try:
                items = [self._value(v, depth + 1, seen) for v in value]
            finally:
                seen.discard(marker)
            # Plain tuples stay tuples; sets and named tuples become lists (renderers take lists).
            return tuple(items) if type(value) is tuple else items
        # Anything else (exceptions included) is rendered by its repr later: redact that repr
        # now if it needs it, else leave the object for the renderer.
        text = repr(value)
        redacted = self._text(text, depth, seen)
        return value if redacted == text else redacted

    def _text(self, text: str, depth: int, seen: set[int]) -> str:
        if text[:1] in ("{", "[") and depth < _MAX_DEPTH:  # JSON inside a string
            try:
                parsed: Any = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None  # not JSON after all: treat it as text
            if isinstance(parsed, dict | list):
                redacted = self._redact(parsed, depth + 1, seen)
                if redacted != parsed:
                    return json.dumps(redacted, ensure_ascii=False, default=str)
        return redact_text(text, self._patterns, self._mask)


def _normalise_key(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalnum())


def _exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def _format_exception(event_dict: dict[str, Any]) -> None:
    """Replace ``exc_info`` by the formatted traceback, as structlog's format_exc_info does.

    An ``exc_info`` that is not an exception (or ``True`` outside an ``except``) is dropped.
    """
    exc_info = event_dict.pop("exc_info")
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        exc_info = exc_info[1]
    elif exc_info is True:
        exc_info = sys.exc_info()[1]
    if isinstance(exc_info, BaseException):
        try:
            event_dict.setdefault("exception", _exception_text(exc_info))
        except Exception:  # a broken __str__ on the exception: name it and move on
            event_dict.setdefault("exception", f"<unformattable {type(exc_info).__name__}>")
