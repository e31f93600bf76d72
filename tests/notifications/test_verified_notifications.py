"""Verified notifications: signed by code that is not payerr's, forgeries refused.

Antom and Alipay+ notifications are signed with Antom's official SDK signer
(``com.alipay.ams.api.tools.signature_tool.sign``: docs.antom.com/ac/ams/digital_signature,
``"<METHOD> <path>\\n<client-id>.<request-time>.<body>"``, SHA256withRSA, base64 then
URL-encoded) with a key pair made here. OTT Pay callbacks are sealed by :func:`ottpay_seal`,
written from docs.ottpay.com/payment-api/appendix-a in this module (and checked against that
page's own worked example), independent of payerr's verifier.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

import payerr
from payerr import Advice, Operation, Outcome, SignatureError
from tests.support.notify_signers import (
    CLIENT_ID,
    OTHER_PRIVATE,
    PATH,
    PRIVATE,
    PUBLIC,
    antom_body,
    signed,
)


def verify(body: str | bytes, headers: Any, **kwargs: Any) -> payerr.Notification:
    options: dict[str, Any] = {"method": "POST", "path": PATH, "public_key": PUBLIC}
    options.update(kwargs)
    provider = options.pop("provider", "antom")
    return payerr.verify_notification(provider, headers=headers, body=body, **options)


def fresh() -> payerr.MemoryCallLedger:
    """A ledger of its own: the same notification verified again is a new delivery."""
    return payerr.MemoryCallLedger()


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    from payerr import _notifications

    _notifications._PROCESS.clear()
    yield
    _notifications._PROCESS.clear()


# -- what a real notification gives --------------------------------------------------------


def alipay_plus_body() -> str:
    """notifyPayment as docs.alipayplus.com/alipayplus/alipayplus/api_acq/notify_payment
    shows it: the outcome in ``paymentResult``."""
    return json.dumps({
        "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S",
                          "resultMessage": "Success"},
        "paymentRequestId": "pay_req_01",
        "paymentId": "20240528000000001",
        "paymentAmount": {"value": "4200", "currency": "SGD"},
    })  # fmt: skip


@pytest.mark.parametrize("provider", ["antom", "alipay_plus"])
def test_a_signed_notification_is_verified_classified_and_acknowledged(provider: str) -> None:
    body = antom_body() if provider == "antom" else alipay_plus_body()
    note = verify(body, signed(body), provider=provider)
    assert note.provider == provider
    assert note.classification.outcome is Outcome.SUCCESS
    assert note.classification.operation is Operation.NOTIFICATION
    assert not note.duplicate
    # docs.antom.com/ac/ref/notification: the fixed acknowledgement.
    assert note.ack.status_code == 200
    assert json.loads(note.ack.body) == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}
    }
    assert note.data["paymentId"] == "20240528000000001"


def test_the_truth_rules_hold_for_notifications() -> None:
    pending = antom_body(notifyType="PAYMENT_PENDING")
    assert verify(pending, signed(pending)).classification.outcome is Outcome.PENDING
    declined = antom_body("USER_BALANCE_NOT_ENOUGH", "F")
    c = verify(declined, signed(declined)).classification
    assert (c.outcome, c.reason, c.advice) == (
        Outcome.FAILED,
        payerr.Reason.INSUFFICIENT_FUNDS,
        Advice.TRY_ANOTHER_METHOD,
    )


def test_a_redelivery_is_a_duplicate_with_the_same_id() -> None:
    body = antom_body()
    first = verify(body, signed(body))
    assert not first.duplicate
    # Redelivered while the first is still being handled: come back later, never "done".
    with pytest.raises(payerr.NotificationInProgressError, match="redelivers"):
        verify(body, signed(body))
    first.done()
    again = verify(body, signed(body))
    assert again.duplicate
    assert first.notification_id == again.notification_id
    again.forget()  # a duplicate's forget erases nothing
    assert verify(body, signed(body)).duplicate
    # The pending notice and the result of the same payment are two events.
    pending = antom_body(notifyType="PAYMENT_PENDING", result=None)
    assert verify(pending, signed(pending)).notification_id != first.notification_id


def test_keys_as_pem_or_the_bare_base64_the_console_shows() -> None:
    body = antom_body()
    bare = "".join(PUBLIC.strip().splitlines()[1:-1])
    assert verify(body, signed(body), public_key=bare, ledger=fresh()).classification.is_success
    assert verify(
        body, signed(body), public_key=PUBLIC.encode(), ledger=fresh()
    ).classification.is_success
    with pytest.raises(payerr.UsageError, match="not an RSA public key"):
        verify(body, signed(body), public_key="not a key")


def test_headers_in_any_form_and_case() -> None:
    import httpx

    body = antom_body()
    headers = signed(body)
    pairs = [(k.upper(), v) for k, v in headers.items()]
    assert verify(body, pairs, ledger=fresh()).classification.is_success
    assert verify(body, httpx.Headers(headers), ledger=fresh()).classification.is_success


# -- forgeries ---------------------------------------------------------------------------------


def forgeries() -> list[tuple[str, Any, Any, dict[str, Any]]]:
    decline = antom_body("USER_BALANCE_NOT_ENOUGH", "F")
    success = antom_body()
    good = signed(decline)
    sig = good["Signature"].rpartition("=")[0]
    signature = good["Signature"].partition("signature=")[2]
    return [
        ("a decline rewritten as success", success, good, {}),
        ("the body re-serialised", json.dumps(json.loads(decline)), good, {}),
        ("another path", decline, good, {"path": "/other"}),
        ("another method", decline, good, {"method": "PUT"}),
        ("no signature header", decline, {k: v for k, v in good.items() if k != "Signature"}, {}),
        ("no client-id", decline, {k: v for k, v in good.items() if k != "Client-Id"}, {}),
        ("a doubled signature", decline, [*good.items(), ("signature", good["Signature"])], {}),
        ("another key", decline, signed(decline, private=OTHER_PRIVATE), {}),
        ("a truncated signature", decline, {**good, "Signature": good["Signature"][:-20]}, {}),
        ("garbage base64", decline, {**good, "Signature": sig + "=!!!notbase64!!!"}, {}),
        ("another algorithm", decline, {**good, "Signature": good["Signature"].replace(
            "RSA256", "RSA128")}, {}),
        ("a lone surrogate", decline, {**good, "Client-Id": "SANDBOX\ud800"}, {}),
        ("megabytes in a header", decline, {**good, "Request-Time": "1" * 3_000_000}, {}),
        ("another client-id", decline, {**good, "Client-Id": "SANDBOX_OTHER"}, {}),
        ("another request-time", decline, {**good, "Request-Time": "2024-05-28T12:12:13+08:00"},
         {}),
        ("the signature of another body", success, {**good, "Signature":
            good["Signature"].replace(signature, signature[::-1])}, {}),
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "headers", "kwargs"), forgeries(), ids=lambda x: x
                         if isinstance(x, str) else "")  # fmt: skip
def test_no_forgery_is_believed(name: str, body: str, headers: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(body, headers, **kwargs)
    text = str(raised.value)
    assert len(text) < 600, name  # a bounded excerpt, never the body or a header whole
    assert "4200" not in text or len(text) < 600


def test_an_error_never_carries_a_card_number_from_the_body() -> None:
    body = antom_body(cardNo="4111 1111 1111 1111")
    with pytest.raises(SignatureError) as raised:
        verify(body, signed(antom_body()))
    assert "4111 1111 1111 1111" not in str(raised.value)
    assert "1111 1111 1111" not in str(raised.value)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["signature", "client-id", "request-time", "x", "Signature"]),
        st.text(max_size=200) | st.binary(max_size=100),
        max_size=5,
    ),
    st.binary(max_size=400) | st.text(max_size=400),
)
def test_hostile_input_raises_only_signature_error(headers: dict[str, Any], body: Any) -> None:
    with contextlib.suppress(SignatureError):  # anything else fails the test
        verify(body, headers)


def test_paykka_is_refused_until_its_scheme_is_published() -> None:
    with pytest.raises(payerr.UsageError, match="does not guess"):
        payerr.verify_notification(
            "paykka", method="POST", path="/", headers={}, body=b"{}", public_key=PUBLIC
        )


# -- OTT Pay -----------------------------------------------------------------------------------


def ottpay_seal(data: dict[str, str], signkey: str) -> dict[str, str]:
    """A callback as docs.ottpay.com/payment-api/appendix-a builds one: md5 of the values in
    key-name order, upper case; the AES key is the 16-character middle of the upper-case MD5
    of md5 + signkey; AES-ECB, PKCS5 padding, base64."""
    values = "".join(data[k] for k in sorted(data))
    md5 = hashlib.md5(values.encode(), usedforsecurity=False).hexdigest().upper()
    key = hashlib.md5((md5 + signkey).encode(), usedforsecurity=False).hexdigest().upper()[8:24]
    padder = sym_padding.PKCS7(128).padder()
    plain = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key.encode()), modes.ECB()).encryptor()
    sealed = base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
    return {"rsp_code": "SUCCESS", "rsp_msg": "success", "merchant_id": "ON00004652",
            "data": sealed, "md5": md5}  # fmt: skip


APPENDIX_A = {
    "orderId": "1234567890",
    "idCardName": "张三",
    "idCardNum": "123456789012345678",
    "bankCardNum": "62000000000010",
    "mobile": "13711111111",
    "idCardType": "1",
}


def test_our_ottpay_sealer_reproduces_the_documents_worked_example() -> None:
    sealed = ottpay_seal(APPENDIX_A, "6698851A525C9433")
    assert sealed["md5"] == "C12F9560769C2CB55E6954935B325916"  # Appendix A, step 2
    assert sealed["data"].startswith("Y2+GoqBBPc6EJ9JzXRFoOziKd+DqWg5F")  # step 5


def test_an_ottpay_callback_is_verified_and_classified() -> None:
    data = {"order_id": "OP0001", "order_status": "captured", "amount": "1000",
            "merchant_id": "ON00004652"}  # fmt: skip
    body = json.dumps(ottpay_seal(data, "SIGNKEY0123456789"))
    note = payerr.verify_notification(
        "ottpay", method="POST", path="/cb", headers={}, body=body, public_key="SIGNKEY0123456789"
    )
    assert note.classification.outcome is Outcome.SUCCESS
    assert note.notification_id == "OP0001:captured"
    assert note.data["data"]["order_id"] == "OP0001"
    assert note.ack.status_code == 200


@pytest.mark.parametrize("what", ["signkey", "md5", "data", "values"])
def test_an_ottpay_forgery_is_refused(what: str) -> None:
    data = {"order_id": "OP0002", "order_status": "captured"}
    sealed = ottpay_seal(data, "SIGNKEY")
    key = "SIGNKEY"
    if what == "signkey":
        key = "OTHERKEY"
    elif what == "md5":
        sealed["md5"] = "0" * 32
    elif what == "data":
        sealed["data"] = sealed["data"][:-8] + "AAAAAAA="
    else:  # a forger who knows the scheme but not the key seals other values
        sealed = {**ottpay_seal({"order_id": "OP0002", "order_status": "authorised"}, "GUESS"),
                  "md5": sealed["md5"]}  # fmt: skip
    with pytest.raises(SignatureError):
        payerr.verify_notification(
            "ottpay", method="POST", path="/cb", headers={}, body=json.dumps(sealed),
            public_key=key,
        )  # fmt: skip


# -- shared by a fleet --------------------------------------------------------------------------


def test_a_memory_ledger_remembers_per_ledger() -> None:
    ledger = payerr.MemoryCallLedger()
    body = antom_body()
    note = verify(body, signed(body), ledger=ledger)
    assert not note.duplicate
    note.done()
    assert verify(body, signed(body), ledger=ledger).duplicate
    assert not verify(body, signed(body), ledger=payerr.MemoryCallLedger()).duplicate


def test_a_notification_whose_handling_failed_is_new_again_once_forgotten() -> None:
    body = antom_body()
    for ledger in (None, payerr.MemoryCallLedger()):
        first = verify(body, signed(body), ledger=ledger)
        assert not first.duplicate
        first.forget()  # the handler failed: answer 500, let the provider redeliver
        again = verify(body, signed(body), ledger=ledger)
        assert not again.duplicate
        again.done()
        assert verify(body, signed(body), ledger=ledger).duplicate


def test_other_antom_events_never_share_an_id() -> None:
    """Disputes and subscriptions (docs.antom.com notify_dispute, notify_sub) carry no
    notifyType of a payment result, or no result: each event is its own."""
    events = [
        {"subscriptionRequestId": "sub-A", "subscriptionNotificationType": "CREATE"},
        {"subscriptionRequestId": "sub-B", "subscriptionNotificationType": "CANCEL"},
        {"notifyType": "DISPUTE", "paymentId": "P1", "disputeNotificationType": "CREATED"},
        {"notifyType": "DISPUTE", "paymentId": "P1", "disputeNotificationType": "JUDGED"},
        {"notifyType": "PAYMENT_RESULT", "paymentId": "P1:S/SUCCESS",
         "result": {"resultStatus": "S", "resultCode": "SUCCESS"}},
        {"notifyType": "PAYMENT_RESULT", "paymentId": "P1",
         "result": {"resultStatus": "S", "resultCode": "SUCCESS"}},
    ]  # fmt: skip
    ids = set()
    for event in events:
        body = json.dumps(event)
        note = verify(body, signed(body))
        assert not note.duplicate
        ids.add(note.notification_id)
    assert len(ids) == len(events)


def test_ottpay_believes_only_the_sealed_fields() -> None:
    """Only md5 and data are sealed (Appendix A): a copy whose rsp_code says FAIL neither
    fails the payment nor takes its place."""
    sealed = ottpay_seal({"order_id": "OP7", "order_status": "captured"}, "KEY")
    flipped = {**sealed, "rsp_code": "FAIL", "rsp_msg": "failure."}
    note = payerr.verify_notification(
        "ottpay", method="POST", path="/cb", headers={}, body=json.dumps(flipped),
        public_key="KEY",
    )  # fmt: skip
    assert note.classification.outcome is Outcome.SUCCESS
    assert "rsp_code" not in note.data


def test_a_short_key_is_refused_and_odd_methods_are_signature_errors() -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    body = antom_body()
    with pytest.raises(payerr.UsageError, match="1024 bits"):
        verify(body, signed(body), public_key=short)
    for method in ("post", "X-CUSTOM!", "", "POST\n", "P" * 10_000, "PÖST"):
        with pytest.raises(SignatureError) as raised:
            verify(body, signed(body), method=method, ledger=fresh())
        assert len(str(raised.value)) < 600


def test_an_alipay_plus_acknowledgement_can_be_signed_as_its_pages_ask() -> None:
    """docs.alipayplus.com: "the response must also be signed"; verified here with Antom's
    official SDK (signature_tool.verify: the same content, response-time in place of
    request-time)."""
    from com.alipay.ams.api.tools.signature_tool import (  # type: ignore[import-untyped]
        verify as sdk_verify,
    )

    body = alipay_plus_body()
    note = verify(body, signed(body), provider="alipay_plus")
    bare = "".join(PRIVATE.strip().splitlines()[1:-1])
    public_body = "".join(PUBLIC.strip().splitlines()[1:-1])
    for key in (PRIVATE, bare):
        ack = note.ack.signed(private_key=key, client_id=CLIENT_ID, path=PATH,
                              response_time="2024-05-28T12:12:13+08:00")  # fmt: skip
        header = ack.headers["signature"]
        assert header.startswith("algorithm=RSA256,keyVersion=1,signature=")
        signature = header.partition("signature=")[2]
        assert sdk_verify("POST", PATH, CLIENT_ID, ack.headers["response-time"],
                          ack.body.decode(), signature, public_body)  # fmt: skip
        assert ack.body == note.ack.body
    with pytest.raises(payerr.UsageError):
        note.ack.signed(private_key="not a key", client_id=CLIENT_ID, path=PATH)


def test_a_refund_or_capture_is_named_by_its_own_id() -> None:
    """Two partial refunds of one payment, without refundId (notifyDirectRefund makes it
    optional: docs.antom.com/ac/aba/notifydirectrefund), are two events."""
    ids = set()
    for kind, field, value in (("REFUND_RESULT", "refundRequestId", "rr2"),
                               ("REFUND_RESULT", "refundRequestId", "rr3"),
                               ("CAPTURE_RESULT", "captureRequestId", "cr2"),
                               ("CAPTURE_RESULT", "captureRequestId", "cr3")):  # fmt: skip
        body = json.dumps({"notifyType": kind, "paymentId": "2026P1", field: value,
                           "result": {"resultStatus": "S", "resultCode": "SUCCESS"}})  # fmt: skip
        note = verify(body, signed(body))
        assert not note.duplicate
        note.done()
        ids.add(note.notification_id)
    assert len(ids) == 4


def test_a_claim_being_handled_outlives_the_memorys_bound() -> None:
    ledger = payerr.MemoryCallLedger(max_keys=50)
    held = antom_body(paymentRequestId="held")
    first = verify(held, signed(held), ledger=ledger)
    for n in range(200):  # others verified and handled meanwhile
        body = antom_body(paymentId=f"other-{n}")
        verify(body, signed(body), ledger=ledger).done()
    with pytest.raises(payerr.NotificationInProgressError):
        verify(held, signed(held), ledger=ledger)
    first.done()


def test_a_signed_ack_refuses_header_injection() -> None:
    body = alipay_plus_body()
    note = verify(body, signed(body), provider="alipay_plus")
    for bad in ({"client_id": "C\r\nSet-Cookie: a=b"}, {"response_time": "now\r\nX: y"},
                {"client_id": "C\ud800"}):  # fmt: skip
        options: dict[str, Any] = {"client_id": CLIENT_ID, "path": PATH, **bad}
        with pytest.raises(payerr.UsageError, match="printable ASCII"):
            note.ack.signed(private_key=PRIVATE, **options)


def test_the_async_shell_answers_as_the_sync_one() -> None:
    """averify_notification runs the same checks (one pure core): the same verdict, id and
    acknowledgement, the same refusals, and the same memory of what was handled."""
    import asyncio

    body = antom_body()
    ledger = payerr.MemoryCallLedger()

    async def main() -> None:
        note = await payerr.averify_notification(
            "antom", method="POST", path=PATH, headers=signed(body), body=body,
            public_key=PUBLIC, ledger=ledger,
        )  # fmt: skip
        plain = payerr.verify_notification(
            "antom", method="POST", path=PATH, headers=signed(body), body=body,
            public_key=PUBLIC, ledger=payerr.MemoryCallLedger(),
        )  # fmt: skip
        assert (note.classification, note.notification_id, note.ack) == (
            plain.classification, plain.notification_id, plain.ack
        )  # fmt: skip
        await note.adone()
        again = await payerr.averify_notification(
            "antom", method="POST", path=PATH, headers=signed(body), body=body,
            public_key=PUBLIC, ledger=ledger,
        )  # fmt: skip
        assert again.duplicate
        with pytest.raises(payerr.SignatureError):
            await payerr.averify_notification(
                "antom", method="POST", path="/elsewhere", headers=signed(body), body=body,
                public_key=PUBLIC, ledger=ledger,
            )  # fmt: skip

    asyncio.run(main())


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("2026110000030042", "2026110000110042"),  # Luhn-valid, same first six and last four
        ("2026110000000000042", "2026110000000180042"),  # 19 digits
    ],
)
def test_two_payments_whose_ids_look_like_card_numbers_are_two_events(one: str, two: str) -> None:
    """An id is an id: never masked as a card number (masked, two payments sharing their
    first six and last four digits had one notification id, and the second was acknowledged
    as a duplicate without being handled)."""
    assert luhn_valid(one)
    assert luhn_valid(two)
    ledger = payerr.MemoryCallLedger()
    first = antom_body(paymentRequestId=one, paymentId=one)
    second = antom_body(paymentRequestId=two, paymentId=two)
    a = verify(first, signed(first), ledger=ledger)
    a.done()
    b = verify(second, signed(second), ledger=ledger)
    assert a.notification_id != b.notification_id
    assert one in a.notification_id
    assert two in b.notification_id
    assert not b.duplicate


def test_ottpays_order_ids_are_kept_exactly() -> None:
    """OTT Pay's sample order id (docs.ottpay.com) is Luhn-valid: a neighbour sharing its first
    six and last four digits is another order."""
    assert luhn_valid("17047528085325164")
    ledger = payerr.MemoryCallLedger()
    ids = []
    for order in ("17047528085325164", "17047528085405164"):
        body = json.dumps(ottpay_seal({"order_id": order, "order_status": "captured"}, "KEY16"))
        note = payerr.verify_notification(
            "ottpay", method="POST", path="/cb", headers={}, body=body, public_key="KEY16",
            ledger=ledger,
        )  # fmt: skip
        assert not note.duplicate
        note.done()
        ids.append(note.notification_id)
    assert ids == ["17047528085325164:captured", "17047528085405164:captured"]


@pytest.mark.parametrize(
    "value", ["a:b", "a%3Ab", "#x", "a\u200bb", "a\nb", "x" * 200, "x" * 199 + "y"]
)
def test_id_parts_are_escaped_one_to_one(value: str) -> None:
    """No value can pose as two fields or as another value."""
    from payerr._notifications import _part

    parts = {v: _part(v) for v in ("a:b", "a%3Ab", "#x", "a\u200bb", "a\nb", "x" * 200,
                                   "x" * 199 + "y", "a", "b", "ab")}  # fmt: skip
    assert len(set(parts.values())) == len(parts)
    assert ":" not in parts[value]
    assert parts[value].isprintable()
