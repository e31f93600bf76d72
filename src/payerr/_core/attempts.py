"""What one try of a logical call was, as errors, the ledgers and the transports' events
carry it."""

from __future__ import annotations

from typing import NamedTuple

from payerr._core.taxonomy import Category, Outcome

__all__ = ["AttemptRecord"]


class AttemptRecord(NamedTuple):
    """One try of a logical call, as errors carry it (urllib3's ``RequestHistory``).

    A named tuple: immutable, picklable, and cheap to build on every request.

    Attributes:
        number: 1 for the first try of the call.
        status: the HTTP status, or None when the try ended in a transport error.
        error: the transport exception's class name (``"ReadTimeout"``), or None.
        code: the deciding provider code (``""`` when there was none).
        outcome, category: what payerr made of this try on its own.
        executed: whether this try may have executed the request at the provider.
        wait: seconds waited after it before the next try (None: no retry followed).
        earlier_call: the try belonged to an earlier call with the same idempotency key or
            request id (a resend by the caller's own loop, say).

    Example:
        ``for record in error.history: print(record.number, record.status or record.error)``
        after ``except payerr.PaymentError as error``.
    """

    number: int
    status: int | None
    error: str | None
    code: str
    outcome: Outcome
    category: Category | None
    executed: bool
    wait: float | None = None
    earlier_call: bool = False

    def describe(self) -> str:
        """``"attempt 1 (ReadTimeout)"``, ``"attempt 2 (HTTP 502)"``."""
        what = self.error or (f"HTTP {self.status}" if self.status is not None else "no answer")
        if self.code:
            what += f" {self.code}"
        where = " of an earlier call with the same key" if self.earlier_call else ""
        return f"attempt {self.number}{where} ({what})"


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
AttemptRecord.__module__ = "payerr"
