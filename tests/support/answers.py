"""Provider answers for scripted transports, shaped as the providers' documents shape them.

Envelopes follow Architecture#where-each-provider-fact-lives (facts from the providers' public docs
and official SDKs);
codes and their words come from the seed tables in /work/shared/seeds/ (its README names each
file) or from the Architecture page where a code is beyond the seeds. Every answer is HTTP
200, as Antom and PayKKa send business errors (Architecture#where-each-provider-fact-lives); wrap a
body in another status
where a test needs one.
"""

from __future__ import annotations

from typing import Any

import httpx


def ok(provider: str = "paykka") -> httpx.Response:
    """A success in each provider's own envelope.

    PayKKa: ``ret_code`` "000000" and the order's ``data.status`` SUCCESS
    (Architecture#where-each-provider-fact-lives;
    seed 003: "0000 Success"). Antom: ``result`` with ``resultStatus`` S
    (Architecture#where-each-provider-fact-lives). OTT
    Pay:
    ``rsp_code`` SUCCESS, "success" (seed 002, Appendix B).
    """
    bodies: dict[str, Any] = {
        "paykka": {"ret_code": "000000", "ret_msg": "success", "data": {"status": "SUCCESS"}},
        "antom": {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"}},
        "ottpay": {"rsp_code": "SUCCESS", "rsp_msg": "success"},
    }
    return httpx.Response(200, json=bodies[provider])


def antom(code: str, status: str, message: str = "") -> httpx.Response:
    """Antom's (and Alipay+'s) ``result`` object: every answer carries resultCode, resultStatus
    (S / F / U) and resultMessage (Architecture#where-each-provider-fact-lives; codes from seed 001
    and Architecture#where-each-provider-fact-lives)."""
    result = {"resultCode": code, "resultStatus": status, "resultMessage": message}
    return httpx.Response(200, json={"result": result})


def paykka_failure(code: str, description: str = "from PayKKa") -> httpx.Response:
    """PayKKa's business error: the gateway's ``ret_code`` "000000" and the transaction's
    ``error_code`` / ``error_description`` inside ``data`` with status FAILURE
    (Architecture#where-each-provider-fact-lives;
    codes from seed 003's transaction errorCode table, e.g. 5004 "Insufficient funds")."""
    data = {"status": "FAILURE", "error_code": code, "error_description": description}
    return httpx.Response(200, json={"ret_code": "000000", "ret_msg": "success", "data": data})


def ottpay(code: str, message: str) -> httpx.Response:
    """OTT Pay's ``{rsp_code, rsp_msg}`` (Architecture#where-each-provider-fact-lives,
    docs.ottpay.com/payment-api; codes and
    messages from seed 002, "Appendix B (Response Code)")."""
    return httpx.Response(200, json={"rsp_code": code, "rsp_msg": message})
