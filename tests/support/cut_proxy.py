"""A loopback TCP proxy that a test can cut and mend: one worker's link to Redis failing while
the others' hold (a network partition, a worker's DNS or firewall trouble)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class CutProxy:
    """Forwards 127.0.0.1:<port> to the upstream port until cut."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self._cut = threading.Event()
        self._stop = threading.Event()
        self._lose = 0  # replies still to lose (upstream -> client), see lose_replies
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> CutProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(timeout=5)
        self.listener.close()

    def cut(self) -> None:
        """Drop every link and refuse new ones."""
        self._cut.set()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def mend(self) -> None:
        self._cut.clear()

    def lose_replies(self, count: int) -> None:
        """Lose the next ``count`` replies: the server ran the command, its reply is dropped
        and the client's link closed (a network that failed between the two)."""
        with self._lock:
            self._lose = count

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            with self._lock:
                self._open += [client, upstream]
            for a, b, replies in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pump, args=(a, b, replies), daemon=True).start()

    def _losing(self) -> bool:
        with self._lock:
            if self._lose <= 0:
                return False
            self._lose -= 1
            return True

    def _pump(self, source: socket.socket, target: socket.socket, replies: bool) -> None:
        try:
            while data := source.recv(65536):
                if replies and self._losing():
                    return  # dropped: the finally closes both ends
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # the peer sees the link end at once
                with contextlib.suppress(OSError):
                    sock.close()
