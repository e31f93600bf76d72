"""OTT Pay's legacy API: ``{rsp_code, rsp_msg, data, md5}`` (docs.ottpay.com/payment-api).

What its pages say: ``rsp_code`` (Appendix B) says whether the API request was processed
("Check API request process status by Response Code"); ``data`` is AES-encrypted on the wire
(Appendix A). In a query's decrypted answer (``STATUS_QUERY``, ``PREPAY_QUERY``,
``CC_QUERYPAY``), ``rspCode`` / ``rspMsg`` are the *inquiry's* own "Inquiry Response code", and
the payment's state is ``status`` (``PREPAY_QUERY``: "SUCCESS": payment successfully,
"ORDERCLOSE": payment fail, "PROCESSING": payment on processing) or ``order_status``
(``STATUS_QUERY``, ``CC_QUERYPAY``). In any other answer the state is ``respcode`` (in-app
UnionPay), ``rspCode`` (``CC_PURCHASE``: "Returned by the Payment Service Provider (e.g.
"PROCESSING")"), ``status`` or ``order_status`` (``PASSIVEPAY``); ``ACTIVEPAY``'s and
``H5PAY``'s answers carry a ``code_url`` or ``payinfo`` instead (the payer has yet to pay).

The order in which an answer is read is :data:`RULES` (the docs' table, "How each provider's
answer is read", is generated from it). An answer without the operation named (no path, no
``action``) whose data carries ``rspCode`` beside ``status`` or ``order_status`` has a query's
documented shape, and is read as one.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Fallback,
    Reading,
    Rule,
    Unresolved,
    first_answer,
    group,
    inquiry_failed,
    pending,
    resolve,
    text_of,
)
from payerr._mappings.operations import QUERIES
from payerr._mappings.table import ProviderTable

__all__ = ["RULES", "read"]

# The payment's state in a query's decrypted data: PREPAY_QUERY's status, STATUS_QUERY's and
# CC_QUERYPAY's order_status; respcode, which no query page documents, as a last resort.
_STATE_FIELDS = ("status", "order_status", "respcode")
# Where any other decrypted answer carries its transaction's state.
_DATA_FIELDS = ("respcode", "rspCode", "status", "order_status")
_REFUNDS = frozenset({Operation.REFUND, Operation.REFUND_NOTIFICATION})


class _Answer:
    """An answer as the rules see it: the envelope, ``data``, and whether it is a query's."""

    __slots__ = (
        "body",
        "data",
        "detail",
        "envelope",
        "inquiry",
        "operation",
        "query",
        "refused",
        "state",
        "table",
    )

    def __init__(self, table: ProviderTable, body: dict[str, Any], operation: Operation) -> None:
        self.table = table
        self.body = body
        self.operation = operation
        detail = text_of(body.get("rsp_msg"))
        self.envelope = envelope = resolve(table, body.get("rsp_code"), "rsp_code")
        self.refused = isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED
        data: Any = body.get("data")
        self.data = data
        self.query = False
        """A query's decrypted answer (the operation says so, or its shape does)."""
        self.inquiry: Classification | Unresolved | None = None
        """A query's own code, ``data.rspCode``."""
        if isinstance(data, dict):
            detail = text_of(data.get("respmsg")) or text_of(data.get("rspMsg")) or detail
            self.query = operation in QUERIES or (
                operation is Operation.UNKNOWN
                and "rspCode" in data
                and ("status" in data or "order_status" in data)
            )
            if self.query:
                self.inquiry = resolve(table, data.get("rspCode"), "data.rspCode")
        self.detail = detail
        """The decrypted data's message, else ``rsp_msg``."""
        self.state: _QueryState | None = None
        """A query's state fields, read by the first rule that needs them."""


class _QueryState:
    """The payment's state fields in a query's data, and what each says."""

    __slots__ = ("data", "fields", "source", "state", "states")

    def __init__(self, a: _Answer, data: dict[str, Any]) -> None:
        self.data = data
        self.fields = fields = [f for f in _STATE_FIELDS if f in data]
        deciding = [f for f in fields if f != "respcode"]
        self.states: list[Classification | Unresolved | None] = []
        self.source: str | None = None
        """The first field that names the payment's state (None: none does)."""
        self.state: Classification | Unresolved | None = None
        if deciding:  # respcode alone decides nothing: no state is read
            self.states = [
                resolve(a.table, data.get(f), f"data.{f}", pending(f"data.{f}")) for f in fields
            ]
            self.source = f"data.{deciding[0]}"
            self.state = self.states[fields.index(deciding[0])]


