"""The reason vocabulary and the machine-readable next step (advice), as data.

Every mapping row names one :class:`Reason`: *why*, in words shared by every provider, so a
dashboard groups "insufficient funds" from Antom, Alipay+, OTT Pay and PayKKa as one thing.
:class:`Advice` is *what next*, derived from the verdict and the reason by one table
(:func:`advice_for`), so it can never contradict the outcome, the category, ``retryable`` or
``retry_after``; :func:`advice_conflict` is the check every Classification runs.

This module imports nothing of payerr's: the tables key on the taxonomy's values as strings
(``Category.USER_ACTION == "user-action"``, and StrEnum members hash as their values).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ADVICE_ALLOWED",
    "RESEND_SOURCE",
    "STRIPE_DECLINE_CODES",
    "Advice",
    "Reason",
    "advice_conflict",
    "advice_for",
    "reason_conflict",
    "reason_fits",
    "status_reason",
    "verdict_key",
]

RESEND_SOURCE = "result.resultStatus"
"""The source of a *pending* verdict that Antom's or Alipay+'s ``resultStatus`` U decided
with a code whose result is unknown (not in process): a resend of the same request, under
the same request id, settles it (docs.antom.com/ac/ams/idempotency). The transports resend
these when the request is replay-safe, as they resend retryable failures."""


class Reason(StrEnum):
    """Why: one unified reason per mapping row, the same for the same real-world cause at
    every provider.

    A reason names what the provider said. The outcome may still be payerr's caution: a
    ``duplicate_request`` answered to a resend is *pending* (outcome unknown), not failed. The
    definitions, and the Stripe decline codes they match, are on the docs site's Reasons page.

    Example:
        >>> payerr.classify("paykka", "5004").reason
        <Reason.INSUFFICIENT_FUNDS: 'insufficient_funds'>
    """

    # -- not failures -------------------------------------------------------------------
    SUCCEEDED = "succeeded"
    """The operation completed as asked."""
    LIFECYCLE_EVENT = "lifecycle_event"
    """An SDK event that reports progress (loading, a redirect), not a result."""
    PROCESSING = "processing"
    """Accepted and still in progress at the provider (a review, an asynchronous refund)."""
    AWAITING_PAYER = "awaiting_payer"
    """Waiting for the payer to pay, confirm or finish in their app or wallet."""
    UNKNOWN = "unknown"
    """Not known: an unmapped code, an unreadable answer, a result not decided yet."""

    # -- the payer, the card, the account -------------------------------------------------
    INSUFFICIENT_FUNDS = "insufficient_funds"
    """The payer's balance or credit is not enough for the amount."""
    CARD_EXPIRED = "card_expired"
    """The card has expired."""
    INCORRECT_CVC = "incorrect_cvc"
    """The card security code (CVV, CVC) is wrong or failed verification."""
    INCORRECT_PIN = "incorrect_pin"
    """The PIN or payment password is wrong."""
    INVALID_CARD = "invalid_card"
    """The card number, expiry date or card token is invalid or unknown to the issuer."""
    CARD_NOT_SUPPORTED = "card_not_supported"
    """This card, card brand or card type cannot be used for this payment."""
    CARD_NOT_ACTIVE = "card_not_active"
    """The card or its token is not active: not yet activated, deactivated or suspended."""
    CARD_RESTRICTED = "card_restricted"
    """The issuer restricts the card (it cannot be used at all, or not for this)."""
    LOST_OR_STOLEN_CARD = "lost_or_stolen_card"
    """The card is reported lost or stolen, or the issuer asks for it to be picked up."""
    DO_NOT_HONOR = "do_not_honor"
    """The issuer declined without giving a reason."""
    GENERIC_DECLINE = "generic_decline"
    """Declined by the payment method, wallet or card scheme, without a more specific reason."""
    LIMIT_EXCEEDED = "limit_exceeded"
    """An amount or count limit of the payer, the card or the payment method is exceeded."""
    AUTHENTICATION_REQUIRED = "authentication_required"
    """The payer must authenticate (3-D Secure, a device verification such as CDCVM, KYC)."""
    AUTHENTICATION_FAILED = "authentication_failed"
    """The payer's authentication or verification failed or was refused."""
    ADDRESS_VERIFICATION_FAILED = "address_verification_failed"
    """The billing or shipping address, or the postal code, failed verification."""
    PAYMENT_CODE_INVALID = "payment_code_invalid"
    """A payment code, QR code, BLIK code or authorization code is invalid or expired."""
    SESSION_EXPIRED = "session_expired"
    """The checkout session, payment link or encrypted card data expired or changed."""
    DEVICE_NOT_SUPPORTED = "device_not_supported"
    """The payer's device or app does not meet the requirements (too old, not secure)."""
    PAYER_ACCOUNT_UNAVAILABLE = "payer_account_unavailable"
    """The payer's account at the payment method is closed, frozen, restricted or unknown."""
    INTERRUPTED = "interrupted"
    """The payer's attempt was interrupted (the phone left the terminal's field): the payer
    can simply present it again."""
    USER_CANCELLED = "user_cancelled"
    """The payer cancelled or left the payment."""
    AGREEMENT_INACTIVE = "agreement_inactive"
    """A stored payment agreement or card token is not active (expired, revoked, never set
    up): the payer sets it up again."""
    PAYMENT_METHOD_NOT_SUPPORTED = "payment_method_not_supported"
    """The payment method is unavailable or not supported for this payment or merchant."""
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    """The currency (or the currency pair to convert) is not supported."""
    INVALID_AMOUNT = "invalid_amount"
    """The amount is invalid: malformed, too small, or changed since the order was made."""

    # -- risk ------------------------------------------------------------------------------
    SUSPECTED_FRAUD = "suspected_fraud"
    """Refused by fraud or risk controls (a blacklist, a security review that refused)."""
    COMPLIANCE_RESTRICTION = "compliance_restriction"
    """Refused by a regulation or policy rule (prohibited goods, a regulatory restriction)."""

    # -- the merchant's integration and account ----------------------------------------------
    INVALID_SIGNATURE = "invalid_signature"
    """The request's signature is missing, wrong or expired."""
    INVALID_CREDENTIALS = "invalid_credentials"
    """The client id, access token, API key or a key pair is invalid, unknown or missing."""
    INVALID_REQUEST = "invalid_request"
    """A parameter is missing or malformed, or the API, method or media type is wrong."""
    MERCHANT_NOT_ENABLED = "merchant_not_enabled"
    """The merchant's account, contract, product or permission is not set up or is disabled."""
    MERCHANT_FUNDS_INSUFFICIENT = "merchant_funds_insufficient"
    """The merchant's balance cannot cover the operation (usually a refund)."""

    # -- the order and its state ----------------------------------------------------------------
    DUPLICATE_REQUEST = "duplicate_request"
    """The provider already has this request or order (the same id, maybe other content)."""
    ORDER_NOT_FOUND = "order_not_found"
    """The order, payment, refund or authorization asked about does not exist."""
    ORDER_CLOSED = "order_closed"
    """The order is closed, cancelled, reversed or expired."""
    ORDER_STATE_INVALID = "order_state_invalid"
    """The order's current state does not allow this operation (a dispute, not captured yet)."""
    PAYMENT_REFUNDED = "payment_refunded"
    """The payment has been refunded."""
    OPERATION_NOT_ALLOWED = "operation_not_allowed"
    """This operation is not supported for this payment, method, card, region or contract."""
    REFUND_WINDOW_EXPIRED = "refund_window_expired"
    """The period in which a refund is allowed has passed."""
    CANCEL_WINDOW_EXPIRED = "cancel_window_expired"
    """The period in which a cancellation is allowed has passed."""
    AMOUNT_EXCEEDS_AVAILABLE = "amount_exceeds_available"
    """A refund or capture asks for more than remains of the payment or authorization."""

    # -- transient trouble ---------------------------------------------------------------------
    RATE_LIMITED = "rate_limited"
    """Too many requests: the provider's rate limit."""
    PROVIDER_ERROR = "provider_error"
    """An error in the provider's systems."""
    NETWORK_ERROR = "network_error"
    """The network between the parties failed (a timeout, a dropped connection)."""
    ISSUER_UNAVAILABLE = "issuer_unavailable"
    """The issuing bank or the payment method's own system is unavailable or failed."""


