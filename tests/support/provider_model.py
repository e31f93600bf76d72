"""A loopback model of how four kinds of provider deduplicate and answer repeated payment requests.

Written from the providers' documents only (Architecture#where-each-provider-fact-lives,
Architecture#truth-rules, Architecture#operations-and-the-field-that-decides and the seed code
tables),
never from payerr's own mappings, so that a drill against it cannot share payerr's blind spots.

Providers and the field that names the order:

* Antom ``POST /ams/api/v1/payments/pay``: ``paymentRequestId`` (idempotent,
Architecture#where-each-provider-fact-lives and 7).
* PayKKa ``POST /paykka/v1/payments``: ``merchant_order_no`` (duplicate codes, seed 003).
* OTT Pay ``POST /ottpay/api``: ``data.order_id`` (``ORDER_USED``, seed 002).
* Generic REST ``POST /generic/payments``: ``order_id`` (bare HTTP 409 on a repeat,
  Architecture#truth-rules).

Dedup state is kept per (provider, order); fault scripts and the counters are per order id.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import select
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.support.loopback import running

# 401: a gateway turns the request away before the provider sees it (an access token that
# expired while an earlier attempt stalled), so nothing is executed or deduplicated.
PRE_FAULTS = frozenset({"reset", "500", "502", "503", "429", "401"})
POST_FAULTS = frozenset({"stall", "drop", "502x", "429x", "garbage", "ok"})
FAULTS = PRE_FAULTS | POST_FAULTS
KEY_MODES = frozenset({"replay", "repeat"})
KEY_HEADER = "Idempotency-Key"
GARBAGE = b"<html>upstream garbled"

# Seed 003 (PayKKa): the codes a provider answers to a duplicate submission of an order.
PAYKKA_DUPLICATES: tuple[tuple[str, str], ...] = (
    ("4020", "Duplicate transaction"),
    ("4021", "Transaction number is duplicate"),
    ("4002", "Transaction is completed, duplicate submission is not allowed"),
)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body bytes and its content type ("" when the body is empty)."""

    status: int
    body: bytes = b""
    content_type: str = ""


def _json(status: int, payload: dict[str, Any]) -> Answer:
    """A JSON answer; every provider here answers application/json
    (Architecture#where-each-provider-fact-lives)."""
    return Answer(status, json.dumps(payload).encode(), "application/json")


def _stable_id(prefix: str, order: str, n: int) -> str:
    """A reproducible provider-side id for the n-th execution of ``order``."""
    digest = hashlib.sha256(f"{prefix}:{order}:{n}".encode()).hexdigest()
    return f"{prefix}{digest[:20]}"


def _ott_md5(data: dict[str, Any]) -> str:
    """OTT Pay signs the envelope with an ``md5`` field
    (Architecture#where-each-provider-fact-lives): a stand-in here."""
    return hashlib.md5(json.dumps(data, sort_keys=True).encode()).hexdigest().upper()


# --- order extraction ------------------------------------------------------------------------


def _field(payload: dict[str, Any], name: str) -> str | None:
    """A non-empty string field of the request body, else None (the request is then a 400)."""
    value = payload.get(name)
    return value if isinstance(value, str) and value else None


def _ott_order(payload: dict[str, Any]) -> str | None:
    """OTT Pay: the order is ``data.order_id`` of ``{action, version, merchant_id, data, md5}``."""
    data = payload.get("data")
    return _field(data, "order_id") if isinstance(data, dict) else None


# --- success answers (first execution) -------------------------------------------------------


