"""Classifying httpx transports: one decision core, a thin sync shell and a thin async shell.

``httpx.Client(transport=payerr.PaymentTransport("antom"))``: every answer is classified, the
Classification rides on ``response.extensions`` (see :func:`payerr.classification_of`),
replay-safe transient failures are retried under a :class:`~payerr.RetryPolicy`, and every
other failure raises one of the typed :class:`~payerr.PaymentError` subclasses.

The body is read before classifying (payment answers are small) and the connection released;
``client.stream(...)`` callers still iterate bytes, text and lines, but not ``iter_raw()``.

The first attempt runs without tenacity (most calls need no retry, and a tenacity loop costs
more than the classification); when a retry is due, the tenacity loop from the policy takes
over with that attempt as its first.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import partial
from typing import Generic, TypeVar

import httpx

from payerr import logs
from payerr.classify import EXTENSION_KEY, classify_http
from payerr.decide import Action, Attempt, error_class, verdict
from payerr.exceptions import RetryableError
from payerr.mappings import Registry, default_registry
from payerr.policy import RetryPolicy
from payerr.safety import (
    DEFAULT_KEY_HEADERS,
    IDEMPOTENT_METHODS,
    Sent,
    classify_transport_error,
    has_idempotency_key,
    is_replay_safe,
)

__all__ = ["AsyncPaymentTransport", "PaymentTransport"]

# Sending failed, or the answer could not be read (a body that will not decode is an answer
# garbled after the request executed).
_FAILURES = (httpx.TransportError, httpx.DecodingError)


class _Core:
    """Everything both shells share; no I/O here beyond what the shells hand in."""

    def __init__(
        self,
        provider: str,
        policy: RetryPolicy | None,
        key_headers: Iterable[str],
        auto_idempotency_key: bool,
        registry: Registry | None,
    ) -> None:
        self.registry = registry
        self.table = (registry or default_registry()).table(provider)  # unknown provider: now
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.key_headers = tuple(key_headers)
        if not self.key_headers:
            raise ValueError("idempotency_headers needs at least one header name")
        self.auto_idempotency_key = auto_idempotency_key
        self.budget = self.policy.budget_for(provider)

    def start(self, request: httpx.Request) -> float:
        """Before the first attempt: add the call's idempotency key if asked; note the time."""
        if (
            self.auto_idempotency_key
            and request.method.upper() not in IDEMPOTENT_METHODS
            and not has_idempotency_key(request, self.key_headers)
        ):
            # One key per logical call, reused by every retry of this same request object.
            request.headers[self.key_headers[0]] = uuid.uuid4().hex
        if self.budget is not None:
            self.budget.deposit()
        return self.policy.clock()

    def answered(self, request: httpx.Request, response: httpx.Response, started: float) -> Attempt:
        """An attempt the provider answered (body read, connection released): classify it."""
        c = classify_http(
            self.provider,
            response.status_code,
            response.content,
            response.headers,
            registry=self.registry,
        )
        response.extensions[EXTENSION_KEY] = c
        decision = verdict(
            c,
            sent=Sent.ANSWERED,
            replay_safe=partial(self.replay_safe, request),
            status=response.status_code,
        )
        return Attempt(decision, request, response, None, started)

    def failed(self, request: httpx.Request, exc: Exception, started: float) -> Attempt:
        """An attempt that ended in a transport error."""
        c, sent = classify_transport_error(self.provider, exc)
        decision = verdict(c, sent=sent, replay_safe=partial(self.replay_safe, request))
        return Attempt(decision, request, None, exc, started)

    def replay_safe(self, request: httpx.Request) -> bool:
        return is_replay_safe(
            request, key_headers=self.key_headers, request_id_fields=self.table.request_id_fields
        )

    def needs_retry(self, attempt: Attempt) -> bool:
        return attempt.verdict.action is Action.RETRY and self.policy.attempts > 1

    def conclude(self, attempt: Attempt, attempts: int) -> httpx.Response:
        """Return the response, or raise the typed error for the last attempt."""
        decision = attempt.verdict
        c = decision.classification
        if decision.action is Action.RETURN and attempt.response is not None:
            logs.request_completed(
                c, attempt=attempts, request=attempt.request, response=attempt.response
            )
            return attempt.response
        # RETRY here means the policy stopped while a retry was still wanted.
        cls = RetryableError if decision.action is Action.RETRY else error_class(c)
        error = cls(c, response=attempt.response, request=attempt.request, attempts=attempts)
        logs.request_failed(error)
        raise error from attempt.error