class Advice(StrEnum):
    """What next, for a program: derived from the verdict and the reason, never contradicting
    them (checked on every Classification).

    Example:
        >>> payerr.classify("antom", "CARD_EXPIRED").advice
        <Advice.UPDATE_PAYMENT_DETAILS: 'update_payment_details'>
    """

    NONE = "none"
    """Nothing to do: it succeeded, or it is not a result."""
    RETRY_SAME = "retry_same"
    """Resend the same request, under the same idempotency key or request id, after the
    backoff or ``retry_after``. The transports do this themselves when it is replay-safe."""
    RETRY_LATER = "retry_later"
    """Do not resend now; a new attempt may follow after ``retry_after`` (the provider or the
    card network names the wait)."""
    INQUIRE = "inquire"
    """The outcome is not final or not known: wait for the notification or inquire; never
    start over under a new id."""
    STEP_UP = "step_up"
    """Authenticate the payer (3-D Secure, CDCVM, the wallet's verification), then pay again."""
    UPDATE_PAYMENT_DETAILS = "update_payment_details"
    """Ask the payer to correct or re-enter the details (card number, CVC, code, address)."""
    TRY_ANOTHER_METHOD = "try_another_method"
    """Ask the payer for another card or payment method."""
    CONTACT_ISSUER = "contact_issuer"
    """The payer should contact their bank or payment provider (or use another method)."""
    FIX_INTEGRATION = "fix_integration"
    """The merchant's integration or account needs fixing; resending changes nothing."""
    DO_NOT_RETRY = "do_not_retry"
    """Final: do not resend and do not reattempt this payment with the same details."""


