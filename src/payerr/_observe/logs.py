"""payerr's log events and the processor that adds the same fields to yours.

payerr logs through ``structlog.get_logger("payerr")`` when the application configured
structlog, and through the stdlib ``logging.getLogger("payerr")`` (a ``NullHandler``: silent
unless the application configured logging) when it did not; it never configures either. Every
retry and failure carries the same keys whatever the provider: ``payment.provider``,
``payment.code``, ``payment.outcome``, ``payment.category``, ``payment.reason``,
``payment.advice``, ``payment.retryable``,
``payment.known``, ``payment.attempt``, and where they apply ``payment.wait``, ``http.method``,
``http.status_code`` and ``url`` (scheme, host, port and path: no query string, no user info).
Request arguments and bodies are never logged.

The events are logged by :data:`logging_hook`, one of the hooks of payerr's events (the
others' shape: ``payerr._observe.events``); ``payerr.instrumentation.set_hooks`` can leave it
out, and then none of these is logged.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from payerr._core import log as _log
from payerr._core.cards import safe_url
from payerr._core.exceptions import PaymentError
from payerr._core.log_limit import LogLimiter
from payerr._core.taxonomy import Category, Classification, Outcome
from payerr._observe.events import (
    CallEnded,
    RetryBudgetExhausted,
    RetryScheduled,
    UnknownCode,
)

if TYPE_CHECKING:
    import httpx

    from payerr._observe.events import Event

__all__ = [
    "BUDGET_EXHAUSTED",
    "FAILED",
    "PENDING",
    "RETRY_SCHEDULED",
    "SUCCEEDED",
    "UNKNOWN_CODE",
    "UNKNOWN_CODES_DROPPED",
    "UNKNOWN_CODE_LOGS",
    "LoggingHook",
    "add_payment_context",
    "failure_level",
    "logging_hook",
    "payment_fields",
]

RETRY_SCHEDULED = "payerr.retry_scheduled"
BUDGET_EXHAUSTED = "payerr.retry_budget_exhausted"
FAILED = "payerr.request_failed"
SUCCEEDED = "payerr.request_succeeded"
PENDING = "payerr.request_pending"
UNKNOWN_CODE = "payerr.unknown_code"
UNKNOWN_CODES_DROPPED = "payerr.unknown_codes_dropped"

# A card decline is business as usual; a broken integration or an unknown outcome needs a human.
_LEVELS: dict[Category | None, int] = {
    Category.MERCHANT_CONFIG: logging.ERROR,
    Category.RETRYABLE: logging.ERROR,
    None: logging.ERROR,  # outcome unknown
    Category.RISK: logging.WARNING,
    Category.USER_ACTION: logging.INFO,
    Category.FINAL: logging.INFO,
}


def failure_level(c: Classification) -> int:
    """The stdlib level ``payerr.request_failed`` is logged at for this classification."""
    return _LEVELS.get(c.category, logging.ERROR)


def payment_fields(
    c: Classification,
    *,
    attempt: int | None = None,
    request: httpx.Request | None = None,
    response: httpx.Response | None = None,
    wait: float | None = None,
) -> dict[str, Any]:
    """The ``payment.*`` (and ``http.*``, ``url``) keys for one classification."""
    fields: dict[str, Any] = {
        "payment.provider": c.provider,
        "payment.code": c.code,
        "payment.outcome": str(c.outcome),
        "payment.category": None if c.category is None else str(c.category),
        "payment.reason": str(c.reason),
        "payment.advice": str(c.advice),
        "payment.retryable": c.retryable,
        "payment.known": c.known,
    }
    if attempt is not None:
        fields["payment.attempt"] = attempt
    if wait is not None:
        fields["payment.wait"] = round(wait, 3)
    if request is not None:
        fields["http.method"] = request.method
        fields["url"] = safe_url(request.url)
    status = response.status_code if response is not None else c.http_status
    if status is not None:
        fields["http.status_code"] = status
    return fields


# -- the events of calls, retries and unknown codes --------------------------------------------


def warn_attempt(
    event: str,
    attempt: RetryScheduled | RetryBudgetExhausted,
    *,
    number: int,
    wait: float | None = None,
) -> None:
    """A warning about one attempt of a call: a retry scheduled, or a retry the budget refused."""
    _log.emit(
        logging.WARNING,
        event,
        **payment_fields(
            attempt.classification,
            attempt=number,
            request=attempt.request,
            response=attempt.response,
            wait=wait,
        ),
    )


def request_failed(error: PaymentError) -> None:
    c = error.classification
    fields = payment_fields(
        c, attempt=error.attempts, request=error.request, response=error.response
    )
    _log.emit(failure_level(c), FAILED, error=type(error).__name__, **fields)


def request_completed(
    c: Classification, *, attempt: int, request: httpx.Request, response: httpx.Response | None
) -> None:
    pending = c.outcome is Outcome.PENDING
    level = logging.INFO if pending else logging.DEBUG
    if not _log.enabled(level):
        return  # the hot path: no fields built for an event that would be dropped
    fields = payment_fields(c, attempt=attempt, request=request, response=response)
    _log.emit(level, PENDING if pending else SUCCEEDED, **fields)


UNKNOWN_CODE_LOGS = LogLimiter(60.0, max_lines=100)
"""``payerr.unknown_code`` is logged once a minute per provider and code (its normalised
spelling), with ``payment.suppressed``: how many of the same code went unlogged since its last
line (a provider answering an unmapped code to every payment would otherwise log each one);
per process, in any minute, at most 100 lines for codes seen for the first time and 100 for
codes seen before, the rest told by one ``payerr.unknown_codes_dropped`` line."""


def unknown_code(event: UnknownCode) -> None:
    """Log ``payerr.unknown_code`` (per code, at most once a minute)."""
    code = event.code
    key = code if event.status_field is None else f"{event.status_field}={code}"
    suppressed = UNKNOWN_CODE_LOGS.admit((event.provider, key))
    if suppressed is None:  # logged within the minute: counted, told with the next line
        return
    dropped = UNKNOWN_CODE_LOGS.dropped()
    if dropped:
        # Last minute, more distinct codes than lines allowed: how many went unlogged.
        _log.emit(
            logging.WARNING,
            UNKNOWN_CODES_DROPPED,
            **{"payment.dropped": dropped, "payment.interval": UNKNOWN_CODE_LOGS.interval},
        )
    c = event.classification
    _log.emit(
        logging.WARNING,
        UNKNOWN_CODE,
        **{
            "payment.suppressed": suppressed,
            "payment.provider": event.provider,
            "payment.code": code,
            "payment.raw_code": event.raw_code,
            "payment.outcome": str(c.outcome),
            "payment.category": None if c.category is None else str(c.category),
            "payment.source": c.source,
        },
    )


class LoggingHook:
    """The hook that logs payerr's events (structlog or stdlib logging, whichever the
    application configured): ``payerr.retry_scheduled``, ``payerr.retry_budget_exhausted``,
    ``payerr.request_succeeded`` / ``_pending`` / ``_failed`` and ``payerr.unknown_code``, each
    with the ``payment.*`` fields (the Logs page lists them). Set by default.

    Example:
        >>> from payerr.instrumentation import logging_hook, set_hooks
        >>> set_hooks([logging_hook])  # logs, but no OpenTelemetry
        >>> set_hooks(None)
    """

    __slots__ = ()

    kinds = (RetryScheduled, RetryBudgetExhausted, CallEnded, UnknownCode)
    """The events it logs: a call's start and its attempts are never logged."""

    def wants(self, kind: type[Any], c: Classification | None) -> bool:
        """Whether an event of ``kind`` carrying ``c`` may be logged: a call's success only
        when DEBUG is on (a first-try success with logging below DEBUG builds no event)."""
        if kind is CallEnded:
            if c is None:
                return False  # interrupted: no verdict to log
            outcome = c.outcome
            if outcome is Outcome.SUCCESS or outcome is Outcome.INFO:
                return _log.enabled(logging.DEBUG)
        return True

    def __call__(self, event: Event, /) -> None:
        if isinstance(event, CallEnded):
            error, c = event.error, event.classification
            if error is None and c is not None:
                request_completed(
                    c, attempt=len(event.records), request=event.request, response=event.response
                )
            elif isinstance(error, PaymentError):
                request_failed(error)
            # an interrupted call (cancelled, KeyboardInterrupt) has no verdict to log
        elif isinstance(event, RetryScheduled):
            warn_attempt(RETRY_SCHEDULED, event, number=event.number, wait=event.wait)
        elif isinstance(event, RetryBudgetExhausted):
            warn_attempt(BUDGET_EXHAUSTED, event, number=event.number)
        elif isinstance(event, UnknownCode):
            unknown_code(event)

    def __repr__(self) -> str:
        return "payerr.instrumentation.logging_hook"


