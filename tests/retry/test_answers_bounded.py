"""Answers read within a size and the call's deadline (issue 22, points 1 and 3).

- A gzip bomb (a few hundred KB that decode to hundreds of MB) stops at ``max_body``: the call
  is outcome unknown, not resent, and memory stays near the limit.
- A body dripping in past ``RetryPolicy.timeout`` is cut at the deadline: outcome unknown.

Time is fake: each chunk of the dripping body moves the policy's clock, so nothing here depends
on the machine's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
import httpx
import pytest

import payerr
from payerr import OutcomeUnknownError
from tests.support.clock import FakeTime
from tests.support.loopback import RawServer

URL = "https://api.paykka.test/v1/payments"
KEY = {"Idempotency-Key": "order-1"}
OK = b'{"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS"}}'


def bomb(decoded_mib: int) -> bytes:
    """gzip of ``decoded_mib`` MiB of zeros, built a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"\0" * (1 << 20)
    parts = [packer.compress(zeros) for _ in range(decoded_mib)]
    return b"".join(parts) + packer.flush()


BOMB = bomb(256)


class Counting:
    def __init__(self, make: Callable[[httpx.Request], httpx.Response]) -> None:
        self.make = make
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.make(request)


def policy(fake: FakeTime, timeout: float = 30.0) -> payerr.RetryPolicy:
    return payerr.RetryPolicy(
        sleep=fake.sleep, async_sleep=fake.async_sleep, clock=fake.clock, random=lambda: 0.0,
        timeout=timeout, budget=False,
    )  # fmt: skip


def gzipped(_: httpx.Request) -> httpx.Response:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(BOMB))


def unknown_outcome_and_peak(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[OutcomeUnknownError, int]:
    """Post once through a transport answered by ``handler``: the OutcomeUnknownError it
    must raise, and the peak of memory traced meanwhile."""
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
    )
    tracemalloc.start()
    try:
        with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError) as e:
            client.post(URL, json={}, headers=KEY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return e.value, peak


def test_a_gzip_bomb_stops_at_the_limit_and_is_not_resent() -> None:
    handler = Counting(gzipped)
    error, peak = unknown_outcome_and_peak(handler)
    assert handler.calls == 1  # a key would allow a resend: the size never does
    assert "larger than 1048576 bytes" in error.classification.message
    assert error.classification.outcome == "pending"
    assert peak < 8 * (1 << 20), peak  # the limit, a chunk and change; never the 256 MiB


def gzip_of(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("header", ["gzip, gzip", "gzip,gzip", "identity, gzip, gzip"])
def test_a_bomb_wrapped_twice_stops_at_the_limit_too(header: str) -> None:
    """gzip of a 256 MiB gzip bomb is a couple of KB on the wire; httpx's decoder for a list
    of encodings expands a whole chunk at once (2 GiB for a 1 GiB bomb). Each layer is
    decoded within the room left."""
    twice = gzip_of(BOMB)
    assert len(twice) < 64 << 10

    def handler(_: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": header}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(twice))

    error, peak = unknown_outcome_and_peak(handler)
    assert "larger than 1048576 bytes" in error.classification.message
    assert peak < 8 * (1 << 20), peak


def test_an_answer_wrapped_twice_within_the_limit_is_read() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip, gzip"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(gzip_of(gzip_of(OK))))

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client:
        assert client.post(URL, json={}).json()["ret_code"] == "000000"


@pytest.mark.parametrize("header", ["br", "zstd", "gzip, br", "compress"])
def test_an_encoding_payerr_cannot_bound_is_not_decoded(
    header: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """br and zstd decoders expand a whole chunk at once: the body is kept as it came
    (unreadable: outcome unknown), never expanded; and where httpx could decode them (brotli
    or zstandard installed, as if here), payerr asks only for gzip or deflate."""
    monkeypatch.setattr("payerr._retry.body._UNBOUNDED", True)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        headers = {"Content-Encoding": header}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b"\x8b" * 100))

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(handler))
    asked = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError) as e:
        client.post(URL, json={}, headers=asked)
    assert e.value.classification.outcome == "pending"
    assert "without a readable result" in str(e.value)
    assert seen[0] == "gzip, deflate"