# -- the tables ----------------------------------------------------------------------------

_R = Reason
_PENDING = "pending"
_FAILED_KEYS = ("retryable", "user-action", "merchant-config", "risk", "final")
_ALL = frozenset({"success", "pending", "info", *_FAILED_KEYS})

REASON_VERDICTS: dict[Reason, frozenset[str]] = {
    _R.SUCCEEDED: frozenset({"success"}),
    _R.LIFECYCLE_EVENT: frozenset({"info"}),
    _R.PROCESSING: frozenset({_PENDING}),
    _R.AWAITING_PAYER: frozenset({_PENDING}),
    _R.UNKNOWN: _ALL,
    _R.INSUFFICIENT_FUNDS: frozenset({"user-action"}),
    _R.CARD_EXPIRED: frozenset({"user-action"}),
    _R.INCORRECT_CVC: frozenset({"user-action"}),
    _R.INCORRECT_PIN: frozenset({"user-action"}),
    _R.INVALID_CARD: frozenset({"user-action", "final", "merchant-config"}),
    _R.CARD_NOT_SUPPORTED: frozenset({"user-action", "final", "merchant-config"}),
    _R.CARD_NOT_ACTIVE: frozenset({"user-action", "final"}),
    _R.CARD_RESTRICTED: frozenset({"risk", "user-action"}),
    _R.LOST_OR_STOLEN_CARD: frozenset({"risk"}),
    _R.DO_NOT_HONOR: frozenset({"user-action", "final"}),
    _R.GENERIC_DECLINE: frozenset({"user-action", "final"}),
    _R.LIMIT_EXCEEDED: frozenset({"user-action", "risk"}),
    _R.AUTHENTICATION_REQUIRED: frozenset({"user-action", _PENDING}),
    _R.AUTHENTICATION_FAILED: frozenset({"user-action", "final"}),
    _R.ADDRESS_VERIFICATION_FAILED: frozenset({"user-action"}),
    _R.PAYMENT_CODE_INVALID: frozenset({"user-action"}),
    _R.SESSION_EXPIRED: frozenset({"user-action", "merchant-config", "final"}),
    _R.DEVICE_NOT_SUPPORTED: frozenset({"user-action", "final"}),
    _R.PAYER_ACCOUNT_UNAVAILABLE: frozenset({"user-action", "final"}),
    _R.INTERRUPTED: frozenset({"user-action"}),
    _R.USER_CANCELLED: frozenset({"user-action", "final"}),
    _R.AGREEMENT_INACTIVE: frozenset({"user-action", "merchant-config", "final"}),
    _R.PAYMENT_METHOD_NOT_SUPPORTED: frozenset({"user-action", "merchant-config", "final"}),
    _R.CURRENCY_NOT_SUPPORTED: frozenset({"merchant-config", "user-action"}),
    _R.INVALID_AMOUNT: frozenset({"merchant-config", "user-action"}),
    _R.SUSPECTED_FRAUD: frozenset({"risk"}),
    _R.COMPLIANCE_RESTRICTION: frozenset({"risk", "final", "merchant-config"}),
    _R.INVALID_SIGNATURE: frozenset({"merchant-config"}),
    _R.INVALID_CREDENTIALS: frozenset({"merchant-config"}),
    _R.INVALID_REQUEST: frozenset({"merchant-config", "user-action"}),
    _R.MERCHANT_NOT_ENABLED: frozenset({"merchant-config", "final"}),
    _R.MERCHANT_FUNDS_INSUFFICIENT: frozenset({"merchant-config"}),
    _R.DUPLICATE_REQUEST: frozenset({"final", "merchant-config", _PENDING, "info"}),
    _R.ORDER_NOT_FOUND: frozenset({"final", "merchant-config"}),
    _R.ORDER_CLOSED: frozenset({"final"}),
    _R.ORDER_STATE_INVALID: frozenset({"final"}),
    _R.PAYMENT_REFUNDED: frozenset({"final", _PENDING}),
    _R.OPERATION_NOT_ALLOWED: frozenset({"final", "merchant-config"}),
    _R.REFUND_WINDOW_EXPIRED: frozenset({"final"}),
    _R.CANCEL_WINDOW_EXPIRED: frozenset({"final"}),
    _R.AMOUNT_EXCEEDS_AVAILABLE: frozenset({"final", "merchant-config"}),
    _R.RATE_LIMITED: frozenset({"retryable", _PENDING}),
    _R.PROVIDER_ERROR: frozenset({"retryable", _PENDING, "final"}),
    _R.NETWORK_ERROR: frozenset({"retryable", _PENDING}),
    _R.ISSUER_UNAVAILABLE: frozenset({"retryable", _PENDING}),
}
"""The verdicts (an outcome, or a failure's category) each reason allows: a mapping row whose
verdict is not among them is refused when it loads (``suspected_fraud`` is always risk)."""

