"""Verified notifications: check the provider's signature, classify, deduplicate, acknowledge.

A notification is a request *to* the merchant; anyone can send one. payerr believes it only
after the provider's signature checks out over the exact bytes received:

- **Antom** (docs.antom.com/ac/ams/digital_signature; global.alipay.com/docs/ac/ams/
  digital_signature): header ``signature: algorithm=RSA256,keyVersion=N,signature=S`` over
  ``"<METHOD> <path>\\n<client-id>.<request-time>.<body>"``, SHA256withRSA (PKCS#1 v1.5) with
  Antom's public key; ``S`` is standard base64, then URL-encoded (the page's formula and its
  Java sample; the official Python SDK, ``signature_tool.sign``, ``quote_plus``). The
  acknowledgement is a fixed JSON body (docs.antom.com/ac/ref/notification), unsigned.
- **Alipay+** (docs.alipayplus.com/alipayplus/alipayplus/api_acq/signature): the same
  content and header. Its pages require the acknowledgement to be signed too
  (integration_auto_debit_acq/handle_notification): :meth:`Ack.signed`.
- **OTT Pay** (docs.ottpay.com/payment-api/appendix-a; apidocs.ottpay.com/api/integration/
  callback): the callback's ``md5`` is the upper-case MD5 of the data's values in key order,
  and ``data`` is AES-128-ECB under the upper-case "16-bit MD5" (hex characters 8 to 24) of
  ``md5 + signkey``. Only a holder of the signkey can make data that decrypts, pads and
  hashes back to its ``md5``: that is the check.

PayKKa's webhooks carry ``x-paykka-sign`` with a timestamp and a nonce
(docs.paykka.com/payments/apis/payments/openapi/notify-webhook), but its pages do not say
which string is signed (they point to PayKKa's Java SDK): payerr does not guess at a
signature scheme, and refuses ``paykka`` until the scheme is published.

Only base64's standard alphabet is read: the providers' pages show no other.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote_plus, unquote

from payerr._core.exceptions import NotificationInProgressError, PayerrError, UsageError
from payerr._core.http import MAX_BODY_BYTES, parse_json_object
from payerr._core.taxonomy import Classification, Operation
from payerr._core.text import clean_cut
from payerr._mappings.classify import classify_http
from payerr._mappings.operations import operation_of_body
from payerr._observe.redaction import redact_text
from payerr._retry.ledger import MemoryCallLedger

if TYPE_CHECKING:
    from payerr._mappings.registry import Registry

__all__ = [
    "NOTIFICATION_TTL",
    "Ack",
    "Notification",
    "SignatureError",
    "verify_notification",
]

NOTIFICATION_TTL = 3 * 24 * 3600.0
"""Seconds a verified notification's id is remembered: past Antom's redelivery (eight
attempts within 24 hours: global.alipay.com/docs/ac/ams/notify_vaulting), with room for a
provider that redelivers for longer."""

_INSTALL = (
    "verifying notifications needs the 'cryptography' package: pip install 'payerr[notifications]'"
)
_MAX_HEADER = 8192
_MIN_KEY_BITS = 2048
"""Antom: "RSA256 ... the key length must be 2048 bits" (docs.antom.com/ac/omnichannel/
api_fund); a shorter key is refused rather than trusted."""
_MAX_SIGNATURE = 4096
_MAX_REMEMBERED = 100_000
_EXCERPT = 120


class SignatureError(PayerrError):
    """A notification payerr will not believe: its signature is missing, malformed, made with
    another key or over other bytes, or (where the provider signs a time) stale or replayed.

    Its text names the check that failed and at most a short, redacted excerpt of what was
    received; answer the request with an error status (never the acknowledgement).

    Args:
        provider: the provider id.
        reason: which check failed: ``missing``, ``malformed``, ``mismatch``, ``stale``,
            ``replayed``, ``too-large``.
        detail: what was wrong, in words.

    Attributes:
        provider: the provider id.
        reason: which check failed.

    Example:
        >>> try:
        ...     payerr.verify_notification("antom", method="POST", path="/notify",
        ...                                headers={}, body=b"{}", public_key="...")
        ... except payerr.SignatureError as error:
        ...     print(error.reason)
        missing
    """

    def __init__(self, provider: str, reason: str, detail: str) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(f"{provider} notification not verified ({reason}): {detail}")


@dataclass(frozen=True, slots=True)
class Ack:
    """The acknowledgement a provider expects, so that it stops redelivering.

    Attributes:
        status_code: the HTTP status to answer with.
        headers: the headers to answer with.
        body: the body to answer with, as bytes.

    Example:
        >>> payerr.Ack(200, {"content-type": "application/json"}, b"{}").status_code
        200
    """

    status_code: int
    headers: Mapping[str, str]
    body: bytes

    def signed(
        self,
        *,
        private_key: object,
        client_id: str,
        path: str,
        method: str = "POST",
        response_time: str | None = None,
    ) -> Ack:
        """This acknowledgement signed as Alipay+ asks a response to a notification to be
        (docs.alipayplus.com, integration_auto_debit_acq/handle_notification: "the response
        must also be signed"): ``signature``, ``client-id`` and ``response-time`` headers,
        RSA256 over ``"<METHOD> <path>\n<client-id>.<response-time>.<body>"``
        (api_acq/signature), standard base64 then URL-encoded.

        Args:
            private_key: your private key, PEM (PKCS#1 or PKCS#8) or its bare base64 body.
            client_id: your client id, as the notification's ``client-id`` header said.
            path: the path the notification was sent to.
            method: the notification's method.
            response_time: the ``response-time`` header (default: now, ISO 8601 UTC).

        Returns:
            A new :class:`Ack` with the three headers added.

        Raises:
            UsageError: ``private_key`` is not an RSA private key of 2048 bits or more, or
                ``cryptography`` is not installed.

        Example:
            ``ack = note.ack.signed(private_key=KEY, client_id=CID, path="/notify")``
        """
        try:
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
            from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: PLC0415
        except ImportError:
            raise UsageError(_INSTALL) from None
        key = private_key
        if not isinstance(key, rsa.RSAPrivateKey):
            text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
            if not isinstance(text, str):
                raise UsageError("private_key must be PEM text or the bare base64 key")
            text = text.strip()
            if not text.startswith("-----BEGIN"):
                body = "".join(text.split())
                text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
            try:
                key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
            except (ValueError, TypeError, UnicodeEncodeError):
                try:  # a bare PKCS#8 body
                    der = base64.b64decode("".join(_key_text(private_key).split()))
                    key = serialization.load_der_private_key(der, password=None)
                except (ValueError, TypeError, binascii.Error):
                    raise UsageError("private_key is not an RSA private key") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < _MIN_KEY_BITS:
            raise UsageError(f"private_key must be an RSA key of {_MIN_KEY_BITS} bits or more")
        when = response_time or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for what, value in (("client_id", client_id), ("path", path), ("method", method),
                            ("response_time", when)):  # fmt: skip
            if not isinstance(value, str) or not value.isascii() or not value.isprintable():
                raise UsageError(f"{what} must be printable ASCII text (it goes in a header)")
        content = f"{method} {path}\n{client_id}.{when}.".encode() + self.body
        signature = quote_plus(
            base64.b64encode(key.sign(content, padding.PKCS1v15(), hashes.SHA256())).decode()
        )
        headers = {
            **self.headers,
            "client-id": client_id,
            "response-time": when,
            "signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
        }
        return Ack(self.status_code, headers, self.body)


def _key_text(value: object) -> str:
    """A key given as bytes or text, as text."""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification whose signature checked out, classified by the same rules as every
    answer payerr reads.

    Attributes:
        provider: the provider id.
        classification: what the notification says happened (its operation from the
            notification type: ``PAYMENT_PENDING`` is pending, a refund's is the refund's).
        notification_id: what identifies this event; equal on a redelivery (see the docs'
            Notifications page for each provider's).
        duplicate: an earlier delivery of this notification was handled (its ``done()`` was
            called; in this process, or in the fleet with a shared ledger): acknowledge it
            without handling. Keep the handler idempotent on ``notification_id`` all the
            same: a delivery whose worker died before ``done()`` is handled again once its
            claim lapses (at least once, never lost).
        ack: the acknowledgement to answer with.
        data: the notification's fields as the provider sent them (OTT Pay's decrypted).

    If handling it fails, call :meth:`forget` and answer with an error status: the
    provider's redelivery is then new again, never skipped as a duplicate.

    Example:
        ``note = payerr.verify_notification("antom", method="POST", path=request.url.path,
        headers=request.headers, body=await request.body(), public_key=ANTOM_PUBLIC_KEY)``
    """

    provider: str
    classification: Classification
    notification_id: str
    duplicate: bool
    ack: Ack
    data: Mapping[str, Any] = field(repr=False, default_factory=dict)
    _book: Any = field(repr=False, compare=False, default=None)
    _key: str = field(repr=False, compare=False, default="")
    _token: str = field(repr=False, compare=False, default="")

    def done(self) -> None:
        """This delivery was handled: later deliveries are duplicates (acknowledge them
        without handling). Call it before answering with :attr:`ack`; a no-op on a duplicate.

        Raises:
            NotificationLedgerError: the shared ledger could not record it (acknowledge all
                the same: a redelivery may then be handled again, so keep the handler
                idempotent on ``notification_id``).
        """
        if self._token and self._book is not None:
            _sync_book(self._book, "await note.adone()")
            self._book.done_notification(self._key, self._token, NOTIFICATION_TTL)

    async def adone(self) -> None:
        """:meth:`done` for an async endpoint (required with a ``redis.asyncio`` ledger).

        Raises:
            NotificationLedgerError: the shared ledger could not record it (acknowledge all
                the same, as with :meth:`done`).
        """
        if self._token and self._book is not None:
            await self._book.adone_notification(self._key, self._token, NOTIFICATION_TTL)

    def forget(self) -> None:
        """Handling this delivery failed: give up its claim, so that the provider's next
        delivery is handled (answer this one with an error status). A no-op on a duplicate:
        it never erases another delivery's claim.

        Raises:
            NotificationLedgerError: the shared ledger could not (the claim then expires
                by itself, after ten minutes).
        """
        if self._token and self._book is not None:
            _sync_book(self._book, "await note.aforget()")
            self._book.release_notification(self._key, self._token)

    async def aforget(self) -> None:
        """:meth:`forget` for an async endpoint (required with a ``redis.asyncio`` ledger).

        Raises:
            NotificationLedgerError: the shared ledger could not (the claim then expires
                by itself, after ten minutes).
        """
        if self._token and self._book is not None:
            await self._book.arelease_notification(self._key, self._token)


def _sync_book(book: Any, instead: str) -> None:
    if getattr(book, "asynchronous", False):
        raise UsageError(f"this ledger has a redis.asyncio client: {instead}")


# -- the acknowledgements ------------------------------------------------------------------

_ANTOM_ACK = Ack(
    200,
    {"content-type": "application/json"},
    b'{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}',
)
"""docs.antom.com/ac/ref/notification: "return the following message with fixed values";
no signature needed. Alipay+ asks for the same result, signed by the merchant."""
_OTTPAY_ACK = Ack(200, {"content-type": "text/plain"}, b"SUCCESS")
"""OTT Pay's pages name no acknowledgement (apidocs.ottpay.com/api/integration/callback):
HTTP 200 with a plain SUCCESS, as its result codes read."""


# -- reading what arrived -------------------------------------------------------------------


def _header_reader(provider: str, headers: object) -> Mapping[str, list[str]]:
    """Header values by lower-case name, every value kept (a doubled header is refused)."""
    pairs: Iterable[tuple[Any, Any]]
    if headers is None:
        pairs = ()
    elif hasattr(headers, "multi_items"):  # httpx.Headers, starlette's Headers
        pairs = headers.multi_items()
    elif hasattr(headers, "getall"):  # aiohttp's CIMultiDict
        multi: Any = headers
        pairs = [(k, v) for k in dict.fromkeys(multi) for v in multi.getall(k)]
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, str | bytes):
        pairs = list(headers)
    else:
        raise UsageError(
            f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}"
        )
    found: dict[str, list[str]] = {}
    for count, pair in enumerate(pairs):
        if count > 256:
            raise SignatureError(provider, "malformed", "more than 256 headers")
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise SignatureError(
                provider, "malformed", "a header is not a (name, value) pair"
            ) from None
        name = _text(provider, name, "a header name").strip().lower()
        found.setdefault(name, []).append(_text(provider, value, f"header {name!r}"))
    return found


