"""A behaviour snapshot of payerr, through its public API only: run it before and after an
internal change (private modules moved, renamed, split) and diff the two documents.

What it records, as one deterministic JSON document (sorted keys, no timestamps, no memory
addresses, no absolute paths, no timings):

- ``codes``: every mapped code of every provider (enumerated with ``payerr export --format
  json``), looked up with ``payerr.explain`` and classified with ``classify`` (bare code,
  ``first_send`` too, and other spellings of it), ``classify_http`` (the code in each of the
  provider's wire shapes, ``payerr.testing.envelope`` included, and under other HTTP statuses)
  and ``classify_response`` (requests to each operation's path, or naming the operation in the
  ``payerr.operation`` extension), under every ``payerr.Operation``; the shopper message of the
  bare-code classifications in every locale of ``payerr.locales()``.
- ``corpus``: the answer bodies found in tests/, docs/, examples/ (copied into this file, so
  both runs read the same inputs), answers built from each provider's status words, and hostile
  bodies (empty, not JSON, truncated, names given twice, huge numbers, nested nulls, card
  numbers, control characters, oversize), classified under every provider, several HTTP
  statuses, operations and headers; ``classify_many`` over logged records; misuse of the
  public functions.
- ``networks``: the card network tables and every pure function of ``payerr.networks`` over
  every network code; a reattempt limiter on a fixed clock; advice read from Antom answers.
- ``notifications``: ``verify_notification`` and ``averify_notification`` over Antom and
  Alipay+ notifications signed here (with a fixed test key made from a seeded generator) and
  OTT Pay callbacks sealed here, forged ones, redeliveries; PayKKa's refusal.
- ``cli``: stdout, stderr and exit code of ``python -m payerr`` for every verb (``demo`` with
  a fixed seed) and its error cases, paths normalised.
- ``transport``: ``PaymentTransport`` and ``AsyncPaymentTransport`` over scripted
  ``httpx.MockTransport`` handlers on fake time: the requests the inner transport saw, the
  waits asked for, the response and its classification or the exception and its public
  attributes, the structlog events (``structlog.testing.capture_logs``) and the OpenTelemetry
  metric points and spans (the SDK's in-memory reader and exporter), times and ids removed.
- ``api``: the public names and vocabularies, and pure helpers (``is_replay_safe``,
  ``RedactSensitive``, ``Classification.consistent`` / ``defaults`` / ``reclassified`` /
  ``as_dict``).

Each section's work is wrapped: an exception is recorded as ``{"error": type name, "message":
str}`` (plus the public attributes payerr's errors carry), never fatal. The script re-runs
itself with ``PYTHONHASHSEED=0`` so that set order cannot differ between runs.

Reading it: a family of calls that differ in one input (the operation, the HTTP status, the
request path ...) is written ``{"base": <record>, "delta": {<variant>: <fields that differ
from base>}}``; ``{}`` means "the same as base", ``"<absent>"`` a field the variant lacks. A
change in behaviour is a changed line under the variant it affects. Waits in ``transport`` are
the ones payerr asked its injected sleep for on a clock that only moves when it sleeps (no jitter),
not measured times; metric durations, span times, log timestamps, ids and generated
idempotency keys are left out or named by order of appearance. Absolute paths of the
checkout, of payerr, of Python and of temporary folders are replaced by ``<root>``,
``<payerr>``, ``<prefix>``, ``<tmp>``, so two checkouts in different places compare equal.

Not covered (not reachable deterministically through the public API, or needing a server):
the Redis ledger and reattempt store, the loopback simulator beyond ``payerr demo --seed N``
(``--verbose`` and ``--metrics`` print ids and times), the Antom SDK integration
(``payerr.integrations``), and ``load_mappings`` / ``PAYERR_MAPPINGS`` on the process-wide
registry (an isolated ``Registry`` and ``--mappings`` stand in for them).

Usage (the payerr to snapshot is the one on ``PYTHONPATH``)::

    PYTHONPATH=src python tools/behaviour_snapshot.py --out /tmp/before.json
    # ... move the private modules ...
    PYTHONPATH=src python tools/behaviour_snapshot.py --out /tmp/after.json
    diff /tmp/before.json /tmp/after.json && echo "no behaviour changed"

``--section NAME`` (repeatable) runs only some sections; ``--quiet`` prints no summary on
standard error. A whole run takes about 40 s of CPU (most of it in the CLI's processes) and
writes about 55 MB. Needs httpx and structlog (payerr's dependencies), tenacity for the
tenacity pieces and cryptography for the notifications; the OpenTelemetry SDK is used when
installed (the ``transport`` section says when it is not).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import enum
import gzip
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import structlog
from structlog.testing import capture_logs

import payerr
import payerr.networks
import payerr.testing

Json = Any
"""A JSON-ready value: None, bool, int, float, str, list or dict of them."""
Body = dict[str, Any] | bytes | str

# -- making values JSON, deterministically -------------------------------------------------------

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _text(value: str) -> str:
    """A string as it goes into the document: lone surrogates spelt out, addresses hidden."""
    value = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return _ADDRESS.sub(" at 0x?", value) if " at 0x" in value else value


def to_json(value: object) -> Json:
    """Any value payerr returns, as plain JSON (enums as their values, dataclasses and named
    tuples as objects of their public fields, bytes as text, NaN and infinities as strings)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": _text(bytes(value).decode("utf-8", "backslashreplace"))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    fields = getattr(type(value), "_fields", None)
    if isinstance(value, tuple) and isinstance(fields, tuple):
        return {name: to_json(getattr(value, name)) for name in fields}
    if isinstance(value, Mapping):
        return {_text(str(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_json(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return {"type": type(value).__name__, "str": _text(str(value))}


_ERROR_FIELDS = ("reason", "provider", "known", "errors", "operation", "kept", "unwritten")
"""Public attributes payerr's errors carry besides their text (SignatureError.reason,
UnknownProviderError.known, MappingError.errors, ReattemptStoreError.operation ...)."""


def error_of(exc: BaseException) -> dict[str, Json]:
    """An exception as the document records it: its type, its text, and the attributes of
    ``_ERROR_FIELDS`` it carries."""
    out: dict[str, Json] = {"error": type(exc).__name__, "message": _text(str(exc))}
    if isinstance(exc, payerr.PayerrError):
        for name in _ERROR_FIELDS:
            if hasattr(exc, name):
                out[name] = to_json(getattr(exc, name))
    return out


def attempt(fn: Callable[..., Json]) -> Json:
    """``fn()``, or the exception it raised, recorded."""
    try:
        return fn()
    except Exception as exc:  # the snapshot records every failure, it never stops on one
        return error_of(exc)


_CLASSIFICATION_FIELDS = tuple(
    f.name for f in dataclasses.fields(payerr.Classification) if not f.name.startswith("_")
)


def record(c: payerr.Classification, *, shopper: bool = False) -> dict[str, Json]:
    """Every public field of a Classification; with ``shopper``, its message per locale."""
    out: dict[str, Json] = {name: to_json(getattr(c, name)) for name in _CLASSIFICATION_FIELDS}
    if shopper:
        out["shopper_message"] = {
            locale: attempt(lambda locale=locale: payerr.shopper_message(c, locale))
            for locale in payerr.locales()
        }
    return out


def checked(fn: Callable[..., payerr.Classification], *, shopper: bool = False) -> Json:
    """A classification's record, or the error raised while making it."""
    try:
        return record(fn(), shopper=shopper)
    except Exception as exc:  # misuse is recorded as the behaviour it is
        return error_of(exc)


_ABSENT = "<absent>"


def delta(base: Json, other: Json) -> Json:
    """The fields of ``other`` that differ from ``base`` ({} when none do)."""
    if not (isinstance(base, dict) and isinstance(other, dict)) or (
        "error" in base or "error" in other
    ):
        return other if base != other else {}
    out = {k: v for k, v in other.items() if base.get(k, _ABSENT) != v}
    out.update({k: _ABSENT for k in base if k not in other})
    return out


def grid(base: Json, variants: Mapping[str, Json]) -> dict[str, Json]:
    """A base record and, for each variant, what differs from it: every field of every variant
    stays in the document, and a change shows up as a changed line."""
    return {"base": base, "delta": {key: delta(base, value) for key, value in variants.items()}}


def body_json(body: object) -> Json:
    """A body as the document shows it: large ones by size and digest."""
    raw = body if isinstance(body, bytes) else None
    if isinstance(body, str) and len(body) > 600:
        raw = body.encode("utf-8", "surrogatepass")
    if raw is not None and len(raw) > 600:
        return {
            "size": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "head": to_json(raw[:80]),
        }
    return to_json(body)


# -- the provider answers this snapshot classifies ------------------------------------------------

OPERATIONS: tuple[str, ...] = tuple(op.value for op in payerr.Operation)
NONE = "(none)"
"""The key of a call that names no operation."""
STATUSES = (200, 202, 400, 409, 429, 500, 502, 503, 504)

# The request paths each provider's answers come back to (Antom's and Alipay+'s API names from
# their SDKs; the others' words), for classify_response: the operation is read from them.
_AMS = "https://open-sea-global.alipay.com/ams/api/v1"
_APS = "https://open-sea-global.alipay.com/aps/api/v1"
REQUESTS: dict[str, tuple[tuple[str, str, Body | None], ...]] = {
    "antom": (
        ("POST", f"{_AMS}/payments/pay", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_AMS}/payments/capture", {"captureRequestId": "cap-1"}),
        ("POST", f"{_AMS}/payments/cancel", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_AMS}/payments/refund", {"refundRequestId": "ref-1"}),
        ("POST", f"{_AMS}/payments/inquiryPayment", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_AMS}/payments/inquiryRefund", {"refundRequestId": "ref-1"}),
        ("POST", f"{_AMS}/vaults/vaultPaymentMethod", {"vaultingRequestId": "v-1"}),
        ("POST", f"{_AMS}/vaults/inquireVaulting", {"vaultingRequestId": "v-1"}),
        ("POST", f"{_AMS}/payments/notifyPayment", None),
        ("POST", f"{_AMS}/payments/consult", None),
        ("POST", "https://open-sea-global.alipay.com/ams/sandbox/api/v1/payments/pay", None),
    ),
    "alipay_plus": (
        ("POST", f"{_APS}/payments/pay", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_APS}/payments/cancelPayment", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_APS}/payments/refund", {"refundRequestId": "ref-1"}),
        ("POST", f"{_APS}/payments/inquiryPayment", {"paymentRequestId": "pay-1"}),
        ("POST", f"{_APS}/payments/inquiryRefundPayment", None),
        ("POST", f"{_APS}/payments/notifyPayment", None),
        ("POST", f"{_APS}/customs/declare", None),
    ),
    "ottpay": (
        ("POST", "https://frontapi.ottpay.com/processV2", {"action": "PASSIVEPAY"}),
        ("POST", "https://frontapi.ottpay.com/processV2", {"action": "STATUS_QUERY"}),
        ("POST", "https://frontapi.ottpay.com/processV2", {"action": "REFUND"}),
        ("POST", "https://frontapi.ottpay.com/processV2", {"action": "EX_RATE_QUERY"}),
        ("POST", "https://frontapi.ottpay.com/processV2", None),
        ("POST", "https://frontapi.ottpay.com/v1/reverse", None),
    ),
    "ottpay_rest": (
        ("POST", "https://api.ottpay.com/api/v1/auth/token", None),
        ("POST", "https://api.ottpay.com/api/v1/payments", None),
        ("GET", "https://api.ottpay.com/api/v1/payments/P1", None),
        ("POST", "https://api.ottpay.com/api/v1/refunds", None),
        ("POST", "https://api.ottpay.com/api/v1/payments/P1/reverse", None),
        ("POST", "https://api.ottpay.com/api/v1/payments/query", None),
    ),
    "paykka": (
        ("POST", "https://api.paykka.com/v1/payments", {"merchant_order_no": "o-1"}),
        ("POST", "https://api.paykka.com/v1/payments/query", None),
        ("POST", "https://api.paykka.com/v1/refunds", None),
        ("POST", "https://api.paykka.com/v1/payments/capture", None),
        ("POST", "https://api.paykka.com/v1/payments/cancel", None),
        ("POST", "https://api.paykka.com/v1/payments/void", None),
        ("GET", "https://api.paykka.com/v1/payments/o-1", None),
        ("POST", "https://api.paykka.com/v1/notifications", None),
    ),
}
NEUTRAL_URL = "https://psp.example.test/v1/x"


def _ok() -> dict[str, Any]:
    """Antom's and Alipay+'s ``result`` of a call that worked."""
    return {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}


def _numeric(code: str) -> int | str:
    return int(code) if code.isdigit() and len(code) < 18 else code


# Each provider's wire shapes a code travels in (Architecture#where-each-provider-fact-lives,
# mappings/README.md, the
# providers' documents as tests/answers.py and payerr.testing shape them).
SHAPES: dict[str, dict[str, Callable[[str, str], Body]]] = {
    "antom": {
        "result_S": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "S", "resultMessage": m}
        },
        "result_F": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "F", "resultMessage": m}
        },
        "result_U": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "U", "resultMessage": m}
        },
        "paymentResultCode": lambda c, m: {
            "result": _ok(),
            "paymentStatus": "FAIL",
            "paymentResultCode": c,
            "paymentResultMessage": m,
        },
        "vaultingResultCode": lambda c, m: {
            "result": _ok(),
            "vaultingStatus": "FAIL",
            "vaultingResultCode": c,
        },
        "sdk_event": lambda c, m: {"code": c},
        "envelope": lambda c, m: payerr.testing.envelope("antom", c),
    },
    "alipay_plus": {
        "result_S": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "S", "resultMessage": m}
        },
        "result_F": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "F", "resultMessage": m}
        },
        "result_U": lambda c, m: {
            "result": {"resultCode": c, "resultStatus": "U", "resultMessage": m}
        },
        "paymentResult": lambda c, m: {
            "result": _ok(),
            "paymentResult": {"resultCode": c, "resultStatus": "F", "resultMessage": m},
        },
        "errorCode": lambda c, m: {"errorCode": _numeric(c)},
        "sdk_event": lambda c, m: {"code": c},
        "envelope": lambda c, m: payerr.testing.envelope("alipay_plus", c),
    },
    "ottpay": {
        "rsp_code": lambda c, m: {"rsp_code": c, "rsp_msg": m},
        "data.respcode": lambda c, m: {
            "rsp_code": "SUCCESS",
            "rsp_msg": "success",
            "data": {"respcode": c, "respmsg": m},
        },
        "data.order_status": lambda c, m: {"rsp_code": "SUCCESS", "data": {"order_status": c}},
        "data.status (query)": lambda c, m: {
            "rsp_code": "SUCCESS",
            "data": {"rspCode": "SUCCESS", "status": c},
        },
        "envelope": lambda c, m: payerr.testing.envelope("ottpay", c),
    },
    "ottpay_rest": {
        "result.code": lambda c, m: {
            "status": "ERROR",
            "result": {"code": _numeric(c), "message": m},
        },
        "result.paymentStatus": lambda c, m: {
            "status": "SUCCESS",
            "result": {"paymentId": "P1", "paymentStatus": c},
        },
        "result.refundStatus": lambda c, m: {
            "status": "SUCCESS",
            "result": {"refundId": "R1", "refundStatus": c},
        },
        "envelope": lambda c, m: payerr.testing.envelope("ottpay_rest", c),
    },
    "paykka": {
        "data.error_code": lambda c, m: {
            "ret_code": "000000",
            "ret_msg": "success",
            "data": {"status": "FAILURE", "error_code": c, "error_description": m},
        },
        "ret_code": lambda c, m: {"ret_code": c, "ret_msg": m},
        "data.status": lambda c, m: {
            "ret_code": "000000",
            "ret_msg": "success",
            "data": {"status": c},
        },
        "errorCode": lambda c, m: {
            "ret_code": "000000",
            "errorCode": c,
            "data": {"status": "FAILURE"},
        },
        "envelope": lambda c, m: payerr.testing.envelope("paykka", c),
    },
}
PRIMARY_SHAPE = {
    "antom": "result_F",
    "alipay_plus": "result_F",
    "ottpay": "rsp_code",
    "ottpay_rest": "result.code",
    "paykka": "data.error_code",
}


def _response(status: int, body: Body | None, request: httpx.Request | None) -> httpx.Response:
    content = b"" if body is None else body
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    return httpx.Response(status, content=content, request=request)


def _request(method: str, url: str, body: Body | None, op: str | None = None) -> httpx.Request:
    extensions = {"payerr.operation": op} if op is not None else None
    if body is None:
        return httpx.Request(method, url, extensions=extensions)
    return httpx.Request(method, url, json=body, extensions=extensions)


# -- section: codes --------------------------------------------------------------------------------


def cli_json(*args: str) -> Json:
    """``python -m payerr ARGS`` whose standard output is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "payerr", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=True,
    )
    return json.loads(done.stdout)


def mapped_codes() -> dict[str, list[dict[str, Json]]]:
    """Every mapping row, by provider, as ``payerr export --format json`` lists them."""
    rows: dict[str, list[dict[str, Json]]] = {}
    for row in cli_json("export", "--format", "json"):
        rows.setdefault(row["provider"], []).append(row)
    return rows


def spellings(code: str, row_spellings: Sequence[str]) -> dict[str, object]:
    """Other ways an answer spells the code: case, white space, an int, the source's own."""
    out: dict[str, object] = {"lower": code.lower(), "padded": f"  {code}\t"}
    if code.isdigit():
        out["int"] = int(code)
    for i, other in enumerate(row_spellings):
        out[f"spelling[{i}]"] = other
    return out