def test_a_smaller_limit_and_a_gzip_answer_within_it() -> None:
    small = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    packed = small.compress(OK) + small.flush()

    def handler(_: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(packed))

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), max_body=len(OK)
    )
    with httpx.Client(transport=transport) as client:
        response = client.post(URL, json={})
    assert response.json()["ret_code"] == "000000"
    c = payerr.classification_of(response)
    assert c is not None
    assert c.is_success
    with pytest.raises(payerr.UsageError):
        payerr.PaymentTransport("paykka", max_body=0)


class Drip(httpx.SyncByteStream):
    """A body that arrives a byte at a time, each byte 0.2 s after the last (on fake time)."""

    def __init__(self, fake: FakeTime, body: bytes) -> None:
        self.fake, self.body, self.sent = fake, body, 0

    def __iter__(self) -> Iterator[bytes]:
        for byte in self.body:
            self.fake.now += 0.2
            self.sent += 1
            yield bytes([byte])


class AsyncDrip(httpx.AsyncByteStream):
    def __init__(self, fake: FakeTime, body: bytes) -> None:
        self.fake, self.body, self.sent = fake, body, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in self.body:
            self.fake.now += 0.2
            self.sent += 1
            yield bytes([byte])


def test_a_dripping_body_is_cut_at_the_calls_deadline() -> None:
    fake = FakeTime()
    drip = Drip(fake, OK)
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(lambda _: httpx.Response(200, stream=drip)),
        policy=policy(fake, timeout=2.0),
    )
    started = fake.now
    with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError) as e:
        client.post(URL, json={}, headers=KEY)
    assert "deadline" in e.value.classification.message
    assert fake.now - started <= 2.0 + 0.2  # cut within one chunk of the deadline
    assert drip.sent < len(OK)


def test_the_async_transport_keeps_the_same_bounds() -> None:
    async def main() -> None:
        fake = FakeTime()
        drip = AsyncDrip(fake, OK)
        transport = payerr.AsyncPaymentTransport(
            "paykka",
            transport=httpx.MockTransport(lambda _: httpx.Response(200, stream=drip)),
            policy=policy(fake, timeout=2.0),
        )
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(OutcomeUnknownError):
                await client.post(URL, json={}, headers=KEY)
        assert drip.sent < len(OK)

        bombs = Counting(gzipped)
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(bombs), policy=policy(FakeTime())
        )
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(OutcomeUnknownError):
                await client.post(URL, json={}, headers=KEY)
        assert bombs.calls == 1

    asyncio.run(main())


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, str])
def test_classify_http_given_a_huge_body_copies_nothing(kind: type) -> None:
    """A 64 MiB body handed to classify_http (the caller read it already) is too large to be
    a payment answer: pending, with the size said, and payerr neither copies nor encodes it
    (a str used to be encoded whole: twice its size)."""
    raw = b'{"result": {"resultStatus": "S", "resultCode": "SUCCESS"}, "pad": "' + b"x" * (64 << 20)
    body = raw.decode() if kind is str else kind(raw)
    payerr.classify_http("antom", 200, b"{}")  # the mapping is loaded before measuring
    tracemalloc.start()
    try:
        answer = payerr.classify_http("antom", 200, body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.outcome == "pending"
    assert answer.detail is not None
    assert "larger than payerr reads" in answer.detail
    assert peak < 1 << 20


class HeaderDrip(RawServer):
    """A loopback server that answers a status line, then one header line every 50 ms, up to
    400 of them (20 s), and notes how many it sent before the client hung up."""

    LINES = 400

    def __init__(self) -> None:
        self.sent: list[int] = []
        super().__init__()

    def answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            lines = 0
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for lines in range(1, self.LINES + 1):
                    time.sleep(0.05)
                    conn.sendall(b"X-Drip: %d\r\n" % lines)
                conn.sendall(b"Content-Length: 2\r\n\r\n{}")
            except OSError:
                pass  # the client hung up: the deadline cut it
            self.sent.append(lines)


@pytest.fixture
def header_drip() -> Iterator[HeaderDrip]:
    server = HeaderDrip()
    yield server
    server.close()


def _until(condition: Callable[[], bool]) -> None:
    for _ in range(600):  # bounded: the drip itself ends within 20 s
        if condition():
            return
        time.sleep(0.05)


DRIP_TIMEOUT = httpx.Timeout(5.0)  # each read gets 5 s: a line every 50 ms never trips it


def test_headers_dripping_past_the_deadline_are_cut_sync(header_drip: HeaderDrip) -> None:
    """httpx's timeouts are per read: a server sending one header line every 50 ms holds a
    sync call for as long as it likes. Every socket read gets the time left before the call's
    deadline (RetryPolicy.timeout=0.5), so the call ends long before the drip does."""
    transport = payerr.PaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=0.5))
    url = f"http://127.0.0.1:{header_drip.port}/v1/payments"
    with (
        httpx.Client(transport=transport, timeout=DRIP_TIMEOUT) as client,
        pytest.raises(OutcomeUnknownError) as e,
    ):
        client.post(url, json={})
    assert e.value.classification.outcome == "pending"
    _until(lambda: bool(header_drip.sent))
    assert header_drip.sent
    assert header_drip.sent[0] < HeaderDrip.LINES  # the client hung up mid-drip