def _text(provider: str, value: object, what: str) -> str:
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: _MAX_HEADER + 1]).decode("latin-1")
    if not isinstance(value, str):
        raise SignatureError(provider, "malformed", f"{what} is not text")
    if len(value) > _MAX_HEADER:
        raise SignatureError(provider, "too-large", f"{what} is over {_MAX_HEADER} characters")
    if not value.isascii() or not value.isprintable():
        # Lone surrogates, controls, non-ASCII: no header of these schemes carries them.
        raise SignatureError(provider, "malformed", f"{what} holds characters a header never does")
    return value


def _one(provider: str, headers: Mapping[str, list[str]], name: str) -> str:
    values = headers.get(name)
    if not values:
        raise SignatureError(provider, "missing", f"no {name} header")
    if len(values) > 1:
        raise SignatureError(
            provider, "malformed", f"the {name} header appears {len(values)} times"
        )
    value = values[0].strip()
    if not value:
        raise SignatureError(provider, "missing", f"the {name} header is empty")
    return value


def _raw_body(provider: str, body: object) -> bytes:
    if isinstance(body, bytes):
        raw = body
    elif isinstance(body, bytearray | memoryview):
        raw = bytes(body[: MAX_BODY_BYTES + 1])
    elif isinstance(body, str):
        if len(body) > MAX_BODY_BYTES:
            raise SignatureError(provider, "too-large", f"body over {MAX_BODY_BYTES} bytes")
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            raise SignatureError(provider, "malformed", "the body is not UTF-8 text") from None
    else:
        raise UsageError(
            "body must be the bytes received (bytes or str), exactly as they arrived: "
            f"not {type(body).__name__}"
        )
    if len(raw) > MAX_BODY_BYTES:
        raise SignatureError(provider, "too-large", f"body over {MAX_BODY_BYTES} bytes")
    return raw


