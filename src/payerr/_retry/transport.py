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

import dataclasses
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Generic, TypeVar

import anyio
import httpx

from payerr._core.exceptions import PayerrError, UsageError
from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._mappings.classify import EXTENSION_KEY, log_unknown, read_answer
from payerr._mappings.operations import operation_of_request
from payerr._mappings.registry import Registry, default_registry
from payerr._mappings.unknown import CHANGED_ACTION, WHY_NO_ID, outcome_unknown
from payerr._observe import hooks as _hooks
from payerr._observe.events import AttemptEnded, CallEnded, CallStarted
from payerr._retry.body import (
    DEFAULT_MAX_BODY,
    MAX_BODY_LIMIT,
    AnswerCut,
    BodyReader,
    InnerFailure,
    bounded_accept,
    read_whole,
)
from payerr._retry.deadline import Bound, bound_reads, enter, leave
from payerr._retry.decide import (
    Action,
    Attempt,
    AttemptRecord,
    Call,
    Verdict,
    conclusion,
    judge,
    record,
)
from payerr._retry.ledger import CallLedger, Earlier, LedgerKey, MemoryCallLedger, default_ledger
from payerr._retry.policy import RetryPolicy
from payerr._retry.safety import (
    DEFAULT_KEY_HEADERS,
    IDEMPOTENT_METHODS,
    Identity,
    Sent,
    classify_transport_error,
    has_idempotency_key,
    identities_of,
    key_header_names,
    request_identity,
)

__all__ = ["AsyncPaymentTransport", "PaymentTransport"]

# Sending failed, or the answer could not be read (a body that will not decode is an answer
# garbled after the request executed).
_FAILURES = (httpx.TransportError, httpx.DecodingError)


def _inner_failure(exc: Exception, flight: _Flight) -> InnerFailure:
    """What an inner transport raised besides httpx's errors (a MemoryError, a zlib.error, a
    custom transport's bug), after the request may have been sent: outcome unknown."""
    failure = InnerFailure(exc, request=flight.request)
    failure.__cause__ = exc
    return failure


CALL_KEY = "payerr.call"
"""``request.extensions`` key of the logical call a request belongs to (shared by its hops)."""


class _Flight:
    """One hop of a logical call in flight: its request and operation, and the call (its
    history, and when it started)."""

    __slots__ = ("_identity", "answer", "call", "core", "operation", "request", "sent_as")

    def __init__(self, core: _Core, request: httpx.Request, call: Call) -> None:
        self.core = core
        self.request = request
        self.call = call
        self._identity: Identity | bool | None = False  # False: not computed yet
        self.operation = operation_of_request(request, core.table.operation_field)
        self.sent_as: tuple[object, ...] | None = None
        """What the request was sent as (``_Core.sent_as``), noted when an attempt is judged
        worth a retry, before any hook hears of it; a resend must match it."""
        self.answer: httpx.Response | None = None
        """The answer of the latest attempt judged worth a retry (None: a transport error)."""

    def identity(self) -> Identity | None:
        if self._identity is False:
            core = self.core
            self._identity = request_identity(
                self.request,
                idempotency_headers=core.table.key_headers(core.idempotency_headers),
                request_id_fields=core.table.request_ids_for(self.operation),
            )
        return self._identity  # type: ignore[return-value]  # False replaced above

    def replay_safe(self) -> bool:
        """Whether resending this request cannot execute it twice: an idempotent method, or
        an idempotency key or request id the provider deduplicates on."""
        if self.request.method.upper() in IDEMPOTENT_METHODS:
            return True
        return self.identity() is not None


