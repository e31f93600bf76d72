"""A payment-provider simulator: a real HTTP server on loopback speaking all four envelopes."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from payerr.classify import classify
from payerr.taxonomy import Category, Outcome

__all__ = ["FAULTS", "SIMULATE_HEADER", "ProviderSimulator", "scenario"]

SIMULATE_HEADER = "X-Payerr-Simulate"
"""The request header carrying a payment's script (see :func:`scenario`)."""

FAULTS = {
    "500": "answer 500, not executed",
    "502": "answer 502, not executed",
    "503": "answer 503, not executed",
    "504": "answer 504, not executed",
    "429": "answer 429 with Retry-After (429:N for N seconds), not executed",
    "reset": "reset the connection before executing",
    "stall": "execute, then answer nothing until after the client gave up (read timeout)",
    "drop": "execute, then close the connection without an answer",
    "garbage": "execute, then answer 200 with a body that is not JSON",
    "truncated": "execute, then answer 200 with the JSON cut short",
    "slow": "wait (slow:S seconds), then carry on",
}
SUCCESS_CODES = {
    "antom": "SUCCESS",
    "alipay_plus": "SUCCESS",
    "ottpay": "SUCCESS",
    "paykka": "0000",
}
_ORDER_FIELDS = ("merchant_order_no", "order_no", "out_trade_no", "order_id", "orderId")
_ID_FIELDS = ("paymentRequestId", "refundRequestId")
_KEY_HEADERS = ("idempotency-key", "x-idempotency-key")


def scenario(*faults: str, code: str | None = None, latency: float | None = None) -> dict[str, str]:
    """Headers asking the simulator to play ``faults`` in order, one per arrival of the same
    logical payment, then answer ``code`` (default: the provider's success code).

    >>> scenario("503", "stall", code="5004")
    {'X-Payerr-Simulate': 'faults=503,stall;code=5004'}
    """
    for fault in faults:
        if fault.split(":")[0] not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
    parts = []
    if faults:
        parts.append("faults=" + ",".join(faults))
    if code is not None:
        parts.append(f"code={code}")
    if latency is not None:
        parts.append(f"latency={latency}")
    return {SIMULATE_HEADER: ";".join(parts)}


@dataclass
class _Payment:
    arrivals: int = 0
    executions: int = 0
    answer: tuple[int, bytes] | None = None


@dataclass
class _Script:
    faults: list[str] = field(default_factory=list)
    code: str | None = None
    latency: float = 0.0

    @classmethod
    def parse(cls, header: str | None) -> _Script:
        script = cls()
        for part in (header or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "faults":
                script.faults = [f for f in value.split(",") if f]
            elif name == "code":
                script.code = value
            elif name == "latency":
                script.latency = float(value)
        return script


class ProviderSimulator:
    """Antom, Alipay+, OTT Pay and PayKKa on one loopback port, with scripted faults.

    ``POST {url}/{provider}/...`` with a JSON body. Payments are told apart by their
    ``Idempotency-Key`` header, else Antom's ``paymentRequestId``, else the merchant order
    number in the body. An idempotency key or request id is deduplicated: a payment that
    already executed answers its stored answer again. An order number is not: sending it twice
    executes it twice, which ``duplicate_executions`` counts (a double charge).

    Args:
        latency: seconds added to every answer.
        stall: how long a ``stall`` fault keeps the client waiting (set it above the client's
            read timeout).
    """

    def __init__(self, *, latency: float = 0.0, stall: float = 2.0, port: int = 0) -> None:
        self.latency = latency
        self.stall = stall
        self._port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._payments: dict[str, _Payment] = {}
        self.requests = 0
        self.open_connections = 0
        self.faults_played: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ProviderSimulator:
        handler = _handler_for(self)
        self._server = _QuietServer(("127.0.0.1", self._port), handler)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cut stalls short
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ProviderSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, provider: str) -> str:
        """The base URL for one provider's envelope."""
        return f"{self.url}/{provider}"

    # -- what happened ------------------------------------------------------------------------

    @property
    def executions(self) -> int:
        """How many times a payment operation ran, counting every duplicate."""
        with self._lock:
            return sum(p.executions for p in self._payments.values())

    @property
    def duplicate_executions(self) -> int:
        """Executions beyond the first per logical payment: each one is a double charge."""
        with self._lock:
            return sum(max(0, p.executions - 1) for p in self._payments.values())

    def executions_of(self, payment: str) -> int:
        """Executions of one payment, by idempotency key, request id or order number."""
        with self._lock:
            for prefix in ("key:", "id:", "order:"):
                found = self._payments.get(prefix + payment)
                if found is not None:
                    return found.executions
        return 0

    def reset(self) -> None:
        """Forget every payment and count."""
        with self._lock:
            self._payments.clear()
            self.requests = 0
            self.faults_played.clear()

    # -- the provider -------------------------------------------------------------------------

    def _identify(self, headers: Any, body: dict[str, Any]) -> tuple[str, bool]:
        """(payment id, deduplicated?)."""
        for name in _KEY_HEADERS:
            key = headers.get(name)
            if key:
                return f"key:{key}", True
        for name in _ID_FIELDS:
            value = body.get(name)
            if isinstance(value, str) and value:
                return f"id:{value}", True
        for name in _ORDER_FIELDS:
            value = body.get(name)
            if isinstance(value, str | int) and value:
                return f"order:{value}", False
        return f"anonymous:{uuid.uuid4().hex}", False

    def _arrive(self, payment_id: str) -> tuple[_Payment, int]:
        with self._lock:
            self.requests += 1
            payment = self._payments.setdefault(payment_id, _Payment())
            payment.arrivals += 1
            return payment, payment.arrivals

    def _execute(
        self, payment: _Payment, provider: str, script: _Script, deduplicated: bool
    ) -> tuple[int, bytes]:
        """Run the operation (or replay it), store and return the business answer."""
        with self._lock:
            if deduplicated and payment.answer is not None:
                return payment.answer
            payment.executions += 1
            payment.answer = (200, envelope(provider, script.code or SUCCESS_CODES[provider]))
            return payment.answer

    def wait(self, seconds: float) -> None:
        """Sleep, unless the simulator is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)


def envelope(provider: str, code: str) -> bytes:
    """The provider's answer carrying ``code``, shaped as its API answers (DESIGN.md section 2)."""
    c = classify(provider, code)
    message = c.message if c.known else "simulated"
    sdk_event = code.upper().startswith("SDK_") or c.outcome is Outcome.INFO
    if provider in ("antom", "alipay_plus") and sdk_event:
        body: dict[str, Any] = {"code": code}  # an SDK callback, as merchants forward them
    elif provider in ("antom", "alipay_plus"):
        if c.outcome is Outcome.SUCCESS:
            status = "S"
        elif c.outcome is Outcome.PENDING or c.category is Category.RETRYABLE:
            status = "U"
        else:
            status = "F"
        body = {"result": {"resultCode": code, "resultStatus": status, "resultMessage": message}}
    elif provider == "ottpay":
        body = {"rsp_code": code, "rsp_msg": message}
    elif provider == "paykka" and len(code) == 6 and c.outcome is Outcome.SUCCESS:
        # The gateway's success: the business result is in data (docs.paykka.com).
        data = {"status": "SUCCESS", "error_code": code}
        body = {"ret_code": code, "ret_msg": message, "data": data}
    elif provider == "paykka" and len(code) == 6:
        body = {"ret_code": code, "ret_msg": message}  # a gateway-level answer
    elif provider == "paykka" and not code.isdigit():
        # A data.status row (AUTHORIZED, REFUNDED ...): the order's status is the answer.
        body = {"ret_code": "000000", "ret_msg": "success", "data": {"status": code}}
    elif provider == "paykka":
        if c.outcome is Outcome.SUCCESS:
            body = {"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS"}}
        else:
            status = "PROCESSING" if c.outcome is Outcome.PENDING else "FAILURE"
            data = {"status": status, "error_code": code, "error_description": message}
            body = {"ret_code": "000000", "ret_msg": "success", "data": data}
    else:
        body = {"code": code, "message": message}
    return json.dumps(body).encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and stalls break connections on purpose