def code_snapshot(provider: str, code: str, rows: list[dict[str, Json]]) -> dict[str, Json]:
    message = str(rows[0].get("message") or "")
    ops: list[str | None] = [None, *OPERATIONS]

    def key(op: str | None) -> str:
        return NONE if op is None else op

    explained = {
        key(op): attempt(lambda op=op: to_json(payerr.explain(provider, code, operation=op)))
        for op in ops
    }
    bare = {
        key(op): checked(lambda op=op: payerr.classify(provider, code, operation=op), shopper=True)
        for op in ops
    }
    first_send = {
        key(op): checked(
            lambda op=op: payerr.classify(provider, code, operation=op, first_send=True)
        )
        for op in ops
    }
    other_spellings = {
        name: checked(lambda value=value: payerr.classify(provider, value))
        for name, value in spellings(code, [str(s) for s in rows[0].get("spellings") or []]).items()
    }
    shapes: dict[str, Json] = {}
    for name, make in SHAPES[provider].items():
        try:
            body = make(code, message)
        except Exception as exc:  # payerr.testing.envelope refusing a code: recorded
            shapes[name] = {"body": error_of(exc)}
            continue
        results = {
            key(op): checked(
                lambda op=op, body=body: payerr.classify_http(provider, 200, body, operation=op)
            )
            for op in ops
        }
        shapes[name] = {"body": body_json(body), **grid(results[NONE], results)}
    primary = SHAPES[provider][PRIMARY_SHAPE[provider]](code, message)
    by_status = {
        str(status): checked(lambda status=status: payerr.classify_http(provider, status, primary))
        for status in STATUSES
    }
    envelope = attempt(lambda: payerr.testing.envelope(provider, code))
    responses: dict[str, Json] = {}
    if isinstance(envelope, bytes):
        for method, url, request_body in REQUESTS[provider]:
            request = _request(method, url, request_body)
            name = f"{method} {url}" + (f" {json.dumps(request_body)}" if request_body else "")
            responses[name] = checked(
                lambda request=request: payerr.classify_response(
                    provider, _response(200, envelope, request)
                )
            )
        for op in OPERATIONS:
            request = _request("POST", NEUTRAL_URL, None, op)
            responses[f"extension {op}"] = checked(
                lambda request=request: payerr.classify_response(
                    provider, _response(200, envelope, request)
                )
            )
        responses["no request"] = checked(
            lambda: payerr.classify_response(provider, httpx.Response(200, content=envelope))
        )
    return {
        "rows": len(rows),
        "explain": grid(explained[NONE], explained),
        "classify": grid(bare[NONE], bare),
        "classify_first_send": grid(bare[NONE], first_send),
        "classify_spellings": grid(bare[NONE], other_spellings),
        "classify_http": shapes,
        "classify_http_statuses": grid(by_status["200"], by_status),
        "classify_response": grid(responses.get(f"extension {OPERATIONS[0]}"), responses),
    }


def section_codes() -> Json:
    rows = mapped_codes()
    out: dict[str, Json] = {"providers": to_json(payerr.providers())}
    counts: dict[str, int] = {}
    for provider in payerr.providers():
        by_code: dict[str, list[dict[str, Json]]] = {}
        for row in rows.get(provider, []):
            by_code.setdefault(str(row["code"]), []).append(row)
        out[provider] = {
            code: attempt(lambda p=provider, code=code, found=found: code_snapshot(p, code, found))
            for code, found in sorted(by_code.items())
        }
        counts[provider] = len(by_code)
    out["counts"] = counts
    return out


# -- section: corpus -------------------------------------------------------------------------------

_STATUS_WORDS = (
    "SUCCESS",
    "FAIL",
    "FAILURE",
    "PROCESSING",
    "PENDING",
    "CANCELLED",
    "CANCELED",
    "UNKNOWN",
    "AUTHORIZED",
    "REFUNDED",
    "CLOSED",
    "INIT",
    "PARTIAL",
    "success",
    "",
    None,
    5,
    ["SUCCESS"],
)


def status_word_bodies() -> list[tuple[str, Body]]:
    """Each provider's operation status fields carrying common and odd status words."""
    out: list[tuple[str, Body]] = []
    for word in _STATUS_WORDS:
        for field in (
            "paymentStatus",
            "refundStatus",
            "captureStatus",
            "cancelStatus",
            "vaultingStatus",
        ):
            out.append((f"status word: antom {field}", {"result": _ok(), field: word}))
        out.append(
            (
                "status word: alipay_plus paymentResult",
                {"result": _ok(), "paymentResult": {"resultStatus": word}},
            )
        )
        out.append(
            ("status word: paykka data.status", {"ret_code": "000000", "data": {"status": word}})
        )
        out.append(
            (
                "status word: ottpay data.order_status",
                {"rsp_code": "SUCCESS", "data": {"order_status": word}},
            )
        )
        out.append(
            (
                "status word: ottpay_rest paymentStatus",
                {"status": "SUCCESS", "result": {"paymentStatus": word}},
            )
        )
    return out


PAN = "4111 1111 1111 1111"


def hostile_bodies() -> list[tuple[str, Body]]:
    """Bodies no provider should send, and some they do."""
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    big = (
        b'{"ret_code": "000000", "data": {"status": "SUCCESS"}, "pad": "' + b"x" * 1_100_000 + b'"}'
    )
    return [
        ("empty", b""),
        ("blank", b"  \r\n\t "),
        ("json null", b"null"),
        ("json array", b"[]"),
        ("json array of envelope", b'[{"ret_code": "000000"}]'),
        ("json number", b"0"),
        ("json string", b'"SUCCESS"'),
        ("json true", b"true"),
        ("html", b"<html><body>502 Bad Gateway</body></html>"),
        ("plain text", b"upstream connect error or disconnect/reset before headers"),
        ("xml", b"<?xml version='1.0'?><result><code>SUCCESS</code></result>"),
        ("truncated paykka", b'{"ret_code": "0'),
        ("truncated antom", b'{"result": {"resultCode": "SUCCESS", "resultSta'),
        ("truncated object", b'{"result": '),
        (
            "duplicate paymentStatus",
            b'{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"FAIL","paymentStatus":"SUCCESS"}',
        ),
        (
            "duplicate result",
            b'{"result":{"resultCode":"USER_BALANCE_NOT_ENOUGH","resultStatus":"F"},"result":{"resultCode":"SUCCESS","resultStatus":"S"}}',
        ),
        (
            "duplicate ret_code",
            b'{"ret_code": "5004", "ret_code": "000000", "data": {"status": "SUCCESS"}}',
        ),
        (
            "duplicate nested",
            b'{"ret_code": "000000", "data": {"status": "FAILURE", "status": "SUCCESS"}}',
        ),
        ("duplicate rsp_code", b'{"rsp_code": "SUCCESS", "rsp_code": "SYSTEM_ERROR"}'),
        ("huge int code", b'{"rsp_code": 123456789012345678901234567890123456789}'),
        ("huge float", b'{"ret_code": 1e999, "data": {"status": "SUCCESS"}}'),
        ("huge exponent", b'{"result": {"resultCode": 1E400, "resultStatus": "S"}}'),
        ("NaN and Infinity", b'{"result": {"resultCode": NaN, "resultStatus": Infinity}}'),
        ("negative zero", b'{"ret_code": -0.0}'),
        ("int ret_code", b'{"ret_code": 5004}'),
        (
            "int error_code",
            b'{"ret_code": "000000", "data": {"status": "FAILURE", "error_code": 5004}}',
        ),
        ("int errorCode alipay", b'{"errorCode": 10005}'),
        ("float code", b'{"result": {"resultCode": 1.5, "resultStatus": "F"}}'),
        ("bool code", b'{"rsp_code": true}'),
        ("list code", b'{"ret_code": ["000000"]}'),
        ("object code", b'{"rsp_code": {"code": "SUCCESS"}}'),
        ("result string", b'{"result": "S"}'),
        (
            "nested nulls antom",
            b'{"result": {"resultCode": null, "resultStatus": null, "resultMessage": null}}',
        ),
        ("nested nulls paykka", b'{"ret_code": null, "ret_msg": null, "data": null}'),
        (
            "nested nulls paykka data",
            b'{"ret_code": "000000", "data": {"status": null, "error_code": null}}',
        ),
        (
            "nested nulls ottpay",
            b'{"rsp_code": null, "data": {"respcode": null, "order_status": null}}',
        ),
        (
            "nested nulls ottpay_rest",
            b'{"status": null, "result": {"paymentStatus": null, "code": null}}',
        ),
        ("null result", b'{"result": null}'),
        ("empty objects", b'{"result": {}, "data": {}}'),
        ("invalid utf-8", b'{"rsp_code": "\xff\xfe", "rsp_msg": "\xc3\x28"}'),
        ("utf-8 bom", b'\xef\xbb\xbf{"ret_code": "000000", "data": {"status": "SUCCESS"}}'),
        ("utf-16", '{"rsp_code": "SUCCESS"}'.encode("utf-16")),
        ("lone surrogate escape", b'{"result": {"resultCode": "X\\ud800", "resultStatus": "F"}}'),
        (
            "ansi and bidi",
            b'{"result": {"resultCode": "X\\u001b[2J", "resultStatus": "F", '
            b'"resultMessage": "\\u001b[31mred\\u009b1m\\u202e"}}',
        ),
        ("zero width code", b'{"result": {"resultCode": "SUCC\\u200bESS", "resultStatus": "S"}}'),
        ("nul in code", b'{"rsp_code": "SUCC\\u0000ESS", "rsp_msg": "success"}'),
        (
            "long s status",
            '{"status": "SU\u017fCCESS", "result": {"paymentStatus": "success"}}'.encode(),
        ),
        ("sharp s code", '{"rsp_code": "SUCCE\u00df"}'.encode()),
        ("fullwidth code", '{"ret_code": "\uff10\uff10\uff10\uff10\uff10\uff10"}'.encode()),
        (
            "card number in message antom",
            json.dumps(
                {
                    "result": {
                        "resultCode": "CARD_DECLINED_4111111111111111",
                        "resultStatus": "F",
                        "resultMessage": f"card {PAN} declined, cvv 123",
                    }
                }
            ).encode(),
        ),
        (
            "card number in message paykka",
            json.dumps(
                {
                    "ret_code": "000000",
                    "data": {
                        "status": "FAILURE",
                        "error_code": "5004",
                        "error_description": "Insufficient funds on 4111-1111-1111-1111 exp 12/29",
                    },
                }
            ).encode(),
        ),
        (
            "card number as code ottpay",
            json.dumps({"rsp_code": "4111111111111111", "rsp_msg": PAN}).encode(),
        ),
        (
            "card number status",
            json.dumps({"ret_code": "000000", "data": {"status": "4111-1111-1111-1111"}}).encode(),
        ),
        (
            "card number ottpay_rest",
            json.dumps(
                {"status": "ERROR", "result": {"code": 4111111111111111, "message": PAN}}
            ).encode(),
        ),
        ("long code", json.dumps({"rsp_code": "X" * 5000, "rsp_msg": "y" * 5000}).encode()),
        (
            "many keys",
            json.dumps({f"k{i}": i for i in range(2000)} | {"ret_code": "000000"}).encode(),
        ),
        ("deeply nested", deep),
        ("over 1 MiB", big),
        ("text body (str)", '{"ret_code": "000000", "data": {"status": "SUCCESS"}}'),
        ("text body non-ascii (str)", '{"rsp_code": "SUCCESS", "rsp_msg": "\u6210\u529f"}'),
        (
            "dict body with non-str key",
            {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "1": 1},
        ),
    ]


def body_label(body: Body) -> str:
    return json.dumps(body, sort_keys=True) if isinstance(body, dict) else repr(body)[:120]


