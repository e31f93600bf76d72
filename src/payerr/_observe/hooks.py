"""The hooks that hear payerr's events: which are set, and delivering an event to them.

Process-wide and thread-safe: the hooks are one snapshot (:data:`routes`: per kind of event,
the hooks that hear it and a gate), replaced whole under a lock by :func:`set_hooks` and read
without one (a reference read is atomic) wherever an event is due. An emitter asks the kind's
gate first, then :func:`listeners` (each hook's ``wants``), and builds the event only when a
hook wants it, or the call has followers (what the hooks returned for its ``CallStarted``,
which hear the rest of it): a first-try success with logging below DEBUG and no OpenTelemetry
provider builds none, and asks two questions (OpenTelemetry's at the start, the log's at the
end). A hook that raises is left out of that event, and reported once (``payerr.hook_failed``)
until the hooks are set again: it never breaks a payment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from payerr._core import log as _log
from payerr._core.exceptions import UsageError
from payerr._observe.events import (
    AttemptEnded,
    CallEnded,
    CallStarted,
    RetryBudgetExhausted,
    RetryScheduled,
    UnknownCode,
)
from payerr._observe.logs import logging_hook
from payerr._observe.telemetry import opentelemetry_hook

if TYPE_CHECKING:
    from types import TracebackType

    from payerr._core.taxonomy import Classification
    from payerr._observe.events import Event, Hook

__all__ = [
    "DEFAULT_HOOKS",
    "EVENTS",
    "HOOK_FAILED",
    "Follower",
    "Route",
    "Scopes",
    "deliver",
    "get_hooks",
    "listeners",
    "routes",
    "set_hooks",
    "start_call",
]

HOOK_FAILED = "payerr.hook_failed"

DEFAULT_HOOKS: tuple[Hook, ...] = (logging_hook, opentelemetry_hook)
"""payerr's own hooks, set until :func:`set_hooks` says otherwise: its log events (structlog
or stdlib logging) and its OpenTelemetry metrics and spans."""

_Wants = Callable[[type[Any], "Classification | None"], bool]
Follower = tuple["Hook", Any]
"""What a hook returned for a ``CallStarted`` (a context manager, a callable hearing the call's
later events, or both), beside the hook."""

_Entries = tuple[tuple["Hook", _Wants | None], ...]


class Route(NamedTuple):
    """The hooks that hear one kind of event, and what an emitter asks first."""

    gate: _Wants | None
    """Asked before anything else: None when no hook hears the kind; the lone hook's
    ``wants`` when one hook with a ``wants`` does (the defaults' case: one call, and a quiet
    event costs nothing more); else a gate that says yes (:func:`listeners` asks each)."""
    entries: _Entries
    """Each hook that hears the kind, with its ``wants`` method if it has one, in order."""
    alone: tuple[Hook] | None
    """The lone hook whose ``wants`` is the gate: when the gate said yes, it is the one."""


EVENTS: tuple[type[Any], ...] = (
    CallStarted,
    AttemptEnded,
    RetryScheduled,
    RetryBudgetExhausted,
    CallEnded,
    UnknownCode,
)
"""Every kind of event, in the order a call emits them."""


def _yes(kind: type[Any], c: Classification | None) -> bool:
    return True


def _routes_of(hooks: tuple[Hook, ...]) -> dict[type[Any], Route]:
    """Per kind of event, the hooks that hear it (a hook's ``kinds``, when it has them, name
    the only kinds it hears), in order, and its gate."""
    routes: dict[type[Any], Route] = {}
    for kind in EVENTS:
        entries = []
        for hook in hooks:
            kinds = getattr(hook, "kinds", None)
            if kinds is None or kind in kinds:
                entries.append((hook, getattr(hook, "wants", None)))
        gate: _Wants | None = None
        alone: tuple[Hook] | None = None
        if len(entries) == 1 and entries[0][1] is not None:
            gate, alone = entries[0][1], (entries[0][0],)
        elif entries:
            gate = _yes
        routes[kind] = Route(gate, tuple(entries), alone)
    return routes


_LOCK = threading.Lock()
_hooks: tuple[Hook, ...] = DEFAULT_HOOKS
"""The hooks set, as :func:`get_hooks` returns them."""
routes: dict[type[Any], Route] = _routes_of(DEFAULT_HOOKS)
"""Per kind of event, its gate and the hooks that hear it: the snapshot every emitter reads
(replaced whole when the hooks are set, never changed). An emitter asks the gate (None:
nobody hears the kind), and :func:`listeners` only when it says yes."""
_reported: set[int] = set()
"""``id()`` of each hook whose failure has been reported since the hooks were last set (each
is held by ``_hooks`` meanwhile, so the id is its own)."""


def set_hooks(hooks: Iterable[Hook] | None) -> None:
    """Set the hooks that hear payerr's events, for the whole process.

    Args:
        hooks: the hooks, called in this order for every event; ``None`` sets payerr's own
            again (:data:`DEFAULT_HOOKS`: its logs and OpenTelemetry); an empty iterable turns
            every event off (no logs of calls, retries or unknown codes, no metrics, no spans).

    Raises:
        UsageError: a hook that is not callable, whose ``kinds`` are not event classes, or
            whose ``wants`` is not callable (nothing is changed).

    Example:
        >>> seen = []
        >>> payerr.instrumentation.set_hooks([seen.append])
        >>> answer = httpx.Response(200, json={"result": {"resultCode": "NEW_CODE"}})
        >>> payerr.classify_response("antom", answer).known
        False
        >>> [type(event).__name__ for event in seen]
        ['UnknownCode']
        >>> payerr.instrumentation.set_hooks(None)
    """
    chosen = DEFAULT_HOOKS if hooks is None else tuple(hooks)
    for hook in chosen:
        _check(hook)
    new = _routes_of(chosen)
    global _hooks, routes  # the process-wide snapshot, swapped whole
    with _LOCK:
        _hooks, routes = chosen, new
        _reported.clear()


def _check(hook: object) -> None:
    """A hook is callable; its ``kinds``, if any, are event classes; its ``wants`` callable."""
    if not callable(hook):
        raise UsageError(f"a hook is called with each event: {hook!r} is not callable")
    kinds = getattr(hook, "kinds", None)
    if kinds is not None:
        try:
            known = not isinstance(kinds, str | type) and all(kind in EVENTS for kind in kinds)
        except TypeError:  # not iterable
            known = False
        if not known:
            raise UsageError(
                "a hook's kinds are event classes (payerr.instrumentation.CallEnded, ...), "
                f"not {kinds!r}"
            )
    wants = getattr(hook, "wants", None)
    if wants is not None and not callable(wants):
        raise UsageError(f"a hook's wants is a method (kind, classification) -> bool: {wants!r}")


def get_hooks() -> tuple[Hook, ...]:
    """The hooks that hear payerr's events now, in the order they are called.

    Returns:
        The hooks :func:`set_hooks` set (payerr's own, :data:`DEFAULT_HOOKS`, until then).

    Example:
        >>> payerr.instrumentation.get_hooks() == payerr.instrumentation.DEFAULT_HOOKS
        True
    """
    return _hooks


_NOBODY: tuple[Hook, ...] = ()


def listeners(
    kind: type[Any],
    c: Classification | None = None,
    route: Route | None = None,
    *,
    asked: bool = False,
) -> tuple[Hook, ...]:
    """The hooks that want an event of ``kind`` carrying ``c``: build it only if any do (a
    ``wants`` that raises is reported, and its hook left out).

    Args:
        route: the kind's route, as the emitter read it (default: the current one).
        asked: the route's gate said yes already: a lone hook is not asked again.
    """
    if route is None:
        route = routes[kind]
    if asked and route.alone is not None:
        return route.alone
    found: list[Hook] | None = None
    for hook, wants in route.entries:
        if wants is not None:
            try:
                if not wants(kind, c):
                    continue
            except Exception as exc:
                _report(hook, exc)
                continue
        if found is None:
            found = [hook]
        else:
            found.append(hook)
    return _NOBODY if found is None else tuple(found)


def deliver(hooks: tuple[Hook, ...], event: Event, follow: tuple[Follower, ...] = ()) -> None:
    """Call each hook with ``event``, then each of the call's followers; one that raises is
    reported and skipped."""
    for hook in hooks:
        try:
            hook(event)
        except Exception as exc:
            _report(hook, exc)
    for hook, follower in follow:
        try:
            follower(event)
        except Exception as exc:
            _report(hook, exc)


def start_call(
    hooks: tuple[Hook, ...], event: Event
) -> tuple[tuple[Follower, ...], tuple[Follower, ...]]:
    """Deliver a ``CallStarted``. What the hooks returned, each beside its hook: the context
    managers to enter around the call's work, and the callables to call with the call's later
    events (one object may be both)."""
    scopes: list[Follower] = []
    followers: list[Follower] = []
    for hook in hooks:
        try:
            kept = hook(event)
        except Exception as exc:
            _report(hook, exc)
            continue
        if kept is None:
            continue
        if hasattr(kept, "__enter__") and hasattr(kept, "__exit__"):
            scopes.append((hook, kept))
        if callable(kept):
            followers.append((hook, kept))
    return tuple(scopes), tuple(followers)


class Scopes:
    """The context managers the hooks returned for a call's ``CallStarted``, entered around
    one hop of the call (in order; exited in reverse). One that fails to enter or exit is
    reported (as its hook's failure) and passed over; none can swallow the call's exception."""

    __slots__ = ("_entered", "_scopes")

    def __init__(self, scopes: tuple[Follower, ...]) -> None:
        self._scopes = scopes
        self._entered: list[Follower] = []

    def __enter__(self) -> None:
        for hook, scope in self._scopes:
            try:
                scope.__enter__()
            except Exception as exc:
                _report(hook, exc)
            else:
                self._entered.append((hook, scope))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entered, self._entered = self._entered, []
        for hook, scope in reversed(entered):
            try:
                scope.__exit__(exc_type, exc, tb)  # its answer ignored: the error goes on
            except Exception as failure:
                _report(hook, failure)


def _report(hook: Hook, exc: Exception) -> None:
    """A hook (or the context manager it returned) raised: log it once per hook."""
    with _LOCK:
        if id(hook) in _reported:
            return
        _reported.add(id(hook))
    try:
        _log.emit(
            logging.ERROR, HOOK_FAILED, hook=_name(hook), error=type(exc).__name__, exc_info=exc
        )
    except Exception:  # a logging pipeline that fails too: nothing more to do
        return


def _name(hook: object) -> str:
    """``module.qualname`` of a function or class, else of the object's class."""
    named = hook if hasattr(hook, "__qualname__") else type(hook)
    module = getattr(named, "__module__", None)
    qualname = getattr(named, "__qualname__", None) or repr(named)
    return qualname if module in (None, "builtins") else f"{module}.{qualname}"