STRIPE_DECLINE_CODES: dict[Reason, tuple[str, ...]] = {
    _R.INSUFFICIENT_FUNDS: ("insufficient_funds",),
    _R.CARD_EXPIRED: ("expired_card",),
    _R.INCORRECT_CVC: ("incorrect_cvc", "invalid_cvc"),
    _R.INCORRECT_PIN: ("incorrect_pin", "invalid_pin"),
    _R.INVALID_CARD: ("incorrect_number", "invalid_number", "invalid_expiry_year"),
    _R.CARD_NOT_SUPPORTED: ("card_not_supported",),
    _R.CARD_RESTRICTED: ("restricted_card",),
    _R.LOST_OR_STOLEN_CARD: ("lost_card", "stolen_card", "pickup_card"),
    _R.DO_NOT_HONOR: ("do_not_honor",),
    _R.GENERIC_DECLINE: ("generic_decline",),
    _R.LIMIT_EXCEEDED: ("card_velocity_exceeded", "withdrawal_count_limit_exceeded"),
    _R.AUTHENTICATION_REQUIRED: ("authentication_required",),
    _R.ADDRESS_VERIFICATION_FAILED: ("incorrect_address", "incorrect_zip"),
    _R.PAYER_ACCOUNT_UNAVAILABLE: ("invalid_account",),
    _R.CURRENCY_NOT_SUPPORTED: ("currency_not_supported",),
    _R.INVALID_AMOUNT: ("invalid_amount",),
    _R.SUSPECTED_FRAUD: ("fraudulent", "merchant_blacklist"),
    _R.DUPLICATE_REQUEST: ("duplicate_transaction",),
    _R.OPERATION_NOT_ALLOWED: ("transaction_not_allowed",),
    _R.PROVIDER_ERROR: ("processing_error", "try_again_later"),
    _R.ISSUER_UNAVAILABLE: ("issuer_not_available",),
}
"""Stripe's ``decline_code`` values each reason corresponds to, where Stripe has one
(docs.stripe.com/declines/codes)."""