def _excerpt(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return repr(clean_cut(text[: _EXCERPT * 4], _EXCERPT, "...", scrub=redact_text))


# -- keys ----------------------------------------------------------------------------------


def _rsa_key(provider: str, public_key: object) -> Any:
    """An RSA public key from PEM, or from the bare base64 DER the consoles show."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415 -- the extra
    except ImportError:  # pragma: no cover - the extra is installed in tests
        raise UsageError(_INSTALL) from None
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < _MIN_KEY_BITS:
            raise UsageError(f"public_key has {public_key.key_size} bits, under {_MIN_KEY_BITS}")
        return public_key
    if isinstance(public_key, bytes):
        public_key = public_key.decode("ascii", "replace")
    if not isinstance(public_key, str):
        raise UsageError(
            f"public_key must be PEM text or the bare base64 key, not {type(public_key).__name__}"
        )
    key = _load_key(public_key.strip())
    if key is not None and key.key_size < _MIN_KEY_BITS:
        raise UsageError(
            f"public_key has {key.key_size} bits; {provider}'s keys have at least {_MIN_KEY_BITS}"
        )
    if key is None:
        raise UsageError(
            f"public_key is not an RSA public key ({provider}'s, as PEM or as the bare base64 "
            "its console shows)"
        )
    return key


@lru_cache(maxsize=16)
def _load_key(text: str) -> Any:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 -- the extra
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415 -- the extra

    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            try:
                key = serialization.load_der_public_key(der)
            except ValueError:  # a PKCS#1 RSAPublicKey body rather than SubjectPublicKeyInfo
                pem = "-----BEGIN RSA PUBLIC KEY-----\n" + "".join(text.split())
                key = serialization.load_pem_public_key(
                    (pem + "\n-----END RSA PUBLIC KEY-----\n").encode("ascii")
                )
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


# -- Antom and Alipay+ -----------------------------------------------------------------------


def _signature_fields(provider: str, header: str) -> dict[str, str]:
    """``algorithm=RSA256, keyVersion=1, signature=...``: its fields, spaces allowed."""
    fields: dict[str, str] = {}
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(provider, "malformed", "the signature header is not name=value")
        name = name.strip().lower()
        if name in fields:
            raise SignatureError(provider, "malformed", f"{name} appears twice in the signature")
        fields[name] = value.strip()
    return fields


def _rsa_signature(provider: str, encoded: str, size: int) -> bytes:
    """The signature's bytes: URL-decoded (Antom URL-encodes its base64), then standard
    base64, as long as the key."""
    if len(encoded) > _MAX_SIGNATURE:
        raise SignatureError(provider, "too-large", "the signature is too long")
    try:
        text = unquote(encoded, errors="strict") if "%" in encoded else encoded
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        raise SignatureError(provider, "malformed", "the signature is not base64") from None
    if len(raw) != size:
        raise SignatureError(
            provider, "malformed", f"the signature has {len(raw)} bytes, the key {size}"
        )
    return raw


def _verify_rsa256(
    provider: str,
    *,
    method: str,
    path: str,
    headers: Mapping[str, list[str]],
    raw: bytes,
    public_key: object,
) -> None:
    try:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 -- the extra
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415
    except ImportError:
        raise UsageError(_INSTALL) from None

    fields = _signature_fields(provider, _one(provider, headers, "signature"))
    algorithm = fields.get("algorithm", "")
    if algorithm.upper() != "RSA256":
        raise SignatureError(provider, "malformed", f"algorithm {algorithm[:20]!r}, not RSA256")
    if "signature" not in fields or not fields["signature"]:
        raise SignatureError(provider, "missing", "the signature header has no signature=")
    key = _rsa_key(provider, public_key)
    signature = _rsa_signature(provider, fields["signature"], key.key_size // 8)
    client_id = _one(provider, headers, "client-id")
    request_time = _one(provider, headers, "request-time")
    content = f"{method} {path}\n{client_id}.{request_time}.".encode() + raw
    try:
        key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError(
            provider,
            "mismatch",
            f"the signature does not match {method} {_excerpt(path)} and the body "
            f"{_excerpt(raw)} under this public key",
        ) from None


def _digest(data: Mapping[str, Any]) -> str:
    """The event's fields as a digest: equal on a redelivery (even re-serialised), different
    for any other event."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _part(value: object) -> str:
    """One field of an id, exactly: never masked or cut (two payments whose ids share their
    first six and last four digits are two events), with the separator, the escape and any
    invisible character escaped at a fixed width (``%00003A``), so that no value can pose as
    two fields or as another value; one over 128 characters as a digest of it."""
    text = str(value)
    if len(text) > 128:
        return "#" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    if text.isprintable() and not any(c in text for c in "%:#"):
        return text
    return "".join(c if c.isprintable() and c not in "%:#" else f"%{ord(c):06X}" for c in text)


_IDS_OF = {
    "PAYMENT_RESULT": ("paymentId", "paymentRequestId"),
    "PAYMENT_PENDING": ("paymentId", "paymentRequestId"),
    "CAPTURE_RESULT": ("captureId", "captureRequestId"),
    "REFUND_RESULT": ("refundId", "refundRequestId"),
    "VAULTING_RESULT": ("vaultingRequestId",),
    None: ("paymentId", "paymentRequestId"),  # Alipay+'s notifyPayment names no type
}
"""The ids that name what each notification type is about: its own operation's (two partial
refunds of one payment are two events, so never the payment's id for a refund)."""


def _antom_id(data: Mapping[str, Any]) -> str:
    """Antom sends no notification id (docs.antom.com/ac/ams/paymentrn_online,
    notify_refund, notify_capture, notify_vaulting): payerr names a payment's, refund's,
    capture's or vaulting's event by its type, the id of its own operation, and its result,
    which a redelivery repeats; any other event, or one without that id, by a digest of all
    its fields."""
    kind = data.get("notifyType")
    names = _IDS_OF.get(kind) if isinstance(kind, str) or kind is None else None
    if kind is None and "paymentResult" not in data:
        names = None  # no type and not Alipay+'s notifyPayment: a digest
    about = next(
        (str(data[n]) for n in names or () if isinstance(data.get(n), str | int) and str(data[n])),
        "",
    )
    if not about:
        return f"{_part(kind or '')}:#{_digest(data)}"
    result = data.get("paymentResult") or data.get("result")  # Alipay+'s, then Antom's
    code = ""
    if isinstance(result, Mapping):
        code = f"{result.get('resultStatus', '')}/{result.get('resultCode', '')}"
    status = next(
        (str(data[n]) for n in ("paymentStatus", "refundStatus", "vaultingStatus") if n in data),
        "",
    )
    return ":".join(_part(x) for x in (kind or "", about, code, status))


# -- OTT Pay ---------------------------------------------------------------------------------


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def _values_in_key_order(data: Mapping[str, Any]) -> str:
    """Appendix A, step 1: the values, by their keys in dictionary order, concatenated (a
    value that is not text as its JSON)."""
    parts = []
    for name in sorted(data):
        value = data[name]
        parts.append(
            value
            if isinstance(value, str)
            else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        )
    return "".join(parts)


def _verify_ottpay(provider: str, raw: bytes, signkey: object) -> dict[str, Any]:
    try:
        from cryptography.hazmat.primitives import padding as sym_padding  # noqa: PLC0415
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        raise UsageError(_INSTALL) from None
    if isinstance(signkey, bytes):
        signkey = signkey.decode("ascii", "replace")
    if not isinstance(signkey, str) or not signkey.strip() or not signkey.isprintable():
        raise UsageError("public_key for OTT Pay is the signkey OTT Pay gave you (text)")
    outer = parse_json_object(raw)
    if outer is None:
        raise SignatureError(
            provider, "malformed", f"the body is not a JSON object: {_excerpt(raw)}"
        )
    md5 = outer.get("md5")
    encrypted = outer.get("data")
    if not isinstance(md5, str) or not md5:
        raise SignatureError(provider, "missing", "no md5 in the callback")
    if not isinstance(encrypted, str) or not encrypted:
        raise SignatureError(provider, "missing", "no encrypted data in the callback")
    if len(md5) != 32 or not all(c in "0123456789ABCDEFabcdef" for c in md5):
        raise SignatureError(provider, "malformed", "md5 is not 32 hexadecimal characters")
    key = _md5_upper(md5.upper() + signkey.strip())[8:24].encode("ascii")
    try:
        sealed = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(provider, "malformed", "data is not base64") from None
    if not sealed or len(sealed) % 16:
        raise SignatureError(provider, "malformed", "data is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SignatureError(
            provider, "mismatch", "data does not decrypt under this signkey and md5"
        ) from None
    data = parse_json_object(plain)
    if data is None:
        raise SignatureError(provider, "mismatch", "data does not decrypt to a JSON object")
    if not hmac.compare_digest(_md5_upper(_values_in_key_order(data)), md5.upper()):
        raise SignatureError(provider, "mismatch", "md5 does not match the decrypted data")
    # Only md5 and data are sealed: rsp_code, rsp_msg and merchant_id beside them are not,
    # and are neither read nor passed on (a copy with rsp_code FAIL must not fail a payment).
    return {"data": data, "md5": md5.upper()}


def _ottpay_id(data: Mapping[str, Any]) -> str:
    """OTT Pay's callback names no event id: the order (``order_id``, "OTT Pay Payment ID")
    and its status, which a redelivery repeats."""
    inner = data.get("data")
    if not isinstance(inner, Mapping):
        return ""
    if not inner.get("order_id"):
        return f"#{_digest(inner)}"  # no order to name it by: everything it says
    return ":".join(_part(inner.get(n, "")) for n in ("order_id", "order_status"))


# -- remembering what was verified ------------------------------------------------------------


_CLAIM_TTL = 600.0
"""Seconds a delivery holds its notification while it is handled: a redelivery meanwhile is
told to come back later (NotificationInProgressError). A handler that neither finishes
(``done``) nor gives up (``forget``) within it is presumed gone, and the next delivery is
handled: at least once, never lost."""
_TTLS = (_CLAIM_TTL, NOTIFICATION_TTL)

_PROCESS = MemoryCallLedger(max_keys=_MAX_REMEMBERED)
"""The default book of verified notifications: this process's, on its monotonic clock (a
ledger of its own, so its lock is renewed in a forked worker as every ledger's is)."""


def _book(ledger: object) -> Any:
    if ledger is None:
        return _PROCESS
    if not callable(getattr(ledger, "claim_notification", None)):
        raise UsageError(
            f"ledger must be a payerr call ledger (RedisCallLedger, MemoryCallLedger), "
            f"not {type(ledger).__name__}"
        )
    return ledger


# -- the public function -------------------------------------------------------------------------


_PROVIDERS = {"antom": "antom", "alipay_plus": "alipay_plus", "alipay+": "alipay_plus",
              "ottpay": "ottpay", "ott pay": "ottpay"}  # fmt: skip


class _Read(NamedTuple):
    """A verified notification, read and classified (before the ledger is asked)."""

    name: str
    classification: Classification
    notification_id: str
    ack: Ack
    data: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.name}:{self.notification_id}"


