"""Notifications signed as the providers sign them, by code that is not payerr's: Antom's
official SDK signer (``com.alipay.ams.api.tools.signature_tool.sign``) with a key pair made
here (docs.antom.com/ac/ams/digital_signature)."""

from __future__ import annotations

import json
from typing import Any

from com.alipay.ams.api.tools.signature_tool import (  # type: ignore[import-untyped]
    sign as antom_sign,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PATH = "/payments/notify"
CLIENT_ID = "SANDBOX_5YBZ1A2ZTRMG04123"
TIME = "2024-05-28T12:12:12+08:00"


def keypair() -> tuple[str, str]:
    """(private key as the SDK takes it, public key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


PRIVATE, PUBLIC = keypair()
OTHER_PRIVATE, _ = keypair()


def antom_body(code: str = "SUCCESS", status: str = "S", **fields: Any) -> str:
    """A notifyPayment body as docs.antom.com/ac/ams/paymentrn_online shows it."""
    body = {
        "notifyType": fields.pop("notifyType", "PAYMENT_RESULT"),
        "result": {"resultCode": code, "resultStatus": status, "resultMessage": "message"},
        "paymentRequestId": "pay_req_01",
        "paymentId": "20240528000000001",
        "paymentAmount": {"value": "4200", "currency": "SGD"},
        **fields,
    }
    return json.dumps(body, indent=1)


def signed(body: str, *, path: str = PATH, private: str = PRIVATE) -> dict[str, str]:
    signature = antom_sign("POST", path, CLIENT_ID, TIME, body, private)
    return {
        "Content-Type": "application/json",
        "Signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
        "Client-Id": CLIENT_ID,
        "Request-Time": TIME,
    }