def test_headers_dripping_past_the_deadline_are_cut_async(header_drip: HeaderDrip) -> None:
    async def call() -> None:
        transport = payerr.AsyncPaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=0.5))
        url = f"http://127.0.0.1:{header_drip.port}/v1/payments"
        async with httpx.AsyncClient(transport=transport, timeout=DRIP_TIMEOUT) as client:
            await client.post(url, json={})

    with pytest.raises(OutcomeUnknownError) as e:
        asyncio.run(call())
    assert e.value.classification.outcome == "pending"
    _until(lambda: bool(header_drip.sent))
    assert header_drip.sent
    assert header_drip.sent[0] < HeaderDrip.LINES


class Breaking(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that breaks after its first bytes, with an error that is not httpx's."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"ret_code": "000000",'
        raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"ret_code": "000000",'
        raise self.error


FOREIGN = [MemoryError(), zlib.error("invalid stored block lengths"), RuntimeError("bug")]


@pytest.mark.parametrize("error", FOREIGN, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("where", ["handle_request", "body"])
def test_no_foreign_exception_escapes_a_transport(error: Exception, where: str) -> None:
    """An inner transport (or its body) raising something httpx does not name, after the
    request may have been sent: OutcomeUnknownError (pending), the original as its cause,
    never resent (a key would allow a resend: the same fault would meet it), sync and async."""
    calls = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if where == "handle_request":
            raise error
        return httpx.Response(200, stream=Breaking(error))

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError) as e:
        client.post(URL, json={}, headers=KEY)
    assert e.value.classification.outcome == "pending"
    assert type(error).__name__ in e.value.classification.message
    assert e.value.__cause__ is not None
    assert e.value.__cause__.__cause__ is error
    assert calls == 1

    async def handle(request: httpx.Request) -> httpx.Response:
        return handler(request)

    async def call() -> None:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handle), policy=policy(FakeTime())
        )
        async with httpx.AsyncClient(transport=transport) as client:
            await client.post(URL, json={}, headers=KEY)

    with pytest.raises(OutcomeUnknownError) as e:
        asyncio.run(call())
    assert e.value.classification.outcome == "pending"
    assert calls == 2


