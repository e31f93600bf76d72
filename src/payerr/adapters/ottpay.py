"""OTT Pay: ``{rsp_code, rsp_msg, data, md5}`` (docs.ottpay.com/payment-api, Appendix B).

``data`` is AES-encrypted base64 on the wire; once the merchant has decrypted it into an object,
its ``respcode`` / ``respmsg`` is more specific than ``rsp_code`` and decides. An unknown
``respcode`` falls back on what ``rsp_code`` says when that is a failure; a successful
``rsp_code`` beside an unknown ``respcode`` never makes the payment a success.
"""

from __future__ import annotations

from typing import Any

from payerr.adapters._base import Fallback, Reading, Unresolved, decide, pending, text_of
from payerr.mappings import ProviderTable
from payerr.taxonomy import Classification, Operation, Outcome

__all__ = ["read"]


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    detail = text_of(body.get("rsp_msg"))
    envelope = decide(table, body.get("rsp_code"), "rsp_code")
    data = body.get("data")
    if isinstance(data, dict):
        fallback = None
        if isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED:
            fallback = Fallback(Outcome.FAILED, envelope.category, "rsp_code")
        verdict = decide(table, data.get("respcode"), "data.respcode", fallback)
        if isinstance(verdict, Classification) and verdict.is_success and fallback is not None:
            # rsp_code says failure, respcode says success: a disagreement is never success.
            why = f"rsp_code failed, data.respcode says {verdict.code}"
            verdict = Unresolved(verdict.raw_code, "data.respcode", _NO_RESPCODE, why=why)
        if verdict is not None:
            return verdict, text_of(data.get("respmsg")) or detail
        if "respcode" in data and fallback is None:
            # The decrypted data has the field that decides, and it is empty: a successful
            # rsp_code (the call worked) says nothing of the payment (DESIGN.md 6, rule 1).
            return Unresolved(None, "data.respcode", _NO_RESPCODE, why="data.respcode is empty"), (
                text_of(data.get("respmsg")) or detail
            )
    if operation in _QUERIES and isinstance(envelope, Classification) and envelope.is_success:
        # A query's result is the decrypted data.respcode; rsp_code SUCCESS only says the query
        # worked (DESIGN.md 2 and 6, rule 1). Without a readable respcode: pending.
        why = "no readable data.respcode in a query's answer"
        return Unresolved(None, "data.respcode", _NO_RESPCODE, why=why), detail
    return envelope, detail


_QUERIES = frozenset({Operation.INQUIRY, Operation.REFUND_INQUIRY, Operation.VAULTING_INQUIRY})
_NO_RESPCODE = pending("data.respcode")