def _handler_for(sim: ProviderSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes; with Nagle on, each answer would wait for
        # the client's delayed ACK (~40 ms). TCP_NODELAY sends them at once.
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            with sim._lock:
                sim.open_connections += 1

        def finish(self) -> None:
            try:
                with contextlib.suppress(OSError):  # resets and stalls break sockets on purpose
                    super().finish()
            finally:
                with sim._lock:
                    sim.open_connections -= 1

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            provider = self.path.strip("/").split("/")[0]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if provider not in SUCCESS_CODES:
                self._answer(404, b'{"error": "unknown provider path"}')
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._answer(400, b'{"error": "the body must be a JSON object"}')
                return
            script = _Script.parse(self.headers.get(SIMULATE_HEADER))
            payment_id, deduplicated = sim._identify(self.headers, body)
            payment, arrival = sim._arrive(payment_id)
            sim.wait(sim.latency + script.latency)
            fault = script.faults[arrival - 1] if arrival <= len(script.faults) else None
            while fault is not None and fault.startswith("slow"):
                sim.wait(float(fault.partition(":")[2] or 0.5))
                fault = None
            if fault is not None:
                with sim._lock:
                    sim.faults_played[fault.split(":")[0]] += 1
            if fault in ("500", "502", "503", "504"):
                self._answer(int(fault), b"<html>upstream trouble</html>", "text/html")
            elif fault is not None and fault.startswith("429"):
                seconds = fault.partition(":")[2] or "1"
                self._answer(
                    429, b'{"error": "too many requests"}', headers={"Retry-After": seconds}
                )
            elif fault == "reset":
                self._reset()
            else:
                status, answer = sim._execute(payment, provider, script, deduplicated)
                if fault == "stall":
                    sim.wait(sim.stall)
                    self.close_connection = True
                elif fault == "drop":
                    self.close_connection = True
                elif fault == "garbage":
                    self._answer(200, b"\x00\x01 this is not json")
                elif fault == "truncated":
                    self._answer(200, answer[: max(1, len(answer) // 2)])
                else:
                    self._answer(status, answer)

        do_GET = do_POST  # noqa: N815 -- http.server dispatches on this name

        def _answer(
            self,
            status: int,
            payload: bytes,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _reset(self) -> None:
            """Close with a TCP reset (SO_LINGER 0): the client sees the connection torn down."""
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may already be gone
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

    return Handler
