"""An answer's body, read within a size and a deadline (the transports' shared core).

A provider, or a proxy in front of it, may send more than any payment answer needs: a gzip
bomb (2 MB that decodes to 4 GiB), or a body dripping a byte at a time that outlives the call.
The transports read the raw bytes themselves and decode gzip and deflate, alone or stacked
(``Content-Encoding: gzip, gzip``), with a bound on what each step of each layer may produce, so
a bomb stops at the limit. Other encodings (br, zstd: their decoders expand a whole chunk at
once, and a few bytes of either can expand to gigabytes) are not decoded: the body stays as it
came, unreadable, and the transports ask for ``gzip, deflate`` only (:func:`bounded_accept`).
Past the size or the call's deadline the answer is cut: the request may have executed, so it
is outcome unknown, and it is never resent for it.

Pure: the shells feed chunks from ``iter_raw`` / ``aiter_raw`` and read the clock they are given.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import httpx

__all__ = [
    "DEFAULT_MAX_BODY",
    "MAX_BODY_LIMIT",
    "AnswerCut",
    "BodyReader",
    "InnerFailure",
    "bounded_accept",
    "read_whole",
]

DEFAULT_MAX_BODY = 1 << 20
"""The decoded size an answer may have (1 MiB): far more than any payment answer."""
MAX_BODY_LIMIT = 1 << 30
"""The largest ``max_body`` a transport takes (1 GiB): a limit past it bounds nothing."""


class AnswerCut(httpx.DecodingError):
    """The answer was cut: larger than the limit, or still arriving at the call's deadline."""

    def __init__(self, why: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(why, request=request)
        self.why = why


class InnerFailure(httpx.TransportError):
    """The inner transport (or its body stream) raised something that is not an httpx error
    (a ``MemoryError``, a ``zlib.error``, a bug in a custom transport) after the request may
    have been sent: outcome unknown, never resent for it. The original is ``__cause__``."""

    def __init__(self, error: Exception, *, request: httpx.Request | None = None) -> None:
        super().__init__(f"{type(error).__name__}: {error}", request=request)
        self.error_type = type(error).__name__


class BodyReader:
    """Feed raw chunks; get the decoded body, or :class:`AnswerCut`."""

    __slots__ = ("_chunks", "_clock", "_deadline", "_decode", "_limit", "_size")

    def __init__(
        self,
        response: httpx.Response,
        *,
        limit: int,
        deadline: float,
        clock: Callable[[], float],
    ) -> None:
        self._limit = limit
        self._deadline = deadline
        self._clock = clock
        self._chunks: list[bytes] = []
        self._size = 0
        self._decode = _decoder(response.headers.get("content-encoding", ""))

    def feed(self, chunk: bytes) -> None:
        """One raw chunk (``iter_raw``): decoded within the room left, kept, or cut."""
        room = self._limit - self._size
        data = self._decode(chunk, room) if self._decode else chunk
        self._size += len(data)
        if self._size > self._limit:
            raise AnswerCut(f"the answer is larger than {self._limit} bytes once decoded")
        self._chunks.append(data)
        if self._clock() > self._deadline:
            raise AnswerCut("the answer was still arriving at the call's deadline")

    def keep(self, response: httpx.Response) -> None:
        """Hand the body to ``response``, as ``response.read()`` would have (its content is
        decoded already; httpx never decodes ``_content`` again)."""
        response._content = b"".join(self._chunks)  # what read() sets


def read_whole(response: httpx.Response, limit: int) -> None:
    """An answer the inner transport already read whole (an ``httpx.Response`` built with
    ``content=``, decoded by httpx): only its size is checked, as :class:`BodyReader` would."""
    if len(response.content) > limit:
        raise AnswerCut(f"the answer is larger than {limit} bytes once decoded")


_BOUNDED = {"gzip", "x-gzip", "deflate"}
"""The encodings payerr decodes within a bound (identity needs no decoding)."""


def _tokens(header: str) -> list[str]:
    return [t.strip().lower() for t in header.split(",") if t.strip()]


def _decoder(header: str) -> Callable[[bytes, int], bytes] | None:
    """A bounded decoder for the encodings listed (applied in that order, so undone in the
    reverse one); None when there is nothing to decode, or when one of them is not gzip or
    deflate (the body is then kept as it came: unreadable, never expanded)."""
    if not header:
        return None
    layers = [t for t in _tokens(header) if t != "identity"]
    if not layers or not _BOUNDED.issuperset(layers):
        return None
    steps = [
        _Inflate(zlib.MAX_WBITS | 16)
        if t != "deflate"
        else _Inflate(zlib.MAX_WBITS, raw_fallback=True)
        for t in reversed(layers)
    ]
    return steps[0] if len(steps) == 1 else _Layers(steps)


class _Layers:
    """Stacked encodings (``gzip, gzip``): each layer within the room left, so no layer ever
    produces more than the answer may hold (a compressed layer is not larger than what it
    decodes to, give or take a header: past the room, the answer would be too)."""

    __slots__ = ("_steps",)

    def __init__(self, steps: list[_Inflate]) -> None:
        self._steps = steps

    def __call__(self, chunk: bytes, room: int) -> bytes:
        for step in self._steps:
            chunk = step(chunk, room)
            if len(chunk) > room:
                return chunk  # the caller cuts the answer: nothing more is decoded
        return chunk


def _unbounded_decoders() -> bool:
    """Whether httpx here decodes an encoding payerr cannot bound (brotli or zstandard is
    installed): only then does httpx's own ``Accept-Encoding`` ask for one."""
    try:
        from httpx._decoders import SUPPORTED_DECODERS  # noqa: PLC0415 -- read once
    except ImportError:  # a future httpx: assume it may
        return True
    return not _BOUNDED.union({"identity"}).issuperset(SUPPORTED_DECODERS)


_UNBOUNDED = _unbounded_decoders()


def bounded_accept(request: httpx.Request) -> None:
    """Ask only for encodings payerr decodes within a bound: httpx adds ``br`` and ``zstd`` to
    ``Accept-Encoding`` when brotli or zstandard is installed; they are dropped (``gzip,
    deflate`` stay; a request that asks for nothing else is left as it is). Without those
    packages httpx asks for none of them, and an answer encoded so anyway is kept unread."""
    if not _UNBOUNDED:
        return
    header = request.headers.get("accept-encoding")
    if header is None:
        return
    asked = _tokens(header)
    kept = [t for t in asked if t.split(";")[0].strip() in _BOUNDED | {"identity"}]
    if kept != asked:
        request.headers["accept-encoding"] = ", ".join(kept) if kept else "identity"


class _Inflate:
    """zlib with ``max_length``: never produces more than the room left (plus one byte)."""

    __slots__ = ("_inflate", "_raw_fallback", "_started")

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._inflate = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def __call__(self, chunk: bytes, room: int) -> bytes:
        try:
            out = self._inflate.decompress(chunk, max(room, 0) + 1)
        except zlib.error as exc:
            if self._raw_fallback and not self._started:
                # Some servers send raw deflate without the zlib header (httpx does the same).
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_fallback = False
                return self(chunk, room)
            raise httpx.DecodingError(f"the answer could not be decoded: {exc}") from exc
        self._started = True
        # max_length stops only once room + 1 bytes came out: the caller cuts the answer then,
        # and the input left (the rest of a bomb) is never decoded.
        return out
