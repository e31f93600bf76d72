"""OTT Pay: ``{rsp_code, rsp_msg, data, md5}`` (docs.ottpay.com/payment-api, Appendix B).

``data`` is AES-encrypted base64 on the wire; once the merchant has decrypted it into an object,
its ``respcode`` (or a query's ``rspCode`` / ``status``, a card API's ``order_status``) is more
specific than ``rsp_code`` and decides; when several are there, they must agree. An unknown
``respcode`` falls back on what ``rsp_code`` says when that is a failure; a successful
``rsp_code`` beside an unknown ``respcode`` never makes the payment a success.
"""

from __future__ import annotations

from typing import Any

from payerr._adapters._base import Fallback, Reading, Unresolved, pending, resolve, text_of
from payerr._table import ProviderTable
from payerr._taxonomy import Classification, Operation, Outcome

__all__ = ["read"]


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    detail = text_of(body.get("rsp_msg"))
    envelope = resolve(table, body.get("rsp_code"), "rsp_code")
    data = body.get("data")
    if isinstance(data, dict):
        fallback = None
        if isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED:
            fallback = Fallback(Outcome.FAILED, envelope.category, "rsp_code")
        found = [name for name in _DATA_FIELDS if name in data]
        data_detail = text_of(data.get("respmsg")) or text_of(data.get("rspMsg")) or detail
        verdicts = [resolve(table, data.get(name), f"data.{name}", fallback) for name in found]
        readings = [v for v in verdicts if v is not None]
        if readings:
            verdict = readings[0]
            outcomes = {v.outcome for v in readings if isinstance(v, Classification)}
            if len(outcomes) > 1 or (
                len(readings) > 1 and any(isinstance(v, Unresolved) for v in readings)
            ):
                # Two of the decrypted fields disagree (respcode SUCCESS, status ORDERCLOSE):
                # never success, nor a claim of failure (docs/ARCHITECTURE.md §3, rule 2).
                why = "the decrypted status fields disagree: " + ", ".join(
                    f"{name}={data.get(name)!r}" for name in found
                )
                return Unresolved(None, f"data.{found[0]}", _NO_RESPCODE, why=why), data_detail
            if isinstance(verdict, Classification) and verdict.is_success and fallback is not None:
                # rsp_code says failure, the data says success: a disagreement is never success.
                why = f"rsp_code failed, data.{found[0]} says {verdict.code}"
                verdict = Unresolved(verdict.raw_code, f"data.{found[0]}", _NO_RESPCODE, why=why)
            return verdict, data_detail
        if found and fallback is None:
            # The decrypted data has the field that decides, and it is empty: a successful
            # rsp_code (the call worked) says nothing of the payment (docs/ARCHITECTURE.md §3, rule
            # 1).
            why = f"data.{found[0]} is empty"
            return Unresolved(None, f"data.{found[0]}", _NO_RESPCODE, why=why), data_detail
    if operation in _QUERIES and isinstance(envelope, Classification) and envelope.is_success:
        # A query's result is in the decrypted data; rsp_code SUCCESS only says the query
        # worked (docs/ARCHITECTURE.md §3, rule 1). Without a readable status: pending.
        why = "no readable status in the decrypted data of a query's answer"
        return Unresolved(None, "data.respcode", _NO_RESPCODE, why=why), detail
    return envelope, detail


# Where the decrypted data carries the transaction's state: respcode (Appendix B), and the query
# APIs' rspCode and status (SUCCESS / ORDERCLOSE / PROCESSING) and the card APIs' order_status.
_DATA_FIELDS = ("respcode", "rspCode", "status", "order_status")
_QUERIES = frozenset({Operation.INQUIRY, Operation.REFUND_INQUIRY, Operation.VAULTING_INQUIRY})
_NO_RESPCODE = pending("data.respcode")
