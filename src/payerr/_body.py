"""An answer's body, read within a size and a deadline (the transports' shared core).

A provider, or a proxy in front of it, may send more than any payment answer needs: a gzip
bomb (2 MB that decodes to 4 GiB), or a body dripping a byte at a time that outlives the call.
The transports read the raw bytes themselves and decode gzip and deflate with a bound on what
each step may produce, so a bomb stops at the limit; other encodings (br, zstd) go through
httpx's decoder, checked after each chunk. Past the size or the call's deadline the answer is
cut: the request may have executed, so it is outcome unknown, and it is never resent for it.

Pure: the shells feed chunks from ``iter_raw`` / ``aiter_raw`` and read the clock they are given.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import httpx

__all__ = ["DEFAULT_MAX_BODY", "AnswerCut", "BodyReader"]

DEFAULT_MAX_BODY = 1 << 20
"""The decoded size an answer may have (1 MiB): far more than any payment answer."""


class AnswerCut(httpx.DecodingError):
    """The answer was cut: larger than the limit, or still arriving at the call's deadline."""

    def __init__(self, why: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(why, request=request)
        self.why = why


class BodyReader:
    """Feed raw chunks; get the decoded body, or :class:`AnswerCut`."""

    __slots__ = ("_chunks", "_clock", "_deadline", "_decode", "_fallback", "_limit", "_size")

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
        self._decode = _decoder(response.headers.get("content-encoding", ""), limit)
        self._fallback = self._decode is None and _encoded(response)

    @property
    def raw(self) -> bool:
        """Whether the shell should feed raw bytes (else httpx's decoded ones)."""
        return not self._fallback

    def feed(self, chunk: bytes) -> None:
        data = self._decode(chunk, self._limit - self._size) if self._decode else chunk
        self._size += len(data)
        if self._size > self._limit:
            raise AnswerCut(f"the answer is larger than {self._limit} bytes once decoded")
        self._chunks.append(data)
        if self._clock() > self._deadline:
            raise AnswerCut("the answer was still arriving at the call's deadline")

    def take(self, content: bytes) -> None:
        """An answer the inner transport already read whole (an ``httpx.Response`` built with
        ``content=``): only its size is checked."""
        if len(content) > self._limit:
            raise AnswerCut(f"the answer is larger than {self._limit} bytes once decoded")
        self._chunks, self._size = [content], len(content)

    def keep(self, response: httpx.Response) -> None:
        """Hand the body to ``response``, as ``response.read()`` would have (its content is
        decoded already; httpx never decodes ``_content`` again)."""
        response._content = b"".join(self._chunks)  # what read() sets


def _encoded(response: httpx.Response) -> bool:
    value = response.headers.get("content-encoding", "").strip().lower()
    return value not in ("", "identity")


def _decoder(header: str, limit: int) -> Callable[[bytes, int], bytes] | None:
    """A bounded decoder for gzip or deflate; None for identity or anything else (httpx's)."""
    value = header.strip().lower()
    if value in ("gzip", "x-gzip"):
        return _Inflate(zlib.MAX_WBITS | 16)
    if value == "deflate":
        return _Inflate(zlib.MAX_WBITS, raw_fallback=True)
    return None


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
