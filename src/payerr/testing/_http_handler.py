"""The simulator's HTTP side: the loopback server, the connections it holds, and the request
handler that reads a request, routes it to an operation or an inquiry, plays the script's faults
and writes the answer. What the providers remember and decide lives elsewhere (``_state``,
``_providers``); the handler reaches it only through the parts :class:`SimulatorServer` is
given."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from payerr.testing import _providers, _signing
from payerr.testing._faults import SIMULATE_HEADER, Script, refusal
from payerr.testing._providers import Answer
from payerr.testing._state import OrderBook

__all__ = ["Connections", "RequestHandler", "Settings", "SimulatorServer"]

_MAX_BODY = 1 << 20


class Settings(Protocol):
    """The simulator's settings the handler reads, afresh for every request (a test may
    change them while the simulator runs)."""

    latency: float
    stall: float
    antom_client_id: str

    def wait(self, seconds: float) -> None:
        """Sleep, unless the simulator is stopping."""


class Connections:
    """The connections the server is handling, so the simulator can wait for them to end or
    cut them when it stops."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._open = 0
        self._sockets: set[socket.socket] = set()

    def opened(self, connection: socket.socket) -> None:
        with self._idle:
            self._open += 1
            self._sockets.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._idle:
            self._open -= 1
            self._sockets.discard(connection)
            if self._open == 0:
                self._idle.notify_all()

    @property
    def count(self) -> int:
        with self._idle:
            return self._open

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._open == 0, timeout)

    def shut_down(self) -> None:
        """Shut every open connection down, kept-alive ones included."""
        with self._idle:
            open_sockets = list(self._sockets)
        for connection in open_sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SimulatorServer(ThreadingHTTPServer):
    """The loopback server. Its handlers work with what it is given and nothing else.

    Args:
        book: the providers' orders and the counts.
        settings: latency, stall and Antom's client id, read on every request.
        keys: Antom's signing keys; None when answers go unsigned.
        connections: where handlers record the connections they open and close.
        stopping: set when the simulator stops: a stopped provider runs nothing.
    """

    daemon_threads = True
    block_on_close = False
    # A burst of new connections (an async client with httpx's default pool of 100) must not
    # overflow the listen backlog (socketserver's default is 5) and be reset.
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        *,
        book: OrderBook,
        settings: Settings,
        keys: _signing.AntomKeys | None,
        connections: Connections,
        stopping: threading.Event,
    ) -> None:
        self.book = book
        self.settings = settings
        self.keys = keys
        self.connections = connections
        self.stopping = stopping
        super().__init__(address, RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and stalls break connections on purpose


@dataclass(frozen=True, slots=True)
class _Request:
    """A readable request to one provider."""

    provider: str
    path: str  # below the provider's prefix: /ams/api/v1/payments/pay
    query: str
    body: dict[str, Any]
    operation: str
    script: Script


@dataclass(frozen=True, slots=True)
class _Refusal:
    """An answer to a request refused before it reached the provider's operations."""

    answer: Answer
    provider: str = ""  # with path: the answer carries the provider's signature headers
    path: str = ""
    close: bool = False


class RequestHandler(BaseHTTPRequestHandler):
    """One connection's requests: read, route to an operation or an inquiry, play the faults,
    answer."""

    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, each answer would wait for the
    # client's delayed ACK (~40 ms). TCP_NODELAY sends them at once.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.connections.opened(self.connection)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):  # resets and stalls break sockets on purpose
                super().finish()
        finally:
            self.server.connections.closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        if self.server.stopping.is_set():
            self.close_connection = True  # a stopped provider runs nothing
            return
        request = self._read_request()
        if isinstance(request, _Refusal):
            if request.close:
                self.close_connection = True
            self._send(request.answer, request.provider, request.path)
        elif request.operation in _providers.EXECUTES and self.command != "GET":
            self._run(request)
        else:
            self._inquire(request)

    do_GET = do_POST  # noqa: N815 -- http.server dispatches on this name

    # -- reading ------------------------------------------------------------------------------

    def _read_request(self) -> _Request | _Refusal:
        """The request, or its refusal: an unknown provider, an unreadable body or one that is
        not a JSON object, an Antom signature that does not verify."""
        provider, path, query = _route(self.path)
        raw = self._read_body()
        if provider not in _providers.SUCCESS_CODES:
            return _Refusal(Answer(404, b'{"error": "unknown provider path"}'))
        if raw is None:
            why = "unreadable request body"
            return _Refusal(_providers.bad_request(provider, why), close=True)
        body = _json_object(raw)
        if body is None:
            return _Refusal(_providers.bad_request(provider, "the body must be a JSON object"))
        if not self._signature_ok(provider, path, raw):
            return _Refusal(_providers.invalid_signature(), provider, path)
        operation = _providers.operation_of(provider, self.command, path, body)
        script = Script.parse(self.headers.get(SIMULATE_HEADER))
        return _Request(provider, path, query, body, operation, script)

    def _read_body(self) -> bytes | None:
        """The request body, plain or chunked; None when it is too big or malformed."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > _MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        """A chunked body, trailers skipped; None when a chunk size is malformed or the body
        grows too big."""
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

    def _signature_ok(self, provider: str, path: str, raw: bytes) -> bool:
        """A signed Antom request must verify against the merchant key (docs.antom.com
        ac/ams/digital_signature); unsigned requests are let through."""
        keys = self.server.keys
        header = self.headers.get("Signature")
        if provider != "antom" or keys is None or not header:
            return True
        signature = _signing.signature_of(header)
        client_id = self.headers.get("client-id") or ""
        sent_at = self.headers.get("Request-Time") or ""
        message = _signing.content(
            self.command, path, client_id, sent_at, raw.decode("utf-8", "replace")
        )
        return signature is not None and keys.signed_by_merchant(message, signature)

    # -- the provider's side ------------------------------------------------------------------

    def _run(self, request: _Request) -> None:
        """A pay, refund, capture, cancel or vaulting: run it, or answer it as a repeat."""
        book = self.server.book
        provider, operation, body = request.provider, request.operation, request.body
        if _providers.missing_request_id(provider, operation, request.path, body):
            book.count_request()
            why = "A required request id (paymentRequestId, refundRequestId ...) is missing."
            self._send(_providers.bad_request(provider, why), provider, request.path)
            return
        ident, deduplicated = _providers.identity(provider, operation, self.headers, body)
        key = (provider, _providers.SPACE[operation], ident) if ident is not None else None
        arrival = book.arrive(key)
        fault = self._fault_due(request.script, arrival)
        if fault is not None and self._refused(fault):
            return
        answer = book.execute(
            provider, operation, key, deduplicated=deduplicated, body=body, code=request.script.code
        )
        self._answer(answer, request, fault)

    def _inquire(self, request: _Request) -> None:
        """An inquiry: the state of the order it names; it never runs anything."""
        book = self.server.book
        provider, operation = request.provider, request.operation
        space = _providers.INQUIRIES.get(operation, _providers.PAY)
        on_path = request.path if self.command == "GET" else ""
        ids = _providers.lookup_ids(operation, self.headers, request.body, request.query, on_path)
        arrival = book.probe((provider, operation, ids[0] if ids else ""))
        fault = self._fault_due(request.script, arrival)
        if fault is not None and self._refused(fault):
            return
        state = book.state(provider, space, ids)
        self._answer(_providers.inquiry(provider, operation, state, request.body), request, fault)

    # -- faults -------------------------------------------------------------------------------

    def _fault_due(self, script: Script, arrival: int) -> str | None:
        """Wait out the latency (and a ``slow`` fault), then the fault due on this arrival,
        counted as played; None when there is none."""
        settings = self.server.settings
        settings.wait(settings.latency + script.latency)
        fault = script.fault_for(arrival)
        if fault is not None and fault.startswith("slow"):
            with contextlib.suppress(ValueError):
                settings.wait(float(fault.partition(":")[2] or 0.5))
            fault = None
        if fault is not None:
            self.server.book.count_fault(fault.split(":")[0])
        return fault

    def _refused(self, fault: str) -> bool:
        """Play a fault that ends the request before it runs (5xx, 429, reset); whether it
        was one."""
        refused = refusal(fault)
        if refused is not None:
            answer, headers = refused
            self._send(answer, headers=headers)
            return True
        if fault == "reset":
            self._reset()
            return True
        return False

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0): the client sees the connection torn down."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may already be gone
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    # -- writing ------------------------------------------------------------------------------

    def _answer(self, answer: Answer, request: _Request, fault: str | None) -> None:
        """Write the answer, or what a fault due after the run makes of it."""
        provider, path = request.provider, request.path
        if fault == "stall":
            self.server.settings.wait(self.server.settings.stall)
            self.close_connection = True
        elif fault == "drop":
            self.close_connection = True
        elif fault == "garbage":
            self._send(Answer(200, b"\x00\x01 this is not json"))
        elif fault == "truncated":
            cut = answer.body[: max(1, len(answer.body) // 2)]
            self._send(Answer(answer.status, cut), provider, path, sign=False)
        else:
            self._send(answer, provider, path)

    def _send(
        self,
        answer: Answer,
        provider: str = "",
        path: str = "",
        headers: dict[str, str] | None = None,
        *,
        sign: bool = True,
    ) -> None:
        """Write ``answer``; to an Antom API path, with Antom's headers (and its signature,
        unless ``sign`` is false)."""
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        keys = self.server.keys
        if provider == "antom" and keys is not None and path.startswith("/ams/"):
            self._send_antom_headers(keys, answer, path, sign=sign)
        self.end_headers()
        self.wfile.write(answer.body)

    def _send_antom_headers(
        self, keys: _signing.AntomKeys, answer: Answer, path: str, *, sign: bool
    ) -> None:
        # Antom signs "{METHOD} {path}\n{client-id}.{response-time}.{body}" and sends the three
        # in lower-case headers (the SDK reads them by exact name).
        client_id = self.headers.get("client-id") or self.server.settings.antom_client_id
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.send_header("client-id", client_id)
        self.send_header("response-time", at)
        if sign:
            text = answer.body.decode("utf-8", "replace")
            value = keys.sign_as_antom(_signing.content(self.command, path, client_id, at, text))
            self.send_header("signature", _signing.signature_header(value))


def _route(target: str) -> tuple[str, str, str]:
    """``(provider, path below the provider's prefix, query)`` of a request target. An
    absolute-form target (``POST http://host:port/antom/...``, as http.client sends through a
    proxy and Antom's SDK always) is the same resource."""
    url = urlsplit(target) if "://" in target else urlsplit("//x" + target)
    parts = url.path.split("/", 2)
    provider = parts[1] if len(parts) > 1 else ""
    path = "/" + (parts[2] if len(parts) > 2 else "")
    return provider, path, url.query


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object (an empty body is ``{}``); None when it is not one."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None