def _query_state(a: _Answer) -> _QueryState:
    """A query's state fields, read once."""
    if a.state is None:
        a.state = _QueryState(a, a.data)
    return a.state


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """An OTT Pay answer: the first rule of :data:`RULES` that answers."""
    return first_answer(RULES, _Answer(table, body, operation))


def _pending(field: str, why: str, raw: str | None = None) -> Unresolved:
    return Unresolved(raw, field, pending(field), why=why)


# A query's decrypted answer (a.query): the inquiry's codes say whether it worked, the
# payment's state decides.


def _if_query(a: _Answer) -> _Answer | None:
    return a if a.query else None


def _query_unconfirmed(a: _Answer) -> Reading | None:
    if a.envelope is not None and not ("rspCode" in a.data and a.inquiry is None):
        return None
    # Both are required ("rsp_code | Response code | Y", "rspCode | Inquiry Response code
    # | Y"): missing, null or empty, the answer does not say the query worked.
    field = "rsp_code" if a.envelope is None else "data.rspCode"
    why = f"{field} is missing or empty: the answer does not say the query worked"
    return _pending(field, why), a.detail


def _query_failed(a: _Answer) -> Reading | None:
    for field, verdict in (("rsp_code", a.envelope), ("data.rspCode", a.inquiry)):
        if verdict is None or (
            isinstance(verdict, Classification) and verdict.outcome is Outcome.SUCCESS
        ):
            continue
        if isinstance(verdict, Classification) and verdict.outcome is Outcome.FAILED:
            if any(f in a.data for f in _STATE_FIELDS):
                # The inquiry says it failed, yet its data names the payment's state: they
                # contradict each other, so neither decides.
                why = f"{field} {verdict.code} says the inquiry failed, yet data names a state"
                return _pending(field, why, verdict.raw_code), a.detail
            return inquiry_failed(a.table, verdict, field, a.operation), a.detail
        raw = verdict.raw_code
        why = f"the inquiry's own code ({field} {raw!r}) is not a success"
        return _pending(field, why, raw), a.detail
    return None


def _query_without_state(a: _Answer) -> Reading | None:
    if _query_state(a).source is not None:
        return None
    # respcode is documented on a pay's answer only: alone, it says nothing of what the query
    # found (docs.ottpay.com: PREPAY_QUERY's status, STATUS_QUERY's order_status).
    why = "no payment status (status or order_status) in the query's answer"
    return _pending("data.status", why), a.detail


def _query_state_empty(a: _Answer) -> Reading | None:
    q = _query_state(a)
    empty = next((f for f, s in zip(q.fields, q.states, strict=True) if s is None), None)
    if empty is None:
        return None
    return _pending(f"data.{empty}", f"data.{empty} is empty"), a.detail


def _query_states_disagree(a: _Answer) -> Reading | None:
    q = _query_state(a)
    states = q.states
    if len(states) < 2 or (
        all(isinstance(s, Classification) for s in states)
        and len(
            {
                a.table.in_operation(s, a.operation).outcome
                for s in states
                if isinstance(s, Classification)
            }
        )
        <= 1
    ):
        return None
    # Two fields name the payment's state and disagree: never success, nor failed.
    shown = ", ".join(f"{f}={q.data.get(f)!r}" for f in q.fields)
    assert q.source is not None  # states were read: a field decides
    return _pending(q.source, "the decrypted status fields disagree: " + shown), a.detail


def _query_state_decides(a: _Answer) -> Reading | None:
    q = _query_state(a)
    if q.source is None:
        return None
    if a.operation is Operation.REFUND_INQUIRY and not _names_a_refund(q.state):
        # The query pages describe the payment's status ("SUCCESS": payment successfully,
        # "ORDERCLOSE": payment fail): the payment's state is no refund's result.
        why = f"{q.source} names the payment's state, not the refund's"
        return _pending(q.source, why), a.detail
    return q.state, a.detail


def _names_a_refund(verdict: Classification | Unresolved | None) -> bool:
    """Whether a state code speaks of a refund (REFUND_SUCCESS, FULLY_REFUNDED, REF_...), not
    of the payment (SUCCESS, ORDERCLOSE, PROCESSING)."""
    if not isinstance(verdict, Classification):
        return False
    return "REFUND" in verdict.code or verdict.code.startswith("REF_")