def _antom_success(order: str, payload: dict[str, Any], n: int) -> Answer:
    """Antom pay success: HTTP 200, result S/SUCCESS plus the payment
    (Architecture#where-each-provider-fact-lives, 7)."""
    result = {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."}
    return _json(
        200,
        {
            "result": result,
            "paymentRequestId": order,
            "paymentId": _stable_id("2024", order, n),
            "paymentAmount": payload.get("paymentAmount"),
        },
    )


def _paykka_success(order: str, payload: dict[str, Any], n: int) -> Answer:
    """PayKKa success: HTTP 200, ret_code 000000, data.status SUCCESS
    (Architecture#where-each-provider-fact-lives, seed
    003)."""
    data = {
        "status": "SUCCESS",
        "merchant_order_no": order,
        "payment_id": _stable_id("PK", order, n),
    }
    return _json(200, {"ret_code": "000000", "ret_msg": "success", "data": data})


def _ott_success(order: str, payload: dict[str, Any], n: int) -> Answer:
    """OTT Pay success: rsp_code SUCCESS / "success" (seed 002) and the paid order's decrypted
    data (docs.ottpay.com/payment-api/retail-api/api-list, PASSIVEPAY: "order_status | Order
    status | Y", "order_id | Order ID | Y")."""
    data = {"order_id": order, "order_status": "SUCCESS"}
    return _json(
        200, {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": data, "md5": _ott_md5(data)}
    )


def _generic_success(order: str, payload: dict[str, Any], n: int) -> Answer:
    """Generic REST ("bare409") success: HTTP 200 with the created payment
    (Architecture#truth-rules)."""
    return _json(
        200, {"id": _stable_id("pay_", order, n), "order_id": order, "status": "succeeded"}
    )


# --- repeat answers (an already executed order sent again) -----------------------------------


def _antom_inconsistent() -> Answer:
    """Antom: same paymentRequestId, changed body: REPEAT_REQ_INCONSISTENT
    (Architecture#where-each-provider-fact-lives, 7)."""
    result = {
        "resultCode": "REPEAT_REQ_INCONSISTENT",
        "resultStatus": "F",
        "resultMessage": "The submitted request is inconsistent with the previous request.",
    }
    return _json(200, {"result": result})


def _paykka_repeat(order: str) -> Answer:
    """PayKKa duplicate: HTTP 200, ret_code 000000, data FAILURE with 4020/4021/4002 (seed 003)."""
    code, text = PAYKKA_DUPLICATES[zlib.crc32(order.encode()) % len(PAYKKA_DUPLICATES)]
    data = {
        "status": "FAILURE",
        "error_code": code,
        "error_description": text,
        "merchant_order_no": order,
    }
    return _json(200, {"ret_code": "000000", "ret_msg": "success", "data": data})


def _ott_repeat(order: str) -> Answer:
    """OTT Pay duplicate order: rsp_code ORDER_USED / "order number duplicated" (seed 002)."""
    data = {"order_id": order}
    return _json(
        200,
        {
            "rsp_code": "ORDER_USED",
            "rsp_msg": "order number duplicated",
            "data": data,
            "md5": _ott_md5(data),
        },
    )


def _generic_repeat(order: str) -> Answer:
    """Generic REST duplicate: a bare HTTP 409 with an empty body (Architecture#truth-rules)."""
    return Answer(409)


@dataclass(frozen=True)
class Provider:
    """How one provider names the order, answers a first execution and answers a repeat."""

    name: str
    path: str
    order_of: Callable[[dict[str, Any]], str | None]
    success: Callable[[str, dict[str, Any], int], Answer]
    repeat: Callable[[str], Answer]
    uses_keys: bool


PROVIDERS: dict[str, Provider] = {
    p.path: p
    for p in (
        Provider(
            "antom",
            "/ams/api/v1/payments/pay",
            lambda body: _field(body, "paymentRequestId"),
            _antom_success,
            lambda order: _antom_inconsistent(),
            uses_keys=False,
        ),
        Provider(
            "paykka",
            "/paykka/v1/payments",
            lambda body: _field(body, "merchant_order_no"),
            _paykka_success,
            _paykka_repeat,
            uses_keys=True,
        ),
        # No OTT Pay page documents an idempotency key header: it deduplicates on none.
        Provider("ottpay", "/ottpay/api", _ott_order, _ott_success, _ott_repeat, uses_keys=False),
        Provider(
            "bare409",
            "/generic/payments",
            lambda body: _field(body, "order_id"),
            _generic_success,
            _generic_repeat,
            uses_keys=True,
        ),
    )
}


@dataclass
class _OrderState:
    """Per-order script and counters."""

    faults: deque[str] = field(default_factory=deque)
    key_mode: str = "replay"
    requests: int = 0
    executions: int = 0


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that counts open connections and never prints handler errors."""

    daemon_threads = True

    def __init__(self, model: ProviderModel) -> None:
        self.model = model
        self.open = 0
        self.count_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count a connection as open from accept until shutdown_request closes it."""
        with self.count_lock:
            self.open += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Close the connection and stop counting it."""
        try:
            super().shutdown_request(request)
        finally:
            with self.count_lock:
                self.open -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silence: a drill resets and abandons connections on purpose."""
        return


class ProviderModel:
    """Loopback provider deduplicating repeats as the providers document, with scripted faults."""

    def __init__(self, *, stall_max: float = 2.0) -> None:
        self.stall_max = stall_max
        self._lock = threading.Lock()
        self._orders: dict[str, _OrderState] = {}
        self._executed: dict[tuple[str, str], tuple[dict[str, Any], Answer]] = {}
        self._keyed: dict[tuple[str, str, str], Answer] = {}
        self._server: _Server | None = None
        self._running = contextlib.ExitStack()

    def __enter__(self) -> ProviderModel:
        self._server = _Server(self)
        self._running.enter_context(running(self._server))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._running.close()

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("ProviderModel is not started; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, order: str, faults: Sequence[str], *, key_mode: str = "replay") -> None:
        """Set the faults (one per request of ``order``, then "ok") and how seen keys answer."""
        bad = [f for f in faults if f not in FAULTS]
        if bad or isinstance(faults, str):
            raise ValueError(f"unknown faults {bad or faults!r}; known: {sorted(FAULTS)}")
        if key_mode not in KEY_MODES:
            raise ValueError(f"key_mode must be one of {sorted(KEY_MODES)}, not {key_mode!r}")
        with self._lock:
            state = self._orders.setdefault(order, _OrderState())
            state.faults = deque(faults)
            state.key_mode = key_mode

    def executions(self, order: str) -> int:
        """Times the order was executed (charged) across providers."""
        with self._lock:
            state = self._orders.get(order)
            return state.executions if state else 0

    def requests(self, order: str) -> int:
        """Requests carrying the order that reached the handler (counted before faults)."""
        with self._lock:
            state = self._orders.get(order)
            return state.requests if state else 0

    def open_connections(self) -> int:
        """Connections accepted and not yet closed by the server."""
        if self._server is None:
            return 0
        with self._server.count_lock:
            return self._server.open

    def handle(
        self, provider: Provider, order: str, payload: dict[str, Any], key: str | None
    ) -> tuple[str, Answer | None]:
        """Count the request, take its fault and, unless the fault is pre-execution, process it."""
        with self._lock:
            state = self._orders.setdefault(order, _OrderState())
            state.requests += 1
            fault = state.faults.popleft() if state.faults else "ok"
            if fault in PRE_FAULTS:
                return fault, None
            return fault, self._process(provider, order, payload, key, state)

    def _process(
        self,
        provider: Provider,
        order: str,
        payload: dict[str, Any],
        key: str | None,
        state: _OrderState,
    ) -> Answer:
        """Keyed replay (Stripe-style, Architecture#retry-safety), else dedup on the order (seeds
        002,
        003)."""
        if not provider.uses_keys:
            return self._antom(provider, order, payload, state)
        slot = (provider.name, order, key or "")
        if key and state.key_mode == "replay" and slot in self._keyed:
            return self._keyed[slot]
        if (provider.name, order) in self._executed:
            answer = provider.repeat(order)
        else:
            answer = self._execute(provider, order, payload, state)
        if key:
            self._keyed.setdefault(slot, answer)
        return answer

    def _antom(
        self, provider: Provider, order: str, payload: dict[str, Any], state: _OrderState
    ) -> Answer:
        """Antom pay is idempotent on paymentRequestId: same body replays, changed body is
        REPEAT_REQ_INCONSISTENT; Idempotency-Key is ignored
        (Architecture#where-each-provider-fact-lives, 7)."""
        first = self._executed.get((provider.name, order))
        if first is None:
            return self._execute(provider, order, payload, state)
        body, answer = first
        return answer if body == payload else provider.repeat(order)

    def _execute(
        self, provider: Provider, order: str, payload: dict[str, Any], state: _OrderState
    ) -> Answer:
        """Execute (charge) the order once and remember its body and first answer."""
        state.executions += 1
        answer = provider.success(order, payload, state.executions)
        self._executed[(provider.name, order)] = (payload, answer)
        return answer


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection to the model."""

    protocol_version = "HTTP/1.1"
    reset_on_finish = False

    @property
    def model(self) -> ProviderModel:
        """The model this server belongs to."""
        assert isinstance(self.server, _Server)
        return self.server.model

    def do_POST(self) -> None:
        """Route, parse, take the order's fault, process, then deliver or spoil the answer."""
        raw = self._read_body()
        provider = PROVIDERS.get(self.path.split("?", 1)[0])
        if raw is None or provider is None:
            self._send(Answer(400 if raw is None else 404))
            return
        payload = self._parse(raw)
        order = provider.order_of(payload) if payload is not None else None
        if payload is None or order is None:
            self._send(Answer(400))
            return
        key = self.headers.get(KEY_HEADER) or None
        fault, answer = self.model.handle(provider, order, payload, key)
        if answer is None:
            self._pre_fault(fault)
        else:
            self._post_fault(fault, answer)

    def _read_body(self) -> bytes | None:
        """Read exactly Content-Length bytes; None when the length is unusable."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            return None
        if length < 0:
            self.close_connection = True
            return None
        return self.rfile.read(length)

    @staticmethod
    def _parse(raw: bytes) -> dict[str, Any] | None:
        """The JSON object body, or None when it is not a JSON object."""
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None

    def _pre_fault(self, fault: str) -> None:
        """A failure before the provider executes anything: RST, 5xx, 429 or a gateway's 401
        (Architecture#where-each-provider-fact-lives, 3)."""
        if fault == "reset":
            self.close_connection = True
            self.reset_on_finish = True
        elif fault == "429":
            self._send(Answer(429), {"Retry-After": "0"})
        else:
            self._send(Answer(int(fault)))

    def _post_fault(self, fault: str, answer: Answer) -> None:
        """The provider executed or deduplicated; the answer is then withheld or spoiled."""
        if fault == "stall":
            self._stall()
        elif fault == "drop":
            self.close_connection = True
        elif fault == "502x":
            self._send(Answer(502))
        elif fault == "429x":
            self._send(Answer(429, answer.body, answer.content_type), {"Retry-After": "0"})
        elif fault == "garbage":
            self._send(Answer(200, GARBAGE, "text/html"))
        else:
            self._send(answer)

    def _stall(self) -> None:
        """Answer nothing until the client closes the connection or stall_max passes."""
        self.close_connection = True
        deadline = time.monotonic() + self.model.stall_max
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if not readable:
                continue
            try:
                if not self.connection.recv(65536):
                    return
            except OSError:
                return

    def _send(self, answer: Answer, headers: dict[str, str] | None = None) -> None:
        """Write the answer, always with Content-Length."""
        self.send_response(answer.status)
        if answer.content_type:
            self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def finish(self) -> None:
        """Close the streams; for a "reset" fault, close the socket with SO_LINGER 0 (TCP RST)."""
        try:
            super().finish()
        finally:
            if self.reset_on_finish:
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Never log to stderr."""
        return