logging_hook = LoggingHook()
"""payerr's log events, as a hook (:class:`LoggingHook`)."""


# -- the processor for users' pipelines -------------------------------------------------------


def add_payment_context(logger: object, method_name: str, event_dict: Any) -> Any:
    """A structlog processor: where an event carries a payerr error or Classification, add
    the same ``payment.*`` keys payerr's own events carry (keys already set are kept).

    Looks in ``exc_info`` (``True``, an exception, or an exc_info tuple), then ``error=``, then
    every other value. Never raises.

    Args:
        logger: structlog's logger (unused).
        method_name: structlog's method name (unused).
        event_dict: the event.

    Returns:
        The event, with the ``payment.*`` keys added where a payerr object was found.

    Example:
        >>> c = payerr.classify("antom", "RISK_REJECT")
        >>> payerr.add_payment_context(None, "info", {"event": "x", "error": c})["payment.category"]
        'risk'
    """
    try:
        found = _find(event_dict)
        if found is None:
            return event_dict
        if isinstance(found, PaymentError):
            fields = payment_fields(
                found.classification,
                attempt=found.attempts,
                request=found.request,
                response=found.response,
            )
        else:
            fields = payment_fields(found)
        for key, value in fields.items():
            event_dict.setdefault(key, value)
    except Exception:  # a processor that raises loses the log line
        return event_dict
    return event_dict


def _find(event_dict: Any) -> PaymentError | Classification | None:
    if not isinstance(event_dict, dict):
        return None
    exc_info = event_dict.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()[1]
    elif isinstance(exc_info, tuple) and len(exc_info) == 3:
        exc_info = exc_info[1]
    candidates = [exc_info, event_dict.get("error"), *event_dict.values()]
    for value in candidates:
        if isinstance(value, PaymentError | Classification):
            return value
    return None
