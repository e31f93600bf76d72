"""A minimal keep-alive HTTP/1.1 server in its own process, answering every request at once.

As fast as Python serves (no framework), so the client's own cost dominates what is measured.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BODY = json.dumps(
    {"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS", "order_no": "o-1"}}
).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


def _serve_connection(conn: socket.socket) -> None:
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(buffer) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            buffer = buffer[length:]
            conn.sendall(RESPONSE)


def _main(port_out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port_out.put(listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


@contextmanager
def server() -> Iterator[str]:
    """Start the server process; yields its base URL; stops it on exit."""
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_main, args=(ports,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=10)}"
    finally:
        process.terminate()
        process.join(timeout=5)
