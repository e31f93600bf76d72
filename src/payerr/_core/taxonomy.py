"""The unified taxonomy: outcomes, failure categories and the Classification value object.

Definitions and tie-breakers are on the README's front page (The taxonomy); this module only holds
the vocabulary, and the invariants of a Classification.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from payerr._core.reasons import Advice, Reason, advice_conflict, advice_for, reason_fits

_FOREVER = float("inf")

__all__ = [
    "DEFAULT_ACTIONS",
    "DEFAULT_USER_MESSAGES",
    "Category",
    "Classification",
    "CodeEntry",
    "NetworkAdvice",
    "Operation",
    "Outcome",
]


class Outcome(StrEnum):
    """What happened to the operation.

    Example:
        >>> payerr.Outcome("failed") is payerr.Outcome.FAILED
        True
    """

    SUCCESS = "success"
    """The operation completed as asked."""
    PENDING = "pending"
    """Accepted and still processing, waiting for the payer, or the outcome is not known."""
    FAILED = "failed"
    """The operation did not happen; the category says why and who acts."""
    INFO = "info"
    """Not an outcome at all: an SDK lifecycle event (loading started, redirect succeeded)."""


class Operation(StrEnum):
    """What was classified: the provider call or notification the answer belongs to.

    It decides which field decides (Architecture#operations-and-the-field-that-decides): an
    inquiry's ``paymentStatus``, a
    refund inquiry's ``refundStatus``, a vaulting inquiry's ``vaultingStatus``; and which words
    a shopper message may use (a refused refund is not "your payment could not be completed").

    Example:
        >>> payerr.classify("antom", "ORDER_NOT_EXIST", operation=payerr.Operation.INQUIRY).outcome
        <Outcome.FAILED: 'failed'>
    """

    PAY = "pay"
    CAPTURE = "capture"
    CANCEL = "cancel"
    REFUND = "refund"
    INQUIRY = "inquiry"
    """A payment inquiry (Antom ``inquiryPayment``, a query of the payment's state)."""
    REFUND_INQUIRY = "refund-inquiry"
    VAULTING = "vaulting"
    VAULTING_INQUIRY = "vaulting-inquiry"
    NOTIFICATION = "notification"
    """A payment result notification (Antom ``notifyPayment``)."""
    REFUND_NOTIFICATION = "refund-notification"
    CAPTURE_NOTIFICATION = "capture-notification"
    VAULTING_NOTIFICATION = "vaulting-notification"
    OTHER = "other"
    """A provider call or notification that is not a payment operation (Antom ``consult``,
    ``createPaymentSession``, a dispute notification): its success pays nothing."""
    UNKNOWN = "unknown"
    """Not known: payerr judges by the body alone, which is always safe."""


class Category(StrEnum):
    """Why a failed operation failed, which decides who acts and whether to retry.

    Example:
        >>> payerr.classify("antom", "INVALID_SIGNATURE").category
        <Category.MERCHANT_CONFIG: 'merchant-config'>
    """

    RETRYABLE = "retryable"
    """Transient trouble; the same request, resent, can succeed soon."""
    USER_ACTION = "user-action"
    """The payer must do something: another card, top up, authenticate, update the app."""
    MERCHANT_CONFIG = "merchant-config"
    """The merchant's account, contract, credentials, signature or parameters are wrong."""
    RISK = "risk"
    """Refused by fraud, risk or compliance controls; never tell the shopper why."""
    FINAL = "final"
    """Definitively settled or impossible; nothing will change it."""


# What payerr recommends when a mapping row or a fallback has nothing more specific to say.
DEFAULT_ACTIONS: dict[Outcome | Category, str] = {
    Outcome.SUCCESS: "Carry on.",
    Outcome.PENDING: (
        "Do not resubmit. Wait for the provider's notification or inquire the payment status "
        "with backoff before deciding."
    ),
    Outcome.INFO: "No action: this is a lifecycle event, not a result.",
    Category.RETRYABLE: "Retry the same request with backoff, if it is replay-safe.",
    Category.USER_ACTION: (
        "Ask the payer to act (another payment method, new details, or authentication)."
    ),
    Category.MERCHANT_CONFIG: (
        "Alert the merchant's engineers or operators: account, contract, credentials or "
        "request parameters need fixing. Do not retry."
    ),
    Category.RISK: (
        "Do not retry and do not reveal the reason to the shopper; refer to the risk team."
    ),
    Category.FINAL: "Do not retry: record the result.",
}

# Shopper-safe messages: neutral, no internal reasons, never a risk reason.
DEFAULT_USER_MESSAGES: dict[Outcome | Category, str] = {
    Outcome.SUCCESS: "Your payment was successful.",
    Outcome.PENDING: "Your payment is being processed. We will let you know once it is confirmed.",
    Outcome.INFO: "",
    Category.RETRYABLE: "Something went wrong on our side. Please try again in a moment.",
    Category.USER_ACTION: (
        "Your payment could not be completed. Please check your details or use another payment "
        "method."
    ),
    Category.MERCHANT_CONFIG: (
        "This payment cannot be processed right now. Please try again later or contact the "
        "merchant."
    ),
    Category.RISK: "Your payment could not be completed. Please use another payment method.",
    Category.FINAL: "Your payment could not be completed.",
}


@dataclass(frozen=True, slots=True)
class NetworkAdvice:
    """What the card network and the issuer said about a declined card payment.

    The provider's code decides the taxonomy verdict; this refines the advice for a later
    reattempt (a renewal tomorrow, a dunning run next week): whether the card may be tried
    again at all, and when.

    Attributes:
        brand: the card brand, normalised (``visa``, ``mastercard``; ``""`` unknown).
        issuer_code: the issuer's response code, as relayed.
        advice_code: Mastercard's Merchant Advice Code, as relayed.
        never_retry: the network or issuer said never retry this card.
        category: Visa's decline category (``"1"`` to ``"4"``), where known.
        issuer_message: the issuer's reason text, cleaned.
        retry_after: seconds a Merchant Advice Code asks to wait, where it names a time.
        fingerprint: the provider's card fingerprint, when relayed.

    Example:
        >>> payerr.networks.network_advice("VISA", "43").never_retry
        True
    """

    brand: str
    """The card network, lower-case: ``visa``, ``mastercard``, ``amex``, ...; ``""`` if unknown."""
    issuer_code: str | None = None
    """The issuer's response code as the provider relayed it (Antom ``refusalCodeRaw``)."""
    advice_code: str | None = None
    """Mastercard's Merchant Advice Code (two digits), where one was sent."""
    never_retry: bool = False
    """The network or issuer says this card must not be tried again for this payment."""
    category: str | None = None
    """The network's decline category where one applies (Visa's ``"1"`` to ``"4"``)."""
    issuer_message: str | None = None
    """The issuer's reason text as relayed (Antom ``refusalReasonRaw``), cleaned."""
    retry_after: float | None = None
    """Seconds the network says to wait before reattempting (Mastercard MAC 24: 3600, MAC 02:
    the acquirers' 72 hours); None when it names no wait. About a new attempt later, never
    about resending this request."""
    fingerprint: str | None = None
    """The provider's fingerprint of the card (Antom ``fingerprint``): the same card gives the
    same value, so it can key per-card reattempt counts. Not a card number."""

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form."""
        return {
            "brand": self.brand,
            "issuer_code": self.issuer_code,
            "advice_code": self.advice_code,
            "never_retry": self.never_retry,
            "category": self.category,
            "issuer_message": self.issuer_message,
            "retry_after": self.retry_after,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class Classification:
    """One provider answer, translated into the unified taxonomy.

    Known codes map to objects built once when a mapping loads, so equal answers share one
    instance; treat it as an immutable value. ``as_dict()`` gives its JSON form.

    Attributes:
        provider: the provider id (``"antom"``).
        code: the deciding code, normalised (stripped, upper-case); ``""`` when none was found.
        raw_code: the code as the provider sent it (None when there was none).
        message: the provider's own words for the code, or how a fallback decided.
        outcome: ``success``, ``pending`` (outcome unknown or in process: never resubmit
            blindly, inquire) or ``failed`` (the provider did not do it).
        category: for a failure only: ``retryable``, ``user-action``, ``merchant-config``,
            ``risk`` or ``final``; None otherwise.
        retryable: True exactly when ``category`` is ``retryable`` (whether a resend is safe
            is decided apart: :func:`payerr.is_replay_safe`).
        known: False when the code is not in the mapping and a fallback decided.
        action: what the merchant's system or staff should do next.
        user_message: a message safe to show the shopper (neutral for risk).
        retry_after: seconds to wait before a retry (``Retry-After`` or the mapping): a hint.
        retry_hint: the provider's own words about retrying later, where it gives them.
        source: which signal decided (``paymentResultCode``, ``result.resultCode``,
            ``data.error_code``, ``http_status``, ``default``, ...).
        detail: the message the provider sent in this particular answer, when it sent one.
        http_status: the answer's HTTP status, when there was one.
        repeat: the answer says the provider already has this request or order (duplicate,
            order number used, HTTP 409): after an earlier attempt that may have executed,
            that is outcome unknown, not a failure.
        retry_at: when ``Retry-After`` was an HTTP date: that moment, as POSIX time.
        operation: what was classified (:class:`Operation`: pay, refund, inquiry, ...).
        network: the card network's advice on a declined card payment
            (:class:`payerr.networks.NetworkAdvice`), where the answer carried it.
        reason: why, in one vocabulary for every provider (:class:`payerr.Reason`):
            ``insufficient_funds``, ``suspected_fraud``, ``rate_limited``, ...
        advice: what next, for a program (:class:`payerr.Advice`): ``retry_same``,
            ``inquire``, ``update_payment_details``, ...; derived from the verdict and the
            reason when not given, and never contradicting them.

    Example:
        >>> c = payerr.classify("alipay_plus", 10005)
        >>> (c.outcome, c.category, c.retryable)
        (<Outcome.FAILED: 'failed'>, <Category.RETRYABLE: 'retryable'>, True)
    """

    provider: str
    """Provider id, e.g. ``"antom"``."""
    code: str
    """The deciding code, normalised (stripped, upper-case); ``""`` when no code was found."""
    raw_code: str | None
    """The code as the provider sent it (``None`` when there was none)."""
    message: str
    """The provider's own message for this code, or a description of the fallback used."""
    outcome: Outcome
    category: Category | None
    """Set only when ``outcome`` is ``failed``."""
    retryable: bool
    """True exactly when ``category`` is ``retryable``; replay safety is decided separately."""
    known: bool
    """False when the code is not in the mapping and a fallback decided."""
    action: str
    """What the merchant's system or staff should do next."""
    user_message: str
    """A message safe to show the shopper (neutral for risk)."""
    retry_after: float | None = None
    """Seconds to wait before a retry, from ``Retry-After`` or the mapping; a hint only."""
    retry_hint: str | None = None
    """The provider's own wording about retrying later, where it gives one."""
    source: str = "code"
    """Which signal decided: ``paymentResultCode``, ``result.resultCode``, ``http_status``, ..."""
    detail: str | None = None
    """The message the provider sent in this particular response, when it sent one."""
    http_status: int | None = None
    repeat: bool = False
    """The answer says the provider already has this request or order (duplicate, already
    exists, order number used, completed, in progress, HTTP 409). After an earlier attempt of
    the same call may have executed, such an answer means *outcome unknown*, not failed."""
    retry_at: float | None = None
    """When ``Retry-After`` was an HTTP-date: that moment as POSIX time. Pure classification
    reads no clock, so ``retry_after`` is filled from it only by the shells (the transports,
    ``classify_response``) or when ``now`` is passed to ``classify_http``."""

    operation: Operation = Operation.UNKNOWN
    """What was classified (see :class:`Operation`)."""
    network: NetworkAdvice | None = None
    """The card network's advice on a declined card payment, where the answer carried it."""
    reason: Reason = Reason.UNKNOWN
    """Why, in the vocabulary shared by every provider (the mapping row's ``reason``)."""
    advice: Advice = None  # type: ignore[assignment]  # None: derived in __post_init__
    """What next, for a program: derived from the verdict and the reason when not given
    (the table on the docs' Reasons page); a contradicting one is refused (ValueError)."""
    unmapped: str | None = None
    """The value of the field that decides (``source``) that payerr does not know, as sent
    (cleaned): PayKKa ``data.status`` ``"PARTIALLY_CAPTURED"``, Antom ``paymentStatus``. The
    value to map, as ``raw_code`` is for an unknown code; None otherwise."""

    # -- the invariants, kept here and nowhere else ------------------------------------------

    def __post_init__(self) -> None:
        """A category exactly when failed, and ``retryable`` exactly when the category is
        retryable: checked on every construction, ``dataclasses.replace`` included. Plain
        strings are taken for their enum members (``"failed"``); anything else: ValueError."""
        if type(self.outcome) is not Outcome:
            object.__setattr__(self, "outcome", Outcome(self.outcome))
        if self.category is not None and type(self.category) is not Category:
            object.__setattr__(self, "category", Category(self.category))
        if type(self.retryable) is not bool:
            raise ValueError(f"retryable must be a bool, got {self.retryable!r}")
        if (self.category is not None) != (self.outcome == Outcome.FAILED):
            raise ValueError(
                f"a {self.outcome} classification has category {self.category!r}: "
                "a category is set exactly when the outcome is failed"
            )
        if self.retryable != (self.category == Category.RETRYABLE):
            raise ValueError("retryable is True exactly when the category is retryable")
        wait = self.retry_after
        if wait is not None and (
            type(wait) is not float or not 0.0 <= wait < _FOREVER  # NaN fails both
        ):
            if type(wait) is not int or wait < 0:
                raise ValueError(f"retry_after must be None or seconds, 0 or more: got {wait!r}")
            object.__setattr__(self, "retry_after", float(wait))
        if type(self.reason) is not Reason:
            object.__setattr__(self, "reason", Reason(self.reason))
        outcome, category = self.outcome._value_, self.category
        kind = None if category is None else category._value_
        if not reason_fits(self.reason, outcome, kind):
            raise ValueError(
                f"reason {self.reason!s} does not go with a {kind or outcome} verdict "
                "(payerr.Reason lists the verdicts each allows; pending may keep any)"
            )
        never = self.network is not None and self.network.never_retry
        advice = self.advice
        if advice is None:
            advice = advice_for(
                outcome,
                category,
                self.reason,
                source=self.source,
                retry_after=self.retry_after,
                never_retry=never,
            )
            object.__setattr__(self, "advice", advice)
            if not never or self.retry_after is None:
                return  # derived from these very fields: nothing to contradict
        elif type(advice) is not Advice:
            advice = Advice(advice)
            object.__setattr__(self, "advice", advice)
        why = advice_conflict(
            advice,
            outcome,
            category,
            source=self.source,
            retry_after=self.retry_after,
            never_retry=never,
        )
        if why is not None:
            raise ValueError(why)

    @staticmethod
    def consistent(
        outcome: Outcome, category: Category | None
    ) -> tuple[Outcome, Category | None, bool]:
        """``(outcome, category, retryable)`` made consistent: no category unless failed, a
        failure without one is final."""
        if outcome != Outcome.FAILED:
            return outcome, None, False
        category = category if category is not None else Category.FINAL
        return outcome, category, category == Category.RETRYABLE

    @staticmethod
    def defaults(outcome: Outcome, category: Category | None) -> tuple[str, str]:
        """``(action, user_message)`` payerr gives where nothing more specific is known."""
        key: Outcome | Category = category if category is not None else outcome
        return DEFAULT_ACTIONS[key], DEFAULT_USER_MESSAGES[key]

    def reclassified(
        self,
        outcome: Outcome,
        category: Category | None = None,
        *,
        action: str | None = None,
        **changes: object,
    ) -> Classification:
        """This answer with another verdict: the category, ``retryable``, the default action
        and the shopper message follow from it (``action`` overrides the default). A category
        with an outcome other than failed is a caller's mistake: ValueError."""
        if category is not None and outcome != Outcome.FAILED:
            raise ValueError(f"a {outcome} classification has no category (got {category!r})")
        outcome, category, retryable = Classification.consistent(outcome, category)
        default_action, user_message = Classification.defaults(outcome, category)
        changes.setdefault("advice", None)  # derived again from the new verdict
        if "reason" not in changes and not reason_fits(self.reason, outcome, category):
            changes["reason"] = Reason.UNKNOWN  # the provider's reason no longer says why
        return dataclasses.replace(
            self,
            outcome=outcome,
            category=category,
            retryable=retryable,
            action=action or default_action,
            user_message=user_message,
            **changes,  # type: ignore[arg-type]  # field names, checked by replace()
        )

    def rederived(self, **changes: object) -> Classification:
        """A copy with ``changes`` (``retry_after=``, ``source=``...) whose advice is derived
        again, so that it follows them."""
        return dataclasses.replace(self, advice=None, **changes)  # type: ignore[arg-type]

    def in_response(
        self, detail: str | None, http_status: int, operation: Operation = Operation.UNKNOWN
    ) -> Classification:
        """A copy carrying one response's message and status (positional: the hot path)."""
        return Classification(
            self.provider,
            self.code,
            self.raw_code,
            self.message,
            self.outcome,
            self.category,
            self.retryable,
            self.known,
            self.action,
            self.user_message,
            self.retry_after,
            self.retry_hint,
            self.source,
            detail,
            http_status,
            self.repeat or http_status == 409,
            self.retry_at,
            operation,
            self.network,
            self.reason,
            self.advice,
            self.unmapped,
        )

    @property
    def is_success(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    @property
    def is_pending(self) -> bool:
        return self.outcome is Outcome.PENDING

    @property
    def is_failure(self) -> bool:
        return self.outcome is Outcome.FAILED

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr ... --json``; keys are a stable contract."""
        return {
            "provider": self.provider,
            "code": self.code or None,  # no code at all (an unreadable answer): null, not ""
            "raw_code": self.raw_code,
            "known": self.known,
            "outcome": str(self.outcome),
            "category": None if self.category is None else str(self.category),
            "retryable": self.retryable,
            "message": self.message,
            "action": self.action,
            "user_message": self.user_message,
            "retry_after": self.retry_after,
            "retry_hint": self.retry_hint,
            "source": self.source,
            "detail": self.detail,
            "http_status": self.http_status,
            "repeat": self.repeat,
            "retry_at": self.retry_at,
            "operation": str(self.operation),
            "network": None if self.network is None else self.network.as_dict(),
            "reason": str(self.reason),
            "advice": str(self.advice),
            "unmapped": self.unmapped,
        }


SEED_DOCUMENTS = {
    "alipay_plus": "Alipay+ MPP SDK result codes (callbacks)",
    "antom": "Antom web/app checkout SDK reference (event codes, paymentResultCode)",
    "ottpay": "OTT Pay API Appendix B (Response Code)",
    "paykka": "PayKKa transaction errorCode table",
}
"""The titles of the provider documents the shipped rows were first transcribed from."""


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One row of a provider's mapping file: the provider's words, our verdict, provenance.

    Attributes:
        provider: the provider id.
        code: the code, normalised.
        message: the provider's own words for the code.
        description: the provider's longer description, where it gives one.
        provider_action: what the provider's document says to do, verbatim.
        outcome: payerr's verdict: ``success``, ``pending`` or ``failed``.
        category: for a failure: who acts, and whether a retry can help.
        action: what payerr advises the merchant to do.
        user_message: what to tell the shopper.
        retry_after: seconds the mapping suggests before a retry (a hint).
        retry_hint: the provider's own words about retrying.
        group: where the code lives in the provider's answers (``result.resultCode``, ...).
        note: why the row has its verdict, where it needs saying.
        doc_url: the provider's page the row's words come from.
        seed: the provider document the row was first mapped from, where it was.
        spellings: other spellings of the code that mean the same.
        origin: the mapping file the row was read from.
        repeat: the code says the provider already has this request or order.
        operations: the operations this row applies to (empty: all).
        resend: the code asks for the same request to be sent again (a ``U``).
        reason: why, in the vocabulary shared by every provider.
        topic: what the code's answers are about when no operation says it
            (``"card-activation"``: Alipay+'s provisioning callbacks); ``""`` otherwise.

    Example:
        >>> payerr.explain("antom", "USER_BALANCE_NOT_ENOUGH").category
        <Category.USER_ACTION: 'user-action'>
    """

    provider: str
    code: str
    """The code as the provider documents it (lookup is case-insensitive)."""
    message: str
    """The provider's message for the code, verbatim."""
    description: str
    """The provider's longer description, verbatim (may be empty)."""
    provider_action: str
    """What the provider's document tells the integrator to do, verbatim (may be empty)."""
    outcome: Outcome
    category: Category | None
    action: str
    user_message: str
    retry_after: float | None
    retry_hint: str | None
    group: str
    """Where the code appears: ``paymentResultCode``, ``SDK status``, ``rsp_code``, ..."""
    note: str
    """Why we classified it this way, where the provider's words leave room to doubt."""
    doc_url: str
    seed: str
    """The seed document the row was transcribed from (``""`` when it came from the docs)."""
    spellings: tuple[str, ...]
    """Other spellings the source uses for the same code (the Antom SDK doc mixes cases)."""
    origin: str
    """The mapping file the row was loaded from."""
    repeat: bool = False
    """The code says the provider already has this request or order (see
    :attr:`Classification.repeat`)."""
    operations: tuple[Operation, ...] = ()
    """The operations this row is scoped to (``ORDER_NOT_EXIST`` answering an inquiry); empty
    for a row that applies to every operation."""
    resend: bool = False
    """The provider marks the code's result unknown and says to call again with the same
    request (Antom and Alipay+ ``resultStatus`` U): pending, settled by a resend under the
    same request id or by an inquiry."""
    reason: Reason = Reason.UNKNOWN
    """Why, in the vocabulary shared by every provider (:class:`payerr.Reason`)."""
    topic: str = ""
    """What the code's answers are about where no operation says it: ``"card-activation"``
    for Alipay+'s card provisioning callbacks; shopper messages name it."""

    def classification(
        self, *, raw_code: str | None = None, source: str = "code"
    ) -> Classification:
        """The Classification this row stands for."""
        return Classification(
            provider=self.provider,
            code=self.code.strip().upper(),  # row codes are validated ASCII
            raw_code=self.code if raw_code is None else raw_code,
            message=self.message,
            outcome=self.outcome,
            category=self.category,
            retryable=self.category is Category.RETRYABLE,
            known=True,
            action=self.action,
            user_message=self.user_message,
            retry_after=self.retry_after,
            retry_hint=self.retry_hint,
            source=source,
            repeat=self.repeat,
            reason=self.reason,
        )

    @property
    def seed_document(self) -> str:
        """The title of the provider document the row was first transcribed from (``""``
        when the row came from the provider's web pages)."""
        if not self.seed:
            return ""
        return SEED_DOCUMENTS.get(self.provider, f"{self.provider} code table")

    @property
    def document(self) -> str:
        """Where the row's words come from: the document's title and the page's URL."""
        title = self.seed_document
        if not title:
            return self.doc_url
        return f"{title}; {self.doc_url}" if self.doc_url else title

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form used by ``payerr list --json`` and ``payerr export``."""
        return {
            "provider": self.provider,
            "code": self.code,
            "known": True,
            "outcome": str(self.outcome),
            "category": None if self.category is None else str(self.category),
            "retryable": self.category is Category.RETRYABLE,
            "message": self.message,
            "description": self.description,
            "provider_action": self.provider_action,
            "action": self.action,
            "user_message": self.user_message,
            "retry_after": self.retry_after,
            "retry_hint": self.retry_hint,
            "group": self.group,
            "note": self.note,
            "doc_url": self.doc_url,
            "seed": self.seed_document,  # the document's title, not payerr's copy of it
            "document": self.document,
            "spellings": list(self.spellings),
            "repeat": self.repeat,
            "operations": [str(o) for o in self.operations],
            "resend": self.resend,
            "reason": str(self.reason),
            "advice": str(self.classification().advice),
            "topic": self.topic,
        }


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
for _public in (Category, Classification, CodeEntry, Operation, Outcome):
    _public.__module__ = "payerr"
NetworkAdvice.__module__ = "payerr.networks"