class Held(RawServer):
    """A loopback server whose first request is held until :attr:`release` is set (or 15 s
    pass: a fallback, so a call that waits for the held connection ends rather than hangs)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        super().__init__()

    def answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(20)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            self.arrived.set()
            self.release.wait(15)
            head = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
            conn.sendall(head % len(OK) + OK)  # one answer a connection, and it says so

    def close(self) -> None:
        self.release.set()
        super().close()


@pytest.fixture
def held() -> Iterator[Held]:
    server = Held()
    yield server
    server.close()


ONE_CONNECTION = httpx.Limits(max_connections=1)
POOL_WAIT = httpx.Timeout(20.0)  # httpx alone would wait 20 s for the pool's one connection


def _waited_for_the_pool(error: payerr.RetryableError) -> None:
    assert error.history
    assert all(r.error == "PoolTimeout" and not r.executed for r in error.history)


def test_the_wait_for_a_pooled_connection_ends_at_the_calls_deadline_sync(held: Held) -> None:
    """A call that waits for a free connection (all in use by a call the server holds) ends
    at its own deadline, nothing sent, while the other call is still held: it does not wait
    for httpx's pool timeout (20 s here) nor for the held call."""
    inner = httpx.HTTPTransport(limits=ONE_CONNECTION)
    patient = payerr.PaymentTransport("paykka", transport=inner)
    hasty = payerr.PaymentTransport(
        "paykka", transport=inner, policy=payerr.RetryPolicy(timeout=0.3)
    )
    # One inner transport: closing either client would close it under the other's call.
    slow, fast = (httpx.Client(transport=t, timeout=POOL_WAIT) for t in (patient, hasty))
    first = threading.Thread(target=lambda: slow.post(held.url, json={}))
    first.start()
    try:
        assert held.arrived.wait(10)
        with pytest.raises(payerr.RetryableError) as e:
            fast.post(held.url, json={})
        assert not held.release.is_set()  # ended while the held call still held the connection
        _waited_for_the_pool(e.value)
    finally:
        held.release.set()
        first.join(20)
        slow.close()


def test_the_wait_for_a_pooled_connection_ends_at_the_calls_deadline_async(held: Held) -> None:
    """The same under the async transport, whose default inner transport's reads and pool
    wait are bounded as the sync one's are (no cancel scope around the attempt)."""

    async def calls() -> payerr.RetryableError:
        inner = httpx.AsyncHTTPTransport(limits=ONE_CONNECTION)
        patient = payerr.AsyncPaymentTransport("paykka", transport=inner)
        hasty = payerr.AsyncPaymentTransport(
            "paykka", transport=inner, policy=payerr.RetryPolicy(timeout=0.3)
        )
        # One inner transport: closing either client would close it under the other's call.
        slow, fast = (httpx.AsyncClient(transport=t, timeout=POOL_WAIT) for t in (patient, hasty))
        first = asyncio.ensure_future(slow.post(held.url, json={}))
        for _ in range(1000):  # bounded: the server notes the request within moments
            if held.arrived.is_set():
                break
            await asyncio.sleep(0.01)
        assert held.arrived.is_set()
        try:
            with pytest.raises(payerr.RetryableError) as e:
                await fast.post(held.url, json={})
            assert not held.release.is_set()
        finally:
            held.release.set()
            await first
            await slow.aclose()
        return e.value

    _waited_for_the_pool(asyncio.run(calls()))


class Deaf(RawServer):
    """A loopback server that reads a request's head and never its body (closing after 10 s:
    a fallback, so a write the deadline does not bound ends rather than hangs)."""

    def answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            conn.recv(1024)
            time.sleep(10)


@pytest.fixture
def deaf() -> Iterator[Deaf]:
    server = Deaf()
    yield server
    server.close()


BIG_BODY = {"note": "x" * (8 << 20)}  # 8 MiB: more than any socket buffer holds


def _cut_while_writing(error: OutcomeUnknownError) -> None:
    assert [r.error for r in error.history] == ["WriteTimeout"]


def test_a_request_body_the_server_does_not_read_ends_at_the_deadline_sync(deaf: Deaf) -> None:
    """httpx's write timeout is per write too (none at all with ``timeout=None``): a server
    that stops reading a large body holds the call. Every write gets the time left."""
    transport = payerr.PaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=0.3))
    with (
        httpx.Client(transport=transport, timeout=None) as client,
        pytest.raises(OutcomeUnknownError) as e,
    ):
        client.post(deaf.url, json=BIG_BODY)
    _cut_while_writing(e.value)


