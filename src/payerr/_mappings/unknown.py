"""Outcome unknown: the words payerr uses when it cannot say whether a request executed.

Shared by the decision core (``payerr._retry.decide``) and the stand-alone classifiers
(``payerr._mappings.classify``): both turn a "failed" that payerr cannot prove into
*pending*, with an action that sends the merchant to inquire and never invites a new order number
(Architecture, "Truth rules").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from payerr._core.reasons import RESEND_SOURCE, Advice
from payerr._core.taxonomy import Classification, Outcome
from payerr._mappings.operations import fit_message

if TYPE_CHECKING:
    from payerr._core.attempts import AttemptRecord

__all__ = [
    "CHANGED_ACTION",
    "EARLIER_ACTION",
    "GARBLED_ACTION",
    "INQUIRE_ACTION",
    "REDIRECT_ACTION",
    "REPEAT_ACTION",
    "RESEND_ACTION",
    "RESEND_SOURCE",
    "UNKNOWN_RESULT_ACTION",
    "WHY_NO_ID",
    "WHY_PER_PROCESS",
    "WHY_SEEN",
    "WHY_STANDALONE",
    "WHY_UNREACHABLE",
    "WHY_YOUNG",
    "outcome_unknown",
    "repeat_unknown",
    "resend_settles",
]

INQUIRE_ACTION = (
    "Outcome unknown: the request may have reached the provider. Do not resend it blindly; "
    "inquire the payment status first (or resend with an idempotency key)."
)
REPEAT_ACTION = (
    "Outcome unknown: inquire before doing anything. The provider says it already has this "
    "request or order, and an earlier attempt may have executed it: do not treat it as failed "
    "and do not start over with a new order number, which could charge twice."
)
RESEND_ACTION = (
    "Outcome unknown: an attempt may have executed. Inquire the payment status, or resend the "
    "same request under the same idempotency key or request id (never a new one)."
)
EARLIER_ACTION = (
    "Outcome unknown: an earlier attempt may have executed, and this answer (a rejection of "
    "the resend, not a result of the payment) does not say what became of it. Inquire before "
    "doing anything; if the answer names an integration problem, fix that too."
)
REDIRECT_ACTION = (
    "Outcome unknown: the request was answered with a redirect after it may have executed, and "
    "the redirect's target did not give its result. Inquire the payment status; do not resend."
)
UNKNOWN_RESULT_ACTION = (
    "Outcome unknown (resultStatus U): the provider does not know the result yet. Resend the "
    "same request under the same request id (paymentRequestId, captureRequestId, "
    "refundRequestId ...), or inquire the result; never a new id."
)
CHANGED_ACTION = (
    "Outcome unknown: the request was changed after it was sent (its idempotency key, request "
    "id, order number, method or URL; a hook editing the event's request, say), so payerr did "
    "not send it again under an identity the provider never saw, and an earlier attempt may "
    "have executed. Inquire the payment status; do not resend."
)
GARBLED_ACTION = (
    "Outcome unknown: the answer could not be read and the request may have executed. Inquire "
    "the payment status before deciding; do not resend it blindly."
)


# Why payerr cannot tell that a repeat answer ("duplicate", "order number used", 409) met the
# first send of its request: each ends the message of the outcome-unknown classification.
WHY_STANDALONE = (
    "it was classified on its own, without the call's history; say first_send=True "
    "(payerr classify --first-send) only when you know the request was never sent before"
)
WHY_NO_ID = (
    "the request carries no idempotency key, request id or order number of the caller's to look up"
)
WHY_PER_PROCESS = (
    "payerr's call ledger is per process (MemoryCallLedger): another worker, or this one "
    "before a restart, may have sent it; a RedisCallLedger shared by the fleet can tell"
)
WHY_SEEN = "another call under the same idempotency key or request id was sent"
WHY_YOUNG = (
    "the shared call ledger has not yet recorded a whole idempotency window of sends (it is "
    "new, was emptied, its Redis restarted or failed over, or a worker missed more sends than "
    "it could write back)"
)
WHY_UNREACHABLE = "the shared call ledger could not be reached"


def resend_settles(c: Classification) -> bool:
    """Whether ``c`` is an unknown result that resending the same request settles (see
    :data:`RESEND_SOURCE`)."""
    return c.outcome is Outcome.PENDING and c.source == RESEND_SOURCE


def outcome_unknown(c: Classification, action: str = INQUIRE_ACTION) -> Classification:
    """The same answer, marked outcome unknown: pending, not retryable, inquire first."""
    # Inquire, even for a resultStatus U that a resend would settle: payerr says so only
    # where the resend is not safe, or cannot tell.
    unknown = c.reclassified(Outcome.PENDING, action=action, advice=Advice.INQUIRE)
    return fit_message(unknown, c.operation)


def repeat_unknown(
    c: Classification, executed_before: AttemptRecord | None, why: str = WHY_STANDALONE
) -> Classification:
    """A repeat answer payerr cannot call a failure: an attempt (``executed_before``) may have
    executed, or payerr cannot tell that this was the request's first send (``why``)."""
    if executed_before is not None:
        note = f"after {executed_before.describe()}, which may have executed"
    else:
        note = f"payerr cannot tell that this was the first send: {why}"
    return dataclasses.replace(outcome_unknown(c, REPEAT_ACTION), message=f"{c.message} ({note})")
