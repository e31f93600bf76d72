"""Antom's message signatures, for the simulator: RSA-SHA256 over
``"{METHOD} {path}\\n{client_id}.{time}.{body}"`` (docs.antom.com/ac/ams/digital_signature; the
same content ``com.alipay.ams.api.tools.signature_tool.gen_sign_content`` builds).

Keys travel as Antom hands them to merchants: the base64 body of the PEM, without the
``-----BEGIN ...-----`` lines (the SDK adds them). Private keys are PKCS#1 (``RSA PRIVATE
KEY``), public keys SubjectPublicKeyInfo (``PUBLIC KEY``). Needs ``cryptography`` (installed
with ``pip install 'payerr[antom]'``).
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

__all__ = [
    "AntomKeys",
    "KeyPair",
    "content",
    "new_key_pair",
    "sign",
    "signature_header",
    "verify",
]


@dataclass(frozen=True, slots=True)
class KeyPair:
    """One RSA key pair as Antom key strings: ``private`` (PKCS#1) and ``public`` (SPKI)."""

    private: str
    public: str


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - the [antom] extra brings it
        raise ImportError(
            "signed Antom answers need the 'cryptography' package: pip install 'payerr[antom]'"
        ) from exc
    return hashes, serialization, padding, rsa


def _body(pem: bytes) -> str:
    lines = pem.decode("ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def new_key_pair() -> KeyPair:
    """A fresh 2048-bit RSA key pair."""
    _, serialization, _, rsa = _crypto()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(_body(private), _body(public))


def _pem(body: str, kind: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def content(method: str, path: str, client_id: str, time: str, body: str) -> str:
    """The signed content, as Antom defines it."""
    return f"{method} {path}\n{client_id}.{time}.{body}"


def sign(private_key: str, message: str) -> str:
    """The URL-encoded base64 RSA-SHA256 signature of ``message``."""
    hashes, serialization, padding, _ = _crypto()
    key = serialization.load_pem_private_key(
        _pem(private_key, "RSA PRIVATE KEY").encode(), password=None
    )
    raw = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return quote_plus(base64.b64encode(raw).decode("ascii"))


def verify(public_key: str, message: str, signature: str) -> bool:
    """Whether ``signature`` (URL-encoded base64, as sent) signs ``message``. Never raises."""
    hashes, serialization, padding, _ = _crypto()
    try:
        key = serialization.load_pem_public_key(_pem(public_key, "PUBLIC KEY").encode())
        raw = base64.b64decode(unquote_plus(signature), validate=True)
        key.verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, TypeError, binascii.Error):
        return False
    except Exception:  # cryptography's InvalidSignature
        return False
    return True


def signature_header(signature: str, key_version: str = "1") -> str:
    """The ``Signature`` header value: ``algorithm=RSA256,keyVersion=1,signature=...``."""
    return f"algorithm=RSA256,keyVersion={key_version},signature={signature}"


def signature_of(header: str | None) -> str | None:
    """The signature part of a ``Signature`` header, or None."""
    if not header:
        return None
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "signature" and value:
            return value
    return None


def available() -> bool:
    """Whether ``cryptography`` is installed (the ``[antom]`` extra)."""
    try:
        _crypto()
    except ImportError:
        return False
    return True


class AntomKeys:
    """The simulator's two key pairs, made together on first use: ``antom``, the pair Antom
    signs its answers with, and ``merchant``, the pair whose signatures it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairs: tuple[KeyPair, KeyPair] | None = None

    def pairs(self) -> tuple[KeyPair, KeyPair]:
        """``(antom, merchant)``, made now if they do not exist yet (RSA takes a moment)."""
        with self._lock:
            if self._pairs is None:
                self._pairs = (new_key_pair(), new_key_pair())
            return self._pairs

    @property
    def antom(self) -> KeyPair:
        return self.pairs()[0]

    @property
    def merchant(self) -> KeyPair:
        return self.pairs()[1]

    def sign_as_antom(self, message: str) -> str:
        """``message`` signed with Antom's private key (URL-encoded base64)."""
        return sign(self.antom.private, message)

    def signed_by_merchant(self, message: str, signature: str) -> bool:
        """Whether ``signature`` signs ``message`` with the merchant's private key."""
        return verify(self.merchant.public, message, signature)