# Under trio, httpcore leaves the request body's async generator (httpx's ByteStream) to the
# garbage collector when a write fails: trio warns of it. Not payerr's generator.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_request_body_the_server_does_not_read_ends_at_the_deadline_async(
    deaf: Deaf, backend: str
) -> None:
    async def call() -> None:
        transport = payerr.AsyncPaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=0.3))
        async with httpx.AsyncClient(transport=transport, timeout=None) as client:
            await client.post(deaf.url, json=BIG_BODY)

    with pytest.raises(OutcomeUnknownError) as e:
        anyio.run(call, backend=backend)
    _cut_while_writing(e.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connect_retries_of_the_inner_transport_stop_at_the_deadline() -> None:
    """``HTTPTransport(retries=5)`` sleeps 0.5, 1, 2, 4 s between connects (7.5 s): a sleep
    that would pass the call's deadline is not taken. Nothing was sent: retryable."""
    url = f"http://127.0.0.1:{_closed_port()}/v1/payments"
    sync = payerr.PaymentTransport(
        "paykka", transport=httpx.HTTPTransport(retries=5), policy=payerr.RetryPolicy(timeout=0.3)
    )
    with httpx.Client(transport=sync) as client, pytest.raises(payerr.RetryableError) as e:
        client.post(url, json={})
    _stopped_before_sleeping(e.value)

    async def call() -> payerr.RetryableError:
        inner = httpx.AsyncHTTPTransport(retries=5)
        policy = payerr.RetryPolicy(timeout=0.3)
        transport = payerr.AsyncPaymentTransport("paykka", transport=inner, policy=policy)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(payerr.RetryableError) as e:
                await client.post(url, json={})
        return e.value

    _stopped_before_sleeping(asyncio.run(call()))


def _stopped_before_sleeping(error: payerr.RetryableError) -> None:
    assert {r.error for r in error.history} == {"ConnectTimeout"}
    # Not the deadline found passed at the next connect, after the 0.5 s sleep (and 7 s more).
    assert "would pass the call's deadline" in str(error.__cause__)


def test_the_callers_request_keeps_its_timeouts(held: Held) -> None:
    """The pool bound is the attempt's: the request's ``timeout`` extension is put back (a
    request resent by another client keeps the caller's pool timeout), and a request sent to
    the transport directly, with no extension, is bounded too and left without one."""
    held.release.set()  # answer at once
    transport = payerr.PaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=0.3))
    with httpx.Client(transport=transport, timeout=5.0) as client:
        request = client.build_request("POST", held.url, json={})
        before = dict(request.extensions["timeout"])
        client.send(request)
        assert request.extensions["timeout"] == before
    direct = httpx.Request("POST", held.url, json={})
    transport.handle_request(direct).close()
    assert "timeout" not in direct.extensions
    transport.close()


class SlowSigning(httpx.AsyncHTTPTransport):
    """A subclass doing work of its own before sending (fetching a token, signing)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return await super().handle_async_request(request)


def test_a_subclass_of_httpxs_async_transport_keeps_the_whole_attempt_bounded(held: Held) -> None:
    """Only httpx's own transport is bounded by its streams alone: a subclass's own work
    before sending is inside the attempt's cancel scope, which ends it at the deadline."""
    held.release.set()

    async def call() -> None:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=SlowSigning(), policy=payerr.RetryPolicy(timeout=0.3)
        )
        async with httpx.AsyncClient(transport=transport) as client:
            await client.post(held.url, json={})  # after 10 s: answered, no error

    with pytest.raises(OutcomeUnknownError) as e:
        asyncio.run(call())
    assert [r.error for r in e.value.history] == ["ReadTimeout"]


def test_a_redirect_hops_retries_wait_within_the_calls_timeout() -> None:
    """The POST is answered 303 after 1.9 s of a 2 s budget; the result it points to answers
    503. Its retries' waits count from the call's start, not the hop's: none is taken."""
    fake = FakeTime()
    gets = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            fake.now += 1.9
            return httpx.Response(303, headers={"Location": "/v1/payments/p-1"})
        gets.append(request)
        return httpx.Response(503)

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(answer), policy=policy(fake, timeout=2.0)
    )
    with (
        httpx.Client(transport=transport, follow_redirects=True) as client,
        pytest.raises(OutcomeUnknownError),
    ):
        client.post(URL, json={}, headers=KEY)
    assert len(gets) == 1
    assert fake.slept == []


def test_a_policy_without_a_deadline_sends(held: Held) -> None:
    """``RetryPolicy(timeout=math.inf)`` and a client without timeouts: no deadline to give
    the sockets (an infinite socket timeout overflows), and the call is sent and answered."""
    held.release.set()
    transport = payerr.PaymentTransport("paykka", policy=payerr.RetryPolicy(timeout=math.inf))
    with httpx.Client(transport=transport, timeout=None) as client:
        response = client.post(held.url, json={})
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "success"