_Inner = TypeVar("_Inner", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _Shell(ABC, Generic[_Inner]):
    """The constructor both transports share: the core, and the inner transport that sends."""

    def __init__(
        self,
        provider: str,
        *,
        transport: _Inner | None = None,
        policy: RetryPolicy | None = None,
        idempotency_headers: Iterable[str] = DEFAULT_KEY_HEADERS,
        auto_idempotency_key: bool = False,
        registry: Registry | None = None,
    ) -> None:
        self._core = _Core(provider, policy, idempotency_headers, auto_idempotency_key, registry)
        self._transport: _Inner = transport if transport is not None else self._default()

    @abstractmethod
    def _default(self) -> _Inner:
        """The inner transport used when none is given."""


class PaymentTransport(_Shell[httpx.BaseTransport], httpx.BaseTransport):
    """An ``httpx.BaseTransport`` that classifies, retries safely and raises typed errors.

    Args:
        provider: the provider id (``"antom"``, ``"alipay_plus"``, ``"ottpay"``, ``"paykka"``, or
            one added by a mapping file). Unknown ids raise ``UnknownProviderError`` here.
        transport: the transport that really sends (default ``httpx.HTTPTransport()``); closed
            with this one.
        policy: the :class:`RetryPolicy` (default ``RetryPolicy()``).
        idempotency_headers: request headers that carry an idempotency key, first one used for
            generated keys (default ``Idempotency-Key``, ``X-Idempotency-Key``).
        auto_idempotency_key: add a fresh key to every non-idempotent request that has none, so
            that its retries are safe. A caller's own key is never replaced.
        registry: mappings to classify with (default: payerr's process-wide registry).
    """

    def _default(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = self._core
        started = core.start(request)
        request.read()  # a body that can be sent again
        first = self._attempt(request, started)
        if not core.needs_retry(first):
            return core.conclude(first, 1)
        tries: list[Attempt] = []

        def attempt() -> Attempt:  # tenacity's attempt 1 is the one already made
            tries.append(first if not tries else self._attempt(request, started))
            return tries[-1]

        return core.conclude(core.policy.retrying(core.budget)(attempt), len(tries))

    def _attempt(self, request: httpx.Request, started: float) -> Attempt:
        try:
            response = self._transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()  # the connection goes back to the pool
        except _FAILURES as exc:
            return self._core.failed(request, exc, started)
        return self._core.answered(request, response, started)

    def close(self) -> None:
        self._transport.close()


class AsyncPaymentTransport(_Shell[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`PaymentTransport`; same arguments, same decisions."""

    def _default(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core = self._core
        started = core.start(request)
        await request.aread()
        first = await self._attempt(request, started)
        if not core.needs_retry(first):
            return core.conclude(first, 1)
        tries: list[Attempt] = []

        async def attempt() -> Attempt:  # tenacity's attempt 1 is the one already made
            tries.append(first if not tries else await self._attempt(request, started))
            return tries[-1]

        return core.conclude(await core.policy.async_retrying(core.budget)(attempt), len(tries))

    async def _attempt(self, request: httpx.Request, started: float) -> Attempt:
        try:
            response = await self._transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        except _FAILURES as exc:
            return self._core.failed(request, exc, started)
        return self._core.answered(request, response, started)

    async def aclose(self) -> None:
        await self._transport.aclose()
