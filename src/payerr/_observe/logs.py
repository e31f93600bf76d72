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
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Protocol

import httpx

from payerr._core import log as _log
from payerr._core.cards import safe_url
from payerr._core.exceptions import PaymentError
from payerr._core.taxonomy import Category, Classification, Outcome

__all__ = [
    "BUDGET_EXHAUSTED",
    "FAILED",
    "PENDING",
    "RETRY_SCHEDULED",
    "SUCCEEDED",
    "add_payment_context",
    "failure_level",
    "payment_fields",
]

RETRY_SCHEDULED = "payerr.retry_scheduled"
BUDGET_EXHAUSTED = "payerr.retry_budget_exhausted"
FAILED = "payerr.request_failed"
SUCCEEDED = "payerr.request_succeeded"
PENDING = "payerr.request_pending"

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


# -- the transport's events -------------------------------------------------------------------


class Tried(Protocol):
    """What a warning about one attempt reads of it (the transports' ``Attempt``)."""

    @property
    def classification(self) -> Classification: ...
    @property
    def request(self) -> httpx.Request: ...
    @property
    def response(self) -> httpx.Response | None: ...


def warn_attempt(event: str, attempt: Tried, *, number: int, wait: float | None = None) -> None:
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
    c: Classification, *, attempt: int, request: httpx.Request, response: httpx.Response
) -> None:
    pending = c.outcome is Outcome.PENDING
    level = logging.INFO if pending else logging.DEBUG
    if not _log.enabled(level):
        return  # the hot path: no fields built for an event that would be dropped
    fields = payment_fields(c, attempt=attempt, request=request, response=response)
    _log.emit(level, PENDING if pending else SUCCEEDED, **fields)


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
