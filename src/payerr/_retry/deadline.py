"""The call's deadline on every socket read and write of the transports' own connections.

httpx's timeouts are per operation: a read may take up to the read timeout, and a server that
sends one header line (or one body byte) every half second never trips it, however long the
answer takes. So each read and write is given the time left instead, as urllib3 does for
``Timeout(total=...)``: past the deadline the next read times out at once
(``httpcore.ReadTimeout``, which httpx raises as ``httpx.ReadTimeout``). Connecting, a TLS
handshake and a pause between connect retries get the time left too, and so does the wait for
a free connection in the pool (:func:`enter`, through the request's ``timeout`` extension).

That needs the connections' network streams: :func:`bound_reads` wraps the network backend of
an ``httpx.HTTPTransport``'s or ``httpx.AsyncHTTPTransport``'s connection pool
(``_pool._network_backend``, httpcore 1.x), so the connections it makes from then on read
within the deadline :func:`enter` sets for the current thread or task. Another transport (a
``MockTransport``, a custom one) cannot be reached inside: the sync transport leaves it httpx's
per-operation timeouts for the head of the answer and cuts its body at the deadline
(``payerr._retry.body``); the async transport cancels the attempt at the deadline instead (a cancel
scope, which costs more than the bounded reads, so it is kept for those). Outside a payerr
call the streams behave exactly as before.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable, MutableMapping
from typing import Any

import httpcore

__all__ = ["FAR", "SLICE", "Bound", "bound_reads", "enter", "leave"]

_monotonic = time.monotonic

FAR = 1e6
"""A call allowed this many seconds or more (11 days; ``RetryPolicy(timeout=math.inf)``) has
no deadline to give its reads: a socket's timeout overflows near 1e10 s."""

_UNCHANGED = object()
"""The request's ``timeout`` extension was left as it was."""
_MISSING = object()
"""The request had no ``timeout`` extension (one was added for the attempt)."""


class Bound:
    """One attempt's deadline, as :func:`enter` set it: when it falls, and what :func:`leave`
    undoes."""

    __slots__ = ("deadline", "extensions", "previous", "token")

    def __init__(
        self, deadline: float, extensions: MutableMapping[str, Any], previous: object
    ) -> None:
        self.deadline = deadline
        """On ``time.monotonic()``."""
        self.extensions = extensions
        self.previous = previous
        self.token: contextvars.Token[Bound | None] | None = None


_DEADLINE: contextvars.ContextVar[Bound | None] = contextvars.ContextVar(
    "payerr_deadline", default=None
)
"""The current attempt's :class:`Bound`, or None outside a payerr call."""


def _usable(pool: object) -> bool:
    return isinstance(pool, int | float) and not isinstance(pool, bool)


def enter(seconds: float, extensions: MutableMapping[str, Any]) -> Bound | None:
    """The reads, writes and connects of this thread's (or task's) payerr-bounded streams end
    within ``seconds``, and so does the request's wait for a pooled connection (httpcore reads
    it from the request's ``timeout`` extension, which httpx fills from the client's timeout;
    past the deadline a request that would wait gives up at once, nothing sent). Undone by
    :func:`leave`, which puts the caller's extension back (a token, not a ``with``: this runs
    on every attempt). Never raises: an extension payerr cannot read is left alone."""
    if not seconds < FAR:
        return None
    seconds = max(seconds, 0.0)
    timeout = extensions.get("timeout", _MISSING)
    if timeout is _MISSING or timeout is None:
        bounded: object = {"pool": seconds}
    elif not isinstance(timeout, dict):
        bounded = timeout = _UNCHANGED  # not httpx's shape: left alone
    else:
        pool = timeout.get("pool")
        if pool is not None and not _usable(pool):
            bounded = timeout = _UNCHANGED  # not a number of seconds: httpcore's to refuse
        elif pool is not None and pool <= seconds:
            bounded = timeout = _UNCHANGED  # the caller's own bound is shorter
        else:
            bounded = {**timeout, "pool": seconds}
    bound = Bound(_monotonic() + seconds, extensions, timeout)
    if bounded is not _UNCHANGED:
        extensions["timeout"] = bounded
    bound.token = _DEADLINE.set(bound)
    return bound


def leave(bound: Bound | None) -> None:
    if bound is None:
        return
    if bound.token is not None:
        _DEADLINE.reset(bound.token)
    previous = bound.previous
    if previous is _MISSING:
        bound.extensions.pop("timeout", None)
    elif previous is not _UNCHANGED:
        bound.extensions["timeout"] = previous


_PASSED = "the call's deadline (RetryPolicy.timeout) has passed"


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left before the deadline; past it, ``error``."""
    bound = _DEADLINE.get()
    if bound is None:
        return timeout
    left = bound.deadline - _monotonic()
    if left <= 0:
        raise error(_PASSED)
    return left if timeout is None or left < timeout else timeout


SLICE = 64 << 10
"""A sync write is made in slices of this many bytes, each given the time left: httpcore
restarts a socket's timeout at every partial send, so a server reading a large body slowly
would otherwise hold the call for as long as it liked."""


def _before_deadline(seconds: float) -> None:
    """httpcore sleeps between connect attempts (``HTTPTransport(retries=N)``, doubling from
    half a second): a sleep that would end past the deadline is not taken, and the connect
    ends now (nothing sent)."""
    bound = _DEADLINE.get()
    if bound is not None and _monotonic() + seconds >= bound.deadline:
        raise httpcore.ConnectTimeout(
            f"connecting again after {seconds:g} s would pass the call's deadline"
        )


class _Stream(httpcore.NetworkStream):
    """A network stream whose reads and writes end by the deadline (a server that stops
    reading a large request body cannot hold the call either)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._read = stream.read
        self._write = stream.write

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if len(buffer) <= SLICE:
            self._write(buffer, _left(timeout, httpcore.WriteTimeout))
            return
        for start in range(0, len(buffer), SLICE):
            self._write(buffer[start : start + SLICE], _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncStream(httpcore.AsyncNetworkStream):
    """:class:`_Stream` for the async transport's connections."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._read = stream.read
        self._write = stream.write

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # One write: anyio bounds the whole send by its timeout (not each partial send).
        await self._write(buffer, _left(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    __slots__ = ("_backend",)

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        stream = await self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._backend.connect_unix_socket(path, left, socket_options))

    async def sleep(self, seconds: float) -> None:
        _before_deadline(seconds)
        await self._backend.sleep(seconds)


class _Backend(httpcore.NetworkBackend):
    __slots__ = ("_backend",)

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        _before_deadline(seconds)
        self._backend.sleep(seconds)


def bound_reads(transport: object) -> bool:
    """Give the connections ``transport`` makes from now on the current call's deadline;
    whether it could (an ``httpx.HTTPTransport`` or ``httpx.AsyncHTTPTransport`` on httpcore
    1.x: yes)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, _Backend | _AsyncBackend):
        return True
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
        return True
    if isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = _AsyncBackend(backend)  # type: ignore[union-attr]
        return True
    return False
