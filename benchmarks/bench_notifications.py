"""verify_notification() on a signed Antom notification, against cryptography's bare RSA
verify of the same signature over the same content, measured in the same run (target: under
100 µs beyond the bare verify).

Run: python benchmarks/bench_notifications.py  (needs pip install 'payerr[notifications]')
"""

from __future__ import annotations

import base64
import json
import sys
from urllib.parse import quote_plus, unquote_plus

from _timing import compare
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import payerr

TARGET_US = 100.0
PATH = "/payments/notify"


def main() -> int:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    body = json.dumps({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentRequestId": "pay_req_01", "paymentId": "20240528000000001",
        "paymentAmount": {"value": "4200", "currency": "SGD"},
    })  # fmt: skip
    content = f"POST {PATH}\nCLIENT.2024-05-28T12:12:12Z.{body}".encode()
    raw = key.sign(content, padding.PKCS1v15(), hashes.SHA256())
    signature = quote_plus(base64.b64encode(raw).decode())
    headers = {
        "signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
        "client-id": "CLIENT",
        "request-time": "2024-05-28T12:12:12Z",
    }
    ledger = payerr.MemoryCallLedger()

    def baseline() -> None:
        # What any verifier must do: decode the header's signature and verify it.
        sig = base64.b64decode(unquote_plus(signature))
        public.verify(sig, content, padding.PKCS1v15(), hashes.SHA256())

    def subject() -> None:
        note = payerr.verify_notification(
            "antom", method="POST", path=PATH, headers=headers, body=body.encode(),
            public_key=pem, ledger=ledger,
        )  # fmt: skip
        note.forget()  # handled elsewhere: the next call is a first delivery again

    base, subj = compare(baseline, subject, number=2_000, rounds=7)
    extra = subj - base
    met = extra < TARGET_US
    print(
        f"verify_notification(antom): {subj:.1f} us per call; cryptography's bare verify "
        f"{base:.1f} us; payerr adds {extra:.1f} us (target under {TARGET_US:g} us: "
        + ("met)" if met else "MISSED)")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