# Any other decrypted answer (a pay's, a refund's): its state fields decide, and must agree.


class _Decrypted:
    """Any other decrypted answer, as its rules see it: its state fields, and what each says."""

    __slots__ = ("answer", "data", "fallback", "found", "operation", "readings", "verdicts")

    def __init__(self, a: _Answer, data: dict[str, Any]) -> None:
        self.answer = a
        self.operation = a.operation
        self.data = data
        self.fallback = None
        envelope = a.envelope
        if isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED:
            self.fallback = Fallback(Outcome.FAILED, envelope.category, "rsp_code")
        self.found = [name for name in _DATA_FIELDS if name in data]
        self.verdicts = [
            resolve(a.table, data.get(name), f"data.{name}", self.fallback) for name in self.found
        ]
        self.readings = [v for v in self.verdicts if v is not None]
        """The state fields that hold a value."""


def _if_decrypted(a: _Answer) -> _Decrypted | None:
    data = a.data
    return _Decrypted(a, data) if isinstance(data, dict) and not a.query else None


def _succeeds(d: _Decrypted, verdict: Classification | Unresolved | None) -> bool:
    """Whether ``verdict`` is a success as this operation reads it."""
    return (
        isinstance(verdict, Classification)
        and d.answer.table.in_operation(verdict, d.operation).outcome is Outcome.SUCCESS
    )


def _rsp_code_alone(d: _Decrypted) -> Reading | None:
    if d.operation is not Operation.UNKNOWN or d.found != ["rspCode"] or not d.readings:
        return None
    first = d.readings[0]
    if not (isinstance(first, Classification) and first.outcome is Outcome.SUCCESS):
        return None
    # rspCode alone: a card pay's PSP code (CC_PURCHASE) or a query's "Inquiry Response code",
    # which says nothing of the payment. Without the operation: never success.
    why = "data.rspCode alone, and no operation named (a query's rspCode is the inquiry's)"
    return _pending("data.rspCode", why), d.answer.detail


def _state_field_empty(d: _Decrypted) -> Reading | None:
    if not d.readings or len(d.readings) == len(d.found):
        return None
    # A state field is there, and empty (status null beside respcode SUCCESS): what it would
    # say is not known, so the others cannot decide alone.
    empty = next(n for n, v in zip(d.found, d.verdicts, strict=True) if v is None)
    return _pending(f"data.{empty}", f"data.{empty} is empty"), d.answer.detail


def _state_fields_disagree(d: _Decrypted) -> Reading | None:
    readings, table = d.readings, d.answer.table
    outcomes = {
        table.in_operation(v, d.operation).outcome
        for v in readings
        if isinstance(v, Classification)
    }
    if len(outcomes) < 2 and not (
        len(readings) > 1 and any(isinstance(v, Unresolved) for v in readings)
    ):
        return None
    # Two of the decrypted fields disagree (respcode SUCCESS, status ORDERCLOSE): never
    # success, nor a claim of failure (Architecture#failed-means-not-done).
    shown = ", ".join(f"{name}={d.data.get(name)!r}" for name in d.found)
    why = "the decrypted status fields disagree: " + shown
    return _pending(f"data.{d.found[0]}", why), d.answer.detail


def _success_beside_rsp_code(d: _Decrypted) -> Reading | None:
    if not d.readings:
        return None
    verdict, envelope = d.readings[0], d.answer.envelope
    if not _succeeds(d, verdict) or _succeeds(d, envelope):
        return None
    # The data says success while rsp_code says the request failed, is in process, or is
    # missing (it is required: "rsp_code | Response code | Y"): a disagreement, or half an
    # answer, is never success.
    assert isinstance(verdict, Classification)  # _succeeds
    shown = envelope.code if isinstance(envelope, Classification) else "no rsp_code"
    why = f"rsp_code {shown}, data.{d.found[0]} says {verdict.code}"
    return _pending(f"data.{d.found[0]}", why, verdict.raw_code), d.answer.detail


def _refund_names_payment(d: _Decrypted) -> Reading | None:
    if not d.readings or d.operation not in _REFUNDS:
        return None
    verdict = d.readings[0]
    if not _succeeds(d, verdict) or _names_a_refund(verdict):
        return None
    # SUCCESS (payment successfully), ORDERCLOSE ...: the payment's state, which says nothing
    # of the refund asked for.
    why = f"data.{d.found[0]} names the payment's state, not the refund's"
    return _pending(f"data.{d.found[0]}", why), d.answer.detail