def _verified(
    provider: object,
    *,
    method: object,
    path: object,
    headers: object,
    body: object,
    public_key: object,
    registry: Registry | None,
) -> _Read:
    """The pure core of both shells: verify, read and classify (no ledger, no I/O)."""
    name = _PROVIDERS.get(provider.strip().lower()) if isinstance(provider, str) else None
    if name is None:
        if isinstance(provider, str) and provider.strip().lower() == "paykka":
            raise UsageError(
                "PayKKa's webhook signature (x-paykka-sign) cannot be verified yet: its pages "
                "do not publish which string is signed, and payerr does not guess"
            )
        raise UsageError(
            f"verify_notification supports antom, alipay_plus and ottpay, not {provider!r}"
        )
    if not isinstance(method, str):
        raise UsageError(f"method must be the HTTP method received, not {type(method).__name__}")
    if not isinstance(path, str):
        raise UsageError(f"path must be the request's path as text, not {type(path).__name__}")
    raw = _raw_body(name, body)
    if name == "ottpay":
        data: Mapping[str, Any] = _verify_ottpay(name, raw, public_key)
        notification_id = _ottpay_id(data)
        ack = _OTTPAY_ACK
        classified: bytes | Mapping[str, Any] = {**data}
    else:
        reader = _header_reader(name, headers)
        path_text = _text(name, path, "the path")
        _verify_rsa256(
            name, method=_text(name, method, "the method"), path=path_text, headers=reader,
            raw=raw,
            public_key=public_key,
        )  # fmt: skip
        parsed = parse_json_object(raw)
        if parsed is None:
            raise SignatureError(
                name, "malformed", f"signed, but not one JSON object: {_excerpt(raw)}"
            )
        data = parsed
        notification_id = _antom_id(data)
        ack = _ANTOM_ACK
        classified = parsed  # read once: it passed the duplicate-name check above
    # Antom's notifyType names the operation (PAYMENT_RESULT, REFUND_RESULT ...); Alipay+'s
    # notifyPayment and OTT Pay's callback name none: a payment's result.
    operation: Operation = operation_of_body(dict(data)) if name != "ottpay" else Operation.UNKNOWN
    if operation is Operation.UNKNOWN:
        operation = Operation.NOTIFICATION
    classification = classify_http(name, 200, classified, registry=registry, operation=operation)
    return _Read(name, classification, notification_id, ack, data)