class SlowReader(RawServer):
    """A loopback server that reads a request's body 64 KiB every 20 ms (3 MiB/s at most,
    however fast the machine), and counts what it read."""

    def __init__(self) -> None:
        self.read = 0
        super().__init__()

    def answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            for _ in range(2000):  # bounded: 40 s at most
                data = conn.recv(65536)
                if not data:
                    return
                self.read += len(data)
                time.sleep(0.02)


def test_a_request_body_read_slowly_is_cut_at_the_deadline_sync() -> None:
    """httpcore restarts a socket's write timeout at every partial send: a server reading a
    8 MiB body at 3 MiB/s would hold a sync call for three seconds. Writes go in slices, each
    given the time left, so the call ends at its deadline with most of the body unread."""
    server = SlowReader()
    body = b"x" * (8 << 20)
    # A small send buffer: each partial send returns as soon as the server reads a little.
    inner = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 16)])
    policy = payerr.RetryPolicy(timeout=0.3)
    transport = payerr.PaymentTransport("paykka", transport=inner, policy=policy)
    try:
        with (
            httpx.Client(transport=transport, timeout=None) as client,
            pytest.raises(OutcomeUnknownError) as e,
        ):
            client.post(server.url, content=body, headers=KEY)
        assert server.read < len(body) // 2  # not written on past the deadline
        _cut_while_writing(e.value)
    finally:
        server.close()


def test_an_unusable_timeout_extension_is_left_alone_and_the_deadline_does_not_leak(
    held: Held,
) -> None:
    """A pool timeout that is not a number is httpcore's to judge, not payerr's to compare:
    no error of payerr's, and no deadline left behind on the thread for a later plain request
    on the same inner transport."""
    held.release.set()
    inner = httpx.HTTPTransport()
    transport = payerr.PaymentTransport("paykka", transport=inner)
    odd = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": "5"}
    request = httpx.Request("POST", held.url, json={}, extensions={"timeout": odd})
    with contextlib.suppress(httpx.HTTPError, payerr.PaymentError):
        transport.handle_request(request).close()
    assert request.extensions["timeout"] is odd
    plain = inner.handle_request(httpx.Request("POST", held.url, json={}))
    assert plain.status_code == 200
    plain.close()
    transport.close()


def test_the_same_request_sent_again_is_a_new_call_not_a_redirect_hop() -> None:
    """``RetryableError`` says the same request is safe to resend: sent again, later, it is
    a call of its own (its own attempts and deadline, the ledger asked again), not a hop of
    the call that failed (whose history it would extend, past its deadline)."""
    fake = FakeTime()
    up = False

    def answer(request: httpx.Request) -> httpx.Response:
        if not up:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, content=OK)

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(answer), policy=policy(fake, timeout=2.0)
    )
    with httpx.Client(transport=transport) as client:
        with pytest.raises(payerr.RetryableError) as first:
            client.post(URL, json={}, headers=KEY)
        request = first.value.request
        assert request is not None
        fake.now += 60  # still down a minute later
        with pytest.raises(payerr.RetryableError) as again:
            client.send(request)
        assert len(again.value.history) == len(first.value.history)  # its own attempts only
        fake.now += 60  # back the minute after
        up = True
        response = client.send(request)
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "success"


def test_the_first_request_of_a_redirected_call_sent_again_is_a_new_call() -> None:
    """A call redirected (307 to another URL) that fails there: the caller resends the request
    it built. That is a new call, with its own attempts, not a hop of the failed one (httpx
    builds a new request for each hop; the one the caller holds is the call's first)."""
    fake = FakeTime()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/payments":
            return httpx.Response(307, headers={"Location": "/v1/payments/retry-here"})
        raise httpx.ConnectError("refused", request=request)

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(answer), policy=policy(fake, timeout=2.0)
    )
    with httpx.Client(transport=transport, follow_redirects=True) as client:
        request = client.build_request("POST", URL, json={}, headers=KEY)
        with pytest.raises(payerr.PaymentError) as first:
            client.send(request)
        fake.now += 60
        with pytest.raises(payerr.PaymentError) as again:
            client.send(request)
    assert len(again.value.history) == len(first.value.history)  # its own attempts only
    assert type(again.value) is type(first.value)
