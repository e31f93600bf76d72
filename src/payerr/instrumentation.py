"""Hooks: what payerr tells about its calls, to whoever listens (stamina's instrumentation,
for payments).

The transports and their retry loops emit typed events: :class:`CallStarted`,
:class:`AttemptEnded` for every request sent, :class:`RetryScheduled` before each wait (or
:class:`RetryBudgetExhausted` when the budget refuses a retry), and :class:`CallEnded`; an
answer with a code no mapping knows emits :class:`UnknownCode`. payerr's logs and its
OpenTelemetry metrics and spans are two hooks of these events, set by default
(:data:`DEFAULT_HOOKS`: :data:`logging_hook`, :data:`opentelemetry_hook`). Add your own
beside them, or instead of them::

    from payerr.instrumentation import DEFAULT_HOOKS, RetryScheduled, set_hooks

    def count_retries(event):
        if isinstance(event, RetryScheduled):
            RETRIES.labels(event.provider, event.operation).inc()

    set_hooks([*DEFAULT_HOOKS, count_retries])   # set_hooks(None): the defaults again
    set_hooks([])                                # nothing logged, counted or traced

Hooks are process-wide (set them once, at start-up, and in each spawned worker's
initializer), called synchronously, in order, in the thread or task that makes the call. The
live request and response an event carries are read-only: payerr never resends a request
whose idempotency key, request id or order number a hook changed. A hook that raises never
breaks a payment: it is skipped for that event and reported once as ``payerr.hook_failed``
(the Instrumentation page says more).
:func:`payerr.testing.reset` sets the defaults again.
"""

from __future__ import annotations

import inspect

from payerr._observe.events import (
    AttemptEnded,
    CallEnded,
    CallStarted,
    Event,
    Hook,
    RetryBudgetExhausted,
    RetryScheduled,
    UnknownCode,
)
from payerr._observe.hooks import DEFAULT_HOOKS, get_hooks, set_hooks
from payerr._observe.logs import LoggingHook, logging_hook
from payerr._observe.telemetry import OpenTelemetryHook, opentelemetry_hook

__all__ = [
    "DEFAULT_HOOKS",
    "AttemptEnded",
    "CallEnded",
    "CallStarted",
    "Event",
    "Hook",
    "LoggingHook",
    "OpenTelemetryHook",
    "RetryBudgetExhausted",
    "RetryScheduled",
    "UnknownCode",
    "get_hooks",
    "logging_hook",
    "opentelemetry_hook",
    "set_hooks",
]

for _name in __all__:
    _obj = globals()[_name]
    if (inspect.isclass(_obj) or inspect.isfunction(_obj)) and _obj.__module__.startswith(
        "payerr._"
    ):
        _obj.__module__ = __name__  # help(), reprs and pickles name the public module
del _name, _obj
