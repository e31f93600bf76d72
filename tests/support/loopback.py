"""A tiny scripted HTTP server on 127.0.0.1 for tests that need real sockets."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    """Answers in order (the last one repeats): (status, body dict, extra headers)."""

    answers: list[tuple[int, dict[str, object], dict[str, str]]] = field(default_factory=list)
    seen: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, body: bytes) -> tuple[int, dict[str, object], dict[str, str]]:
        with self.lock:
            self.seen.append(body)
            index = min(len(self.seen) - 1, len(self.answers) - 1)
            return self.answers[index]


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Serve ``script`` on an ephemeral loopback port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is real

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            status, body, headers = script.next(self.rfile.read(length))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self.do_POST()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with running(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[None]:
    """Serve ``server`` on a thread while the block runs; then stop it, close its socket and
    wait for the thread (the lifecycle every loopback server of the tests shares)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class RawServer:
    """A loopback TCP server that hands each connection to :meth:`answer` on its own thread
    (for faults no HTTP server library will stage: a drip, a hold, a body never read).
    Subclasses set their own state before calling ``super().__init__()``."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/payments"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()