def _cancel_payment_stands(d: _Decrypted) -> Reading | None:
    if not d.readings or d.operation is not Operation.CANCEL:
        return None
    verdict = d.readings[0]
    if not (isinstance(verdict, Classification) and verdict.code == "SUCCESS"):
        return None
    # "SUCCESS": payment successfully: the payment stands, so it was not cancelled.
    why = f"data.{d.found[0]} SUCCESS says the payment stands, not that it was cancelled"
    return _pending(f"data.{d.found[0]}", why), d.answer.detail


def _state_decides(d: _Decrypted) -> Reading | None:
    return (d.readings[0], d.answer.detail) if d.readings else None


def _refused_without_state(d: _Decrypted) -> Reading | None:
    if d.fallback is None:
        return None
    return d.answer.envelope, d.answer.detail  # the request was refused; its data names no state


def _state_empty(d: _Decrypted) -> Reading | None:
    if not d.found:
        return None
    # The field that decides is there, and empty: a successful rsp_code (the call worked) says
    # nothing of the payment (Architecture#success-needs-a-positive-signal).
    field = f"data.{d.found[0]}"
    return _pending(field, f"{field} is empty"), d.answer.detail


def _waits_for_payer(d: _Decrypted) -> Reading | None:
    envelope = d.answer.envelope
    if not (isinstance(envelope, Classification) and envelope.outcome is Outcome.SUCCESS):
        return None
    # ACTIVEPAY's code_url, H5PAY's payinfo: the order exists, the payer has yet to pay.
    why = (
        "the decrypted data carries no transaction state (respcode, rspCode, status or "
        "order_status): a code_url or payinfo answer waits for the payer"
    )
    return _pending("data.respcode", why), d.answer.detail


# No decrypted data (data a string, or missing).


def _if_no_decrypted_data(a: _Answer) -> _Answer | None:
    return None if isinstance(a.data, dict) else a


def _still_encrypted(a: _Answer) -> Reading | None:
    data = a.data
    if not isinstance(data, str) or not data.strip() or a.refused:
        return None
    envelope = a.envelope
    if isinstance(envelope, Classification) and envelope.outcome is Outcome.PENDING:
        return envelope, a.detail
    why = "data is still encrypted: decrypt it (Appendix A) and classify the decrypted answer"
    return _pending("data", why), a.detail


def _query_refused(a: _Answer) -> Reading | None:
    if a.operation not in QUERIES or not a.refused:
        return None
    assert isinstance(a.envelope, Classification)  # refused
    return inquiry_failed(a.table, a.envelope, "rsp_code", a.operation), a.detail


def _success_without_data(a: _Answer) -> Reading | None:
    envelope = a.envelope
    if not (isinstance(envelope, Classification) and envelope.code == "SUCCESS"):
        return None
    # rsp_code SUCCESS says the API request was processed ("Check API request process status by
    # Response Code"); what it did is in data, which every answer carries ("data | Encrypted
    # Data | Y"). Missing or not an object: pending, never success
    # (Architecture#success-needs-a-positive-signal).
    # Codes that name a state themselves (REFUND_SUCCESS, PARTIAL_REFUNDED ...) decide on their
    # own.
    return _pending("data", "no decrypted data to read the transaction's state from"), a.detail


# Any answer.


def _rsp_code(a: _Answer) -> Reading | None:
    return a.envelope, a.detail


_TRUTH = "Architecture: Truth rules"
_API = "docs.ottpay.com/payment-api"
_QUERIES = "docs.ottpay.com/payment-api (STATUS_QUERY, PREPAY_QUERY, CC_QUERYPAY)"

_QUERY: tuple[Rule[_Answer], ...] = (
    Rule(
        "query_unconfirmed",
        "rsp_code or data.rspCode (both required) is missing, null or empty: pending.",
        _QUERIES,
        _query_unconfirmed,
    ),
    Rule(
        "query_failed",
        "rsp_code or data.rspCode (the inquiry's own code) is not a success: pending, unless "
        "the order does not exist or the query could not be made; a failed one beside a "
        "payment state: pending.",
        f"{_QUERIES}; {_TRUTH}",
        _query_failed,
    ),
    Rule(
        "query_without_state",
        "Neither status nor order_status (respcode alone says nothing of a query): pending.",
        _QUERIES,
        _query_without_state,
    ),
    Rule(
        "query_state_empty",
        "status, order_status or respcode present and empty: pending.",
        _TRUTH,
        _query_state_empty,
    ),
    Rule(
        "query_states_disagree",
        "status, order_status and respcode disagree (or one payerr does not know beside "
        "another): pending.",
        _TRUTH,
        _query_states_disagree,
    ),
    Rule(
        "query_state",
        "The payment's state decides: PREPAY_QUERY's status, STATUS_QUERY's and "
        "CC_QUERYPAY's order_status; answering a refund inquiry, a state that names no "
        "refund: pending.",
        _QUERIES,
        _query_state_decides,
    ),
)