def verify_notification(
    provider: str,
    *,
    method: str,
    path: str,
    headers: object,
    body: bytes | bytearray | memoryview | str,
    public_key: object,
    now: float | None = None,
    ledger: object = None,
    registry: Registry | None = None,
) -> Notification:
    """Verify a provider's notification, then classify it, tell a redelivery, and say how to
    acknowledge it.

    Args:
        provider: ``"antom"``, ``"alipay_plus"`` or ``"ottpay"`` (any case).
        method: the request's HTTP method, as received (``"POST"``).
        path: the request's path and query string as received (``request.url.path``, plus
            ``"?" + query`` when there is one): Antom signs them.
        headers: the request's headers (a mapping, your framework's headers object, or
            (name, value) pairs); names in any case.
        body: the request's body, the exact bytes received (never re-serialised JSON).
        public_key: Antom's or Alipay+'s public key, PEM or the bare base64 the console
            shows (or a loaded ``cryptography`` RSA key); for OTT Pay, your signkey.
        now: POSIX time, for providers that sign a time (none of the supported ones
            documents a window yet).
        ledger: where verified notifications are remembered (default: a bounded memory of
            this process); a :class:`payerr.RedisCallLedger` shares it with the fleet.
        registry: the mappings to classify with (default: the shipped ones).

    Returns:
        The :class:`Notification`: its classification, id, whether it is a redelivery, and
        the acknowledgement.

    Raises:
        SignatureError: the signature is missing, malformed, from another key, or over
            other bytes, method or path (nothing else about the request is believed).
        UsageError: an unknown or unsupported provider, a key that is not one, arguments of
            the wrong type, or ``cryptography`` not installed.
        PayerrError: the shared ledger could not say whether the notification was seen
            (answer with an error status: the provider redelivers later).

    Example:
        ``note = payerr.verify_notification("antom", method="POST", path="/notify",
        headers=request.headers, body=raw, public_key=ANTOM_PUBLIC_KEY)``, then
        ``return Response(note.ack.body, note.ack.status_code, note.ack.headers)``.
    """
    read = _verified(
        provider, method=method, path=path, headers=headers, body=body,
        public_key=public_key, registry=registry,
    )  # fmt: skip
    book = _book(ledger)
    _sync_book(book, "await payerr.averify_notification(...)")
    token = secrets.token_hex(12)
    return _noted(read, book, token, book.claim_notification(read.key, token, *_TTLS))