class _Core:
    """Everything both shells share; no I/O here beyond what the shells hand in."""

    def __init__(  # noqa: PLR0917 -- private: built by _Shell from its keyword arguments
        self,
        provider: str,
        policy: RetryPolicy | None,
        idempotency_headers: Iterable[str],
        auto_idempotency_key: bool,
        registry: Registry | None,
        ledger: CallLedger | None,
        order_fields: Iterable[str],
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if (
            isinstance(max_body, bool)
            or not isinstance(max_body, int)
            or not 1 <= max_body <= MAX_BODY_LIMIT
        ):
            raise UsageError(
                f"max_body is a number of bytes from 1 to {MAX_BODY_LIMIT} (1 GiB), "
                f"not {max_body!r}"
            )
        self.max_body = max_body
        self.registry = registry
        self.table = (registry or default_registry()).table(provider)  # unknown provider: now
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.idempotency_headers = tuple(idempotency_headers)
        if not self.idempotency_headers:
            raise UsageError("idempotency_headers needs at least one header name")
        if auto_idempotency_key and not self.table.honours_keys:
            raise UsageError(
                f"auto_idempotency_key=True: {provider} documents no idempotency key header, so "
                "a key payerr adds would make resends look safe when they could execute twice; "
                "use the provider's own request ids, or inquire after an unknown outcome"
            )
        self.auto_idempotency_key = auto_idempotency_key
        self.budget = self.policy.budget_for(provider)
        if ledger is not None and not isinstance(ledger, CallLedger):
            raise UsageError(
                "ledger must be a CallLedger (payerr.MemoryCallLedger, payerr.RedisCallLedger), "
                f"not {type(ledger).__name__}"
            )
        self.ledger: CallLedger = ledger if ledger is not None else default_ledger()
        self.in_process = type(self.ledger) is MemoryCallLedger
        """The ledger is this process's memory: its async steps are its sync ones, called
        without an await (nor a cancel scope around one)."""
        if isinstance(order_fields, str):
            raise UsageError("order_fields is a list of field names, not one string")
        self.order_fields = tuple(order_fields)
        self._key_names = key_header_names(self.idempotency_headers)

    def start(self, request: httpx.Request) -> _Flight:
        """Before the first attempt (the body read): continue the logical call this request
        belongs to, or start one, adding its idempotency key if asked; note the time."""
        bounded_accept(request)
        method = request.method.upper()
        extensions = request.extensions
        call = extensions.get(CALL_KEY)
        if isinstance(call, Call) and call.redirected and id(request) not in call.hops:
            # A redirect hop: httpx copies the request's extensions onto the next request, so
            # the hops of one client.post() share one history. (A request the call sent
            # before, sent again by the caller after an error, say, is a new call.)
            call.hop += 1
            call.done = call.redirected = False
            key, generated = self.idempotency_headers[0], call.generated_key
            if method in IDEMPOTENT_METHODS and generated and request.headers.get(key) == generated:
                del request.headers[key]  # a GET that fetches the result needs no key
        else:
            generated = None
            if (
                self.auto_idempotency_key
                and method not in IDEMPOTENT_METHODS
                and not has_idempotency_key(request, self.idempotency_headers)
            ):
                # One key per logical call, reused by every retry of this same request object.
                generated = uuid.uuid4().hex
                request.headers[self.idempotency_headers[0]] = generated
            call = extensions[CALL_KEY] = Call(generated_key=generated)
        call.hops += (id(request),)
        if self.budget is not None:
            self.budget.deposit()
        flight = _Flight(self, request, call)
        if call.hop == 0:
            call.started, call.begun = self.policy.clock(), time.monotonic()
            # The route's gate first (with payerr's own hooks: OpenTelemetry's, one call that
            # says no while no provider is installed), the event only if someone hears it.
            route = _hooks.routes[CallStarted]
            try:
                hooks = (
                    _hooks.listeners(CallStarted, None, route, asked=True)
                    if route.gate is not None and route.gate(CallStarted, None)
                    else ()
                )
            except Exception:  # a hook's wants: asked again, reported, left out
                hooks = _hooks.listeners(CallStarted, None, route)
            if hooks:
                started = CallStarted(
                    provider=self.provider,
                    operation=flight.operation,
                    method=method,
                    request=request,
                )
                call.scopes, call.followers = _hooks.start_call(hooks, started)
            if method not in IDEMPOTENT_METHODS:
                call.keys = self._ledger_keys(request, flight.operation)
        return flight

    def _ledger_keys(self, request: httpx.Request, operation: Operation) -> tuple[LedgerKey, ...]:
        """What the ledger knows the call by: its idempotency key (the caller's, or one payerr
        generated, which the caller may resend under) and the request ids or order numbers in
        its body."""
        found = identities_of(
            request, self._key_names, self.table.request_ids_for(operation), self.order_fields
        )
        # Provider-wide, not per path: a provider keeps keys and order numbers per account.
        provider = self.provider
        return tuple([(provider, kind, value) for kind, value in found])

    @staticmethod
    def began(call: Call, earlier: Earlier) -> None:
        """What the ledger said when the call began. A key payerr generated is new by
        construction and proves nothing of the order: a first send needs a key of the
        caller's, a request id or an order number."""
        generated = call.generated_key
        call.first_send, call.unsure = False, WHY_NO_ID
        for key in call.keys:
            if key[1] != "key" or key[2] != generated:
                call.first_send, call.unsure = earlier.first, earlier.why
                break
        call.earlier = earlier.record

    @staticmethod
    def heard(call: Call, earlier: Earlier) -> None:
        """What the ledger says now of the other calls under the call's keys."""
        if call.first_send and not earlier.first:
            call.first_send, call.unsure = False, earlier.why
        if earlier.record is not None:
            call.earlier = earlier.record

    @staticmethod
    def asks_ledger(call: Call, c: Classification | None) -> bool:
        """Whether judging needs the ledger's latest word: a repeat answer (was it another
        call's?) or a call ending in an error (did another call under its key execute?)."""
        if not call.keys:
            return False
        if c is not None:
            return c.repeat and c.outcome is Outcome.FAILED
        return call.executed is None

    @staticmethod
    def ledger_end(call: Call) -> tuple[AttemptRecord | None, bool] | None:
        """What to tell the ledger now that a hop of the call is over, if anything: the call's
        own first attempt that may have executed, and whether its flight ends (the first
        hop's end: a redirect followed later adds only what it executed)."""
        if not call.keys:
            return None
        own = None
        for r in call.records:
            if r.executed and not r.earlier_call:
                own = r
                break
        last, call.ended = not call.ended, True
        return own, last

    def sent_as(self, flight: _Flight) -> tuple[object, ...]:
        """What the provider knows the request by, and so what the call was judged and
        recorded by: its method and URL, and every idempotency key, request id and order
        number it carries (as the ledger reads them). Unreadable (a stream a hook put in its
        place): a value equal to no other."""
        request = flight.request
        try:
            found = identities_of(
                request,
                self._key_names,
                self.table.request_ids_for(flight.operation),
                self.order_fields,
            )
            return (request.method, str(request.url), tuple(found))
        except Exception:
            return (object(),)

    def may_resend(self, flight: _Flight, response: httpx.Response | None) -> None:
        """An attempt was judged worth a retry: note, once per hop and before any hook hears
        of it, what the request was sent as; keep the answer (a call cancelled while waiting
        to retry ends with it)."""
        if flight.sent_as is None:
            flight.sent_as = self.sent_as(flight)
        flight.answer = response

    def changed(self, flight: _Flight, previous: Attempt) -> Attempt | None:
        """Before a resend: None when the request is still what it was sent as. Otherwise
        something (a hook editing the event's request) changed its identity after payerr
        judged it replay-safe: sent now, it could execute a second time under a key the
        provider never saw. The call ends instead, on an attempt never sent: outcome unknown,
        not safe to resend."""
        if flight.sent_as is not None and self.sent_as(flight) == flight.sent_as:
            return None
        c = previous.classification
        unknown = dataclasses.replace(
            outcome_unknown(c, CHANGED_ACTION),
            message=f"{c.message} (not resent: the request's identity changed after it was sent)",
        )
        call = flight.call
        return Attempt(
            Verdict(Action.RAISE, unknown, executed=False),
            flight.request,
            previous.response,
            previous.error,
            call.started,
            call,
        )

    def time_left(self, flight: _Flight) -> float:
        """Seconds left before the call's deadline (its start plus the policy's timeout), in
        real time: what a socket read or a cancel scope may still take."""
        return flight.call.begun + self.policy.timeout - time.monotonic()

    def bound(self, flight: _Flight) -> Bound | None:
        """The attempt's reads, writes, connects and wait for a pooled connection end by the
        call's deadline (an inner transport whose streams are bounded); undone by ``leave``."""
        return enter(self.time_left(flight), flight.request.extensions)

    def body_reader(self, flight: _Flight, response: httpx.Response) -> BodyReader:
        """How this attempt's answer is read: at most ``max_body`` bytes once decoded, and
        not past the call's deadline (its start plus the policy's timeout)."""
        return BodyReader(
            response,
            limit=self.max_body,
            deadline=flight.call.started + self.policy.timeout,
            clock=self.policy.clock,
        )

    def read(self, flight: _Flight, response: httpx.Response) -> Classification:
        """Classify an answer (body read, connection released)."""
        c = read_answer(
            self.table,
            response.status_code,
            response.content,
            response.headers,
            now=time.time(),  # the shell's clock measures an HTTP-date Retry-After
            operation=flight.operation,
        )
        return log_unknown(c)

    def answered(self, flight: _Flight, response: httpx.Response, c: Classification) -> Attempt:
        """Judge an answered attempt, with what the ledger said of other calls."""
        call = flight.call
        executed_before = call.executed
        if executed_before is None and c.repeat:
            executed_before = call.executed = call.earlier
        decision = judge(
            c,
            sent=Sent.ANSWERED,
            replay_safe=flight.replay_safe,
            status=response.status_code,
            executed_before=executed_before,
            first_send=call.first_send,
            unsure=call.unsure,
        )
        response.extensions[EXTENSION_KEY] = decision.classification
        return self._attempt(flight, decision, response.status_code, response, None)

    def failed(self, flight: _Flight, exc: Exception) -> Attempt:
        """An attempt that ended in a transport error."""
        c, sent = classify_transport_error(self.provider, exc)
        c = dataclasses.replace(c, operation=flight.operation)
        decision = judge(
            c,
            sent=sent,
            replay_safe=flight.replay_safe,
            executed_before=flight.call.executed,
        )
        return self._attempt(flight, decision, None, None, exc)

    def interrupted(self, flight: _Flight, exc: BaseException, *, sending: bool) -> None:
        """The call ended in an exception no decision was made on: a cancellation (asyncio,
        trio, a timeout scope), KeyboardInterrupt, or payerr's own error (a UsageError).
        Mid-send it may have executed, and a later call under the same key hears so; either
        way it is over, so the memory's bound can forget it."""
        call = flight.call
        if call.done:
            return  # concluded already: this is the typed error on its way out
        if sending:
            number = len(call.records) + 1
            entry = call.add(
                AttemptRecord(
                    number, None, type(exc).__name__, "", Outcome.PENDING, None, executed=True
                )
            )
            if call.followers or _hooks.routes[AttemptEnded].gate is not None:
                self._attempt_ended(flight, entry, None, None, exc)
        call.done = True
        self._ended(flight, None, exc, None if sending else flight.answer)

    def _attempt_ended(
        self,
        flight: _Flight,
        entry: AttemptRecord,
        c: Classification | None,
        response: httpx.Response | None,
        exc: BaseException | None,
    ) -> None:
        """An attempt is over: tell the hooks that want to hear it, and the call's followers."""
        follow = flight.call.followers
        route = _hooks.routes[AttemptEnded]
        hooks = _hooks.listeners(AttemptEnded, c, route) if route.gate is not None else ()
        if hooks or follow:
            ended = AttemptEnded(
                provider=self.provider,
                operation=flight.operation,
                number=entry.number,
                record=entry,
                classification=c,
                request=flight.request,
                response=response,
                error=exc,
            )
            _hooks.deliver(hooks, ended, follow)

    def _ended(
        self,
        flight: _Flight,
        c: Classification | None,
        error: BaseException | None,
        response: httpx.Response | None,
    ) -> None:
        """The call is over (returned, raised, or interrupted): tell the hooks."""
        call = flight.call
        follow = call.followers
        route = _hooks.routes[CallEnded]  # with payerr's own: the log's gate; DEBUG off: no
        try:
            hooks = (
                _hooks.listeners(CallEnded, c, route, asked=True)
                if route.gate is not None and route.gate(CallEnded, c)
                else ()
            )
        except Exception:  # a hook's wants: asked again, reported, left out
            hooks = _hooks.listeners(CallEnded, c, route)
        if hooks or follow:
            ended = CallEnded(
                provider=self.provider,
                operation=flight.operation,
                classification=c,
                error=error,
                records=tuple(call.records),
                duration=self.policy.clock() - call.started,
                request=flight.request,
                response=response,
            )
            _hooks.deliver(hooks, ended, follow)

    def _attempt(
        self,
        flight: _Flight,
        decision: Verdict,
        status: int | None,
        response: httpx.Response | None,
        exc: Exception | None,
    ) -> Attempt:
        call = flight.call
        number = len(call.records) + 1
        entry = call.add(record(number, decision, status, exc))
        if decision.action is Action.RETRY:  # to be sent again: note what it was sent as
            self.may_resend(flight, response)
        if call.followers or _hooks.routes[AttemptEnded].gate is not None:  # most calls: neither
            self._attempt_ended(flight, entry, decision.classification, response, exc)
        # The logical call's start (a redirect hop's retries wait within the call's timeout).
        return Attempt(decision, flight.request, response, exc, call.started, call)

    def needs_retry(self, attempt: Attempt) -> bool:
        return attempt.verdict.action is Action.RETRY and self.policy.attempts > 1

    def returned(
        self, flight: _Flight, attempt: Attempt, response: httpx.Response
    ) -> httpx.Response:
        """Hand the caller the response to an attempt judged RETURN (success, pending, info).
        A redirect hop ends the call too: the client may not follow it. If it does, the next
        hop carries the same Call and goes on."""
        flight.call.done = True
        if 300 <= response.status_code < 400:
            flight.call.redirected = True  # a hop, not a result: the client may follow it
        else:
            self._ended(flight, attempt.verdict.classification, None, response)
        return response

    def conclude(self, attempt: Attempt, flight: _Flight) -> httpx.Response:
        """Return the response, or raise the typed error for the last attempt."""
        call = flight.call
        response = attempt.response
        if attempt.verdict.action is Action.RETURN and response is not None:
            return self.returned(flight, attempt, response)
        call.done = True
        if call.executed is None:  # an earlier call with the same key may have executed
            call.executed = call.earlier
        cls, c, safe = conclusion(attempt, call)
        if response is not None:
            response.extensions[EXTENSION_KEY] = c
        error = cls(
            c,
            response=response,
            request=attempt.request,
            attempts=len(call.records),
            history=call.records,
            executed=call.executed,
            idempotency_key=call.generated_key,
            safe_to_resend=safe,
        )
        self._ended(flight, c, error, response)
        raise error from attempt.error


_Inner = TypeVar("_Inner", httpx.BaseTransport, httpx.AsyncBaseTransport)

_HTTPX_OWN = (httpx.HTTPTransport, httpx.AsyncHTTPTransport)


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
        ledger: CallLedger | None = None,
        order_fields: Iterable[str] = (),
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._core = _Core(
            provider,
            policy,
            idempotency_headers,
            auto_idempotency_key,
            registry,
            ledger,
            order_fields,
            max_body,
        )
        if getattr(self._core.ledger, "asynchronous", None) is (not self._asynchronous):
            raise UsageError(
                f"{type(self).__name__} needs a ledger with a "
                f"{'redis.asyncio' if self._asynchronous else 'synchronous redis'} client"
            )
        self._transport: _Inner = transport if transport is not None else self._default()
        self._bounded = bound_reads(self._transport)
        """Each socket read and write of the inner transport ends by the call's deadline (an
        ``httpx.HTTPTransport`` or ``httpx.AsyncHTTPTransport``, or a subclass): the deadline
        is set for it on every attempt (``payerr._retry.deadline``)."""
        self._whole = self._bounded and type(self._transport) in _HTTPX_OWN
        """All the attempt does is bounded so (httpx's own transport, not a subclass, which
        may do work of its own before sending): the async shell needs no cancel scope."""

    _asynchronous = False

    @abstractmethod
    def _default(self) -> _Inner:
        """The inner transport used when none is given."""


class PaymentTransport(_Shell[httpx.BaseTransport], httpx.BaseTransport):
    """An ``httpx.BaseTransport`` that classifies, retries safely and raises typed errors.

    The operation each answer is read for (pay, refund, inquiry ...) comes from the request's
    path, or from ``extensions={"payerr.operation": "refund"}`` on the request where the path
    does not name it (OTT Pay's single endpoint).

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
        ledger: where calls are recorded by key, so that a repeat answer ("duplicate",
            "order number used", 409) is judged with what other calls sent (default: the
            process's :class:`MemoryCallLedger`; a :class:`RedisCallLedger` for a fleet).
        order_fields: JSON body fields that carry your order number, which the provider
            deduplicates on ("order number used"); dotted for a nested one
            (``"data.order_id"``). The ledger records them beside the key, so a repeat about
            the order is judged with every call that sent it. They do not make a request
            replay-safe.
        max_body: the most an answer may hold once decoded (default 1 MiB). A larger one,
            or one still arriving at the call's deadline (``RetryPolicy.timeout`` after the
            call started), is cut: the call ends in ``OutcomeUnknownError`` and is not resent
            for it.

    Raises:
        UnknownProviderError: no mapping exists for ``provider``.
        MappingError: one of the provider's mapping files is broken.
        UsageError: an argument payerr cannot use: ``max_body`` out of range, no
            ``idempotency_headers``, ``auto_idempotency_key`` for a provider that documents no
            idempotency key header, a ``ledger`` that is not a :class:`CallLedger` or whose
            Redis client is asynchronous, ``order_fields`` given as one string.

    Example:
        >>> client = httpx.Client(transport=payerr.PaymentTransport(
        ...     "paykka", transport=httpx.MockTransport(lambda request: httpx.Response(
        ...         200, json={"ret_code": "000000", "data": {"status": "SUCCESS"}}))))
        >>> response = client.post("https://api.paykka.test/v1/payments", json={})
        >>> payerr.classification_of(response).outcome
        <Outcome.SUCCESS: 'success'>
    """

    def _default(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, classify the answer and retry what is safe to resend; httpx's
        client calls it (``client.post(...)``, ``client.send(...)``).

        Returns:
            The response to a success, pending or info answer (or a redirect), its
            :class:`Classification` in ``response.extensions`` (:func:`classification_of`).

        Raises:
            RetryableError: a transient failure outlasted the policy, and no attempt may have
                executed: resending the same request is safe.
            UserActionError: the payer must act (a decline, authentication, another card).
            MerchantConfigError: the merchant's account, credentials or request are wrong.
            RiskError: refused by risk controls (never tell the shopper why).
            FinalError: settled or impossible (closed, duplicate, already paid).
            OutcomeUnknownError: the request may have executed and no answer says whether (a
                read timeout, a dropped connection, a 5xx or an unreadable answer after a
                request that is not replay-safe, a repeat answer to a resend): inquire.
            UsageError: the request's ``payerr.operation`` extension names no operation.
        """
        core = self._core
        request.read()  # a body that can be sent again, and read for its request id
        flight = core.start(request)
        call = flight.call
        if call.keys and call.hop == 0:
            core.began(call, core.ledger.begin(call.keys))
        try:
            if not call.scopes:  # no hook asked for the call's context (no span to make current)
                return self._call(flight)
            with _hooks.Scopes(call.scopes):
                try:
                    return self._call(flight)
                except BaseException as exc:  # its events heard within the hooks' context
                    core.interrupted(flight, exc, sending=False)
                    raise
        except BaseException as exc:
            core.interrupted(flight, exc, sending=False)
            raise
        finally:
            end = core.ledger_end(call)
            if end is not None:
                core.ledger.end(call.keys, end[0], last=end[1])

    def _call(self, flight: _Flight) -> httpx.Response:
        core = self._core
        first = self._attempt(flight)
        if first.verdict.action is Action.RETURN and first.response is not None:
            # Most calls: a first-try answer to hand back.
            return core.returned(flight, first, first.response)
        if not core.needs_retry(first):
            return self._conclude(first, flight)
        given, latest = [first], [first]

        def attempt() -> Attempt:
            if given:  # tenacity's attempt 1 is the one already made
                return given.pop()
            refused = core.changed(flight, latest[0])  # a resend: still the same request?
            if refused is not None:
                return refused
            latest[0] = self._attempt(flight)
            return latest[0]

        return self._conclude(core.policy.retrying(core.budget)(attempt), flight)

    def _conclude(self, attempt: Attempt, flight: _Flight) -> httpx.Response:
        core, call = self._core, flight.call
        if attempt.verdict.action is not Action.RETURN and core.asks_ledger(call, None):
            core.heard(call, core.ledger.others(call.keys))
        return core.conclude(attempt, flight)

    def _attempt(self, flight: _Flight) -> Attempt:
        deadline = self._core.bound(flight) if self._bounded else None
        try:
            response = self._transport.handle_request(flight.request)
            try:
                if response.is_stream_consumed:  # read already (built with content=)
                    read_whole(response, self._core.max_body)
                else:
                    reader = self._core.body_reader(flight, response)
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
                    reader.keep(response)
            finally:
                response.close()  # the connection goes back to the pool
        except _FAILURES as exc:
            return self._core.failed(flight, exc)
        except PayerrError as exc:  # payerr's own (a UsageError): as it is
            self._core.interrupted(flight, exc, sending=True)
            raise
        except Exception as exc:  # not httpx's: no foreign exception escapes a transport
            return self._core.failed(flight, _inner_failure(exc, flight))
        except BaseException as exc:
            self._core.interrupted(flight, exc, sending=True)
            raise
        finally:
            leave(deadline)
        core = self._core
        c = core.read(flight, response)
        if core.asks_ledger(flight.call, c):
            core.heard(flight.call, core.ledger.others(flight.call.keys))
        return core.answered(flight, response, c)

    def close(self) -> None:
        self._transport.close()


class AsyncPaymentTransport(_Shell[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """The async twin of :class:`PaymentTransport`; same arguments, same decisions.

    Runs under asyncio or trio, as httpx does: a retry's wait sleeps through whichever is
    running (the policy's ``async_sleep``); the first attempt never sleeps.

    Args:
        provider: as :class:`PaymentTransport`'s, and every other argument too, but
            ``transport``: an ``httpx.AsyncBaseTransport`` (default
            ``httpx.AsyncHTTPTransport()``), and ``ledger``: a ledger with async steps (a
            :class:`RedisCallLedger` on a ``redis.asyncio`` client).

    Raises:
        UnknownProviderError: no mapping exists for ``provider``.
        MappingError: one of the provider's mapping files is broken.
        UsageError: an argument payerr cannot use, as :class:`PaymentTransport`'s, and a
            :class:`RedisCallLedger` whose Redis client is synchronous.

    Example:
        ``httpx.AsyncClient(transport=payerr.AsyncPaymentTransport("antom"))``: the same
        arguments and decisions as :class:`PaymentTransport`.
    """

    _asynchronous = True

    def _default(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, classify the answer and retry what is safe to resend; httpx's
        async client calls it (``await client.post(...)``).

        Returns:
            The response to a success, pending or info answer (or a redirect), its
            :class:`Classification` in ``response.extensions`` (:func:`classification_of`).

        Raises:
            RetryableError: a transient failure outlasted the policy, and no attempt may have
                executed: resending the same request is safe.
            UserActionError: the payer must act (a decline, authentication, another card).
            MerchantConfigError: the merchant's account, credentials or request are wrong.
            RiskError: refused by risk controls (never tell the shopper why).
            FinalError: settled or impossible (closed, duplicate, already paid).
            OutcomeUnknownError: the request may have executed and no answer says whether (a
                read timeout, a dropped connection, a 5xx or an unreadable answer after a
                request that is not replay-safe, a repeat answer to a resend): inquire.
            UsageError: the request's ``payerr.operation`` extension names no operation.
        """
        core = self._core
        await request.aread()
        flight = core.start(request)
        call = flight.call
        if call.keys and call.hop == 0:
            ledger = core.ledger
            earlier = ledger.begin(call.keys) if core.in_process else await ledger.abegin(call.keys)
            core.began(call, earlier)
        try:
            if not call.scopes:  # no hook asked for the call's context (no span to make current)
                return await self._call(flight)
            with _hooks.Scopes(call.scopes):
                try:
                    return await self._call(flight)
                except BaseException as exc:  # its events heard within the hooks' context
                    core.interrupted(flight, exc, sending=False)
                    raise
        except BaseException as exc:  # cancelled while waiting to retry, or mid-send
            core.interrupted(flight, exc, sending=False)
            raise
        finally:
            end = core.ledger_end(call)
            if end is not None:
                if core.in_process:
                    core.ledger.end(call.keys, end[0], last=end[1])
                else:
                    # Shielded: a cancelled call still tells the ledger it ended (the
                    # client's socket_timeout bounds the wait).
                    with anyio.CancelScope(shield=True):
                        await core.ledger.aend(call.keys, end[0], last=end[1])

    async def _call(self, flight: _Flight) -> httpx.Response:
        core = self._core
        first = await self._attempt(flight)
        if first.verdict.action is Action.RETURN and first.response is not None:
            # Most calls: a first-try answer to hand back.
            return core.returned(flight, first, first.response)
        if not core.needs_retry(first):
            return await self._conclude(first, flight)
        given, latest = [first], [first]

        async def attempt() -> Attempt:
            if given:  # tenacity's attempt 1 is the one already made
                return given.pop()
            refused = core.changed(flight, latest[0])  # a resend: still the same request?
            if refused is not None:
                return refused
            latest[0] = await self._attempt(flight)
            return latest[0]

        return await self._conclude(await core.policy.async_retrying(core.budget)(attempt), flight)

    async def _conclude(self, attempt: Attempt, flight: _Flight) -> httpx.Response:
        core, call = self._core, flight.call
        if attempt.verdict.action is not Action.RETURN and core.asks_ledger(call, None):
            core.heard(call, await core.ledger.aothers(call.keys))
        return core.conclude(attempt, flight)

    async def _attempt(self, flight: _Flight) -> Attempt:
        bound = self._core.bound(flight) if self._bounded else None
        try:
            if self._whole:
                # httpx.AsyncHTTPTransport: its reads, writes, connects and pool wait end by
                # the call's deadline, as the sync transport's do (no cancel scope needed).
                response = await self._send(flight, [])
            else:
                response = await self._send_within_deadline(flight)
        except _FAILURES as exc:
            return self._core.failed(flight, exc)
        except PayerrError as exc:  # payerr's own (a UsageError): as it is
            self._core.interrupted(flight, exc, sending=True)
            raise
        except Exception as exc:  # not httpx's: no foreign exception escapes a transport
            return self._core.failed(flight, _inner_failure(exc, flight))
        except BaseException as exc:  # cancelled mid-send: it may have executed
            self._core.interrupted(flight, exc, sending=True)
            raise
        finally:
            leave(bound)
        core = self._core
        c = core.read(flight, response)
        if core.asks_ledger(flight.call, c):
            core.heard(flight.call, await core.ledger.aothers(flight.call.keys))
        return core.answered(flight, response, c)

    async def _send_within_deadline(self, flight: _Flight) -> httpx.Response:
        """Another inner transport (a MockTransport, a custom one): the call's deadline bounds
        the whole attempt, the head of the answer included (httpx's timeouts are per read: a
        server dripping its headers never trips them)."""
        answered: list[httpx.Response] = []
        with anyio.move_on_after(self._core.time_left(flight)):
            return await self._send(flight, answered)
        if answered:
            raise AnswerCut(
                "the answer was still arriving at the call's deadline", request=flight.request
            )
        raise httpx.ReadTimeout(
            "no answer by the call's deadline (RetryPolicy.timeout)", request=flight.request
        )

    async def _send(self, flight: _Flight, answered: list[httpx.Response]) -> httpx.Response:
        """Send the request and read its answer whole (within ``max_body``); ``answered``
        gets the response as soon as its head has arrived."""
        response = await self._transport.handle_async_request(flight.request)
        answered.append(response)
        try:
            if response.is_stream_consumed:  # read already (built with content=)
                read_whole(response, self._core.max_body)
            else:
                reader = self._core.body_reader(flight, response)
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
                reader.keep(response)
        finally:
            if not response.is_closed:  # aiter_raw closes a stream it read whole
                with anyio.CancelScope(shield=True):
                    await response.aclose()
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()