CORPUS_OPS = (None, "pay", "inquiry", "refund", "cancel", "capture", "notification", "other")
HEADER_CASES: tuple[tuple[str, int, object, float | None], ...] = (
    ("Retry-After seconds", 429, {"Retry-After": "7"}, None),
    ("Retry-After zero", 503, {"Retry-After": "0"}, None),
    ("Retry-After negative", 503, {"Retry-After": "-5"}, None),
    ("Retry-After huge", 429, {"Retry-After": "99999999999999999999"}, None),
    ("Retry-After garbage", 429, {"Retry-After": "soon"}, None),
    (
        "Retry-After date, now given",
        503,
        {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"},
        1792480000.0,
    ),
    ("Retry-After date, no now", 503, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
    (
        "Retry-After date, past",
        503,
        {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
        1792480000.0,
    ),
    ("Retry-After list of pairs", 429, [("Retry-After", "3")], None),
    ("Retry-After httpx.Headers", 429, httpx.Headers({"retry-after": "4"}), None),
    ("Retry-After twice", 429, [("Retry-After", "3"), ("Retry-After", "9")], None),
    ("content-type html", 502, {"Content-Type": "text/html"}, None),
    ("no headers", 503, None, None),
)


def classify_body(provider: str, body: Body) -> dict[str, Json]:
    """One body under one provider: statuses, operations, both, responses."""
    by_status = {
        str(s): checked(lambda s=s: payerr.classify_http(provider, s, body)) for s in STATUSES
    }
    by_op = {
        (op or NONE): checked(lambda op=op: payerr.classify_http(provider, 200, body, operation=op))
        for op in CORPUS_OPS
    }
    both = {
        f"{s} {op}": checked(
            lambda s=s, op=op: payerr.classify_http(provider, s, body, operation=op)
        )
        for s in (409, 503)
        for op in ("pay", "inquiry", "refund")
    }
    first_send = {
        str(s): checked(lambda s=s: payerr.classify_http(provider, s, body, first_send=True))
        for s in (200, 409)
    }
    responses: dict[str, Json] = {}
    for method, url, request_body in REQUESTS[provider][:3]:
        request = _request(method, url, request_body)
        for s in (200, 503):
            responses[f"{s} {method} {url}"] = checked(
                lambda request=request, s=s: payerr.classify_response(
                    provider, _response(s, body, request)
                )
            )
    base = by_status["200"]
    return {
        "status": grid(base, by_status),
        "operation": grid(base, by_op),
        "status_and_operation": grid(base, both),
        "first_send": grid(base, first_send),
        "classify_response": grid(base, responses),
    }


def corpus_entries() -> list[tuple[str, Body]]:
    return [*CORPUS, *status_word_bodies(), *hostile_bodies()]


def section_corpus() -> Json:
    entries: dict[str, Json] = {}
    for source, body in corpus_entries():
        label = body_label(body)
        if label in entries:
            continue
        entries[label] = {
            "from": source,
            "body": body_json(body),
            "shopper_message (antom, 200)": attempt(
                lambda body=body: {
                    loc: payerr.shopper_message(payerr.classify_http("antom", 200, body), loc)
                    for loc in payerr.locales()
                }
            ),
            "providers": {
                provider: attempt(
                    lambda provider=provider, body=body: classify_body(provider, body)
                )
                for provider in payerr.providers()
            },
        }
    headers: dict[str, Json] = {}
    for name, status, given, now in HEADER_CASES:
        for provider in payerr.providers():
            headers[f"{name} / {provider}"] = checked(
                lambda provider=provider, status=status, given=given, now=now: payerr.classify_http(
                    provider,
                    status,
                    b"",
                    given,
                    now=now,
                )
            )
        request = _request("POST", NEUTRAL_URL, None)
        response_headers = given if given is not None else {}
        headers[f"{name} / classify_response paykka"] = checked(
            lambda status=status, h=response_headers, request=request: payerr.classify_response(
                "paykka",
                httpx.Response(status, headers=h, content=b"", request=request),
            )
        )
    return {
        "answers": entries,
        "headers": headers,
        "classify_many": classify_many_snapshot(),
        "misuse": misuse_snapshot(),
        "counts": {"answers": len(entries), "headers": len(headers)},
    }


def classify_many_snapshot() -> Json:
    """``classify_many`` over logged records, each beside ``classify_http`` on the same parts."""
    out: dict[str, Json] = {}
    records: list[tuple[str, dict[str, Any]]] = list(RECORDS)
    for source, body in CORPUS[:60]:
        for provider in ("antom", "paykka", "ottpay"):
            records.append((source, {"provider": provider, "status": 200, "body": body}))
    records.append(("generated", {"provider": "antom", "status": 200, "body": b'{"result": {}}'}))
    records.append(
        (
            "generated",
            {"provider": "paykka", "status": 503, "body": "", "headers": {"Retry-After": "3"}},
        )
    )
    records.append(("generated", {"provider": "stripe", "status": 200, "body": {}}))
    for i, (source, rec) in enumerate(records):
        label = f"{i:03d} {source}"

        def one(rec: dict[str, Any] = rec) -> Json:
            return [record(c) for c in payerr.classify_many([rec])]

        out[label] = {"record": to_json(rec), "classify_many": attempt(one)}
    out["batch first_send"] = attempt(
        lambda: [
            record(c) for c in payerr.classify_many([r for _, r in RECORDS[:5]], first_send=True)
        ]
    )
    return out


def misuse_snapshot() -> Json:
    """Wrong arguments to the public classifiers: the errors are behaviour too."""
    cases: dict[str, Callable[[], payerr.Classification]] = {
        "classify unknown provider": lambda: payerr.classify("stripe", "x"),
        "classify near-miss provider": lambda: payerr.classify("antm", "x"),
        "classify provider in capitals": lambda: payerr.classify("ANTOM", "SUCCESS"),
        "classify unknown operation": lambda: payerr.classify(
            "antom", "SUCCESS", operation="teleport"
        ),
        "classify operation enum": lambda: payerr.classify(
            "antom", "ORDER_NOT_EXIST", operation=payerr.Operation.INQUIRY
        ),
        "classify None code": lambda: payerr.classify("antom", None),  # type: ignore[arg-type]
        "classify float code": lambda: payerr.classify("alipay_plus", 10005.0),  # type: ignore[arg-type]
        "classify bytes code": lambda: payerr.classify("paykka", b"5004"),  # type: ignore[arg-type]
        "classify bool code": lambda: payerr.classify("paykka", True),
        "classify empty code": lambda: payerr.classify("paykka", ""),
        "classify zeros kept": lambda: payerr.classify("paykka", "0000"),
        "classify int zero": lambda: payerr.classify("paykka", 0),
        "classify unknown code": lambda: payerr.classify("antom", "NEVER_SEEN_CODE"),
        "classify unknown code with card": lambda: payerr.classify("antom", "X 4111111111111111"),
        "classify provider not str": lambda: payerr.classify(5, "x"),  # type: ignore[arg-type]
        "classify_http status 99": lambda: payerr.classify_http("paykka", 99, b""),
        "classify_http status 600": lambda: payerr.classify_http("paykka", 600, b""),
        "classify_http status str": lambda: payerr.classify_http("paykka", "200", b""),  # type: ignore[arg-type]
        "classify_http status bool": lambda: payerr.classify_http("paykka", True, b""),
        "classify_http body int": lambda: payerr.classify_http("paykka", 200, 5),
        "classify_http body list": lambda: payerr.classify_http("paykka", 200, ["x"]),
        "classify_http body bytearray": lambda: payerr.classify_http(
            "paykka", 200, bytearray(b'{"ret_code": "2000"}')
        ),
        "classify_http body memoryview": lambda: payerr.classify_http(
            "paykka", 200, memoryview(b'{"ret_code": "2000"}')
        ),
        "classify_http headers int": lambda: payerr.classify_http("paykka", 429, b"", 5),  # type: ignore[arg-type]
        "classify_http now NaN": lambda: payerr.classify_http(
            "paykka", 503, b"", {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, now=math.nan
        ),
        "classify_response not a response": lambda: payerr.classify_response("paykka", b"{}"),  # type: ignore[arg-type]
        "classify_response streaming unread": lambda: payerr.classify_response(
            "paykka", httpx.Response(200, stream=httpx.ByteStream(b'{"ret_code": "2000"}'))
        ),
    }
    out: dict[str, Json] = {name: checked(fn) for name, fn in cases.items()}
    out["classification_of plain response"] = attempt(
        lambda: to_json(payerr.classification_of(httpx.Response(200)))
    )
    out["explain unknown provider"] = attempt(lambda: to_json(payerr.explain("stripe", "x")))
    out["explain unknown code"] = attempt(lambda: to_json(payerr.explain("antom", "NOPE")))
    out["explain visa"] = attempt(lambda: to_json(payerr.explain("visa", "05")))
    out["explain mastercard advice"] = attempt(lambda: to_json(payerr.explain("mastercard", "24")))
    out["shopper_message bad locale"] = attempt(
        lambda: payerr.shopper_message(payerr.classify("paykka", "5004"), "xx-YY")
    )
    out["shopper_message accept-language"] = attempt(
        lambda: payerr.shopper_message(payerr.classify("paykka", "5004"), "zh-HK,zh;q=0.9,en;q=0.1")
    )
    out["shopper_message non-str locale"] = attempt(
        lambda: payerr.shopper_message(payerr.classify("paykka", "5004"), 5)
    )
    out["shopper_message locales"] = {
        tag: attempt(
            lambda tag=tag: payerr.shopper_message(payerr.classify("antom", "FRAUD_REJECT"), tag)
        )
        for tag in (
            "en-GB",
            "zh",
            "zh-CN",
            "zh-TW",
            "zh-HK",
            "zh-Hant-HK",
            "ja-JP",
            "ko-KR",
            "th-TH",
            "id-ID",
            "in",
            "ms-MY",
            "vi-VN",
            "fil-PH",
            "tl",
            "fr-CA",
            "de",
            "*",
            "",
            " en ",
            "en;q=0",
            "fr;q=0.5, ja;q=0.8",
            "x" * 300,
        )
    }
    return out


# -- section: networks -----------------------------------------------------------------------------

BRANDS: tuple[object, ...] = (
    "VISA",
    "Visa",
    "visa",
    " VISA ",
    "MASTERCARD",
    "Mastercard",
    "MC",
    "MASTER_CARD",
    "MASTER CARD",
    "AMEX",
    "JCB",
    "UNIONPAY",
    "",
    None,
    "V\u0130SA",
    5,
    "4111111111111111",
)


def network_table_snapshot(network: str) -> dict[str, Json]:
    """One shipped network table: its rows, and every lookup over its codes."""
    table = payerr.networks.network_table(network)
    codes = sorted(table.codes)
    advice = sorted(table.advice)
    probes = [*codes, *advice, "zz", "", " 05 ", "5", "005", "N7", "n7", "4111111111111111"]
    return {
        "id": to_json(table.id),
        "title": to_json(table.title),
        "checked": to_json(table.checked),
        "notes": to_json(table.notes),
        "origin": to_json(table.origin),
        "row_count": to_json(table.row_count),
        "codes": to_json(table.codes),
        "advice": to_json(table.advice),
        "limits": to_json(table.limits),
        "issuer_code": {p: attempt(lambda p=p: to_json(table.issuer_code(p))) for p in probes},
        "advice_code": {p: attempt(lambda p=p: to_json(table.advice_code(p))) for p in probes},
        "issuer_code(int)": {
            p: attempt(lambda p=p: to_json(table.issuer_code(int(p)))) for p in codes if p.isdigit()
        },
        "explain": {
            p: attempt(lambda p=p: to_json(payerr.explain(network, p)))
            for p in [*codes, *advice, "zz"]
        },
    }


def section_networks() -> Json:
    networks = payerr.networks
    out: dict[str, Json] = {"card_networks": to_json(networks.card_networks())}
    all_issuer: set[str] = set()
    all_advice: set[str] = set()
    tables: dict[str, Json] = {}
    for network in networks.card_networks():
        table = networks.network_table(network)
        all_issuer.update(table.codes)
        all_advice.update(table.advice)
        tables[network] = attempt(lambda network=network: network_table_snapshot(network))
    out["tables"] = tables
    out["network_table unknown"] = attempt(lambda: to_json(networks.network_table("amex")))
    issuer_probes = [*sorted(all_issuer), None, "zz", 51, "51\u0000", "4111111111111111"]
    advice_probes = [*sorted(all_advice), None, "zz", 24, 3, "3"]
    advice_out: dict[str, Json] = {}
    for brand in BRANDS:
        for issuer in issuer_probes:
            advice_out[f"{brand!r} issuer={issuer!r}"] = attempt(
                lambda b=brand, i=issuer: to_json(networks.network_advice(b, i))
            )
        for mac in advice_probes:
            advice_out[f"{brand!r} advice={mac!r}"] = attempt(
                lambda b=brand, m=mac: to_json(networks.network_advice(b, None, m))
            )
        for issuer, mac in (("51", "24"), ("05", "03"), ("14", "21"), ("54", "25"), ("59", "30")):
            advice_out[f"{brand!r} issuer={issuer!r} advice={mac!r}"] = attempt(
                lambda b=brand, i=issuer, m=mac: to_json(networks.network_advice(b, i, m))
            )
    hostile = {
        "message with card": lambda: networks.network_advice(
            "VISA", "05", None, issuer_message=f"Do not honour {PAN}", fingerprint="fp_1"
        ),
        "message control chars": lambda: networks.network_advice(
            "MASTERCARD", "51", "24", issuer_message="\u001b[31mred\u202e", fingerprint="x" * 500
        ),
        "fingerprint is a PAN": lambda: networks.network_advice(
            "VISA", "51", fingerprint="4111111111111111"
        ),
        "fingerprint int": lambda: networks.network_advice("VISA", "51", fingerprint=5),
        "all None": lambda: networks.network_advice(None),
        "long brand": lambda: networks.network_advice("V" * 1000, "05"),
    }
    for name, fn in hostile.items():
        advice_out[name] = attempt(lambda fn=fn: to_json(fn()))
    out["network_advice"] = advice_out
    out["in_classification"] = network_in_classification(all_issuer, all_advice)
    out["limits"] = limits_snapshot()
    out["limiter"] = limiter_snapshot()
    out["counts"] = {
        "issuer_codes": len(all_issuer),
        "advice_codes": len(all_advice),
        "network_advice": len(advice_out),
    }
    return out


def network_in_classification(issuer: set[str], advice: set[str]) -> Json:
    """Card advice as Antom answers carry it, under each verdict."""
    out: dict[str, Json] = {}
    for result_code, status in (
        ("DO_NOT_HONOR", "F"),
        ("FRAUD_REJECT", "F"),
        ("ACCESS_DENIED", "F"),
        ("UNKNOWN_EXCEPTION", "U"),
        ("ORDER_IS_CLOSED", "F"),
        ("SUCCESS", "S"),
    ):
        for brand in ("VISA", "MASTERCARD", "AMEX", None):
            codes = sorted(issuer) if result_code == "DO_NOT_HONOR" else ["05", "51"]
            for code in codes:
                info: dict[str, Any] = {"cardBrand": brand, "refusalCodeRaw": code}
                body = {
                    "result": {"resultCode": result_code, "resultStatus": status},
                    "paymentResultInfo": info,
                }
                out[f"{result_code} {brand} {code}"] = checked(
                    lambda body=body: payerr.classify_http("antom", 200, body, operation="pay")
                )
        macs: list[object] = [*sorted(advice), 24, 3, 99, "24 "]
        for mac in macs:
            body = {
                "result": {"resultCode": result_code, "resultStatus": status},
                "paymentResultInfo": {
                    "cardBrand": "MASTERCARD",
                    "merchantAdviceCode": mac,
                    "fingerprint": "fp_1",
                },
            }
            out[f"{result_code} MASTERCARD mac={mac!r}"] = checked(
                lambda body=body: payerr.classify_http("antom", 200, body, operation="pay")
            )
    shapes: tuple[tuple[str, object], ...] = (
        ("inquiry paymentResultCode", {"cardBrand": "VISA", "refusalCodeRaw": "05"}),
        ("info not an object", "VISA 05"),
    )
    for shape, card in shapes:
        inquiry: dict[str, object] = {
            "result": _ok(),
            "paymentStatus": "FAIL",
            "paymentResultCode": "DO_NOT_HONOR",
            "paymentResultInfo": card,
        }
        out[shape] = checked(
            lambda body=inquiry: payerr.classify_http("antom", 200, body, operation="inquiry")
        )
    return out


def limits_snapshot() -> Json:
    networks = payerr.networks
    limits = networks.ReattemptLimits()
    out: dict[str, Json] = {"default": to_json(limits)}
    for brand in ("visa", "mastercard", "amex", "", "VISA"):
        out[f"for_brand {brand!r}"] = attempt(lambda b=brand: to_json(limits.for_brand(b)))
    for name in ("horizon", "keep"):
        value = getattr(limits, name, None)
        out[name] = attempt(lambda v=value: to_json(v() if callable(v) else v))
    decline = networks.DeclineLimit(15, 30 * 86400.0, "Visa")
    out["DeclineLimit.describe"] = attempt(lambda: to_json(decline.describe()))
    for bad in ({"declines": -1, "window": 1.0}, {"declines": 1, "window": math.nan}):
        out[f"DeclineLimit {bad}"] = attempt(lambda bad=bad: to_json(networks.DeclineLimit(**bad)))
    out["ReattemptLimits bad hold"] = attempt(
        lambda: to_json(networks.ReattemptLimits(hold_for=-1))
    )
    return out


def limiter_snapshot() -> Json:
    """A reattempt limiter on a clock that moves only when told."""
    networks = payerr.networks
    now = [1_795_000_000.0]
    limiter = networks.ReattemptLimiter(clock=lambda: now[0])
    reservations: dict[str, str] = {}

    def decision(value: object) -> Json:
        out = to_json(value)
        if isinstance(out, dict) and isinstance(out.get("reservation"), str):
            token = out["reservation"]
            out["reservation"] = reservations.setdefault(
                token, f"<reservation {len(reservations) + 1}>"
            )
        return out

    def classify_pay(
        brand: str, code: str, mac: str | None, result_code: str = "DO_NOT_HONOR"
    ) -> payerr.Classification:
        info: dict[str, Any] = {"cardBrand": brand, "refusalCodeRaw": code, "fingerprint": "fp"}
        if mac is not None:
            info["merchantAdviceCode"] = mac
        body = {
            "result": {"resultCode": result_code, "resultStatus": "F"},
            "paymentResultInfo": info,
        }
        return payerr.classify_http("antom", 200, body, operation="pay")

    steps: list[tuple[str, Callable[[], object]]] = []
    mc25 = classify_pay("MASTERCARD", "05", "25")
    visa_stolen = classify_pay("VISA", "43", None)
    visa_51 = classify_pay("VISA", "51", None)
    success = payerr.classify("antom", "SUCCESS")
    pending = payerr.classify("antom", "PAYMENT_IN_PROCESS")
    steps += [
        ("allowed fresh card", lambda: limiter.allowed("card-a", mc25)),
        ("record mc25", lambda: limiter.record("card-a", mc25, attempt_id="r-1")),
        ("record mc25 again same id", lambda: limiter.record("card-a", mc25, attempt_id="r-1")),
        ("allowed after mc25", lambda: limiter.allowed("card-a", mc25)),
        ("advance 24h", lambda: now.__setitem__(0, now[0] + 86400)),
        ("reserve after 24h", lambda: limiter.reserve("card-a", mc25)),
        ("reserve again (held)", lambda: limiter.reserve("card-a", mc25)),
        ("record visa stolen", lambda: limiter.record("card-b", visa_stolen)),
        ("allowed after stolen", lambda: limiter.allowed("card-b", visa_stolen)),
        ("record pending", lambda: limiter.record("card-c", pending)),
        ("allowed after pending", lambda: limiter.allowed("card-c", pending)),
        ("record success", lambda: limiter.record("card-c", success)),
        ("allowed after success", lambda: limiter.allowed("card-c", success)),
        ("forget card-b", lambda: limiter.forget("card-b")),
        ("allowed after forget", lambda: limiter.allowed("card-b", visa_stolen)),
        ("card id is a PAN", lambda: limiter.allowed("4111 1111 1111 1111", visa_51)),
        ("card id blank", lambda: limiter.allowed("  ", visa_51)),
        ("unwritten", lambda: limiter.unwritten),
    ]
    for i in range(17):
        steps.append((f"visa 51 decline {i + 1}", lambda: limiter.record("card-d", visa_51)))
        steps.append((f"allowed after {i + 1}", lambda: limiter.allowed("card-d", visa_51)))
    out: dict[str, Json] = {}
    for i, (name, fn) in enumerate(steps):
        out[f"{i:02d} {name}"] = attempt(lambda fn=fn: decision(fn()))
    bad_clock = networks.ReattemptLimiter(clock=lambda: math.nan)
    out["nan clock"] = attempt(lambda: decision(bad_clock.allowed("card-a", mc25)))
    return out


# -- section: cli ----------------------------------------------------------------------------------


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PAYERR_MAPPINGS"}
    env.update({"COLUMNS": "100", "LINES": "50", "PYTHONHASHSEED": "0", "TERM": "dumb"})
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return env


USER_MAPPING = """\
schema = 1

[provider]
id = "antom"

[[code]]
code = "USER_BALANCE_NOT_ENOUGH"
message = "Overridden by a user file"
outcome = "failed"
category = "user-action"
user_message = "Top up, says the user file."
reason = "insufficient_funds"

[[code]]
code = "ACME_NEW"
message = "A code only the user file knows"
outcome = "failed"
category = "retryable"
reason = "provider_error"
"""
NEW_PROVIDER = """\
schema = 1

[provider]
id = "acme"
adapter = "fields"
code_fields = ["error.code", "code"]
message_fields = ["error.message"]

[[code]]
code = "card_declined"
message = "Declined"
outcome = "failed"
category = "user-action"
reason = "generic_decline"
"""
BAD_MAPPING = """\
[provider]
id = "x"
[[code]]
code = "A"
message = "m"
outcome = "meh"
[[code]]
code = "a"
message = "m"
outcome = "success"
"""


def cli_cases(
    tmp: Path, rows: Mapping[str, list[dict[str, Json]]]
) -> list[tuple[list[str], str | None]]:
    """(argv, stdin) for every verb, the card network verbs and the error cases."""
    verbs = ["explain", "classify", "scan", "list", "export", "demo", "validate"]
    cases: list[tuple[list[str], str | None]] = [
        ([], None),
        (["--help"], None),
        (["--version"], None),
    ]
    cases += [([verb, "--help"], None) for verb in verbs]
    cases += [(["nosuchverb"], None), (["explain"], None), (["classify"], None)]
    # explain: the first, middle and last code of each provider, plus codes that say more
    for provider in sorted(rows):
        codes = sorted({str(r["code"]) for r in rows[provider]})
        for code in dict.fromkeys([codes[0], codes[len(codes) // 2], codes[-1]]):
            cases.append((["explain", provider, code], None))
            cases.append((["explain", provider, code, "--json"], None))
    cases += [
        (["explain", "antom", "SUSPECTED_RISK"], None),
        (["explain", "antom", "USER_BALANCE_NOT_ENOUGH", "--lang", "zh-HK"], None),
        (
            ["explain", "antom", "USER_BALANCE_NOT_ENOUGH", "--lang", "fr-CA,fr;q=0.9", "--json"],
            None,
        ),
        (["explain", "antom", "USER_BALANCE_NOT_ENOUGH", "--lang", "xx"], None),
        (["explain", "antom", "ORDER_NOT_EXIST"], None),
        (["explain", "antom", "ORDER_NOT_EXIST", "--operation", "inquiry"], None),
        (["explain", "antom", "ORDER_NOT_EXIST", "--operation", "inquiry", "--json"], None),
        (["explain", "antom", "ORDER_NOT_EXIST", "--operation", "teleport"], None),
        (["explain", "alipay_plus", "10005"], None),
        (["explain", "alipay_plus", "10005", "--lang", "ja", "--json"], None),
        (["explain", "ottpay", "ORDER_REVERSED", "--operation", "cancel"], None),
        (["explain", "ottpay", "REFUND_SUCCESS"], None),
        (["explain", "ottpay_rest", "20007", "--json"], None),
        (["explain", "paykka", "5004", "--lang", "th"], None),
        (["explain", "paykka", " 5004 "], None),
        (["explain", "Antom", "suspected_risk"], None),
        (["explain", "antom", "SUSPECTED_RISC"], None),
        (["explain", "antom", "SUSPECTED_RISC", "--json"], None),
        (["explain", "antom", "NEVER_SEEN"], None),
        (["explain", "antm", "SUCCESS"], None),
        (["explain", "stripe", "card_declined"], None),
        (["explain", "visa", "05"], None),
        (["explain", "visa", "51", "--json"], None),
        (["explain", "visa", "ZZ"], None),
        (["explain", "mastercard", "03"], None),
        (["explain", "mastercard", "24", "--json"], None),
        (["explain", "mastercard", "51"], None),
        (["explain", "antom", "X\u001b[2J4111111111111111"], None),
    ]
    # classify: bodies on standard input and from files
    bodies = {
        "antom-declined": {
            "result": _ok(),
            "paymentStatus": "FAIL",
            "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
            "paymentResultMessage": "The user balance is not enough for the payment.",
        },
        "antom-u": {"result": {"resultCode": "REQUEST_TRAFFIC_EXCEED_LIMIT", "resultStatus": "U"}},
        "antom-repeat": {
            "result": {
                "resultCode": "REPEAT_REQ_INCONSISTENT",
                "resultStatus": "F",
                "resultMessage": "Repeated requests are inconsistent.",
            }
        },
        "antom-typo": {"result": {"resultCode": "SUSPECTED_RISC", "resultStatus": "F"}},
        "paykka-risk": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5019"}},
        "paykka-ok": {"ret_code": "000000", "ret_msg": "ok", "data": {"status": "SUCCESS"}},
        "paykka-refunded": {"ret_code": "000000", "data": {"status": "REFUNDED"}},
        "ottpay-paying": {
            "rsp_code": "SUCCESS",
            "data": {"respcode": "PROCESSING", "respmsg": "User paying"},
        },
        "ottpay-rest-error": {"status": "ERROR", "result": {"code": 20007, "message": "x"}},
        "antom-partial": {"result": _ok(), "paymentStatus": "PARTIAL"},
        "hostile": {
            "result": {
                "resultCode": "X\u001b[2J\ud800",
                "resultStatus": "F",
                "resultMessage": "\u001b[31mred\u009b1m\u202e",
            }
        },
    }
    for name, body in bodies.items():
        (tmp / f"{name}.json").write_text(json.dumps(body), encoding="utf-8")
    (tmp / "garbage.json").write_bytes(b"<html>502</html>")
    (tmp / "empty.json").write_bytes(b"")
    classify = [
        ["antom", "antom-declined.json"],
        ["antom", "antom-declined.json", "--json"],
        ["antom", "antom-declined.json", "--lang", "zh-Hant"],
        ["antom", "antom-declined.json", "--operation", "refund", "--json"],
        ["antom", "antom-u.json"],
        ["antom", "antom-u.json", "--json"],
        ["antom", "antom-repeat.json"],
        ["antom", "antom-repeat.json", "--first-send", "--json"],
        ["antom", "antom-repeat.json", "--status", "409"],
        ["antom", "antom-typo.json"],
        ["antom", "antom-partial.json"],
        ["antom", "antom-partial.json", "--json"],
        ["antom", "hostile.json"],
        ["antom", "hostile.json", "--json"],
        ["antom", "paykka-ok.json"],
        ["paykka", "paykka-risk.json"],
        ["paykka", "paykka-risk.json", "--json", "--lang", "ko"],
        ["paykka", "paykka-ok.json", "--status", "503", "--header", "Retry-After: 7"],
        ["paykka", "paykka-ok.json", "--status", "503", "--header", "Retry-After: 7", "--json"],
        ["paykka", "paykka-refunded.json", "--operation", "refund"],
        ["paykka", "paykka-refunded.json", "--operation", "pay"],
        ["paykka", "paykka-refunded.json"],
        ["paykka", "garbage.json"],
        ["paykka", "garbage.json", "--status", "502", "--json"],
        ["paykka", "empty.json", "--status", "429", "--header", "Retry-After: 3"],
        ["paykka", "missing.json"],
        ["paykka", "paykka-ok.json", "--status", "600"],
        ["paykka", "paykka-ok.json", "--status", "abc"],
        ["paykka", "paykka-ok.json", "--header", "no colon"],
        ["ottpay", "ottpay-paying.json"],
        ["ottpay", "ottpay-paying.json", "--json"],
        ["ottpay_rest", "ottpay-rest-error.json", "--json"],
        ["alipay_plus", "antom-u.json"],
        ["stripe", "paykka-ok.json"],
        ["Paykka", "paykka-ok.json"],
    ]
    cases += [(["classify", *args], None) for args in classify]
    cases += [
        (["classify", "paykka"], json.dumps(bodies["paykka-risk"])),
        (["classify", "paykka", "-", "--json"], json.dumps(bodies["paykka-risk"])),
        (["classify", "antom", "-"], ""),
        (["classify", "antom", "-", "--json"], "not json at all"),
    ]
    # list and export
    cases += [(["list"], None), (["list", "--json"], None)]
    cases += [(["list", p], None) for p in sorted(rows)]
    cases += [
        (["list", "antom", "--json"], None),
        (["list", "--category", "risk"], None),
        (["list", "paykka", "--outcome", "pending", "--json"], None),
        (["list", "--reason", "insufficient_funds"], None),
        (["list", "--reason", "no_such_reason"], None),
        (["list", "--category", "nope"], None),
        (["list", "visa"], None),
        (["list", "mastercard", "--json"], None),
        (["list", "stripe"], None),
        (["export", "--format", "markdown"], None),
        (["export", "paykka", "--format", "csv"], None),
        (["export", "ottpay_rest", "--format", "json"], None),
        (["export", "stripe", "--format", "json"], None),
        (["export", "--format", "yaml"], None),
    ]
    # scan: a file of logged answers made from this snapshot's corpus
    lines = [json.dumps(rec) for _, rec in RECORDS]
    for i, (_, body) in enumerate(CORPUS):
        provider = sorted(rows)[i % len(rows)]
        if isinstance(body, dict):
            lines.append(json.dumps({"provider": provider, "status": 200, "body": body}))
    lines += [
        "not json",
        "",
        '{"provider": "antom", "provider": "paykka", "status": 200, "body": {}}',
        '{"provider": "antom", "status": 200, "body": {"x": 1, "x": 2}}',
        '{"provider": "paykka", "status": 200}',
        json.dumps(
            {
                "provider": "antom",
                "status": 200,
                "body": {"result": {"resultCode": f"NEW_{PAN}", "resultStatus": "F"}},
            }
        ),
    ]
    text = "\n".join(lines) + "\n"
    (tmp / "answers.jsonl").write_text(text, encoding="utf-8")
    (tmp / "answers.jsonl.gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    (tmp / "cut.jsonl.gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0)[:-40])
    cases += [
        (["scan", "answers.jsonl"], None),
        (["scan", "answers.jsonl", "--json"], None),
        (["scan", "answers.jsonl", "--csv"], None),
        (["scan", "answers.jsonl", "--jobs", "1", "--json"], None),
        (["scan", "answers.jsonl", "--first-send", "--json"], None),
        (["scan", "answers.jsonl", "--html", "report.html"], None),
        (["scan", "answers.jsonl.gz", "--json"], None),
        (["scan", "cut.jsonl.gz", "--json"], None),
        (["scan", "-", "--json"], text),
        (["scan", "missing.jsonl"], None),
        (["scan", "answers.jsonl", "--html", "answers.jsonl"], None),
        (["scan", "answers.jsonl", "--json", "--csv"], None),
    ]
    # validate and --mappings
    (tmp / "user.toml").write_text(USER_MAPPING, encoding="utf-8")
    (tmp / "acme.toml").write_text(NEW_PROVIDER, encoding="utf-8")
    (tmp / "bad.toml").write_text(BAD_MAPPING, encoding="utf-8")
    (tmp / "acme-body.json").write_text(
        json.dumps({"error": {"code": "card_declined", "message": "No"}})
    )
    cases += [
        (["validate"], None),
        (["validate", "user.toml", "acme.toml"], None),
        (["validate", "bad.toml"], None),
        (["validate", "missing.toml"], None),
        (["--mappings", "user.toml", "explain", "antom", "USER_BALANCE_NOT_ENOUGH"], None),
        (["--mappings", "user.toml", "explain", "antom", "ACME_NEW", "--json"], None),
        (["--mappings", "acme.toml", "classify", "acme", "acme-body.json", "--json"], None),
        (["--mappings", "acme.toml", "list", "acme"], None),
        (["--mappings", "bad.toml", "list", "antom"], None),
        (["--mappings", "missing.toml", "list"], None),
    ]
    # demo: the same seed prints the same numbers (scripted faults, no timing)
    cases += [
        (["demo", "--json", "--seed", "7"], None),
        (["demo", "--seed", "7"], None),
        (["demo", "--seed", "-1"], None),
    ]
    return cases


def run_cli(argv: list[str], stdin: str | None, tmp: Path) -> dict[str, Json]:
    done = subprocess.run(
        [sys.executable, "-m", "payerr", *argv],
        input=(stdin if stdin is not None else "").encode("utf-8", "surrogatepass"),
        capture_output=True,
        cwd=tmp,
        env=cli_env(),
        timeout=300,
        check=False,
    )
    out: dict[str, Json] = {"argv": argv, "exit": done.returncode}
    if stdin is not None:
        out["stdin"] = stdin if len(stdin) < 300 else {"size": len(stdin)}
    for name, raw in (("stdout", done.stdout), ("stderr", done.stderr)):
        text = _text(raw.decode("utf-8", "backslashreplace"))
        try:
            out[name + "_json"] = json.loads(text) if text.strip() else None
        except json.JSONDecodeError:
            out[name] = text.splitlines()
    if "--html" in argv:
        page = tmp / argv[argv.index("--html") + 1]
        if page.is_file() and page.name.endswith(".html"):
            html = page.read_text(encoding="utf-8", errors="backslashreplace")
            out["html"] = {"size": len(html), "lines": html.splitlines()}
    return out


def section_cli() -> Json:
    rows = mapped_codes()
    with tempfile.TemporaryDirectory(prefix="payerr-snapshot-") as tmp_name:
        tmp = Path(tmp_name)
        cases = cli_cases(tmp, rows)
        scan_html = [i for i, (argv, _) in enumerate(cases) if "--html" in argv]
        plain = [i for i in range(len(cases)) if i not in scan_html]
        results: dict[int, Json] = {}
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            futures = {i: pool.submit(run_cli, cases[i][0], cases[i][1], tmp) for i in plain}
            for i, future in futures.items():
                results[i] = attempt(future.result)
        for i in scan_html:  # after the others: they share the folder the page is written to
            results[i] = attempt(lambda i=i: run_cli(cases[i][0], cases[i][1], tmp))
        runs = {f"{i:03d} payerr {' '.join(cases[i][0])}": results[i] for i in range(len(cases))}
        document = json.dumps(runs, sort_keys=True)
        for spelling in {tmp_name, str(tmp.resolve())}:
            document = document.replace(spelling, "<tmp>")
        return {"runs": json.loads(document), "counts": {"runs": len(runs)}}


# -- section: transport ----------------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when payerr sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Scripted:
    """An inner transport's handler answering from a list (the last answer repeats)."""

    def __init__(self, answers: Sequence[Answer]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if not isinstance(answer, httpx.Response):
            return answer(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def jr(status: int, body: Body, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """A scripted answer."""
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    if isinstance(content, str):
        content = content.encode()
    return httpx.Response(status, headers=dict(headers or {}), content=content)


PAYKKA_OK = {"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS"}}
ANTOM_OK = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"}}
OTT_OK = {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": {"order_status": "SUCCESS"}}
KEY = {"Idempotency-Key": "order-42-attempt"}


def paykka_fail(code: str, description: str = "from PayKKa") -> dict[str, Any]:
    data = {"status": "FAILURE", "error_code": code, "error_description": description}
    return {"ret_code": "000000", "ret_msg": "success", "data": data}


def antom_result(code: str, status: str, message: str = "") -> dict[str, Any]:
    return {"result": {"resultCode": code, "resultStatus": status, "resultMessage": message}}


@dataclasses.dataclass
class Scenario:
    """One call through a payerr transport, answered from a script."""

    provider: str
    answers: Sequence[Answer]
    method: str = "POST"
    url: str = "https://api.paykka.com/v1/payments"
    body: dict[str, Any] | None = dataclasses.field(default_factory=lambda: {"amount": 100})
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    transport: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    policy: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    client: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    extensions: Mapping[str, Any] | None = None
    calls: int = 1
    """How many times the same call is made (a caller's resend)."""


def redirect_then(status: int, final: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    """Answers the first request with a redirect, the request to its location with ``final``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/result"):
            return httpx.Response(final.status_code, headers=final.headers, content=final.content)
        return httpx.Response(status, headers={"Location": "/v1/payments/result"})

    return answer


def scenarios() -> dict[str, Scenario]:
    antom_pay = "https://open-sea-global.alipay.com/ams/api/v1/payments/pay"
    antom_inquiry = "https://open-sea-global.alipay.com/ams/api/v1/payments/inquiryPayment"
    ott_url = "https://frontapi.ottpay.com/processV2"
    s: dict[str, Scenario] = {
        "success first try": Scenario("paykka", [jr(200, PAYKKA_OK)]),
        "success first try, antom": Scenario(
            "antom", [jr(200, ANTOM_OK)], url=antom_pay, body={"paymentRequestId": "pay-1"}
        ),
        "success first try, ottpay": Scenario(
            "ottpay",
            [jr(200, OTT_OK)],
            url=ott_url,
            body={"action": "PASSIVEPAY", "order_id": "o-1"},
        ),
        "success first try, ottpay_rest": Scenario(
            "ottpay_rest",
            [jr(200, {"status": "SUCCESS", "result": {"paymentStatus": "success"}})],
            url="https://api.ottpay.com/api/v1/payments",
        ),
        "success first try, alipay_plus": Scenario(
            "alipay_plus",
            [jr(200, ANTOM_OK)],
            url="https://open-sea-global.alipay.com/aps/api/v1/payments/pay",
            body={"paymentRequestId": "p-1"},
        ),
        "503 then success, keyed": Scenario(
            "paykka", [jr(503, b""), jr(200, PAYKKA_OK)], headers=KEY
        ),
        "503 then success, no key": Scenario("paykka", [jr(503, b""), jr(200, PAYKKA_OK)]),
        "503 then success, antom request id": Scenario(
            "antom",
            [jr(503, b""), jr(200, ANTOM_OK)],
            url=antom_pay,
            body={"paymentRequestId": "pay-2"},
        ),
        "503 always, keyed": Scenario("paykka", [jr(503, b"")], headers=KEY),
        "503 always, attempts 5": Scenario(
            "paykka", [jr(503, b"")], headers=KEY, policy={"attempts": 5}
        ),
        "500 with decline body": Scenario(
            "paykka", [jr(500, paykka_fail("5004", "Insufficient funds"))], headers=KEY
        ),
        "502 with success body": Scenario("paykka", [jr(502, PAYKKA_OK)], headers=KEY),
        "ConnectError then success": Scenario(
            "paykka", [httpx.ConnectError("refused"), jr(200, PAYKKA_OK)]
        ),
        "ConnectTimeout then success": Scenario(
            "paykka", [httpx.ConnectTimeout("slow"), jr(200, PAYKKA_OK)]
        ),
        "PoolTimeout then success": Scenario(
            "paykka", [httpx.PoolTimeout("pool"), jr(200, PAYKKA_OK)]
        ),
        "ConnectError always": Scenario("paykka", [httpx.ConnectError("refused")]),
        "ReadTimeout then success, keyed": Scenario(
            "paykka", [httpx.ReadTimeout("read"), jr(200, PAYKKA_OK)], headers=KEY
        ),
        "ReadTimeout, no key": Scenario("paykka", [httpx.ReadTimeout("read"), jr(200, PAYKKA_OK)]),
        "RemoteProtocolError, no key": Scenario(
            "paykka", [httpx.RemoteProtocolError("closed"), jr(200, PAYKKA_OK)]
        ),
        "ReadError then success, keyed": Scenario(
            "paykka", [httpx.ReadError("reset"), jr(200, PAYKKA_OK)], headers=KEY
        ),
        "ReadTimeout always, keyed": Scenario("paykka", [httpx.ReadTimeout("read")], headers=KEY),
        "429 Retry-After 2 then success": Scenario(
            "paykka", [jr(429, b"", {"Retry-After": "2"}), jr(200, PAYKKA_OK)]
        ),
        "429 Retry-After 120 (too long)": Scenario(
            "paykka", [jr(429, b"", {"Retry-After": "120"}), jr(200, PAYKKA_OK)]
        ),
        "429 without Retry-After always": Scenario("paykka", [jr(429, b"")]),
        "429 with a decline body": Scenario("paykka", [jr(429, paykka_fail("5004"))]),
        "429 then ConnectError then success": Scenario(
            "paykka",
            [jr(429, b"", {"Retry-After": "1"}), httpx.ConnectError("x"), jr(200, PAYKKA_OK)],
            policy={"attempts": 4},
        ),
        "decline user-action": Scenario(
            "paykka", [jr(200, paykka_fail("5004", "Insufficient funds"))], headers=KEY
        ),
        "decline risk": Scenario("paykka", [jr(200, paykka_fail("5019", "Hit blacklist"))]),
        "decline merchant-config 401": Scenario("paykka", [jr(401, {"ret_code": "2000"})]),
        "decline final antom": Scenario(
            "antom", [jr(200, antom_result("PROCESS_FAIL", "F"))], url=antom_pay
        ),
        "decline risk antom": Scenario(
            "antom", [jr(200, antom_result("FRAUD_REJECT", "F"))], url=antom_pay
        ),
        "decline with card advice": Scenario(
            "antom",
            [
                jr(
                    200,
                    {
                        **antom_result("DO_NOT_HONOR", "F"),
                        "paymentResultInfo": {
                            "cardBrand": "MASTERCARD",
                            "refusalCodeRaw": "51",
                            "merchantAdviceCode": "24",
                            "refusalReasonRaw": f"NSF {PAN}",
                        },
                    },
                )
            ],
            url=antom_pay,
            body={"paymentRequestId": "pay-3"},
        ),
        "pending antom in process": Scenario(
            "antom",
            [jr(200, antom_result("PAYMENT_IN_PROCESS", "U"))],
            url=antom_pay,
            body={"paymentRequestId": "pay-4"},
            headers=KEY,
        ),
        "pending ottpay user paying": Scenario(
            "ottpay",
            [
                jr(
                    200,
                    {
                        "rsp_code": "SUCCESS",
                        "data": {"respcode": "PROCESSING", "respmsg": "User paying"},
                    },
                )
            ],
            url=ott_url,
            body={"action": "PASSIVEPAY"},
        ),
        "antom U unknown exception, request id": Scenario(
            "antom",
            [jr(200, antom_result("UNKNOWN_EXCEPTION", "U")), jr(200, ANTOM_OK)],
            url=antom_pay,
            body={"paymentRequestId": "pay-5"},
        ),
        "antom U unknown exception, no id": Scenario(
            "antom",
            [jr(200, antom_result("UNKNOWN_EXCEPTION", "U")), jr(200, ANTOM_OK)],
            url=antom_pay,
            body={"amount": 1},
        ),
        "antom inquiry order not exist": Scenario(
            "antom",
            [jr(200, antom_result("ORDER_NOT_EXIST", "F"))],
            url=antom_inquiry,
            body={"paymentRequestId": "pay-6"},
        ),
        "unknown code": Scenario("paykka", [jr(200, paykka_fail("9X-NEW"))]),
        "unknown code antom U": Scenario(
            "antom", [jr(200, antom_result("BRAND_NEW_CODE", "U"))], url=antom_pay
        ),
        "unmapped status word": Scenario(
            "paykka", [jr(200, {"ret_code": "000000", "data": {"status": "HALF_CAPTURED"}})]
        ),
        "garbled 200, keyed": Scenario(
            "paykka", [jr(200, b"<html>"), jr(200, PAYKKA_OK)], headers=KEY
        ),
        "garbled 200, no key": Scenario("paykka", [jr(200, b"<html>"), jr(200, PAYKKA_OK)]),
        "truncated 200, keyed always": Scenario(
            "paykka", [jr(200, b'{"ret_code": "0')], headers=KEY
        ),
        "duplicate names 200": Scenario(
            "paykka", [jr(200, b'{"ret_code": "5004", "ret_code": "000000"}')]
        ),
        "redirect 303, not followed": Scenario(
            "paykka", [jr(303, b"", {"Location": "/v1/payments/result"})], headers=KEY
        ),
        "redirect 302, followed": Scenario(
            "paykka",
            [redirect_then(302, jr(200, PAYKKA_OK))],
            headers=KEY,
            client={"follow_redirects": True},
        ),
        "redirect 303, followed to a decline": Scenario(
            "paykka",
            [redirect_then(303, jr(200, paykka_fail("5004")))],
            client={"follow_redirects": True},
        ),
        "redirect 307, followed to 503": Scenario(
            "paykka",
            [redirect_then(307, jr(503, b""))],
            headers=KEY,
            client={"follow_redirects": True},
        ),
        "repeat answer after 503, keyed": Scenario(
            "paykka",
            [jr(503, b""), jr(200, paykka_fail("4021", "Transaction number is duplicate"))],
            headers=KEY,
        ),
        "repeat answer first try": Scenario(
            "paykka", [jr(200, paykka_fail("4021", "Transaction number is duplicate"))]
        ),
        "409 first try": Scenario("paykka", [jr(409, {"error": "conflict"})], headers=KEY),
        "resent by caller, same key, memory ledger": Scenario(
            "paykka",
            [jr(200, paykka_fail("4021"))],
            headers=KEY,
            calls=2,
            transport={"ledger": "memory"},
        ),
        "auto idempotency key, 503 then success": Scenario(
            "paykka", [jr(503, b""), jr(200, PAYKKA_OK)], transport={"auto_idempotency_key": True}
        ),
        "auto idempotency key, 503 always": Scenario(
            "paykka", [jr(503, b"")], transport={"auto_idempotency_key": True}
        ),
        "auto idempotency key on ottpay": Scenario(
            "ottpay", [jr(200, OTT_OK)], url=ott_url, transport={"auto_idempotency_key": True}
        ),
        "ottpay key header is not replay safety": Scenario(
            "ottpay",
            [jr(503, b""), jr(200, OTT_OK)],
            url=ott_url,
            body={"action": "PASSIVEPAY"},
            headers=KEY,
        ),
        "ottpay refund by action": Scenario(
            "ottpay",
            [jr(200, {"rsp_code": "REFUND_SUCCESS", "rsp_msg": "refund success."})],
            url=ott_url,
            body={"action": "REFUND"},
        ),
        "GET is replay safe": Scenario(
            "paykka",
            [jr(503, b""), jr(200, PAYKKA_OK)],
            method="GET",
            url="https://api.paykka.com/v1/payments/o-1",
            body=None,
        ),
        "operation extension refund": Scenario(
            "paykka",
            [jr(200, {"ret_code": "000000", "data": {"status": "REFUNDED"}})],
            extensions={"payerr.operation": "refund"},
        ),
        "operation extension bogus": Scenario(
            "paykka", [jr(200, PAYKKA_OK)], extensions={"payerr.operation": "teleport"}
        ),
        "custom idempotency header": Scenario(
            "paykka",
            [jr(503, b""), jr(200, PAYKKA_OK)],
            headers={"X-Request-Key": "k-9"},
            transport={"idempotency_headers": ("X-Request-Key",)},
        ),
        "max_body small": Scenario(
            "paykka", [jr(200, PAYKKA_OK)], headers=KEY, transport={"max_body": 16}
        ),
        "gzip answer": Scenario(
            "paykka",
            [
                httpx.Response(
                    200,
                    headers={"Content-Encoding": "gzip"},
                    content=gzip.compress(json.dumps(PAYKKA_OK).encode(), mtime=0),
                )
            ],
        ),
        "br answer": Scenario(
            "paykka", [httpx.Response(200, headers={"Content-Encoding": "br"}, content=b"\x1b\x00")]
        ),
        "retry budget spent": Scenario(
            "paykka", [jr(503, b"")], headers=KEY, policy={"attempts": 5, "budget": "tiny"}
        ),
        "shared retry budget": Scenario(
            "paykka", [jr(503, b""), jr(200, PAYKKA_OK)], headers=KEY, policy={"budget": True}
        ),
        "policy attempts 1": Scenario(
            "paykka", [jr(503, b"")], headers=KEY, policy={"attempts": 1}
        ),
        "policy attempts 0": Scenario("paykka", [jr(200, PAYKKA_OK)], policy={"attempts": 0}),
        "policy timeout 1, waits past it": Scenario(
            "paykka",
            [jr(429, b"", {"Retry-After": "5"}), jr(200, PAYKKA_OK)],
            headers=KEY,
            policy={"timeout": 1.0},
        ),
        "unknown provider": Scenario("stripe", [jr(200, PAYKKA_OK)]),
        "card number in url and answer": Scenario(
            "paykka",
            [jr(200, paykka_fail("5004", f"card {PAN}"))],
            url=f"https://user:pw@api.paykka.com/v1/payments?card={PAN.replace(' ', '')}",
        ),
    }
    return s


def _policy(fake: FakeTime, settings: Mapping[str, Any]) -> payerr.RetryPolicy:
    options: dict[str, Any] = {"budget": False, **settings}
    if options["budget"] == "tiny":
        options["budget"] = payerr.RetryBudget(percent=0.0, min_retries=1, clock=fake.clock)
    return payerr.RetryPolicy(
        sleep=fake.sleep,
        async_sleep=fake.async_sleep,
        clock=fake.clock,
        random=lambda: 0.0,
        **options,
    )


def _transport_options(settings: Mapping[str, Any], fake: FakeTime) -> dict[str, Any]:
    options = dict(settings)
    if options.get("ledger") == "memory":
        options["ledger"] = payerr.MemoryCallLedger(clock=fake.clock)
    return options


_DROP_KEY = re.compile(r"(time|timestamp|duration|elapsed|wait|delay|_at$|\bid$|_id$|uuid)", re.I)


def _clean_value(value: Json, keys: Mapping[str, str]) -> Json:
    if isinstance(value, str):
        for given, name in keys.items():
            value = value.replace(given, name)
        return _UUID.sub("<uuid>", value)
    if isinstance(value, list):
        return [_clean_value(v, keys) for v in value]
    if isinstance(value, dict):
        return {k: _clean_value(v, keys) for k, v in value.items() if not _DROP_KEY.search(k)}
    return value


class Recorder:
    """OpenTelemetry's SDK, installed as an application installs it, when it is there."""

    def __init__(self) -> None:
        self.reader: Any = None
        self.spans: Any = None
        self.status = "not installed"
        try:
            from opentelemetry import metrics, trace  # noqa: PLC0415 -- optional
            from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider  # noqa: PLC0415
            from opentelemetry.sdk.metrics.export import (  # noqa: PLC0415
                AggregationTemporality,
                InMemoryMetricReader,
            )
            from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
                InMemorySpanExporter,
            )
        except ImportError as exc:
            self.status = f"OpenTelemetry SDK not importable: {exc.name}"
            return
        delta_ = AggregationTemporality.DELTA
        self.reader = InMemoryMetricReader(
            preferred_temporality={Counter: delta_, Histogram: delta_}
        )
        metrics.set_meter_provider(MeterProvider(metric_readers=[self.reader]))
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        trace.set_tracer_provider(tracer_provider)
        self.status = "installed"

    def take(self, keys: Mapping[str, str]) -> dict[str, Json]:
        """The metric points and spans recorded since the last take, without times."""
        if self.reader is None:
            return {"otel": self.status}
        points: list[Json] = []
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    timed = metric.unit == "s"
                    for p in metric.data.data_points:
                        point: dict[str, Json] = {
                            "scope": scope.scope.name,
                            "name": metric.name,
                            "unit": metric.unit,
                            "description": metric.description,
                            "attributes": to_json(dict(p.attributes or {})),
                        }
                        if hasattr(p, "count"):
                            point["count"] = p.count
                            if not timed:
                                point["sum"] = to_json(p.sum)
                                point["min"] = to_json(p.min)
                                point["max"] = to_json(p.max)
                        else:
                            point["value"] = to_json(p.value)
                        if point["count" if "count" in point else "value"] != 0:
                            points.append(_clean_value(point, keys))
        points.sort(key=lambda v: json.dumps(v, sort_keys=True))
        spans: list[Json] = []
        for span in self.spans.get_finished_spans():
            spans.append(
                _clean_value(
                    {
                        "name": span.name,
                        "kind": str(span.kind),
                        "scope": span.instrumentation_scope.name
                        if span.instrumentation_scope
                        else None,
                        "status": str(span.status.status_code),
                        "status_description": span.status.description,
                        "attributes": to_json(dict(span.attributes or {})),
                        "events": [
                            {"name": e.name, "attributes": to_json(dict(e.attributes or {}))}
                            for e in span.events
                        ],
                    },
                    keys,
                )
            )
        self.spans.clear()
        return {"metrics": points, "spans": spans}


def _attempt_record(value: object, keys: Mapping[str, str]) -> Json:
    out = to_json(value)
    if isinstance(out, dict):
        out.pop("wait", None)
    return _clean_value(out, keys)


def _outcome(result: object, keys: Mapping[str, str]) -> dict[str, Json]:
    """The response and its classification, or the exception and its public attributes."""
    if isinstance(result, httpx.Response):
        c = payerr.classification_of(result)
        return {
            "status": result.status_code,
            "classification": record(c) if c is not None else None,
            "extension is classification": result.extensions.get("payerr.classification") is c,
            "redirect history": [r.status_code for r in result.history],
            "body": body_json(result.content),
        }
    assert isinstance(result, BaseException)
    out: dict[str, Json] = {"raised": type(result).__name__, "message": _text(str(result))}
    out["cause"] = type(result.__cause__).__name__ if result.__cause__ is not None else None
    out["is"] = sorted(
        name
        for name in payerr.__all__
        if isinstance(getattr(payerr, name), type)
        and issubclass(getattr(payerr, name), BaseException)
        and isinstance(result, getattr(payerr, name))
    )
    if isinstance(result, payerr.PaymentError):
        c = result.classification
        out.update(
            {
                "classification": record(c),
                "attempts": result.attempts,
                "history": [_attempt_record(r, keys) for r in result.history],
                "executed": _attempt_record(result.executed, keys),
                "idempotency_key": result.idempotency_key,
                "safe_to_resend": result.safe_to_resend,
                "request_method": result.request_method,
                "request_url": result.request_url,
                "status_code": result.status_code,
                "response": result.response.status_code if result.response is not None else None,
            }
        )
    cleaned: dict[str, Json] = _clean_value(out, keys)
    return cleaned


def run_scenario(scenario: Scenario, asynchronous: bool, recorder: Recorder) -> dict[str, Json]:
    payerr.testing.reset()
    fake = FakeTime()
    handler = Scripted(scenario.answers)
    keys: dict[str, str] = {}
    results: list[Json] = []
    with capture_logs() as logs:
        try:
            policy = _policy(fake, scenario.policy)
            options = _transport_options(scenario.transport, fake)
            inner = httpx.MockTransport(handler)
            request_options: dict[str, Any] = {"headers": dict(scenario.headers)}
            if scenario.body is not None:
                request_options["json"] = scenario.body
            if scenario.extensions is not None:
                request_options["extensions"] = dict(scenario.extensions)
            if asynchronous:
                transport_a = payerr.AsyncPaymentTransport(
                    scenario.provider, transport=inner, policy=policy, **options
                )

                async def calls() -> list[object]:
                    made: list[object] = []
                    async with httpx.AsyncClient(
                        transport=transport_a, **scenario.client
                    ) as client:
                        for _ in range(scenario.calls):
                            try:
                                made.append(
                                    await client.request(
                                        scenario.method, scenario.url, **request_options
                                    )
                                )
                            except Exception as exc:  # the error is the outcome recorded
                                made.append(exc)
                    return made

                made = asyncio.run(calls())
            else:
                transport_s = payerr.PaymentTransport(
                    scenario.provider, transport=inner, policy=policy, **options
                )
                made = []
                with httpx.Client(transport=transport_s, **scenario.client) as client:
                    for _ in range(scenario.calls):
                        try:
                            made.append(
                                client.request(scenario.method, scenario.url, **request_options)
                            )
                        except Exception as exc:  # the error is the outcome recorded
                            made.append(exc)
        except Exception as exc:  # building the transport or policy failed: behaviour too
            made = [exc]
        # Keys payerr generated: named by order of appearance, never by value.
        for request in handler.requests:
            for header in ("Idempotency-Key", "X-Idempotency-Key"):
                value = request.headers.get(header)
                if value is not None and value not in scenario.headers.values():
                    keys.setdefault(value, f"<generated key {len(keys) + 1}>")
        results = [_outcome(r, keys) for r in made]
    requests = [
        {
            "method": r.method,
            "url": _clean_value(str(r.url), keys),
            "idempotency_key": _clean_value(r.headers.get("Idempotency-Key"), keys),
            "accept_encoding": r.headers.get("Accept-Encoding"),
            "body": body_json(r.content),
            "extensions": sorted(k for k in r.extensions if k.startswith("payerr")),
        }
        for r in handler.requests
    ]
    events = [
        _clean_value(to_json({k: v for k, v in e.items() if k != "exc_info"}), keys) for e in logs
    ]
    return {
        "inner_requests": len(handler.requests),
        "requests": requests,
        "waits": [round(w, 6) for w in fake.slept],
        "results": results,
        "logs": events,
        **recorder.take(keys),
    }


def section_transport(recorder: Recorder) -> Json:
    out: dict[str, Json] = {"otel": recorder.status}
    recorder.take({})  # anything recorded before this section
    runs: dict[str, Json] = {}
    for name, scenario in scenarios().items():
        for asynchronous in (False, True):
            label = f"{name} / {'async' if asynchronous else 'sync'}"
            runs[label] = attempt(
                lambda scenario=scenario, asynchronous=asynchronous: run_scenario(
                    scenario, asynchronous, recorder
                )
            )
    out["runs"] = runs
    out["same sync and async"] = {
        name: runs[f"{name} / sync"] == runs[f"{name} / async"] for name in scenarios()
    }
    out["counts"] = {"runs": len(runs)}
    out["tenacity pieces"] = tenacity_snapshot()
    return out


def tenacity_snapshot() -> Json:
    """The tenacity pieces on their own: a PaymentError judged, waits computed."""
    out: dict[str, Json] = {}
    fake = FakeTime()
    policy = _policy(fake, {"attempts": 1})

    def error_for(answer: httpx.Response, headers: Mapping[str, str]) -> BaseException:
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(Scripted([answer])), policy=policy
        )
        with httpx.Client(transport=transport) as client:
            try:
                client.post(
                    "https://api.paykka.com/v1/payments", json={"n": 1}, headers=dict(headers)
                )
            except payerr.PaymentError as exc:
                return exc
        raise AssertionError("no error")

    try:
        import tenacity  # noqa: PLC0415 -- payerr's dependency, used only here
    except ImportError:
        return {"tenacity": "not importable"}
    cases = {
        "503 keyed": (jr(503, b"", {"Retry-After": "3"}), KEY),
        "503 no key": (jr(503, b""), {}),
        "decline": (jr(200, paykka_fail("5004")), KEY),
        "429": (jr(429, b"", {"Retry-After": "2"}), {}),
    }
    retry = payerr.retry_if_retryable()
    wait = payerr.wait_retry_after(initial=0.5, random=lambda: 0.0)
    stop = payerr.stop_before_timeout(20, max_retry_after=30, clock=fake.clock)
    for name, (answer, headers) in cases.items():
        payerr.testing.reset()
        error = attempt(lambda answer=answer, headers=headers: error_for(answer, headers))
        if not isinstance(error, BaseException):
            out[name] = error
            continue
        state: dict[str, Json] = {}
        for number in (1, 2, 4):
            rs = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
            rs.attempt_number = number
            fut = tenacity.Future(number)
            fut.set_exception(error)
            rs.outcome = fut
            rs.outcome_timestamp = fake.clock()
            rs.start_time = fake.clock() - number
            state[f"attempt {number}"] = {
                "retry": attempt(lambda rs=rs: bool(retry(rs))),
                "wait": attempt(lambda rs=rs: to_json(wait(rs))),
                "stop": attempt(lambda rs=rs: bool(stop(rs))),
            }
        out[name] = state
    return out


# -- section: notifications ------------------------------------------------------------------------

_SMALL_PRIMES = tuple(
    p for p in range(3, 2000, 2) if all(p % k for k in range(3, int(p**0.5) + 1, 2))
)


def _probable_prime(n: int, rng: random.Random) -> bool:
    """Miller-Rabin, 32 rounds, after trial division."""
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(32):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def fixed_rsa_key(seed: str) -> Any:
    """A 2048-bit RSA key made from a seeded generator: the same key on every run (a test key
    made here, never a secret), so that signatures, and what payerr says of them, repeat."""
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415 -- optional

    rng = random.Random(seed)
    e = 65537

    def prime() -> int:
        while True:
            n = rng.getrandbits(1024) | (3 << 1022) | 1
            if math.gcd(n - 1, e) == 1 and _probable_prime(n, rng):
                return n

    p, q = prime(), prime()
    d = pow(e, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(e, p * q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public)
    return numbers.private_key()


def antom_signed(
    key: Any, body: str, *, method: str = "POST", path: str = "/notify"
) -> dict[str, str]:
    """Headers signing ``body`` as Antom signs a notification (docs.antom.com/ac/ams/
    digital_signature: ``"<METHOD> <path>\\n<client-id>.<request-time>.<body>"``,
    SHA256withRSA, base64, URL-encoded)."""
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 -- optional
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    client_id, when = "SANDBOX_5YBZ1A2ZTRMG04123", "2024-05-28T12:12:12+08:00"
    content = f"{method} {path}\n{client_id}.{when}.{body}".encode()
    signature = key.sign(content, padding.PKCS1v15(), hashes.SHA256())
    value = urllib.parse.quote_plus(base64.b64encode(signature).decode())
    return {
        "Content-Type": "application/json",
        "Signature": f"algorithm=RSA256,keyVersion=1,signature={value}",
        "Client-Id": client_id,
        "Request-Time": when,
    }


def ottpay_sealed(data: dict[str, str], signkey: str) -> dict[str, str]:
    """An OTT Pay callback as docs.ottpay.com/payment-api/appendix-a seals one: the upper-case
    MD5 of the values in key order; AES-128-ECB (PKCS5 padding, base64) under the middle 16
    characters of the upper-case MD5 of md5 + signkey."""
    from cryptography.hazmat.primitives import padding as sym_padding  # noqa: PLC0415
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415

    values = "".join(data[k] for k in sorted(data))
    md5 = hashlib.md5(values.encode(), usedforsecurity=False).hexdigest().upper()
    key = hashlib.md5((md5 + signkey).encode(), usedforsecurity=False).hexdigest().upper()[8:24]
    padder = sym_padding.PKCS7(128).padder()
    plain = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key.encode()), modes.ECB()).encryptor()
    sealed = base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
    return {
        "rsp_code": "SUCCESS",
        "rsp_msg": "success",
        "merchant_id": "ON00004652",
        "data": sealed,
        "md5": md5,
    }


def notification_json(note: object) -> Json:
    """A verified Notification's public fields (its Ack's body as text)."""
    return to_json(note)


def antom_notify(code: str = "SUCCESS", status: str = "S", **fields: Any) -> str:
    body: dict[str, Any] = {
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": code, "resultStatus": status, "resultMessage": "message"},
        "paymentRequestId": "pay_req_01",
        "paymentId": "20240528000000001",
        "paymentAmount": {"value": "4200", "currency": "SGD"},
    }
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None}, indent=1)


def verify_note(provider: str, body: str | bytes, headers: object, **options: Any) -> Json:
    """``verify_notification`` with a ledger of its own (unless given): the Notification's
    public fields, or the error."""
    settings: dict[str, Any] = {"method": "POST", "path": "/notify", **options}
    settings.setdefault("ledger", payerr.MemoryCallLedger())
    return attempt(
        lambda: notification_json(
            payerr.verify_notification(provider, headers=headers, body=body, **settings)
        )
    )


def notification_deliveries(key: Any, public: str) -> Json:
    """One notification delivered again and again: claimed, in progress, done, duplicate."""
    body = antom_notify()
    headers = antom_signed(key, body)
    ledger = payerr.MemoryCallLedger()
    steps: dict[str, Json] = {}
    first = payerr.verify_notification(
        "antom",
        method="POST",
        path="/notify",
        headers=headers,
        body=body,
        public_key=public,
        ledger=ledger,
    )

    def done() -> Json:
        first.done()
        return "done"

    def forget() -> Json:
        first.forget()
        return "forgotten"

    again = {"public_key": public, "ledger": ledger}
    steps["1 first"] = notification_json(first)
    steps["2 while handled"] = verify_note("antom", body, headers, **again)
    steps["3 done"] = attempt(done)
    steps["4 redelivered"] = verify_note("antom", body, headers, **again)
    steps["5 a duplicate's forget"] = attempt(forget)
    steps["6 redelivered again"] = verify_note("antom", body, headers, **again)
    pending = antom_notify(notifyType="PAYMENT_PENDING")
    steps["7 pending notice of the same payment"] = verify_note(
        "antom", pending, antom_signed(key, pending), **again
    )
    steps["async"] = attempt(
        lambda: notification_json(
            asyncio.run(
                payerr.averify_notification(
                    "antom",
                    method="POST",
                    path="/notify",
                    headers=headers,
                    body=body,
                    public_key=public,
                    ledger=payerr.MemoryCallLedger(),
                )
            )
        )
    )
    return steps


def ottpay_notifications() -> dict[str, Json]:
    out: dict[str, Json] = {}
    data = {
        "order_id": "OP0001",
        "order_status": "captured",
        "amount": "1000",
        "merchant_id": "ON00004652",
    }
    for status in ("captured", "authorised", "refunded", "FAIL", "PROCESSING", "new-word"):
        sealed = ottpay_sealed({**data, "order_status": status}, "SIGNKEY0123456789")
        out[f"ottpay {status}"] = verify_note(
            "ottpay", json.dumps(sealed), {}, public_key="SIGNKEY0123456789"
        )
    sealed = ottpay_sealed(data, "SIGNKEY")
    ott_cases: dict[str, tuple[dict[str, str], str]] = {
        "wrong signkey": (sealed, "OTHERKEY"),
        "md5 changed": ({**sealed, "md5": "0" * 32}, "SIGNKEY"),
        "data changed": ({**sealed, "data": sealed["data"][:-8] + "AAAAAAA="}, "SIGNKEY"),
        "data not base64": ({**sealed, "data": "%%%"}, "SIGNKEY"),
        "no md5": ({k: v for k, v in sealed.items() if k != "md5"}, "SIGNKEY"),
        "rsp_code flipped": ({**sealed, "rsp_code": "FAIL", "rsp_msg": "failure."}, "SIGNKEY"),
        "order id is Luhn valid": (
            ottpay_sealed({**data, "order_id": "4111111111111111"}, "SIGNKEY"),
            "SIGNKEY",
        ),
        "no order id": (ottpay_sealed({"order_status": "captured"}, "SIGNKEY"), "SIGNKEY"),
    }
    for name, (given, signkey) in ott_cases.items():
        out[f"ottpay {name}"] = verify_note("ottpay", json.dumps(given), {}, public_key=signkey)
    return out


def section_notifications() -> Json:
    try:
        key = fixed_rsa_key("payerr behaviour snapshot: notifier")
        other = fixed_rsa_key("payerr behaviour snapshot: forger")
    except ImportError as exc:
        return {"skipped": f"cryptography not importable: {exc.name}"}
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 -- optional

    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    bare_public = "".join(public.strip().splitlines()[1:-1])

    def check(provider: str, body: str | bytes, headers: object, **options: Any) -> Json:
        return verify_note(provider, body, headers, **{"public_key": public, **options})

    out: dict[str, Json] = {}
    antom_bodies = {
        "success": antom_notify(),
        "declined": antom_notify("USER_BALANCE_NOT_ENOUGH", "F"),
        "pending notice": antom_notify(notifyType="PAYMENT_PENDING"),
        "U unknown exception": antom_notify("UNKNOWN_EXCEPTION", "U"),
        "card advice": antom_notify(
            "DO_NOT_HONOR",
            "F",
            paymentResultInfo={"cardBrand": "VISA", "refusalCodeRaw": "05", "fingerprint": "fp"},
        ),
        "refund result": antom_notify(
            notifyType="REFUND_RESULT", refundStatus="SUCCESS", refundRequestId="r-1", refundId="R1"
        ),
        "capture result": antom_notify(
            notifyType="CAPTURE_RESULT", captureRequestId="c-1", captureId="C1"
        ),
        "vaulting result": antom_notify(
            notifyType="VAULTING_RESULT", vaultingRequestId="v-1", vaultingStatus="SUCCESS"
        ),
        "dispute": json.dumps(
            {"notifyType": "DISPUTE", "paymentId": "P1", "disputeNotificationType": "CREATED"}
        ),
        "unknown notifyType": antom_notify(notifyType="TELEPORT"),
        "no result": antom_notify(result=None),
        "subscription": json.dumps(
            {"subscriptionRequestId": "sub-A", "subscriptionNotificationType": "CREATE"}
        ),
        "card number in id": antom_notify(paymentRequestId="4111111111111111"),
        "odd id": antom_notify(paymentRequestId="a:b%c#\u200bd" + "x" * 200),
        "not json": "not json",
    }
    for name, body in antom_bodies.items():
        out[f"antom {name}"] = check("antom", body, antom_signed(key, body))
    alipay = json.dumps(
        {
            "paymentResult": {
                "resultCode": "SUCCESS",
                "resultStatus": "S",
                "resultMessage": "Success",
            },
            "paymentRequestId": "pay_req_01",
            "paymentId": "20240528000000001",
        }
    )
    out["alipay_plus success"] = check("alipay_plus", alipay, antom_signed(key, alipay))
    body = antom_notify()
    headers = antom_signed(key, body)
    forged = {
        "other key": antom_signed(other, body),
        "no signature": {k: v for k, v in headers.items() if k != "Signature"},
        "no client-id": {k: v for k, v in headers.items() if k != "Client-Id"},
        "garbled signature": {**headers, "Signature": headers["Signature"][:-12] + "AAAAAAAAAAAA"},
        "short signature": {
            **headers,
            "Signature": "algorithm=RSA256,keyVersion=1,signature=Zm9yZ2Vk",
        },
        "not base64": {**headers, "Signature": "algorithm=RSA256,keyVersion=1,signature=%%%%"},
        "other algorithm": {**headers, "Signature": headers["Signature"].replace("RSA256", "RSA")},
        "hostile header": {**headers, "Client-Id": "\u001b[2J" + PAN},
        "signature twice": [*headers.items(), ("Signature", headers["Signature"])],
    }
    for name, given in forged.items():
        out[f"antom forged: {name}"] = check("antom", body, given)
    out["antom forged: body changed"] = check("antom", body.replace("4200", "1"), headers)
    out["antom forged: body re-serialised"] = check("antom", json.dumps(json.loads(body)), headers)
    out["antom forged: other path"] = check("antom", body, headers, path="/other")
    out["antom forged: other method"] = check("antom", body, headers, method="PUT")
    out["antom forged: lower-case method"] = check("antom", body, headers, method="post")
    out["antom body bytes"] = check("antom", body.encode(), headers)
    out["antom bare base64 key"] = check("antom", body, headers, public_key=bare_public)
    out["antom garbage key"] = check("antom", body, headers, public_key="not a key")
    big = antom_notify(pad="x" * 1_100_000)
    out["antom too large"] = check("antom", big, antom_signed(key, big))
    out["antom deliveries"] = notification_deliveries(key, public)
    out.update(ottpay_notifications())
    out["paykka"] = verify_note("paykka", b"{}", {"x-paykka-sign": "x"}, public_key="x")
    out["unknown provider"] = verify_note("stripe", b"{}", {}, public_key="x")
    out["counts"] = {"cases": len(out)}
    return out


# -- section: api ----------------------------------------------------------------------------------


def section_api() -> Json:
    out: dict[str, Json] = {
        "payerr.__all__": sorted(payerr.__all__),
        "payerr.networks.__all__": sorted(payerr.networks.__all__),
        "payerr.testing.__all__": sorted(payerr.testing.__all__),
        "kinds": {name: type(getattr(payerr, name)).__name__ for name in sorted(payerr.__all__)},
        "providers": payerr.providers(),
        "locales": list(payerr.locales()),
        "Outcome": [v.value for v in payerr.Outcome],
        "Category": [v.value for v in payerr.Category],
        "Operation": [v.value for v in payerr.Operation],
        "Reason": [v.value for v in payerr.Reason],
        "Advice": [v.value for v in payerr.Advice],
        "Classification fields": list(_CLASSIFICATION_FIELDS),
        "CodeEntry fields": [f.name for f in dataclasses.fields(payerr.CodeEntry)],
        "AttemptRecord fields": list(getattr(payerr.AttemptRecord, "_fields", ())),
        "exception tree": {
            name: [b.__name__ for b in getattr(payerr, name).__mro__[1:] if b is not object]
            for name in sorted(payerr.__all__)
            if isinstance(getattr(payerr, name), type)
            and issubclass(getattr(payerr, name), BaseException)
        },
        "RetryPolicy defaults": policy_defaults(),
        "FAULTS": to_json(payerr.testing.FAULTS),
        "SIMULATE_HEADER": to_json(payerr.testing.SIMULATE_HEADER),
        "scenario": {
            repr(args): attempt(lambda args=args: to_json(payerr.testing.scenario(*args)))
            for args in (("503",), ("429:2", "reset", "stall"), ("bogus",), ())
        },
        "envelope unknown provider": attempt(
            lambda: to_json(payerr.testing.envelope("stripe", "x"))
        ),
    }
    out["consistent"] = {
        f"{o.value} / {c.value if c else None}": attempt(
            lambda o=o, c=c: to_json(payerr.Classification.consistent(o, c))
        )
        for o in payerr.Outcome
        for c in (None, *payerr.Category)
    }
    out["defaults"] = {
        f"{o.value} / {c.value if c else None}": attempt(
            lambda o=o, c=c: to_json(payerr.Classification.defaults(o, c))
        )
        for o in payerr.Outcome
        for c in (None, *payerr.Category)
    }
    sample = payerr.classify_http(
        "paykka", 200, paykka_fail("5004", "Insufficient funds"), operation="pay"
    )
    out["reclassified"] = {
        f"{o.value} / {c.value if c else None}": checked(lambda o=o, c=c: sample.reclassified(o, c))
        for o in payerr.Outcome
        for c in (None, *payerr.Category)
    }
    out["as_dict"] = {
        f"{p} {code}": attempt(lambda p=p, code=code: to_json(payerr.classify(p, code).as_dict()))
        for p, code in (
            ("antom", "USER_BALANCE_NOT_ENOUGH"),
            ("antom", "NEVER_SEEN"),
            ("paykka", "5004"),
            ("alipay_plus", "10005"),
            ("ottpay", "SYSTEM_ERROR"),
            ("ottpay_rest", "20007"),
        )
    }
    out["as_dict with network"] = attempt(
        lambda: to_json(
            payerr.classify_http(
                "antom",
                200,
                {
                    **antom_result("DO_NOT_HONOR", "F"),
                    "paymentResultInfo": {"cardBrand": "VISA", "refusalCodeRaw": "05"},
                },
                operation="pay",
            ).as_dict()
        )
    )
    out["is_replay_safe"] = attempt(replay_safety)
    out["RedactSensitive"] = attempt(redaction)
    out["add_payment_context"] = attempt(payment_context)
    out["Registry"] = attempt(registry_snapshot)
    out["counts"] = {"entries": len(out)}
    return out


def policy_defaults() -> Json:
    policy = payerr.RetryPolicy()
    out: dict[str, Json] = {}
    for name in (
        "attempts",
        "timeout",
        "wait_initial",
        "wait_max",
        "wait_jitter",
        "wait_exp_base",
        "max_retry_after",
    ):
        out[name] = to_json(getattr(policy, name, None))
    out["budget is shared"] = attempt(
        lambda: to_json(type(getattr(policy, "budget", None)).__name__)
    )
    for bad in ({"attempts": -1}, {"timeout": -1.0}, {"wait_jitter": math.nan}, {"budget": "yes"}):
        out[f"invalid {bad}"] = attempt(
            lambda bad=bad: to_json(type(payerr.RetryPolicy(**bad)).__name__)
        )
    return out


def replay_safety() -> Json:
    cases: dict[str, tuple[httpx.Request, str | None]] = {}
    for provider in (None, *payerr.providers()):
        name = provider or "no provider"
        cases[f"POST bare / {name}"] = (httpx.Request("POST", NEUTRAL_URL, json={"a": 1}), provider)
        cases[f"POST keyed / {name}"] = (
            httpx.Request("POST", NEUTRAL_URL, json={"a": 1}, headers=KEY),
            provider,
        )
        cases[f"GET / {name}"] = (httpx.Request("GET", NEUTRAL_URL), provider)
        cases[f"PUT / {name}"] = (httpx.Request("PUT", NEUTRAL_URL, json={}), provider)
        for method, url, body in REQUESTS.get(provider or "", ()):
            cases[f"{method} {url} {json.dumps(body)} / {name}"] = (
                _request(method, url, body),
                provider,
            )
    cases["antom refund naming its payment"] = (
        _request("POST", f"{_AMS}/payments/refund", {"paymentId": "p-1"}),
        "antom",
    )
    cases["antom pay, request id not a string"] = (
        _request("POST", f"{_AMS}/payments/pay", {"paymentRequestId": 5}),
        "antom",
    )
    cases["antom pay, body not json"] = (
        httpx.Request("POST", f"{_AMS}/payments/pay", content=b"<xml/>"),
        "antom",
    )
    out: dict[str, Json] = {
        name: attempt(lambda r=r, p=p: payerr.is_replay_safe(r, provider=p))
        for name, (r, p) in cases.items()
    }
    out["custom request id field"] = attempt(
        lambda: payerr.is_replay_safe(
            httpx.Request("POST", NEUTRAL_URL, json={"my_id": "x"}), request_id_fields=["my_id"]
        )
    )
    out["custom header"] = attempt(
        lambda: payerr.is_replay_safe(
            httpx.Request("POST", NEUTRAL_URL, headers={"X-Key": "1"}),
            idempotency_headers=["X-Key"],
        )
    )
    out["unknown provider"] = attempt(
        lambda: payerr.is_replay_safe(httpx.Request("POST", NEUTRAL_URL), provider="stripe")
    )
    return out


def redaction() -> Json:
    inputs: dict[str, object] = {
        "plain pan": f"card {PAN.replace(' ', '')} declined",
        "grouped pan": f"card {PAN} declined",
        "dashed pan with cvv": "4111-1111-1111-1111 123 12/29",
        "percent encoded": "card=4111%201111%201111%201111",
        "fullwidth": "".join(chr(0xFF10 + int(d)) for d in "4111111111111111"),
        "not luhn": "1234 5678 9012 3456",
        "long id": "4111111111111111123",
        "int pan": 4111111111111111,
        "bytes pan": b"4111111111111111",
        "nested": {"card": {"number": "4111111111111111", "cvv": "123"}, "amount": 100},
        "list": ["5555555555554444", {"pin": "1234"}, ("x", "378282246310005")],
        "json in string": '{"pan": "4111111111111111", "Authorization": "Bearer abc"}',
        "key=value": "pan=4111111111111111 cvc=123 token=abc amount=100",
        "authorization header": {
            "Authorization": "Bearer secret",
            "x-paykka-sign": "s",
            "signature": "z",
        },
        "code left alone": "USER_BALANCE_NOT_ENOUGH 5004 ORD-20261122-0001 USD 1000",
        "key is pan": {"4111111111111111": "v"},
        "exception text": ValueError(f"bad card {PAN}"),
    }
    processor = payerr.RedactSensitive()
    custom = payerr.RedactSensitive(keys=("order_no",), patterns=(r"ORD-\d+",), mask="<gone>")
    out: dict[str, Json] = {}
    for name, value in inputs.items():
        event = {"event": "x", "field": value}
        out[name] = {
            "default": attempt(lambda event=event: to_json(processor(None, "info", dict(event)))),
            "custom": attempt(
                lambda event=event: to_json(custom(None, "info", {**event, "order_no": "o-1"}))
            ),
        }
    return out


def payment_context() -> Json:
    c = payerr.classify_http("paykka", 200, paykka_fail("5004", f"card {PAN}"), operation="pay")
    error = payerr.UserActionError(c, request=httpx.Request("POST", NEUTRAL_URL + "?card=1"))
    events: dict[str, dict[str, Any]] = {
        "classification value": {"event": "e", "result": c},
        "error=": {"event": "e", "error": error},
        "exc_info tuple": {"event": "e", "exc_info": (type(error), error, None)},
        "nothing": {"event": "e", "x": 1},
    }
    return {
        name: attempt(lambda ev=ev: to_json(payerr.add_payment_context(None, "info", dict(ev))))
        for name, ev in events.items()
    }


def registry_snapshot() -> Json:
    """An isolated Registry with user files (never the default one)."""
    out: dict[str, Json] = {}
    with tempfile.TemporaryDirectory(prefix="payerr-snapshot-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "user.toml").write_text(USER_MAPPING, encoding="utf-8")
        (tmp / "acme.toml").write_text(NEW_PROVIDER, encoding="utf-8")
        (tmp / "bad.toml").write_text(BAD_MAPPING, encoding="utf-8")
        try:
            registry = payerr.Registry([tmp / "user.toml", tmp / "acme.toml"], use_env=False)
        except Exception as exc:  # recorded, as every failure
            registry = payerr.Registry(use_env=False)
            out["Registry(...)"] = error_of(exc)
        out["providers"] = attempt(lambda: to_json(registry.providers()))
        out["validate"] = attempt(lambda: to_json(registry.validate()))
        for provider, code in (
            ("antom", "USER_BALANCE_NOT_ENOUGH"),
            ("antom", "ACME_NEW"),
            ("acme", "card_declined"),
            ("antom", "SUCCESS"),
        ):
            out[f"classify {provider} {code}"] = checked(
                lambda p=provider, c=code: payerr.classify(p, c, registry=registry)
            )
            out[f"explain {provider} {code}"] = attempt(
                lambda p=provider, c=code: to_json(payerr.explain(p, c, registry=registry))
            )
        out["classify_http acme"] = checked(
            lambda: payerr.classify_http(
                "acme",
                200,
                {"error": {"code": "card_declined", "message": "No"}},
                registry=registry,
            )
        )
        out["bad file"] = attempt(
            lambda: to_json(payerr.Registry([tmp / "bad.toml"], use_env=False).validate())
        )
        out["bad add_files"] = attempt(lambda: to_json(registry.add_files(tmp / "bad.toml")))
        out["add_mapping"] = attempt(
            lambda: to_json(
                registry.add_mapping(
                    {
                        "provider": {"id": "antom"},
                        "code": [
                            {
                                "code": "PROCESS_FAIL",
                                "message": "A general business failure occurred.",
                                "outcome": "failed",
                                "category": "merchant-config",
                            }
                        ],
                    }
                )
            )
        )
        out["after add_mapping"] = checked(
            lambda: payerr.classify("antom", "PROCESS_FAIL", registry=registry)
        )
        out["shipped only"] = attempt(
            lambda: to_json(payerr.Registry(shipped=False, use_env=False).providers())
        )
        document = json.dumps(out, sort_keys=True)
        for spelling in {tmp_name, str(tmp.resolve())}:
            document = document.replace(spelling, "<tmp>")
        result: Json = json.loads(document)
        return result


# -- putting it together ---------------------------------------------------------------------------

SECTIONS = ("transport", "codes", "corpus", "networks", "notifications", "cli", "api")


def normalise_paths(document: str) -> str:
    """Absolute paths of this checkout, of payerr and of Python, by name."""
    package = Path(payerr.__file__).resolve().parent
    spellings: list[tuple[str, str]] = [(str(package), "<payerr>")]
    if package.parent.name == "src":
        spellings.append((str(package.parent.parent), "<root>"))
    else:
        spellings.append((str(package.parent), "<site-packages>"))
    spellings += [
        (str(Path(payerr.__file__).parent), "<payerr>"),
        (str(Path(__file__).resolve().parent.parent), "<root>"),
        (sys.prefix, "<prefix>"),
        (sys.base_prefix, "<base-prefix>"),
        (tempfile.gettempdir(), "<tempdir>"),
    ]
    for spelling, name in sorted(set(spellings), key=lambda s: -len(s[0])):
        if len(spelling) > 1:
            document = document.replace(spelling, name)
    return document


@contextlib.contextmanager
def quiet_structlog() -> Iterator[None]:
    """payerr's events go through structlog's processors and print nothing (outside the
    transport section's capture)."""
    structlog.reset_defaults()
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    try:
        yield
    finally:
        structlog.reset_defaults()


def summary(snapshot: Mapping[str, Json], size: int) -> str:
    lines = [f"behaviour snapshot: {size:,} bytes"]
    for name, value in snapshot.items():
        counts = value.get("counts") if isinstance(value, dict) else None
        lines.append(f"  {name}: {json.dumps(counts, sort_keys=True) if counts else ''}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--out", help="write the document here (default: standard output)")
    parser.add_argument("--section", action="append", choices=SECTIONS, help="only these")
    parser.add_argument("--quiet", action="store_true", help="no summary on standard error")
    args = parser.parse_args(argv)
    os.environ.pop("PAYERR_MAPPINGS", None)  # the shipped mappings only
    wanted = args.section or list(SECTIONS)
    snapshot: dict[str, Json] = {}
    recorder = Recorder() if "transport" in wanted else None
    for name in SECTIONS:  # transport first: a fresh process's log limits and caches
        if name not in wanted:
            continue
        with quiet_structlog():
            if name == "transport":
                assert recorder is not None
                snapshot[name] = attempt(lambda: section_transport(recorder))
                continue
            work: Callable[[], Json] = {
                "codes": section_codes,
                "corpus": section_corpus,
                "networks": section_networks,
                "cli": section_cli,
                "notifications": section_notifications,
                "api": section_api,
            }[name]
            snapshot[name] = attempt(work)
    document = normalise_paths(
        json.dumps(snapshot, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
    )
    document += "\n"
    if args.out:
        Path(args.out).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    if not args.quiet:
        sys.stderr.write(summary(snapshot, len(document.encode("utf-8"))) + "\n")
    return 0


def _reexec_with_fixed_hash_seed() -> None:
    """Run again under PYTHONHASHSEED=0, so that nothing can depend on set order."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


# -- the corpus: answer bodies found in tests/, docs/ and examples/ (copied, so that both runs
# of a comparison read the same inputs), each with the place it was found -----------------------

CORPUS: tuple[tuple[str, Body], ...] = (
    (
        "tests/answers.py:26",
        {"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS"}},
    ),
    ("tests/answers.py:26", {"status": "SUCCESS"}),
    (
        "tests/answers.py:27",
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"}},
    ),
    ("tests/answers.py:28", {"rsp_code": "SUCCESS", "rsp_msg": "success"}),
    (
        "tests/test_antom_sdk.py:386",
        {
            "result": {
                "resultCode": "USER_BALANCE_NOT_ENOUGH",
                "resultStatus": "F",
                "resultMessage": "forged",
            }
        },
    ),
    (
        "tests/test_api.py:85",
        {
            "code": "PROCESS_FAIL",
            "message": "A general business failure occurred.",
            "outcome": "failed",
            "category": "merchant-config",
        },
    ),
    ("tests/test_classify.py:68", {"code": 1}),
    ("tests/test_classify.py:264", {"ret_code": "000000", "data": {"status": "PROCESSING"}}),
    ("tests/test_classify.py:264", {"status": "PROCESSING"}),
    ("tests/test_client_truth.py:363", {"rsp_code": "NEVER_SEEN"}),
    (
        "tests/test_client_truth.py:515",
        {"status": "FAILURE", "error_code": "4000", "error_description": "processing"},
    ),
    (
        "tests/test_code_tables.py:114",
        {"status": "FAILURE", "error_code": "2099", "error_description": "Invalid Card"},
    ),
    ("tests/test_code_tables.py:162", {"status": "FAILURE", "error_code": "5014"}),
    ("tests/test_code_tables.py:169", {"status": "FAILURE", "error_code": "6008"}),
    (
        "tests/test_code_tables.py:270",
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "refundStatus": "FAIL"},
    ),
    ("tests/test_doc_blocks.py:51", {"ret_code": "000000", "data": {"status": "SUCCESS"}}),
    (
        "tests/test_doc_blocks.py:95",
        {"result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"}},
    ),
    (
        "tests/test_envelopes.py:168",
        {"code": "SDK_PAYMENT_FAIL", "result": {"paymentResultCode": "USER_BALANCE_NOT_ENOUGH"}},
    ),
    ("tests/test_envelopes.py:168", {"paymentResultCode": "USER_BALANCE_NOT_ENOUGH"}),
    ("tests/test_envelopes.py:175", {"code": "SDK_PAYMENT_PROCESSING"}),
    ("tests/test_envelopes.py:176", {"code": "SDK_END_OF_LOADING"}),
    ("tests/test_envelopes.py:177", {"code": "SDK_Payment_SUCCESSFUL"}),
    ("tests/test_envelopes.py:196", {"errorCode": 10005}),
    (
        "tests/test_envelopes.py:204",
        {
            "rsp_code": "SUCCESS",
            "rsp_msg": "success",
            "data": {"respcode": "PROCESSING", "respmsg": "User paying"},
        },
    ),
    ("tests/test_envelopes.py:205", {"respcode": "PROCESSING", "respmsg": "User paying"}),
    (
        "tests/test_envelopes.py:213",
        {
            "rsp_code": "SIGN_FAIL",
            "rsp_msg": "verification signature fail",
            "data": "kq3Jd9+base64==",
            "md5": "abc",
        },
    ),
    ("tests/test_envelopes.py:221", {"rsp_code": "FAIL", "data": {"respcode": "NEWCODE"}}),
    ("tests/test_envelopes.py:221", {"respcode": "NEWCODE"}),
    ("tests/test_envelopes.py:223", {"rsp_code": "SUCCESS", "data": {"respcode": "NEWCODE"}}),
    ("tests/test_envelopes.py:256", {"data": "ENCRYPTED=="}),
    ("tests/test_envelopes.py:256", {"data": None}),
    ("tests/test_envelopes.py:271", {"ret_code": "2000", "ret_msg": "Signature error"}),
    ("tests/test_envelopes.py:276", {"ret_code": "010000"}),
    ("tests/test_envelopes.py:277", {"ret_code": "999999"}),
    ("tests/test_envelopes.py:279", {"ret_code": "206003", "ret_msg": "Signature error"}),
    ("tests/test_envelopes.py:282", {"ret_code": "206099", "ret_msg": "sign error"}),
    ("tests/test_errors_travel.py:82", {"ret_code": "9999"}),
    ("tests/test_hardening.py:27", {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}}),
    ("tests/test_hostile_answers.py:61", {"status": "ORDERCLOSE"}),
    ("tests/test_hostile_answers.py:64", {"rspCode": "SUCCESS", "status": "ORDERCLOSE"}),
    ("tests/test_hostile_answers.py:66", {"respcode": "SUCCESS", "status": "ORDERCLOSE"}),
    ("tests/test_hostile_answers.py:67", {"rspCode": "SOMETHING_NEW"}),
    ("tests/test_hostile_answers.py:68", {"respcode": "SUCCESS", "status": "SUCCESS"}),
    ("tests/test_hostile_answers.py:82", {"status": "CANCELED"}),
    ("tests/test_hostile_answers.py:94", {"ret_code": "000000", "data": {"status": "REFUNDED"}}),
    ("tests/test_hostile_answers.py:94", {"status": "REFUNDED"}),
    (
        "tests/test_hostile_answers.py:96",
        {"rsp_code": "SUCCESS", "data": {"order_status": "FULLY_REFUNDED"}},
    ),
    ("tests/test_hostile_answers.py:96", {"order_status": "FULLY_REFUNDED"}),
    (
        "tests/test_hostile_answers.py:97",
        {"rsp_code": "SUCCESS", "data": {"order_status": "REFUND_SUCCESS"}},
    ),
    ("tests/test_hostile_answers.py:97", {"order_status": "REFUND_SUCCESS"}),
    ("tests/test_hostile_answers.py:118", {"errorCode": "0000"}),
    ("tests/test_hostile_answers.py:119", {"ret_code": "0000"}),
    ("tests/test_hostile_answers.py:120", {"ret_code": "000000"}),
    (
        "tests/test_hostile_answers.py:153",
        {
            "notifyType": "REFUND_RESULT",
            "result": {"resultCode": "PROCESS_FAIL", "resultStatus": "F"},
            "refundStatus": "SUCCESS",
        },
    ),
    (
        "tests/test_hostile_answers.py:175",
        {"result": {"resultCode": "PARAM_ILLEGAL", "resultStatus": "F"}},
    ),
    ("tests/test_hostile_answers.py:202", {"rsp_code": "REFUND_SUCCESS", "rsp_msg": "ok"}),
    (
        "tests/test_hostile_answers.py:226",
        {"result": {"resultCode": "SUCC\u200bESS", "resultStatus": "S"}},
    ),
    (
        "tests/test_hostile_answers.py:227",
        {"result": {"resultCode": "SUCCESS\x00", "resultStatus": "S"}},
    ),
    (
        "tests/test_hostile_answers.py:228",
        {"result": {"resultCode": "SUCCESS\x1b[0m", "resultStatus": "S"}},
    ),
    ("tests/test_hostile_answers.py:229", {"rsp_code": "SUCC\x00ESS", "rsp_msg": "success"}),
    (
        "tests/test_hostile_answers.py:230",
        {"ret_code": "000000", "data": {"error_code": "00\u200b00", "status": "x"}},
    ),
    ("tests/test_hostile_answers.py:230", {"error_code": "00\u200b00", "status": "x"}),
    ("tests/test_hostile_answers.py:231", {"ret_code": "0000\x00"}),
    (
        "tests/test_hostile_answers.py:232",
        {"status": "SUCCESS", "result": {"paymentStatus": "succ\u200bess\x00"}},
    ),
    ("tests/test_hostile_answers.py:232", {"paymentStatus": "succ\u200bess\x00"}),
    ("tests/test_ledger.py:78", {"action": "pay", "data": {"order_id": "A-1"}}),
    ("tests/test_ledger_redis.py:320", {"action": "pay", "data": {"order_id": "OTT-9"}}),
    ("tests/test_ledger_redis.py:398", {"action": "pay", "data": {"order_id": "OTT-77"}}),
    ("tests/test_logging.py:84", {"ret_code": "2000"}),
    (
        "tests/test_mask_then_cut.py:101",
        {"status": "FAILURE", "error_code": "5004", "error_description": "x"},
    ),
    (
        "tests/test_memo.py:123",
        {"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS", "status": None}},
    ),
    ("tests/test_memo.py:123", {"rspCode": "SUCCESS", "status": None}),
    ("tests/test_memo.py:124", {"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS"}}),
    ("tests/test_memo.py:124", {"rspCode": "SUCCESS"}),
    (
        "tests/test_memo.py:167",
        {"code": "X", "paymentId": "1", "data": {"status": "S", "amount": 5}},
    ),
    ("tests/test_memo.py:167", {"status": "S", "amount": 5}),
    (
        "tests/test_memo.py:168",
        {"code": "X", "paymentId": "2", "data": {"status": "S", "amount": 6}},
    ),
    ("tests/test_memo.py:168", {"status": "S", "amount": 6}),
    (
        "tests/test_memo.py:169",
        {"code": "X", "paymentId": "3", "data": {"status": "F", "amount": 6}},
    ),
    ("tests/test_memo.py:169", {"status": "F", "amount": 6}),
    (
        "tests/test_memo.py:280",
        {
            "ret_code": "000000",
            "ret_msg": "success",
            "data": {"status": "SUCCESS", "order_no": "o-1"},
        },
    ),
    ("tests/test_memo.py:281", {"status": "SUCCESS", "order_no": "o-1"}),
    (
        "tests/test_memo.py:282",
        {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5004"}},
    ),
    ("tests/test_memo.py:282", {"status": "FAILURE", "error_code": "5004"}),
    (
        "tests/test_memo.py:285",
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}},
    ),
    (
        "tests/test_memo.py:287",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentStatus": "FAIL",
            "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
        },
    ),
    (
        "tests/test_memo.py:291",
        {
            "rsp_code": "SUCCESS",
            "rsp_msg": "success",
            "data": {"rspCode": "SUCCESS", "status": "SUCCESS"},
        },
    ),
    ("tests/test_memo.py:292", {"rspCode": "SUCCESS", "status": "SUCCESS"}),
    (
        "tests/test_memo.py:294",
        {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S"},
        },
    ),
    ("tests/test_networks.py:483", {"code": "43"}),
    (
        "tests/test_networks_tables.py:393",
        {
            "result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"},
            "paymentResultInfo": {"cardBrand": "VISA", "refusalCodeRaw": "46"},
        },
    ),
    ("tests/test_never_raises.py:79", {"ret_code": "000000", "data": {"status": "FAILURE"}}),
    ("tests/test_never_raises.py:79", {"status": "FAILURE"}),
    ("tests/test_never_raises.py:80", {"data": {"status": "FAILURE"}}),
    ("tests/test_never_raises.py:81", {"result": {"resultCode": 1.5, "resultStatus": "F"}}),
    (
        "tests/test_notifications.py:68",
        {
            "paymentResult": {
                "resultCode": "SUCCESS",
                "resultStatus": "S",
                "resultMessage": "Success",
            },
            "paymentRequestId": "pay_req_01",
            "paymentId": "20240528000000001",
            "paymentAmount": {"value": "4200", "currency": "SGD"},
        },
    ),
    (
        "tests/test_notifications.py:251",
        {
            "order_id": "OP0001",
            "order_status": "captured",
            "amount": "1000",
            "merchant_id": "ON00004652",
        },
    ),
    ("tests/test_notifications.py:265", {"order_id": "OP0002", "order_status": "captured"}),
    ("tests/test_notifications.py:275", {"order_id": "OP0002", "order_status": "authorised"}),
    (
        "tests/test_notifications.py:315",
        {"notifyType": "DISPUTE", "paymentId": "P1", "disputeNotificationType": "CREATED"},
    ),
    (
        "tests/test_notifications.py:316",
        {"notifyType": "DISPUTE", "paymentId": "P1", "disputeNotificationType": "JUDGED"},
    ),
    (
        "tests/test_notifications.py:317",
        {
            "notifyType": "PAYMENT_RESULT",
            "paymentId": "P1:S/SUCCESS",
            "result": {"resultStatus": "S", "resultCode": "SUCCESS"},
        },
    ),
    (
        "tests/test_notifications.py:319",
        {
            "notifyType": "PAYMENT_RESULT",
            "paymentId": "P1",
            "result": {"resultStatus": "S", "resultCode": "SUCCESS"},
        },
    ),
    ("tests/test_notifications.py:334", {"order_id": "OP7", "order_status": "captured"}),
    (
        "tests/test_operations.py:264",
        {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": {"respcode": None}},
    ),
    ("tests/test_operations.py:264", {"respcode": None}),
    (
        "tests/test_operations.py:298",
        {"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F"}},
    ),
    ("tests/test_operations.py:309", {"rsp_code": "REFUND_NOT_EXIST"}),
    (
        "tests/test_operations.py:424",
        {"ret_code": "000000", "errorCode": "5004", "data": {"status": "SUCCESS"}},
    ),
    ("tests/test_operations.py:433", {"ret_code": "999999", "data": {"status": "PROCESSING"}}),
    ("tests/test_operations.py:460", {"ret_code": "000000", "data": {"status": "CANCELLED"}}),
    ("tests/test_operations.py:460", {"status": "CANCELLED"}),
    (
        "tests/test_operations.py:463",
        {"rsp_code": "SUCCESS", "data": {"respcode": "ORDER_REVERSED"}},
    ),
    ("tests/test_operations.py:463", {"respcode": "ORDER_REVERSED"}),
    ("tests/test_operations.py:503", {"ret_code": "0000", "data": "x"}),
    ("tests/test_operations.py:512", {"rsp_code": "FAIL", "data": {"respcode": "SUCCESS"}}),
    ("tests/test_operations.py:512", {"respcode": "SUCCESS"}),
    (
        "tests/test_operations.py:537",
        {"ret_code": "4019", "ret_msg": "This payment has been canceled"},
    ),
    (
        "tests/test_operations.py:557",
        {"result": {"resultStatus": "U", "resultCode": "VERIFICATION_IN_PROCESS"}},
    ),
    ("tests/test_ottpay_legacy.py:72", {"rspCode": "SUCCESS", "rspMsg": "success", "amount": "5"}),
    (
        "tests/test_ottpay_legacy.py:79",
        {"rspCode": "SUCCESS", "rspMsg": "success", "status": "ORDERCLOSE"},
    ),
    ("tests/test_ottpay_legacy.py:112", {"rspCode": "FAIL", "rspMsg": "failure.", "status": None}),
    ("tests/test_ottpay_legacy.py:114", {"rspCode": "FAIL", "rspMsg": "failure."}),
    ("tests/test_ottpay_legacy.py:122", {"rsp_code": "SYSTEM_ERROR", "rsp_msg": "system error."}),
    (
        "tests/test_ottpay_legacy.py:133",
        {"rsp_code": "ORDER_NOT_EXIST", "rsp_msg": "original order not exist"},
    ),
    ("tests/test_ottpay_legacy.py:210", {"rsp_code": "SUCCESS"}),
    (
        "tests/test_ottpay_legacy.py:247",
        {"rsp_code": "REFUND_SUCCESS", "rsp_msg": "refund success."},
    ),
    ("tests/test_ottpay_legacy.py:254", {"rspCode": "SUCCESS", "rspMsg": "success"}),
    ("tests/test_ottpay_legacy.py:283", {"respcode": "FULLY_REFUNDED"}),
    ("tests/test_ottpay_legacy.py:287", {"respcode": "SUCCESS", "status": None}),
    (
        "tests/test_ottpay_legacy.py:304",
        {"rsp_code": "PARTIAL_REFUNDED", "rsp_msg": "partial Refunded"},
    ),
    ("tests/test_ottpay_legacy.py:310", {"rspCode": "FULLY_REFUNDED"}),
    ("tests/test_ottpay_legacy.py:321", {"data": {"rspCode": "SUCCESS", "status": "SUCCESS"}}),
    (
        "tests/test_ottpay_legacy.py:322",
        {"rsp_code": None, "data": {"rspCode": "SUCCESS", "status": "ORDERCLOSE"}},
    ),
    (
        "tests/test_ottpay_legacy.py:323",
        {"rsp_code": "SUCCESS", "data": {"rspCode": None, "status": "SUCCESS"}},
    ),
    ("tests/test_ottpay_legacy.py:323", {"rspCode": None, "status": "SUCCESS"}),
    (
        "tests/test_ottpay_legacy.py:326",
        {
            "rsp_code": "SUCCESS",
            "data": {"rspCode": "SUCCESS", "respcode": "PROCESSING", "status": "FULLY_REFUNDED"},
        },
    ),
    (
        "tests/test_ottpay_legacy.py:327",
        {"rspCode": "SUCCESS", "respcode": "PROCESSING", "status": "FULLY_REFUNDED"},
    ),
    ("tests/test_ottpay_legacy.py:332", {"rsp_code": "SUCCESS", "data": {"status": "SUCCESS"}}),
    (
        "tests/test_ottpay_legacy.py:333",
        {"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS", "status": "ORDERCLOSE"}},
    ),
    ("tests/test_ottpay_rest.py:186", {"status": "ERROR"}),
    ("tests/test_ottpay_rest.py:187", {"status": "ERROR", "result": None}),
    ("tests/test_ottpay_rest.py:188", {"status": "ERROR", "result": {"code": [10003]}}),
    ("tests/test_ottpay_rest.py:188", {"code": [10003]}),
    ("tests/test_ottpay_rest.py:189", {"status": "OK", "result": {}}),
    ("tests/test_ottpay_rest.py:190", {"status": None, "result": {"paymentStatus": "success"}}),
    ("tests/test_ottpay_rest.py:190", {"paymentStatus": "success"}),
    ("tests/test_ottpay_rest.py:191", {"status": "SUCCESS", "result": "success"}),
    (
        "tests/test_ottpay_rest.py:192",
        {"status": "SUCCESS", "result": {"paymentStatus": {"value": "success"}}},
    ),
    ("tests/test_ottpay_rest.py:192", {"paymentStatus": {"value": "success"}}),
    (
        "tests/test_ottpay_rest.py:194",
        {"status": "SU\u017fCCESS", "result": {"paymentStatus": "success"}},
    ),
    (
        "tests/test_reasons.py:292",
        {
            "result": {"resultCode": "PAYMENT_FAIL", "resultStatus": "F", "resultMessage": "x"},
            "paymentResultCode": "ORDER_STATUS_INVALID",
            "paymentResultInfo": {
                "cardBrand": "MASTERCARD",
                "refusalCodeRaw": "51",
                "merchantAdviceCode": "24",
            },
        },
    ),
    (
        "tests/test_reasons.py:364",
        {"result": {"resultCode": "NEVER_SEEN", "resultStatus": "F", "resultMessage": "x"}},
    ),
    (
        "tests/test_reasons.py:407",
        {
            "result": {
                "resultCode": "REQUEST_TRAFFIC_EXCEED_LIMIT",
                "resultStatus": "U",
                "resultMessage": "The request traffic exceeds the limit.",
            }
        },
    ),
    (
        "tests/test_scan.py:33",
        {
            "result": {
                "resultCode": "USER_BALANCE_NOT_ENOUGH",
                "resultStatus": "F",
                "resultMessage": "The user balance is not enough for the payment.",
            }
        },
    ),
    (
        "tests/test_scan.py:37",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
            "paymentStatus": "SUCCESS",
        },
    ),
    (
        "tests/test_scan.py:41",
        {
            "result": {
                "resultCode": "PAYMENT_IN_PROCESS",
                "resultStatus": "U",
                "resultMessage": "payment in process",
            }
        },
    ),
    (
        "tests/test_scan.py:48",
        {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "NEVER_SEEN_1"}},
    ),
    ("tests/test_scan.py:48", {"status": "FAILURE", "error_code": "NEVER_SEEN_1"}),
    ("tests/test_scan.py:97", {"status": 200}),
    (
        "tests/test_telemetry.py:184",
        {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "9X-NEW"}},
    ),
    ("tests/test_telemetry.py:184", {"status": "FAILURE", "error_code": "9X-NEW"}),
    (
        "tests/test_telemetry.py:198",
        {"result": {"resultCode": "BRAND_NEW_CODE", "resultStatus": "U"}},
    ),
    (
        "tests/test_truth_drill.py:57",
        {"code": "succeeded", "message": "Payment created", "outcome": "success"},
    ),
    (
        "tests/test_unknown_result.py:189",
        {"result": {"resultCode": "PROCESS_FAIL", "resultStatus": "F", "resultMessage": "x"}},
    ),
    (
        "tests/test_unknown_result.py:192",
        {"result": {"resultCode": "ACCESS_DENIED", "resultStatus": "F", "resultMessage": "x"}},
    ),
    (
        "tests/test_unknown_result.py:201",
        {"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F", "resultMessage": ""}},
    ),
    (
        "tests/test_unknown_result.py:208",
        {
            "notifyType": "PAYMENT_RESULT",
            "result": {
                "resultCode": "UNKNOWN_EXCEPTION",
                "resultStatus": "U",
                "resultMessage": "x",
            },
        },
    ),
    (
        "tests/test_unmapped_status.py:24",
        {"ret_code": "000000", "data": {"status": "HALF_CAPTURED"}},
    ),
    ("tests/test_unmapped_status.py:24", {"status": "HALF_CAPTURED"}),
    (
        "tests/test_unmapped_status.py:26",
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "paymentStatus": "PARTIAL"},
    ),
    (
        "tests/test_unmapped_status.py:29",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentStatus": "PARTIAL",
            "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
        },
    ),
    ("tests/test_unmapped_status.py:33", {"status": "QUEUED", "result": {}}),
    ("tests/test_unmapped_status.py:48", {"status": None}),
    ("tests/test_unmapped_status.py:48", {"status": 5}),
    (
        "tests/test_unmapped_status.py:93",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentStatus": "SUCCESS\u200b",
        },
    ),
    (
        "tests/test_unmapped_status.py:95",
        {"ret_code": "000000", "data": {"status": "SUCCESS\u200b"}},
    ),
    ("tests/test_unmapped_status.py:95", {"status": "SUCCESS\u200b"}),
    ("tests/test_unmapped_status.py:96", {"status": "SUCCESS\u200b", "result": {}}),
    (
        "tests/test_unmapped_status.py:116",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S"},
            "paymentStatus": "PARTIAL_B",
        },
    ),
    (
        "tests/test_unmapped_status.py:125",
        {"ret_code": "000000", "data": {"status": "4111-1111-1111-1111"}},
    ),
    ("tests/test_unmapped_status.py:125", {"status": "4111-1111-1111-1111"}),
    (
        "examples/antom_pay_then_inquire.py:25",
        {
            "result": {
                "resultCode": "PAYMENT_IN_PROCESS",
                "resultStatus": "U",
                "resultMessage": "payment in process",
            },
            "normalUrl": "https://open-sea.alipay.com/checkout?code=demo",
        },
    ),
    (
        "examples/async_client.py:21",
        {"rsp_code": "AMOUNT_NOT_ENOUGH", "rsp_msg": "insufficient balance"},
    ),
    (
        "examples/async_client.py:26",
        {"rsp_code": "SUCCESS", "data": {"respcode": "PROCESSING", "respmsg": "User paying"}},
    ),
    (
        "examples/json_logs.py:35",
        {
            "ret_code": "000000",
            "data": {
                "status": "FAILURE",
                "error_code": "5004",
                "error_description": "Insufficient funds",
            },
        },
    ),
    (
        "examples/json_logs.py:35",
        {"status": "FAILURE", "error_code": "5004", "error_description": "Insufficient funds"},
    ),
    (
        "examples/paykka_checkout_idempotency.py:24",
        {
            "ret_code": "000000",
            "ret_msg": "success",
            "data": {"status": "SUCCESS", "order_no": "ORD-20261122-0001"},
        },
    ),
    (
        "examples/paykka_checkout_idempotency.py:26",
        {"status": "SUCCESS", "order_no": "ORD-20261122-0001"},
    ),
    (
        "README.md:81",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
            "paymentStatus": "FAIL",
            "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
            "paymentResultMessage": "The user balance is not enough for the payment.",
        },
    ),
    (
        "docs/card-networks.md:32",
        {
            "result": {
                "resultCode": "DO_NOT_HONOR",
                "resultStatus": "F",
                "resultMessage": "The payment is declined by the issuing bank.",
            },
            "paymentRequestId": "renewal-2026-11-0042",
            "paymentResultInfo": {
                "cardBrand": "MASTERCARD",
                "refusalCodeRaw": "51",
                "refusalReasonRaw": "Insufficient funds",
                "merchantAdviceCode": "24",
                "fingerprint": "c0ffee1234",
            },
        },
    ),
    (
        "docs/card-networks.md:67",
        {
            "result": {
                "resultCode": "DO_NOT_HONOR",
                "resultStatus": "F",
                "resultMessage": "The payment is declined by the issuing bank.",
            },
            "paymentRequestId": "renewal-2026-11-0042",
            "paymentResultInfo": {
                "cardBrand": "MASTERCARD",
                "refusalCodeRaw": "05",
                "merchantAdviceCode": "25",
                "fingerprint": "fp_2f8c41d07a",
            },
        },
    ),
    ("docs/cli.md:87", {"result": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F"}}),
    (
        "docs/getting-started.md:23",
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "paymentStatus": "PROCESSING"},
    ),
    (
        "docs/notifications.md:13",
        {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."},
            "paymentRequestId": "renewal-2026-11-0042",
        },
    ),
    (
        "docs/notifications.md:18",
        {
            "notifyType": "PAYMENT_RESULT",
            "result": {
                "resultCode": "USER_BALANCE_NOT_ENOUGH",
                "resultStatus": "F",
                "resultMessage": "The user balance is not enough.",
            },
            "paymentRequestId": "renewal-2026-11-0043",
        },
    ),
    (
        "docs/notifications.md:24",
        {
            "notifyType": "PAYMENT_PENDING",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."},
            "paymentRequestId": "renewal-2026-11-0044",
        },
    ),
    (
        "examples/responses/antom_inquiry_declined.json",
        {
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
            "paymentStatus": "FAIL",
            "paymentResultCode": "USER_BALANCE_NOT_ENOUGH",
            "paymentResultMessage": (
                "The payment cannot be completed because the user balance in "
                "the corresponding payment method is not enough."
            ),
            "paymentRequestId": "pay_20261122_000123",
            "paymentId": "202611221940108001001880C0200000001",
            "paymentAmount": {"currency": "USD", "value": "1000"},
            "paymentCreateTime": "2026-11-22T03:00:00-08:00",
        },
    ),
    (
        "examples/responses/antom_pay_in_process.json",
        {
            "result": {
                "resultCode": "PAYMENT_IN_PROCESS",
                "resultStatus": "U",
                "resultMessage": "payment in process",
            },
            "paymentRequestId": "pay_20261122_000124",
            "paymentId": "202611221940108001001880C0200000002",
            "normalUrl": (
                "https://open-sea.alipay.com/api/open/v1/ac/cashier/self/code"
                "value/checkout.htm?codeValue=example"
            ),
        },
    ),
    (
        "examples/responses/ottpay_user_paying.json",
        {
            "rsp_code": "SUCCESS",
            "rsp_msg": "success",
            "data": {
                "respcode": "PROCESSING",
                "respmsg": "User paying",
                "order_id": "OT20261122000001",
            },
            "md5": "9F86D081884C7D659A2FEAA0C55AD015",
        },
    ),
    (
        "examples/responses/paykka_blacklisted.json",
        {
            "ret_code": "000000",
            "ret_msg": "success",
            "data": {
                "status": "FAILURE",
                "error_code": "5019",
                "error_description": "Hit blacklist",
                "merchant_id": "M100200300",
                "order_no": "ORD-20261122-0001",
            },
        },
    ),
)
"""Answer bodies found in tests/, docs/ and examples/, each with where it was found."""
RECORDS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "tests/test_scan.py:32",
        {
            "provider": "antom",
            "status": 200,
            "path": "/ams/api/v1/payments/pay",
            "body": {
                "result": {
                    "resultCode": "USER_BALANCE_NOT_ENOUGH",
                    "resultStatus": "F",
                    "resultMessage": "The user balance is not enough for the payment.",
                }
            },
        },
    ),
    (
        "tests/test_scan.py:40",
        {
            "provider": "antom",
            "status": 200,
            "operation": "pay",
            "body": {
                "result": {
                    "resultCode": "PAYMENT_IN_PROCESS",
                    "resultStatus": "U",
                    "resultMessage": "payment in process",
                }
            },
        },
    ),
    (
        "tests/test_scan.py:44",
        {
            "provider": "paykka",
            "status": 200,
            "body": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5004"}},
        },
    ),
    (
        "tests/test_scan.py:47",
        {
            "provider": "paykka",
            "status": 200,
            "body": {
                "ret_code": "000000",
                "data": {"status": "FAILURE", "error_code": "NEVER_SEEN_1"},
            },
        },
    ),
    (
        "tests/test_scan.py:50",
        {"provider": "ottpay", "status": 503, "body": "", "headers": {"Retry-After": "7"}},
    ),
    ("tests/test_scan.py:86", {"provider": "antom", "status": "200", "body": {}}),
    ("tests/test_scan.py:98", {"provider": "antom", "status": 200, "body": 5}),
    ("tests/test_scan.py:99", {"provider": "antom", "status": 200, "operation": "rfnd"}),
    ("tests/test_scan.py:100", {"provider": "antom", "status": 200, "path": 7}),
    ("tests/test_scan.py:101", {"provider": "antom", "status": True}),
    (
        "docs/cli.md:46",
        {
            "provider": "antom",
            "status": 200,
            "path": "/ams/api/v1/payments/pay",
            "body": {"result": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F"}},
        },
    ),
    (
        "docs/cli.md:47",
        {
            "provider": "paykka",
            "status": 200,
            "body": '{"ret_code":"000000","data":{"status":"SUCCESS"}}',
        },
    ),
    (
        "docs/cli.md:84",
        {
            "provider": "paykka",
            "status": 200,
            "body": {"ret_code": "000000", "data": {"status": "SUCCESS"}},
        },
    ),
)
"""Logged answers (payerr scan's records) found in tests/ and docs/."""


if __name__ == "__main__":
    _reexec_with_fixed_hash_seed()
    sys.exit(main())
