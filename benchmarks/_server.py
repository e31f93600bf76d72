"""A minimal asyncio HTTP/1.1 keep-alive server in its own process, answering every request at once.

As fast as plain Python serves (one event loop, no framework, no thread per connection), so the
client's own cost dominates what is measured.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
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


class _Answer(asyncio.Protocol):
    """Answers each complete request (head and Content-Length body) on its connection."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self._buffer[:end].split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self._buffer) < end + 4 + length:
                return
            self._buffer = self._buffer[end + 4 + length :]
            assert self._transport is not None
            self._transport.write(RESPONSE)


def _main(port_out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(_Answer, "127.0.0.1", 0, backlog=512)
        port_out.put(listener.sockets[0].getsockname()[1])
        await listener.serve_forever()

    asyncio.run(serve())


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