async def averify_notification(
    provider: str,
    *,
    method: str,
    path: str,
    headers: object,
    body: bytes | bytearray | memoryview | str,
    public_key: object,
    now: float | None = None,
    ledger: object = None,
    registry: Registry | None = None,
) -> Notification:
    """:func:`verify_notification` for an async endpoint: the same checks and answers; the
    ledger is asked without blocking the event loop (a :class:`payerr.RedisCallLedger` made
    with a ``redis.asyncio`` client, within its ``max_wait``; or the default memory). Finish
    with ``await note.adone()`` or ``await note.aforget()``.

    Raises:
        SignatureError: as :func:`verify_notification`.
        UsageError: as :func:`verify_notification`, or a ledger with a synchronous Redis
            client (it would block the loop).
        NotificationInProgressError: another delivery of it is being handled now.
        NotificationLedgerError: the shared ledger could not say.

    Example:
        ``note = await payerr.averify_notification("antom", method="POST", path="/notify",
        headers=request.headers, body=await request.body(), public_key=ANTOM_PUBLIC_KEY)``
    """
    read = _verified(
        provider, method=method, path=path, headers=headers, body=body,
        public_key=public_key, registry=registry,
    )  # fmt: skip
    book = _book(ledger)
    token = secrets.token_hex(12)
    return _noted(read, book, token, await book.aclaim_notification(read.key, token, *_TTLS))


def _noted(read: _Read, book: Any, token: str, state: str) -> Notification:
    """The ledger's answer to a delivery's claim, as the Notification (or the error)."""
    if state == "busy":
        raise NotificationInProgressError(
            f"another delivery of this {read.name} notification "
            f"({_excerpt(read.notification_id)}) is being handled: answer with an error "
            "status (503), the provider redelivers"
        )
    duplicate = state == "done"
    return Notification(
        read.name, read.classification, read.notification_id, duplicate, read.ack, read.data,
        book, read.key, "" if duplicate else token,
    )  # fmt: skip
