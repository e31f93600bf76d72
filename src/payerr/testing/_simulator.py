"""A payment-provider simulator: a real HTTP server on loopback that answers the way the
providers' documents say they answer (see ``_providers``), with scripted faults."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from payerr.testing import _providers, _signing
from payerr.testing._providers import SUCCESS_CODES, envelope

__all__ = ["FAULTS", "SIMULATE_HEADER", "ProviderSimulator", "envelope", "scenario"]

SIMULATE_HEADER = "X-Payerr-Simulate"
"""The request header carrying a request's script (see :func:`scenario`)."""

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
_MAX_BODY = 1 << 20


def scenario(*faults: str, code: str | None = None, latency: float | None = None) -> dict[str, str]:
    """Headers asking the simulator to play ``faults`` in order, one per arrival of the same
    request (same operation and id), then answer ``code`` (default: the provider's success
    code). An inquiry carrying a script plays it on its own arrivals.

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
class _Order:
    """One logical request of one operation (a pay, a refund ...) as the provider keeps it."""

    arrivals: int = 0
    executions: int = 0
    fingerprint: str = ""
    outcome: str = ""  # success / pending / failed, once executed
    code: str = ""
    answer: _providers.Answer | None = None


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
                with contextlib.suppress(ValueError):
                    script.latency = max(0.0, float(value))
        return script


class ProviderSimulator:
    """Antom, Alipay+, OTT Pay and PayKKa on one loopback port, with scripted faults.

    ``{url}/{provider}/...`` takes each provider's operations the way its API does (see
    ``payerr.testing._providers`` for the documents each behaviour comes from):

    - Endpoints per operation: Antom and Alipay+ ``/ams/api/v1/payments/pay``, ``inquiryPayment``,
      ``capture``, ``cancel``, ``refund``, ``inquiryRefund``, ``/v1/vaults/...``; for OTT Pay and
      PayKKa the path (or OTT's ``action``) names refund, capture, cancel/void/reverse and
      query/inquiry; any other POST is a payment and any GET an inquiry.
    - Inquiries report the state of the order they name and never execute anything; an order
      that never executed is "order does not exist".
    - Pays, refunds, captures, cancels and vaultings live in separate id spaces.
    - An ``Idempotency-Key`` header or an Antom request id (``paymentRequestId``,
      ``refundRequestId`` ...) is deduplicated: the same body again gets the stored answer, a
      changed body gets a conflict (Antom ``REPEAT_REQ_INCONSISTENT``, others HTTP 409).
    - An order number alone is not an idempotency key, but providers refuse to run an order
      twice: sent again after it executed, it gets the provider's repeat answer (OTT Pay
      ``ORDER_PAID`` / ``ORDER_USED``, PayKKa ``4021`` / ``4000`` / ``4003``).
    - Faults (:func:`scenario`) play in order on the arrivals of the request they come with,
      counted per operation and id, so an inquiry never uses up a pay's script.
    - Antom answers are signed as Antom signs them (``sim.antom_public_key``; requests signed
      with ``sim.merchant_private_key`` are verified), when ``cryptography`` is installed
      (``pip install 'payerr[antom]'``).

    ``executions`` counts every time an operation ran; ``duplicate_executions`` the runs beyond
    the first of one logical request: each is a double charge (or refund).

    Args:
        latency: seconds added to every answer.
        stall: how long a ``stall`` fault keeps the client waiting (set it above the client's
            read timeout).
        port: the port to listen on (0: any free port).
        sign: sign Antom answers (None: when ``cryptography`` is installed).
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        stall: float = 2.0,
        port: int = 0,
        sign: bool | None = None,
    ) -> None:
        self.latency = latency
        self.stall = stall
        self._port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._orders: dict[tuple[str, str, str], _Order] = {}
        # Other names of an order (its request id or order number, when it was filed under an
        # idempotency key), so an inquiry by order number finds it.
        self._aliases: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self._probes: Counter[tuple[str, str, str]] = Counter()
        self.requests = 0
        self.inquiries = 0
        self._open = 0
        self._idle = threading.Condition(self._lock)
        self._sockets: set[socket.socket] = set()
        self.faults_played: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sign = sign
        self._keys: tuple[_signing.KeyPair, _signing.KeyPair] | None = None
        self.antom_client_id = "SANDBOX_PAYERR_SIMULATOR"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ProviderSimulator:
        if self._sign is None:
            self._sign = _signing.available()
        if self._sign:
            self._key_pairs()
        handler = _handler_for(self)
        self._server = _QuietServer(("127.0.0.1", self._port), handler)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection still open (kept-alive ones included)."""
        self._stopping.set()  # cut stalls short
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            open_sockets = list(self._sockets)
        for connection in open_sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.wait_idle(timeout=2)
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
        """The base URL for one provider (Antom's SDK takes it as its gateway URL)."""
        return f"{self.url}/{provider}"

    # -- Antom's keys -------------------------------------------------------------------------

    def _key_pairs(self) -> tuple[_signing.KeyPair, _signing.KeyPair]:
        with self._lock:
            if self._keys is None:
                self._keys = (_signing.new_key_pair(), _signing.new_key_pair())
            return self._keys

    @property
    def antom_public_key(self) -> str:
        """The public key Antom answers are signed for (the SDK's ``alipay_public_key``)."""
        return self._key_pairs()[0].public

    @property
    def merchant_private_key(self) -> str:
        """A merchant private key whose signatures the simulator accepts."""
        return self._key_pairs()[1].private

    @property
    def merchant_public_key(self) -> str:
        """The public half of :attr:`merchant_private_key`."""
        return self._key_pairs()[1].public

    # -- what happened ------------------------------------------------------------------------

    @property
    def executions(self) -> int:
        """How many times an operation ran (pays, refunds, captures ...), every duplicate too."""
        with self._lock:
            return sum(o.executions for o in self._orders.values())

    @property
    def duplicate_executions(self) -> int:
        """Runs beyond the first of one logical request: each one is a double charge."""
        with self._lock:
            return sum(max(0, o.executions - 1) for o in self._orders.values())

    def _named(self, payment: str, operation: str) -> list[_Order]:
        """The distinct orders of ``operation``'s id space filed under ``payment`` (an
        idempotency key, request id or order number), directly or as an alias."""
        space = _providers.SPACE.get(operation, operation)
        found: dict[int, _Order] = {}
        for (_, kind, ident), order in self._orders.items():
            if kind == space and ident.partition(":")[2] == payment:
                found[id(order)] = order
        for (_, kind, ident), target in self._aliases.items():
            aliased = self._orders.get(target)
            if kind == space and ident.partition(":")[2] == payment and aliased is not None:
                found[id(aliased)] = aliased
        return list(found.values())

    def executions_of(self, payment: str, operation: str = "pay") -> int:
        """Executions of one request, by idempotency key, request id or order number."""
        with self._lock:
            return sum(order.executions for order in self._named(payment, operation))

    def outcome_of(self, payment: str, operation: str = "pay") -> str | None:
        """What the provider did with one request (by idempotency key, request id or order
        number): ``"success"``, ``"pending"``, ``"failed"``, ``"cancelled"`` (a payment
        cancelled since), or None when it never ran. The ground truth to check a
        classification against."""
        with self._lock:
            outcomes = [o.outcome for o in self._named(payment, operation) if o.outcome]
        return outcomes[0] if outcomes else None

    @property
    def open_connections(self) -> int:
        """Connections the server is handling now. A client that just closed its socket may
        still count until the server reads the end of it: use :meth:`wait_idle`."""
        with self._lock:
            return self._open

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no connection is open; True when that happened within ``timeout``."""
        with self._idle:
            return self._idle.wait_for(lambda: self._open == 0, timeout)

    def reset(self) -> None:
        """Forget every order and count."""
        with self._lock:
            self._orders.clear()
            self._aliases.clear()
            self._probes.clear()
            self.requests = 0
            self.inquiries = 0
            self.faults_played.clear()

    def wait(self, seconds: float) -> None:
        """Sleep, unless the simulator is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- the provider -------------------------------------------------------------------------

    def _arrive(self, key: tuple[str, str, str] | None) -> int:
        """Count a request; its arrival number (1 for one without identity)."""
        with self._lock:
            self.requests += 1
            if key is None:
                return 1
            order = self._orders.setdefault(key, _Order())
            order.arrivals += 1
            return order.arrivals

    def _probe(self, key: tuple[str, str, str]) -> int:
        with self._lock:
            self.requests += 1
            self.inquiries += 1
            self._probes[key] += 1
            return self._probes[key]

    def _find(self, provider: str, space: str, names: list[str]) -> _Order | None:
        """An executed order filed under one of ``names`` (directly or as an alias)."""
        for name in names:
            key = (provider, space, name)
            order = self._orders.get(self._aliases.get(key, key))
            if order is not None and order.answer is not None:
                return order
        return None

    def _execute(
        self,
        provider: str,
        operation: str,
        key: tuple[str, str, str] | None,
        *,
        deduplicated: bool,
        body: dict[str, Any],
        script: _Script,
    ) -> _providers.Answer:
        """Run the operation, or answer the way the provider answers a repeat or a conflict."""
        shape = _providers.fingerprint(body)
        space = _providers.SPACE[operation]
        names = _providers.names(provider, operation, body)
        with self._lock:
            order = self._orders.get(key) if key is not None else None
            if order is not None and order.answer is not None:
                if deduplicated:
                    if shape != order.fingerprint:
                        return _providers.conflict(provider, keyed=True)
                    return order.answer
                return _providers.repeat(provider, operation, order.outcome)
            known = self._find(provider, space, names)
            if known is not None and known is not order:
                # The same order (request id, order number) under another key: the provider
                # knows its orders, whatever key the client sends.
                if provider in ("antom", "alipay_plus") and names[0].startswith("id:"):
                    if shape != known.fingerprint:
                        return _providers.conflict(provider, keyed=True)
                    return known.answer  # type: ignore[return-value]  # found executed
                return _providers.repeat(provider, operation, known.outcome)
            targets = _providers.target_ids(operation, body)
            paid = self._find(provider, _providers.PAY, targets) if targets else None
            if targets and (paid is None or paid.outcome != "success"):
                return _providers.no_such_order(provider)
            code = script.code or _providers.SUCCESS_CODES[provider]
            answer = _providers.executed(provider, operation, code, body)
            if code.strip().upper() in _providers.RESEND_CODES:
                return answer  # "call the interface again": nothing was taken up
            if order is None:
                key = key or (provider, "anonymous", uuid.uuid4().hex)
                order = self._orders.setdefault(key, _Order())
            order.executions += 1
            order.fingerprint = shape
            order.code = code
            order.outcome = _providers.doc_outcome(provider, code)
            order.answer = answer
            if key is not None:
                for name in names:
                    alias = (provider, space, name)
                    if alias != key:
                        self._aliases.setdefault(alias, key)
                if operation == _providers.PAY and names and names[0].startswith("id:"):
                    paid_id = _providers.payment_id(names[0].partition(":")[2])
                    self._aliases.setdefault((provider, space, f"id:{paid_id}"), key)
            if paid is not None and operation == _providers.CANCEL and order.outcome == "success":
                paid.outcome = "cancelled"
            return answer

    def _state(self, provider: str, space: str, ids: list[str]) -> tuple[str, str] | None:
        with self._lock:
            for ident in ids:
                key = (provider, space, ident)
                order = self._orders.get(self._aliases.get(key, key))
                if order is not None and order.answer is not None:
                    return order.outcome, order.code
        return None

    def _connection(self, delta: int, connection: socket.socket) -> None:
        with self._idle:
            self._open += delta
            if delta > 0:
                self._sockets.add(connection)
            else:
                self._sockets.discard(connection)
            if self._open == 0:
                self._idle.notify_all()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # A burst of new connections (an async client with httpx's default pool of 100) must not
    # overflow the listen backlog (socketserver's default is 5) and be reset.
    request_queue_size = 256

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
            sim._connection(+1, self.connection)

        def finish(self) -> None:
            try:
                with contextlib.suppress(OSError):  # resets and stalls break sockets on purpose
                    super().finish()
            finally:
                sim._connection(-1, self.connection)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _read_body(self) -> bytes | None:
            """The request body, plain or chunked; None when it is too big or malformed."""
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks: list[bytes] = []
                size = 0
                while True:
                    line = self.rfile.readline(1024)
                    try:
                        length = int(line.split(b";")[0].strip() or b"x", 16)
                    except ValueError:
                        return None
                    if length == 0:
                        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    size += length
                    if size > _MAX_BODY:
                        return None
                    chunks.append(self.rfile.read(length))
                    self.rfile.readline(1024)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return None
            if length < 0 or length > _MAX_BODY:
                return None
            return self.rfile.read(length) if length else b""

        def do_POST(self) -> None:
            if sim._stopping.is_set():
                self.close_connection = True  # a stopped provider runs nothing
                return
            # An absolute-form target (``POST http://host:port/antom/...``, as http.client
            # sends through a proxy and Antom's SDK always) is the same resource.
            target = urlsplit(self.path) if "://" in self.path else urlsplit("//x" + self.path)
            parts = target.path.split("/", 2)
            provider = parts[1] if len(parts) > 1 else ""
            path = "/" + (parts[2] if len(parts) > 2 else "")
            raw = self._read_body()
            if provider not in SUCCESS_CODES:
                self._send(_providers.Answer(404, b'{"error": "unknown provider path"}'))
                return
            if raw is None:
                self.close_connection = True
                self._send(_providers.bad_request(provider, "unreadable request body"))
                return
            try:
                body = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                body = None
            if not isinstance(body, dict):
                self._send(_providers.bad_request(provider, "the body must be a JSON object"))
                return
            if not self._signature_ok(provider, path, raw):
                self._send(_providers.invalid_signature(), provider, path)
                return
            method = self.command
            operation = _providers.operation_of(provider, method, path, body)
            script = _Script.parse(self.headers.get(SIMULATE_HEADER))
            if operation in _providers.EXECUTES and method != "GET":
                self._run(provider, path, operation, body, script)
            else:
                self._inquire(provider, path, operation, body, query=target.query, script=script)

        do_GET = do_POST  # noqa: N815 -- http.server dispatches on this name

        def _run(
            self, provider: str, path: str, operation: str, body: dict[str, Any], script: _Script
        ) -> None:
            if _providers.missing_request_id(provider, operation, path, body):
                with sim._lock:
                    sim.requests += 1
                why = "A required request id (paymentRequestId, refundRequestId ...) is missing."
                self._send(_providers.bad_request(provider, why), provider, path)
                return
            ident, deduplicated = _providers.identity(provider, operation, self.headers, body)
            space = _providers.SPACE[operation]
            key = (provider, space, ident) if ident is not None else None
            arrival = sim._arrive(key)
            fault = self._fault(script, arrival)
            if fault is _GONE:
                return
            answer = sim._execute(
                provider, operation, key, deduplicated=deduplicated, body=body, script=script
            )
            self._after(fault, answer, provider, path)

        def _inquire(
            self,
            provider: str,
            path: str,
            operation: str,
            body: dict[str, Any],
            *,
            query: str,
            script: _Script,
        ) -> None:
            space = _providers.INQUIRIES.get(operation, _providers.PAY)
            ids = _providers.lookup_ids(
                operation, self.headers, body, query, path if self.command == "GET" else ""
            )
            arrival = sim._probe((provider, operation, ids[0] if ids else ""))
            fault = self._fault(script, arrival)
            if fault is _GONE:
                return
            state = sim._state(provider, space, ids)
            self._after(fault, _providers.inquiry(provider, operation, state, body), provider, path)

        def _fault(self, script: _Script, arrival: int) -> str | object | None:
            """Play the fault due on this arrival; _GONE when it already answered."""
            sim.wait(sim.latency + script.latency)
            fault = script.faults[arrival - 1] if arrival <= len(script.faults) else None
            if fault is not None and fault.startswith("slow"):
                with contextlib.suppress(ValueError):
                    sim.wait(float(fault.partition(":")[2] or 0.5))
                fault = None
            if fault is None:
                return None
            with sim._lock:
                sim.faults_played[fault.split(":")[0]] += 1
            if fault in ("500", "502", "503", "504"):
                self._send(
                    _providers.Answer(int(fault), b"<html>upstream trouble</html>", "text/html")
                )
                return _GONE
            if fault.startswith("429"):
                seconds = fault.partition(":")[2] or "1"
                answer = _providers.Answer(429, b'{"error": "too many requests"}')
                self._send(answer, headers={"Retry-After": seconds})
                return _GONE
            if fault == "reset":
                self._reset()
                return _GONE
            return fault

        def _after(
            self, fault: object, answer: _providers.Answer, provider: str, path: str
        ) -> None:
            if fault == "stall":
                sim.wait(sim.stall)
                self.close_connection = True
            elif fault == "drop":
                self.close_connection = True
            elif fault == "garbage":
                self._send(_providers.Answer(200, b"\x00\x01 this is not json"))
            elif fault == "truncated":
                cut = answer.body[: max(1, len(answer.body) // 2)]
                self._send(_providers.Answer(answer.status, cut), provider, path, sign=False)
            else:
                self._send(answer, provider, path)

        def _signature_ok(self, provider: str, path: str, raw: bytes) -> bool:
            """A signed Antom request must verify against the merchant key (docs.antom.com
            ac/ams/digital_signature); unsigned requests are let through."""
            header = self.headers.get("Signature")
            if provider != "antom" or not sim._sign or not header:
                return True
            signature = _signing.signature_of(header)
            client_id = self.headers.get("client-id") or ""
            sent_at = self.headers.get("Request-Time") or ""
            message = _signing.content(
                self.command, path, client_id, sent_at, raw.decode("utf-8", "replace")
            )
            return signature is not None and _signing.verify(
                sim.merchant_public_key, message, signature
            )

        def _send(
            self,
            answer: _providers.Answer,
            provider: str = "",
            path: str = "",
            headers: dict[str, str] | None = None,
            *,
            sign: bool = True,
        ) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if provider == "antom" and sim._sign and path.startswith("/ams/"):
                # Antom signs "{METHOD} {path}\n{client-id}.{response-time}.{body}" and sends
                # the three in lower-case headers (the SDK reads them by exact name).
                client_id = self.headers.get("client-id") or sim.antom_client_id
                at = datetime.now(UTC).isoformat(timespec="seconds")
                self.send_header("client-id", client_id)
                self.send_header("response-time", at)
                if sign:
                    keys = sim._key_pairs()[0]
                    text = answer.body.decode("utf-8", "replace")
                    value = _signing.sign(
                        keys.private, _signing.content(self.command, path, client_id, at, text)
                    )
                    self.send_header("signature", _signing.signature_header(value))
            self.end_headers()
            self.wfile.write(answer.body)

        def _reset(self) -> None:
            """Close with a TCP reset (SO_LINGER 0): the client sees the connection torn down."""
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may already be gone
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

    return Handler


_GONE = object()
"""The fault already answered (or tore the connection down)."""