_DECRYPTED: tuple[Rule[_Decrypted], ...] = (
    Rule(
        "rsp_code_alone",
        "The operation not named, and the only state field a successful rspCode (maybe a "
        "query's own code): pending.",
        f"{_API} (CC_PURCHASE, STATUS_QUERY)",
        _rsp_code_alone,
    ),
    Rule(
        "state_field_empty",
        "One of respcode, rspCode, status, order_status present and empty beside another: pending.",
        _TRUTH,
        _state_field_empty,
    ),
    Rule(
        "state_fields_disagree",
        "respcode, rspCode, status and order_status disagree: pending.",
        _TRUTH,
        _state_fields_disagree,
    ),
    Rule(
        "success_beside_rsp_code",
        "A success while rsp_code (required) is missing or is no success: pending.",
        f"{_API}; {_TRUTH}",
        _success_beside_rsp_code,
    ),
    Rule(
        "refund_names_payment",
        "Answering a refund, a successful state that names the payment, not a refund "
        "(SUCCESS: payment successfully): pending.",
        _API,
        _refund_names_payment,
    ),
    Rule(
        "cancel_payment_stands",
        "Answering a cancel, SUCCESS (the payment stands): pending.",
        _API,
        _cancel_payment_stands,
    ),
    Rule(
        "state",
        "The first of respcode (in-app UnionPay), rspCode (CC_PURCHASE), status, order_status "
        "(PASSIVEPAY) decides.",
        _API,
        _state_decides,
    ),
    Rule(
        "refused_without_state",
        "No state field, and rsp_code refused the request: rsp_code decides.",
        f"{_API} (Appendix B)",
        _refused_without_state,
    ),
    Rule(
        "state_empty",
        "A state field there and empty: pending.",
        _TRUTH,
        _state_empty,
    ),
    Rule(
        "waits_for_payer",
        "No state field and a successful rsp_code (ACTIVEPAY's code_url, H5PAY's payinfo): "
        "pending, the payer has yet to pay.",
        _API,
        _waits_for_payer,
    ),
)

_NO_DECRYPTED_DATA: tuple[Rule[_Answer], ...] = (
    Rule(
        "still_encrypted",
        "data still encrypted (a string): rsp_code when it says in process, else pending; "
        "unless rsp_code refused the request.",
        f"{_API} (Appendix A)",
        _still_encrypted,
    ),
    Rule(
        "query_refused",
        "A query refused by rsp_code: the inquiry's failure, pending unless the order does not "
        "exist or the query could not be made.",
        f"{_QUERIES}; {_TRUTH}",
        _query_refused,
    ),
    Rule(
        "success_without_data",
        "rsp_code SUCCESS (every answer carries data): pending.",
        f"{_API} (Appendix B: check API request process status by Response Code)",
        _success_without_data,
    ),
)

RULES: tuple[Rule[_Answer], ...] = (
    group(
        "query",
        "A query's decrypted answer (the operation is a query, or not named and data carries "
        "rspCode beside status or order_status): the inquiry's own codes say whether it "
        "worked, the payment's state decides, by these rules:",
        _QUERIES,
        _if_query,
        _QUERY,
    ),
    group(
        "decrypted",
        "Any other decrypted answer (a pay's, a refund's): its state fields decide, and must "
        "agree, by these rules:",
        _API,
        _if_decrypted,
        _DECRYPTED,
    ),
    group(
        "no_decrypted_data",
        "No decrypted data (data a string, or missing), by these rules:",
        f"{_API} (Appendix A)",
        _if_no_decrypted_data,
        _NO_DECRYPTED_DATA,
    ),
    Rule(
        "rsp_code",
        "rsp_code decides (REFUND_SUCCESS, PARTIAL_REFUNDED ... name a state themselves); "
        "none: the HTTP status decides.",
        f"{_API} (Appendix B)",
        _rsp_code,
    ),
)
"""OTT Pay's precedence (legacy API): the first rule that answers decides."""
