"""Classify SDK callback codes and HTTP answers from all four providers.

Run: python examples/classify_answers.py
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

import payerr

HERE = Path(__file__).parent


def show(label: str, c: payerr.Classification) -> None:
    verdict = f"{c.outcome}/{c.category}" if c.category else str(c.outcome)
    print(f"{label:<44} {c.code or '-':<26} {verdict:<22} known={c.known}  -> {c.action}")


def main() -> None:
    # Bare codes, as SDK callbacks and webhooks deliver them.
    show("Alipay+ onTransactionFailed(10005)", payerr.classify("alipay_plus", 10005))
    show(
        "Antom SDK event SDK_Payment_SUCCESSFUL", payerr.classify("antom", "SDK_Payment_SUCCESSFUL")
    )
    show("PayKKa errorCode 0000", payerr.classify("paykka", "0000"))

    # Whole HTTP answers: the envelope decides where it can, the HTTP status where it cannot.
    for name, provider in [
        ("antom_inquiry_declined.json", "antom"),
        ("antom_pay_in_process.json", "antom"),
        ("paykka_blacklisted.json", "paykka"),
        ("ottpay_user_paying.json", "ottpay"),
    ]:
        body = (HERE / "responses" / name).read_bytes()
        show(name, payerr.classify_response(provider, httpx.Response(200, content=body)))

    limited = httpx.Response(429, headers={"Retry-After": "3"}, text="Too Many Requests")
    c = payerr.classify_response("paykka", limited)
    show("PayKKa HTTP 429 Retry-After: 3", c)
    print(f"{'':<44} retry_after={c.retry_after}")

    # Risk declines: the shopper gets a neutral message, never the reason.
    risk = payerr.classify_response(
        "paykka",
        httpx.Response(200, content=(HERE / "responses" / "paykka_blacklisted.json").read_bytes()),
    )
    print(json.dumps({"shopper_sees": risk.user_message, "ops_see": risk.message}, indent=2))


if __name__ == "__main__":
    main()