ADVICE_ALLOWED: dict[str, frozenset[Advice]] = {
    "success": frozenset({Advice.NONE}),
    "info": frozenset({Advice.NONE}),
    _PENDING: frozenset({Advice.INQUIRE, Advice.RETRY_SAME}),
    "retryable": frozenset({Advice.RETRY_SAME}),
    "user-action": frozenset(
        {
            Advice.STEP_UP,
            Advice.UPDATE_PAYMENT_DETAILS,
            Advice.TRY_ANOTHER_METHOD,
            Advice.CONTACT_ISSUER,
            Advice.RETRY_LATER,
            Advice.DO_NOT_RETRY,
        }
    ),
    "merchant-config": frozenset({Advice.FIX_INTEGRATION}),
    "risk": frozenset({Advice.DO_NOT_RETRY, Advice.TRY_ANOTHER_METHOD, Advice.RETRY_LATER}),
    "final": frozenset({Advice.DO_NOT_RETRY, Advice.RETRY_LATER}),
}
"""The advice each verdict allows: a retryable failure is resent as it is, a merchant-config
one needs fixing first, a pending one is inquired (or resent under its id, when the provider
says so), and only a failure that is not retryable may say ``retry_later``."""

_USER_ADVICE: dict[Reason, Advice] = {
    _R.AUTHENTICATION_REQUIRED: Advice.STEP_UP,
    _R.CARD_EXPIRED: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INCORRECT_CVC: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INCORRECT_PIN: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INVALID_CARD: Advice.UPDATE_PAYMENT_DETAILS,
    _R.ADDRESS_VERIFICATION_FAILED: Advice.UPDATE_PAYMENT_DETAILS,
    _R.PAYMENT_CODE_INVALID: Advice.UPDATE_PAYMENT_DETAILS,
    _R.SESSION_EXPIRED: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INVALID_REQUEST: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INVALID_AMOUNT: Advice.UPDATE_PAYMENT_DETAILS,
    _R.INTERRUPTED: Advice.UPDATE_PAYMENT_DETAILS,
    _R.AGREEMENT_INACTIVE: Advice.UPDATE_PAYMENT_DETAILS,
    _R.DO_NOT_HONOR: Advice.CONTACT_ISSUER,
    _R.CARD_RESTRICTED: Advice.CONTACT_ISSUER,
    _R.CARD_NOT_ACTIVE: Advice.CONTACT_ISSUER,
    _R.PAYER_ACCOUNT_UNAVAILABLE: Advice.CONTACT_ISSUER,
    _R.USER_CANCELLED: Advice.DO_NOT_RETRY,
}
"""A payer's failure's next step by reason; any other reason: ``try_another_method``."""

_VERDICT_ADVICE: dict[str, Advice] = {
    "success": Advice.NONE,
    "info": Advice.NONE,
    "retryable": Advice.RETRY_SAME,
    "merchant-config": Advice.FIX_INTEGRATION,
    "risk": Advice.DO_NOT_RETRY,
    "final": Advice.DO_NOT_RETRY,
}


_DECLINE_KEYS = frozenset({"user-action", "risk", "final"})


def verdict_key(outcome: str, category: str | None) -> str:
    """``"success"``, ``"pending"``, ``"info"``, or a failure's category."""
    return category if category is not None else outcome


