"""Declared request ids, per operation, each with the page that says so (issue 21, point 5).

A request carrying its operation's request id is replay-safe: the provider answers a resend
with the first request's result. Expected answers here come from the pages quoted:

- https://docs.antom.com/ac/ams/idempotency: "pay | paymentRequestId", "refund |
  refundRequestId", "capture | captureRequestId" ("For capture requests that are initiated
  with the same value of captureRequestId and reach a final status (S or F), the same result
  is to be returned for the request.")
- global-open-sdk-python, ``request/pay/alipay_payment_session_request.py``
  (createPaymentSession): paymentRequestId "The unique ID assigned by a merchant to identify a
  payment request", with no idempotency wording: not a request id payerr may resend on.
- Antom refund (SDK ``alipay_refund_request.py``): the refund names its payment by paymentId;
  what deduplicates the refund is refundRequestId alone.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import pytest

import payerr
from payerr import MappingError, Operation, OutcomeUnknownError
from payerr._mappings.schema import parse_document
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted

ANTOM = "https://open-sea-global.alipay.com/ams/api/v1"
MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
BAD_GATEWAY = httpx.Response(502)


def _client(provider: str, handler: Scripted) -> httpx.Client:
    fake = FakeTime()
    policy = payerr.RetryPolicy(
        sleep=fake.sleep, clock=fake.clock, random=lambda: 0.0, budget=False
    )
    transport = payerr.PaymentTransport(
        provider, transport=httpx.MockTransport(handler), policy=policy
    )
    return httpx.Client(transport=transport)


def _sends(path: str, body: dict[str, object], provider: str = "antom") -> int:
    """How many times a call answered 502 twice, then 200, is sent (1: not replay-safe)."""
    ok = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"}}
    handler = Scripted(BAD_GATEWAY, BAD_GATEWAY, httpx.Response(200, json=ok))
    with contextlib.suppress(OutcomeUnknownError):
        _client(provider, handler).post(f"{ANTOM}/{path}", json=body)
    return len(handler.requests)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("payments/pay", "paymentRequestId"),
        ("payments/refund", "refundRequestId"),
        ("payments/capture", "captureRequestId"),
        ("vaults/vaultPaymentMethod", "vaultingRequestId"),
    ],
)
def test_each_operation_is_resent_under_its_own_request_id(path: str, field: str) -> None:
    assert _sends(path, {field: "id-1", "amount": 1}) == 3


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # A refund names its payment, but only refundRequestId deduplicates the refund.
        ("payments/refund", {"paymentId": "p-1", "paymentRequestId": "pay-1"}),
        # A capture is keyed by captureRequestId, not by the payment it captures.
        ("payments/capture", {"paymentId": "p-1", "paymentRequestId": "pay-1"}),
        # createPaymentSession: paymentRequestId is not called an idempotency field.
        ("payments/createPaymentSession", {"paymentRequestId": "pay-1"}),
    ],
)
def test_another_operations_id_does_not_make_a_request_safe(
    path: str, body: dict[str, object]
) -> None:
    assert _sends(path, body) == 1


def test_alipay_plus_has_no_capture_id() -> None:
    """Alipay+'s idempotency table (docs.alipayplus.com .../api_acq/idempotency) has no
    capture API: a captureRequestId there proves nothing."""
    table = payerr.default_registry().table("alipay_plus")
    assert "captureRequestId" not in table.request_ids_for(Operation.CAPTURE)
    assert "refundRequestId" in table.request_ids_for(Operation.REFUND)


def test_an_operation_payerr_cannot_tell_takes_only_executing_ids() -> None:
    """A path payerr cannot read: a request id of pay, capture, refund or vaulting makes it
    safe; a paymentId (which a refund carries too) does not."""
    table = payerr.default_registry().table("antom")
    untold = table.request_ids_for(Operation.UNKNOWN)
    assert {"paymentRequestId", "refundRequestId", "captureRequestId"} <= set(untold)
    assert "paymentId" not in untold
    assert "refundId" not in untold


@pytest.mark.parametrize("provider", ["antom", "alipay_plus"])
def test_every_declared_id_cites_its_page_in_the_providers_words(provider: str) -> None:
    table = payerr.default_registry().table(provider)
    assert table.declared_ids
    for declared in table.declared_ids:
        assert declared.doc_url.startswith("https://"), declared
        assert declared.field in declared.quote or "paymentRequestId" in declared.quote
        assert declared.operations


def _doc(request_id: object) -> dict[str, object]:
    return {"provider": {"id": "acme"}, "code": [], "request_id": request_id}


@pytest.mark.parametrize(
    ("request_id", "says"),
    [
        ([{"field": "orderRef", "operations": ["pay"], "doc_url": "https://x"}], "'quote'"),
        ([{"field": "orderRef", "operations": [], "doc_url": "u", "quote": "q"}], "operations"),
        ([{"field": "orderRef", "operations": ["paid"], "doc_url": "u", "quote": "q"}], "paid"),
        ([{"field": "", "operations": ["pay"], "doc_url": "u", "quote": "q"}], "'field'"),
        ("orderRef", "array of tables"),
        ([{"field": "o", "operations": ["pay"], "doc_url": "u", "quote": "q", "x": 1}], "'x'"),
    ],
)
def test_a_request_id_without_its_source_is_refused(request_id: object, says: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_document(_doc(request_id), "acme.toml")
    assert says in str(caught.value)


def test_a_user_mapping_declares_its_own_ids(tmp_path: Path) -> None:
    """A provider added by a mapping file declares what it deduplicates on."""
    path = tmp_path / "acme.toml"
    path.write_text(
        'schema = 1\n[provider]\nid = "acme"\n'
        '[[request_id]]\nfield = "orderRef"\noperations = ["pay"]\n'
        'doc_url = "https://acme.test/docs/idempotency"\n'
        'quote = "Requests with the same orderRef are processed once."\n'
    )
    registry = payerr.Registry()
    registry.add_files(path)
    table = registry.table("acme")
    assert table.request_ids_for(Operation.PAY) == ("orderRef",)
    assert table.request_ids_for(Operation.REFUND) == ()


def test_is_replay_safe_knows_the_provider_when_named() -> None:
    """Named, the provider's documented ids count and a key header it ignores does not."""
    refund = httpx.Request(
        "POST", "https://frontapi.ottpay.com/processV2", json={"action": "REFUND"},
        headers={"Idempotency-Key": "k"},
    )  # fmt: skip
    assert payerr.is_replay_safe(refund)  # taken at its word: no provider named
    assert not payerr.is_replay_safe(refund, provider="ottpay")
    capture = httpx.Request("POST", f"{ANTOM}/payments/capture", json={"captureRequestId": "c"})
    assert not payerr.is_replay_safe(capture)
    assert payerr.is_replay_safe(capture, provider="antom")
