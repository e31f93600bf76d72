"""What the simulated providers remember: their orders, the other names each order goes by, and
the counts a test reads back. No HTTP here: the request handler calls the methods of
:class:`OrderBook`, each of which takes the book's lock."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeAlias

from payerr.testing import _providers

__all__ = ["Key", "Order", "OrderBook"]

Key: TypeAlias = tuple[str, str, str]
"""Where an order is filed: ``(provider, id space, name)``, a name such as ``key:...``,
``id:...`` or ``order:...``."""


@dataclass
class Order:
    """One logical request of one operation (a pay, a refund ...) as the provider keeps it."""

    arrivals: int = 0
    executions: int = 0
    fingerprint: str = ""
    outcome: str = ""  # success / pending / failed, once executed
    code: str = ""
    answer: _providers.Answer | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    """One executing request, as the order book looks it up."""

    provider: str
    operation: str
    key: Key | None
    deduplicated: bool  # by idempotency key or request id: a repeat gets the stored answer
    shape: str  # what "the same request" means: the canonical body
    names: list[str]  # every name its order can be asked after by


class OrderBook:
    """The providers' orders and the simulator's counts, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[Key, Order] = {}
        # Other names of an order (its request id or order number, when it was filed under an
        # idempotency key), so an inquiry by order number finds it.
        self._aliases: dict[Key, Key] = {}
        self._probes: Counter[Key] = Counter()
        self.requests = 0
        self.inquiries = 0
        self.faults_played: Counter[str] = Counter()

    # -- counting arrivals ----------------------------------------------------------------

    def count_request(self) -> None:
        """Count a request the provider refused before looking it up."""
        with self._lock:
            self.requests += 1

    def arrive(self, key: Key | None) -> int:
        """Count an executing request; its arrival number (1 for one without identity)."""
        with self._lock:
            self.requests += 1
            if key is None:
                return 1
            order = self._orders.setdefault(key, Order())
            order.arrivals += 1
            return order.arrivals

    def probe(self, key: Key) -> int:
        """Count an inquiry; its arrival number among inquiries of the same operation and id."""
        with self._lock:
            self.requests += 1
            self.inquiries += 1
            self._probes[key] += 1
            return self._probes[key]

    def count_fault(self, name: str) -> None:
        with self._lock:
            self.faults_played[name] += 1

    # -- executing and inquiring ----------------------------------------------------------

    def execute(
        self,
        provider: str,
        operation: str,
        key: Key | None,
        *,
        deduplicated: bool,
        body: dict[str, Any],
        code: str | None,
    ) -> _providers.Answer:
        """Run the operation, or answer the way the provider answers a repeat or a conflict.

        ``code`` is the code to answer when it runs (None: the provider's success code)."""
        shape = _providers.fingerprint(body)
        names = _providers.names(provider, operation, body)
        run = _Run(provider, operation, key, deduplicated, shape, names)
        with self._lock:
            order = self._orders.get(key) if key is not None else None
            again = self._answer_again(run, order)
            if again is not None:
                return again
            targets = _providers.target_ids(operation, body)
            paid = self._find(provider, _providers.PAY, targets) if targets else None
            if targets and (paid is None or paid.outcome != "success"):
                return _providers.no_such_order(provider)
            code = code or _providers.SUCCESS_CODES[provider]
            answer = _providers.executed(provider, operation, code, body)
            if code.strip().upper() in _providers.RESEND_CODES:
                return answer  # "call the interface again": nothing was taken up
            order = self._record(run, order, code, answer)
            if paid is not None and operation == _providers.CANCEL and order.outcome == "success":
                paid.outcome = "cancelled"
            return answer

    def state(self, provider: str, space: str, ids: list[str]) -> tuple[str, str] | None:
        """``(outcome, code)`` of the executed order filed under the first of ``ids`` that
        names one, or None when none does."""
        with self._lock:
            order = self._find(provider, space, ids)
            return (order.outcome, order.code) if order is not None else None

    def _answer_again(self, run: _Run, order: Order | None) -> _providers.Answer | None:
        """The answer to a request whose order already executed (the stored answer, a conflict
        or the provider's repeat answer); None when it has not."""
        provider, operation = run.provider, run.operation
        if order is not None and order.answer is not None:
            if run.deduplicated:
                if run.shape != order.fingerprint:
                    return _providers.conflict(provider, keyed=True)
                return order.answer
            return _providers.repeat(provider, operation, order.outcome)
        known = self._find(provider, _providers.SPACE[operation], run.names)
        if known is None or known is order:
            return None
        # The same order (request id, order number) under another key: the provider knows its
        # orders, whatever key the client sends.
        if provider in ("antom", "alipay_plus") and run.names[0].startswith("id:"):
            if run.shape != known.fingerprint:
                return _providers.conflict(provider, keyed=True)
            return known.answer
        return _providers.repeat(provider, operation, known.outcome)

    def _record(
        self, run: _Run, order: Order | None, code: str, answer: _providers.Answer
    ) -> Order:
        """File one execution of the request: its order (a new one for a request without
        identity) and the other names it can be asked after by."""
        key = run.key
        if order is None:
            key = key or (run.provider, "anonymous", uuid.uuid4().hex)
            order = self._orders.setdefault(key, Order())
        order.executions += 1
        order.fingerprint = run.shape
        order.code = code
        order.outcome = _providers.doc_outcome(run.provider, code)
        order.answer = answer
        if key is not None:
            self._alias(run, key)
        return order

    def _alias(self, run: _Run, key: Key) -> None:
        """File the request's names (and an Antom pay's ``paymentId``) as other names of
        ``key``."""
        provider, names = run.provider, run.names
        space = _providers.SPACE[run.operation]
        for name in names:
            alias = (provider, space, name)
            if alias != key:
                self._aliases.setdefault(alias, key)
        if run.operation == _providers.PAY and names and names[0].startswith("id:"):
            paid_id = _providers.payment_id(names[0].partition(":")[2])
            self._aliases.setdefault((provider, space, f"id:{paid_id}"), key)

    def _find(self, provider: str, space: str, names: list[str]) -> Order | None:
        """An executed order filed under one of ``names`` (directly or as an alias)."""
        for name in names:
            key = (provider, space, name)
            order = self._orders.get(self._aliases.get(key, key))
            if order is not None and order.answer is not None:
                return order
        return None

    # -- what happened --------------------------------------------------------------------

    @property
    def executions(self) -> int:
        with self._lock:
            return sum(o.executions for o in self._orders.values())

    @property
    def duplicate_executions(self) -> int:
        with self._lock:
            return sum(max(0, o.executions - 1) for o in self._orders.values())

    def executions_of(self, payment: str, operation: str) -> int:
        with self._lock:
            return sum(order.executions for order in self._named(payment, operation))

    def outcome_of(self, payment: str, operation: str) -> str | None:
        with self._lock:
            outcomes = [o.outcome for o in self._named(payment, operation) if o.outcome]
        return outcomes[0] if outcomes else None

    def _named(self, payment: str, operation: str) -> list[Order]:
        """The distinct orders of ``operation``'s id space filed under ``payment`` (an
        idempotency key, request id or order number), directly or as an alias."""
        space = _providers.SPACE.get(operation, operation)
        found: dict[int, Order] = {}
        for (_, kind, ident), order in self._orders.items():
            if kind == space and ident.partition(":")[2] == payment:
                found[id(order)] = order
        for (_, kind, ident), target in self._aliases.items():
            aliased = self._orders.get(target)
            if kind == space and ident.partition(":")[2] == payment and aliased is not None:
                found[id(aliased)] = aliased
        return list(found.values())

    def reset(self) -> None:
        """Forget every order and count."""
        with self._lock:
            self._orders.clear()
            self._aliases.clear()
            self._probes.clear()
            self.requests = 0
            self.inquiries = 0
            self.faults_played.clear()