def advice_for(
    outcome: str,
    category: str | None,
    reason: Reason,
    *,
    source: str = "",
    retry_after: float | None = None,
    never_retry: bool = False,
) -> Advice:
    """The next step for a verdict and a reason (the one table; see :class:`Advice`).

    Pending is ``inquire``, except an unknown result the provider settles by a resend of the
    same request (:data:`RESEND_SOURCE`): ``retry_same``. A failure that is not retryable
    and would say ``do_not_retry`` says ``retry_later`` when a wait is named. A decline whose
    card network says never to reattempt the card (``never_retry``) says ``do_not_retry``,
    whatever its reason: never wins.
    """
    key = verdict_key(outcome, category)
    if key == _PENDING:
        return Advice.RETRY_SAME if source == RESEND_SOURCE else Advice.INQUIRE
    if never_retry and key in _DECLINE_KEYS:
        return Advice.DO_NOT_RETRY  # the network: never this card again, whatever the reason
    advice = (
        _USER_ADVICE.get(reason, Advice.TRY_ANOTHER_METHOD)
        if key == "user-action"
        else _VERDICT_ADVICE[key]
    )
    if advice is Advice.DO_NOT_RETRY and retry_after is not None and not never_retry:
        return Advice.RETRY_LATER
    return advice


def advice_conflict(
    advice: Advice,
    outcome: str,
    category: str | None,
    *,
    source: str,
    retry_after: float | None,
    never_retry: bool = False,
) -> str | None:
    """Why ``advice`` contradicts the verdict, or None when it does not."""
    key = verdict_key(outcome, category)
    if advice not in ADVICE_ALLOWED[key]:
        return f"advice {advice!s} contradicts a {key} verdict"
    if advice is Advice.RETRY_SAME and key == _PENDING and source != RESEND_SOURCE:
        return (
            "advice retry_same on a pending verdict is only for a result the provider settles "
            f"by a resend ({RESEND_SOURCE} U)"
        )
    if advice is Advice.DO_NOT_RETRY and retry_after is not None and not never_retry:
        return "advice do_not_retry contradicts a retry_after"
    if never_retry and key in _DECLINE_KEYS:
        if advice is not Advice.DO_NOT_RETRY:
            return f"advice {advice!s} contradicts the card network's never_retry"
        if retry_after is not None:
            return "a retry_after contradicts the card network's never_retry"
    if advice is Advice.RETRY_LATER and retry_after is None:
        return "advice retry_later names no wait (retry_after is None)"
    return None


_ALLOWED_BY_VALUE = {r.value: allowed for r, allowed in REASON_VERDICTS.items()}


def reason_fits(reason: Reason, outcome: str, category: str | None) -> bool:
    """Whether a Classification may carry ``reason``: its verdict is one the reason allows,
    or it is pending (outcome unknown keeps what the provider said: a "duplicate" answered to
    a resend, a decline under an HTTP status that contradicts it). String keys: cheap."""
    if outcome == _PENDING:
        return True
    return (category if category is not None else outcome) in _ALLOWED_BY_VALUE[reason._value_]


def reason_conflict(reason: Reason, outcome: str, category: str | None) -> str | None:
    """Why ``reason`` cannot go with the verdict (``suspected_fraud`` is always risk), or None."""
    allowed = REASON_VERDICTS[reason]
    key = verdict_key(outcome, category)
    if key in allowed:
        return None
    return f"reason {reason!s} goes only with {', '.join(sorted(allowed))}, not {key}"


_STATUS_REASONS: dict[int, Reason] = {
    401: Reason.INVALID_CREDENTIALS,
    403: Reason.INVALID_CREDENTIALS,
    408: Reason.NETWORK_ERROR,
    409: Reason.DUPLICATE_REQUEST,
    429: Reason.RATE_LIMITED,
    **dict.fromkeys(
        (400, 404, 405, 406, 411, 413, 414, 415, 422, 501, 505), Reason.INVALID_REQUEST
    ),
}


def status_reason(status: int) -> Reason:
    """What an HTTP status alone says of the reason, for an answer without a code: 429 rate
    limited, 401/403 credentials, 409 a duplicate, a malformed request's 4xx, any other 5xx a
    provider error; anything else unknown."""
    reason = _STATUS_REASONS.get(status)
    if reason is not None:
        return reason
    return Reason.PROVIDER_ERROR if 500 <= status < 600 else Reason.UNKNOWN


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
for _public in (Advice, Reason):
    _public.__module__ = "payerr"
