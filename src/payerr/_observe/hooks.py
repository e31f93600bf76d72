"""The hooks that hear payerr's events: which are set, and delivering an event to them.

Process-wide and thread-safe: the hooks are one snapshot (:data:`routes`: per kind of event,
the hooks that hear it and a gate), replaced whole under a lock by :func:`set_hooks` and read
without one (a reference read is atomic) wherever an event is due. An emitter asks the kind's
gate first, then :func:`listeners` (each hook's ``wants``), and builds the event only when a
hook wants it, or the call has followers (what the hooks returned for its ``CallStarted``,
which hear the rest of it): a first-try success with logging below DEBUG and no OpenTelemetry
provider builds none, and asks two questions (OpenTelemetry's at the start, the log's at the
end). A hook that raises is left out of that event, and reported once (``payerr.hook_failed``)
until the hooks are set again: it never breaks a payment. Everything payerr asks of a hook's
objects (calling it, its ``wants``, what it returned) runs inside that catch-all, and under a
re-entrancy guard (a context variable): payerr calls a hook makes emit no events, so a hook
never hears itself. A forked child gets new locks and reports its failing hooks afresh.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import os
import threading
import traceback
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
from payerr._observe.logs import LoggingHook, logging_hook
from payerr._observe.redaction import redact_text
from payerr._observe.telemetry import OpenTelemetryHook, opentelemetry_hook

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
    event costs nothing more; a hook of the application's is asked under the re-entrancy
    guard); else a gate that says yes (:func:`listeners` asks each)."""
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

_OWN = (LoggingHook, OpenTelemetryHook)
"""payerr's own hooks: their ``wants`` never call payerr, and are asked without the guard."""

_INSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("payerr_in_hook", default=False)
"""True while payerr runs a hook's code (the hook, its ``wants``, what it returned, a report
of its failure) in this thread or task: events of payerr calls made meanwhile are not
delivered (a hook that classifies the unknown code it heard would hear itself without end)."""


def _yes(kind: type[Any], c: Classification | None) -> bool:
    return True


def _guarded(wants: _Wants) -> _Wants:
    """A hook's ``wants`` as a gate: asked under the re-entrancy guard, and not at all from
    inside a hook."""

    def gate(kind: type[Any], c: Classification | None) -> bool:
        if _INSIDE.get():
            return False
        token = _INSIDE.set(True)
        try:
            return bool(wants(kind, c))
        finally:
            _INSIDE.reset(token)

    return gate


class _Spec(NamedTuple):
    """A hook as :func:`set_hooks` read it, once: the kinds it hears (None: all) and its
    ``wants``."""

    hook: Hook
    kinds: frozenset[type[Any]] | None
    wants: _Wants | None


def _routes_of(specs: tuple[_Spec, ...]) -> dict[type[Any], Route]:
    """Per kind of event, the hooks that hear it (a hook's ``kinds``, when it has them, name
    the only kinds it hears), in order, and its gate."""
    routes: dict[type[Any], Route] = {}
    for kind in EVENTS:
        entries = [(s.hook, s.wants) for s in specs if s.kinds is None or kind in s.kinds]
        gate: _Wants | None = None
        alone: tuple[Hook] | None = None
        lone = entries[0] if len(entries) == 1 else None
        if lone is not None and lone[1] is not None:
            gate = lone[1] if type(lone[0]) in _OWN else _guarded(lone[1])
            alone = (lone[0],)
        elif entries:
            gate = _yes
        routes[kind] = Route(gate, tuple(entries), alone)
    return routes


def _spec(hook: object) -> _Spec:
    """A hook read once: callable and not a coroutine function; its ``kinds``, if any, event
    classes (materialised: a generator is read once, here); its ``wants``, if any, callable."""
    if not callable(hook):
        raise UsageError(f"a hook is called with each event: {_shown(hook)} is not callable")
    try:
        kinds = getattr(hook, "kinds", None)
        wants = getattr(hook, "wants", None)
        call = type(hook).__call__  # callable: its class has one
    except Exception as exc:  # a property or __getattr__ that raises
        raise UsageError(
            f"a hook's attributes (kinds, wants) could not be read: {_shown(hook)} raised "
            f"{type(exc).__name__}"
        ) from None
    if _asynchronous(hook) or _asynchronous(call):
        raise UsageError(
            f"hooks are called synchronously, in the thread or task making the call: "
            f"{_shown(hook)} is an async function, whose coroutine would never run; use a "
            "plain function (hand the event to a queue your event loop reads)"
        )
    chosen: frozenset[type[Any]] | None = None
    if kinds is not None:
        known = False
        if not isinstance(kinds, str | bytes | type):
            try:
                chosen = frozenset(kinds)
                known = all(any(kind is event for event in EVENTS) for kind in chosen)
            except Exception:  # not iterable, unhashable members, an iterator that raises
                known = False
        if not known:
            raise UsageError(
                "a hook's kinds are event classes (payerr.instrumentation.CallEnded, ...), "
                f"not {_shown(kinds)}"
            )
    if wants is not None and (not callable(wants) or _asynchronous(wants)):
        raise UsageError(
            "a hook's wants is a method (kind, classification) -> bool, called synchronously: "
            f"{_shown(wants)}"
        )
    return _Spec(hook, chosen, wants)


def _asynchronous(function: object) -> bool:
    """An ``async def`` (or ``async def`` generator) function or method: calling it runs
    nothing."""
    try:
        return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)
    except Exception:  # an object whose attributes raise when inspected
        return False


def _shown(value: object) -> str:
    """``repr(value)``, or its class's name when the repr raises."""
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


class _Shared:
    """The lock :func:`set_hooks` and the failure reports take, and the reports' state: one
    object, so that a forked child can be given fresh ones."""

    __slots__ = ("lock", "reported", "reporting")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reported: set[int] = set()
        """``id()`` of each hook whose failure has been reported since the hooks were last
        set (each is held by ``_hooks`` meanwhile, so the id is its own); a new set when they
        are set again."""
        self.reporting: set[int] = set()
        """``id()`` of each hook whose failure is being reported now (by any thread)."""


_SHARED = _Shared()
_DEFAULT_SPECS = tuple(_spec(hook) for hook in DEFAULT_HOOKS)
_hooks: tuple[Hook, ...] = DEFAULT_HOOKS
"""The hooks set, as :func:`get_hooks` returns them."""
routes: dict[type[Any], Route] = _routes_of(_DEFAULT_SPECS)
"""Per kind of event, its gate and the hooks that hear it: the snapshot every emitter reads
(replaced whole when the hooks are set, never changed). An emitter asks the gate (None:
nobody hears the kind), and :func:`listeners` only when it says yes."""


def set_hooks(hooks: Iterable[Hook] | None) -> None:
    """Set the hooks that hear payerr's events, for the whole process.

    Hooks are per process: a process started with spawn or forkserver (a
    ``multiprocessing`` pool, ``ProcessPoolExecutor``) begins with payerr's own, so set yours
    in its initializer; a forked child (gunicorn, Celery's prefork) inherits its parent's and
    reports their failures afresh.

    Args:
        hooks: the hooks, called in this order for every event; ``None`` sets payerr's own
            again (:data:`DEFAULT_HOOKS`: its logs and OpenTelemetry); an empty iterable turns
            every event off (no logs of calls, retries or unknown codes, no metrics, no spans).
            Each hook's ``kinds`` and ``wants`` are read here, once.

    Raises:
        UsageError: a hook that is not callable or is an ``async def`` (hooks are called
            synchronously), whose ``kinds`` are not event classes, or whose ``wants`` is not
            a plain callable (nothing is changed).

    Example:
        >>> seen = []
        >>> payerr.instrumentation.set_hooks([seen.append])
        >>> answer = httpx.Response(200, json={"result": {"resultCode": "NEW_CODE"}})
        >>> payerr.classify_response("antom", answer).known
        False
        >>> type(seen[0]).__name__, len(seen)
        ('UnknownCode', 1)
        >>> payerr.instrumentation.set_hooks(None)
    """
    if hooks is None:
        chosen, specs = DEFAULT_HOOKS, _DEFAULT_SPECS
    else:
        if isinstance(hooks, str | bytes):
            raise UsageError(f"set_hooks takes a list of hooks, not {_shown(hooks)}")
        try:
            chosen = tuple(hooks)
        except TypeError:
            raise UsageError(f"set_hooks takes a list of hooks, not {_shown(hooks)}") from None
        specs = tuple(_spec(hook) for hook in chosen)
    new = _routes_of(specs)
    global _hooks, routes  # the process-wide snapshot, swapped whole
    shared = _SHARED
    with shared.lock:
        _hooks, routes = chosen, new
        shared.reported = set()


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
    ``wants`` that raises is reported, and its hook left out). None from inside a hook.

    Args:
        route: the kind's route, as the emitter read it (default: the current one).
        asked: the route's gate said yes already: a lone hook is not asked again.
    """
    if _INSIDE.get():
        return _NOBODY  # a payerr call made by a hook: it never hears itself
    if route is None:
        route = routes[kind]
    if asked and route.alone is not None:
        return route.alone
    found: list[Hook] | None = None
    token = _INSIDE.set(True)
    try:
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
    finally:
        _INSIDE.reset(token)
    return _NOBODY if found is None else tuple(found)


def deliver(hooks: tuple[Hook, ...], event: Event, follow: tuple[Follower, ...] = ()) -> None:
    """Call each hook with ``event``, then each of the call's followers; one that raises is
    reported and skipped."""
    token = _INSIDE.set(True)
    try:
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
    finally:
        _INSIDE.reset(token)


def start_call(
    hooks: tuple[Hook, ...], event: Event
) -> tuple[tuple[Follower, ...], tuple[Follower, ...]]:
    """Deliver a ``CallStarted``. What the hooks returned, each beside its hook: the context
    managers to enter around the call's work, and the callables to call with the call's later
    events (one object may be both). Whatever is asked of a returned object (its attributes,
    whether it is callable) is asked inside the catch-all: an object whose attributes raise
    is reported and dropped."""
    scopes: list[Follower] = []
    followers: list[Follower] = []
    token = _INSIDE.set(True)
    try:
        for hook in hooks:
            try:
                kept = hook(event)
                if kept is None:
                    continue
                scope = hasattr(kept, "__enter__") and hasattr(kept, "__exit__")
                follower = callable(kept)
            except Exception as exc:
                _report(hook, exc)
                continue
            if scope:
                scopes.append((hook, kept))
            if follower:
                followers.append((hook, kept))
    finally:
        _INSIDE.reset(token)
    return tuple(scopes), tuple(followers)


class Scopes:
    """The context managers the hooks returned for a call's ``CallStarted``, entered around
    one hop of the call (in order; exited in reverse). One that fails to enter or exit is
    reported (as its hook's failure) and passed over; none can swallow the call's exception.
    Entering and exiting run under the re-entrancy guard; the hop between them does not."""

    __slots__ = ("_entered", "_scopes")

    def __init__(self, scopes: tuple[Follower, ...]) -> None:
        self._scopes = scopes
        self._entered: list[Follower] = []

    def __enter__(self) -> None:
        token = _INSIDE.set(True)
        try:
            for hook, scope in self._scopes:
                try:
                    scope.__enter__()
                except Exception as exc:
                    _report(hook, exc)
                else:
                    self._entered.append((hook, scope))
        finally:
            _INSIDE.reset(token)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entered, self._entered = self._entered, []
        token = _INSIDE.set(True)
        try:
            for hook, scope in reversed(entered):
                try:
                    scope.__exit__(exc_type, exc, tb)  # its answer ignored: the error goes on
                except Exception as failure:
                    _report(hook, failure)
        finally:
            _INSIDE.reset(token)


def _report(hook: Hook, exc: Exception) -> None:
    """A hook (or what it returned, or its ``wants``) raised: log it once per hook, until the
    hooks are set again. The report carries the exception's class and its traceback as text
    passed through payerr's redaction, never the exception itself: its chain may hold a
    transport error quoting a header value, a URL's query string, a card number. A hook is
    marked reported once its report was written (a report that could not be written is tried
    again at the hook's next failure)."""
    key, shared = id(hook), _SHARED
    with shared.lock:
        reported, reporting = shared.reported, shared.reporting
        if key in reported or key in reporting:
            return
        reporting.add(key)
    written = False
    token = _INSIDE.set(True)  # a logging handler that calls payerr: no events, no loop
    try:
        _log.emit(
            logging.ERROR,
            HOOK_FAILED,
            hook=_name(hook),
            error=type(exc).__name__,
            exception=_traceback(exc),
        )
        written = True
    except Exception:  # a logging pipeline that fails too: nothing more to do
        pass
    finally:
        _INSIDE.reset(token)
        with shared.lock:
            reporting.discard(key)
            if written:
                reported.add(key)  # the set of the hooks it was reported under


def _traceback(exc: BaseException) -> str:
    """The exception's traceback, chained exceptions included, with card numbers and secrets
    masked (``payerr._observe.redaction.redact_text``)."""
    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        return redact_text(text)
    except Exception:  # a __str__ that raises, a chain too deep to format
        return f"{type(exc).__name__} (its traceback could not be formatted)"


def _name(hook: object) -> str:
    """``module.qualname`` of a function or class, else of the object's class."""
    try:
        named = hook if hasattr(hook, "__qualname__") else type(hook)
        module = getattr(named, "__module__", None)
        qualname = getattr(named, "__qualname__", None) or repr(named)
        if not isinstance(module, str | None) or not isinstance(qualname, str):
            raise TypeError(qualname)
    except Exception:  # a hook whose attributes raise: its class names it
        named, module, qualname = type(hook), type(hook).__module__, type(hook).__qualname__
    return qualname if module in (None, "builtins") else f"{module}.{qualname}"


def _after_fork_in_child() -> None:
    """A child forked while another thread held the lock (setting hooks, reporting a failure)
    would wait for it forever: it gets a new one. It reports its hooks' failures afresh (its
    parent's reports went to the parent's logs)."""
    shared = _SHARED
    shared.lock = threading.Lock()
    shared.reported, shared.reporting = set(), set()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
