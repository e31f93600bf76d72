"""Antom's official SDK sending through payerr: typed errors, safe retries, classifications.

:class:`PayerrAlipayClient` is the SDK's ``DefaultAlipayClient`` (``global-open-sdk-python``,
``pip install 'payerr[antom]'``) with its HTTP call replaced by an ``httpx.Client`` over
``payerr.PaymentTransport("antom")``::

    from payerr.integrations.antom_sdk import PayerrAlipayClient

    with PayerrAlipayClient(gateway_url, client_id, private_key, antom_public_key) as client:
        try:
            answer = client.execute(pay_request)  # the SDK's str, signature verified
        except payerr.UserActionError as error:
            show_shopper(error.classification.user_message)
        except payerr.OutcomeUnknownError:
            inquire_later(pay_request.payment_request_id)  # never a new paymentRequestId
        else:
            if answer.classification.outcome == "pending":
                wait_for_notify_or_inquire()

What the SDK's own ``do_post`` does and this client does not: dial HTTPS port 443 whatever the
gateway URL says, send once, and raise ``AlipayApiException("invalid http status 503")`` for
any answer but 200. Here the gateway URL is used as given; replay-safe failures (nothing sent,
a 429 or 5xx, a read timeout under a ``paymentRequestId`` / ``refundRequestId``) are resent
under the :class:`~payerr.RetryPolicy`, byte for byte (same body, ``Request-Time`` and
``Signature``), so Antom deduplicates them; and every failure raises a
:class:`~payerr.PaymentError` subclass carrying its :class:`~payerr.Classification`.

What stays the SDK's: request signing, headers, the ``SANDBOX_`` path rewrite, the return value
(the response body as a ``str``) and response-signature verification. An answer that fails
verification raises the SDK's ``AlipayApiException``: every answer Antom gave (HTTP 200) is
verified, success and pending before they are returned and a decline before its typed error
is raised; one without a signature is refused, as the SDK refuses it (a forged decline must
not lead you to start over under a new ``paymentRequestId``). A success answer
that fails verification says nothing trustworthy: treat the payment as unknown and inquire.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from payerr._core.exceptions import PaymentError
from payerr._core.taxonomy import Classification
from payerr._mappings.classify import classification_of, classify_http
from payerr._mappings.operations import operation_of_path
from payerr._retry.policy import RetryPolicy
from payerr._retry.transport import PaymentTransport

__all__ = ["DEFAULT_TIMEOUT", "AlipayApiException", "AntomAnswer", "PayerrAlipayClient"]

_MISSING = (
    "payerr.integrations.antom_sdk needs Antom's official SDK (global-open-sdk-python): "
    "pip install 'payerr[antom]'"
)

try:  # the SDK has no type hints: its modules are Any here
    _client: Any = importlib.import_module("com.alipay.ams.api.default_alipay_client")
    _constants: Any = importlib.import_module("com.alipay.ams.api.tools.constants")
    _dates: Any = importlib.import_module("com.alipay.ams.api.tools.date_tools")
    _exception: Any = importlib.import_module("com.alipay.ams.api.exception.exception")
    _routes: Any = importlib.import_module("com.alipay.ams.api.request_transport_resolver")
    _version: Any = importlib.import_module("com.alipay.ams.api._version")
except ImportError as exc:
    raise ImportError(f"{_MISSING} ({exc})", name=exc.name) from exc

DefaultAlipayClient: Any = _client.DefaultAlipayClient
AlipayApiException: type[Exception] = _exception.AlipayApiException
"""The SDK's own exception (``com.alipay.ams.api.exception.exception``): bad signatures."""

DEFAULT_TIMEOUT: float = float(_constants.DEFAULT_TIMEOUT)
"""Seconds per connect / read / write, as the SDK's own client (15)."""

_CHARSET: str = _constants.DEFAULT_CHARSET


class AntomAnswer(str):
    """Antom's answer as the SDK returns it (the response body, a ``str``: ``json.loads`` and
    the SDK's ``parse_rsp_body`` take it as before), carrying what payerr made of it.

    Attributes:
        classification: payerr's :class:`~payerr.Classification` (outcome ``success`` or
            ``pending``; failures are raised instead), with its ``operation``.
        response: the ``httpx.Response`` (status, headers), or None after unpickling.
    """

    classification: Classification
    response: httpx.Response | None

    def __new__(
        cls,
        text: str,
        classification: Classification,
        response: httpx.Response | None = None,
    ) -> Self:
        answer = super().__new__(cls, text)
        answer.classification = classification
        answer.response = response
        return answer

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.classification)


class PayerrAlipayClient(DefaultAlipayClient):  # type: ignore[misc]  # the SDK's class is Any
    """The SDK's ``DefaultAlipayClient``, sending through payerr's transport.

    ``execute(request)`` and ``execute_with_headers(request, extra_headers)`` take the SDK's
    request objects and return the response body (an :class:`AntomAnswer`, a ``str``) for a
    success or pending answer; failures raise :class:`~payerr.PaymentError` subclasses
    (:class:`~payerr.UserActionError` for a decline, :class:`~payerr.OutcomeUnknownError` when
    the request may have executed and no answer says how ...); an answer whose signature does
    not verify raises the SDK's ``AlipayApiException``.

    One ``httpx.Client`` per instance, thread-safe; close it with :meth:`close` or use the
    client as a context manager.

    Args:
        gateway_url, client_id, merchant_private_key, alipay_public_key: as the SDK's client
            (the URL may carry a scheme, port and path prefix: ``http://127.0.0.1:8080/antom``).
        policy: the :class:`~payerr.RetryPolicy` (default ``RetryPolicy()``).
        timeout: httpx timeout (default 15 s per connect / read / write, as the SDK). A read
            timeout after sending is resent only under a request id, else raised as
            :class:`~payerr.OutcomeUnknownError`.
        agent_token: the SDK's ``Agent-Token`` header (ISV agents), if any.
    """

    def __init__(
        self,
        gateway_url: str,
        client_id: str,
        merchant_private_key: str,
        alipay_public_key: str,
        *,
        policy: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        agent_token: str | None = None,
    ) -> None:
        if agent_token is None:
            super().__init__(gateway_url, client_id, merchant_private_key, alipay_public_key)
        else:
            super().__init__(
                gateway_url,
                client_id,
                merchant_private_key,
                alipay_public_key,
                agent_token=agent_token,
            )
        self._gateway_url = gateway_url
        self._client_id = client_id
        self._agent_token = agent_token
        self._http = httpx.Client(
            transport=PaymentTransport("antom", policy=policy), timeout=timeout
        )

    # -- the SDK's entry points ---------------------------------------------------------------

    def execute(self, request: Any) -> AntomAnswer:
        """Send an SDK request; the response body, signature verified (see the class).

        Raises:
            UserActionError: a decline: the payer must act (another card, top up, ...).
            RiskError: refused by Antom's or the issuer's risk controls.
            MerchantConfigError: the merchant's account, credentials or request are wrong.
            FinalError: settled or impossible (closed, duplicate, already paid).
            RetryableError: a transient failure outlasted the retry policy, and nothing may
                have executed: resending the same request is safe.
            OutcomeUnknownError: the request may have executed and no answer says whether:
                inquire under the same ``paymentRequestId``, never a new one.
            AlipayApiException: the request has no path, or an answer's signature is missing
                or does not verify.
        """
        return self._send(request, None)

    def execute_with_headers(
        self, request: Any, extra_headers: Mapping[str, str] | None = None
    ) -> AntomAnswer:
        """:meth:`execute` with extra headers (the SDK's reserved ones are not overridden).

        The SDK's HTTP/2 session routes (``meter/uploadEvent``) are not payment calls: they go
        through the SDK's own executor, unretried, classified from their body, and raise what
        that executor raises.

        Raises:
            UserActionError: a decline: the payer must act (another card, top up, ...).
            RiskError: refused by Antom's or the issuer's risk controls.
            MerchantConfigError: the merchant's account, credentials or request are wrong.
            FinalError: settled or impossible (closed, duplicate, already paid).
            RetryableError: a transient failure outlasted the retry policy, and nothing may
                have executed: resending the same request is safe.
            OutcomeUnknownError: the request may have executed and no answer says whether:
                inquire under the same ``paymentRequestId``, never a new one.
            AlipayApiException: the request has no path, or an answer's signature is missing
                or does not verify.
        """
        path = getattr(request, "path", None)
        if path and _routes.requires_session_http2(request.http_method.value, path):
            text = super().execute_with_headers(request, extra_headers)
            c = classify_http("antom", 200, text, operation=operation_of_path(path))
            return AntomAnswer(text, c)
        return self._send(request, extra_headers)

    def close(self) -> None:
        """Close the HTTP client and its connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------

    def _send(self, request: Any, extra_headers: Mapping[str, str] | None) -> AntomAnswer:
        """The SDK's ``execute_with_headers``, with payerr's transport where ``do_post`` was."""
        if not getattr(request, "path", None):
            raise AlipayApiException("invalid path")
        http_method: str = request.http_method.value
        # Before adjust_sandbox_url rewrites the path, as the SDK does.
        unsigned_ok = bool(_routes.allows_unsigned_response(http_method, request.path))
        self.adjust_sandbox_url(request)
        path: str = request.path
        body: str = request.to_ams_json()
        headers = self._headers(http_method, path, body, getattr(request, "key_version", None))
        for name, value in (extra_headers or {}).items():
            if name and name.lower() not in self._RESERVED_HEADERS:
                headers[name] = value
        sent = self._http.build_request(
            http_method, self._gateway_url + path, content=body.encode(_CHARSET), headers=headers
        )
        try:
            response = self._http.send(sent)
        except PaymentError as error:
            answer = error.response
            if not unsigned_ok and answer is not None and answer.status_code == 200:
                # An answer the provider gave (a decline, a U that outlasted the retries) is
                # Antom's only if its signature says so: the SDK refuses any 200 whose
                # signature is missing or wrong, and so does this client, before a forged
                # decline can send you to start over under a new paymentRequestId.
                try:
                    self._verify(http_method, path, answer)
                except AlipayApiException as forged:
                    raise forged from error
            raise
        if not unsigned_ok:
            self._verify(http_method, path, response)
        c = classification_of(response)
        if c is None:  # pragma: no cover - payerr's transport classifies every answer
            raise RuntimeError("payerr's transport returned an unclassified answer")
        return AntomAnswer(response.content.decode(_CHARSET, "replace"), c, response)

    def _headers(
        self, http_method: str, path: str, body: str, key_version: str | None
    ) -> dict[str, str]:
        """The SDK's request headers, signed over ``path`` (without the gateway's prefix)."""
        sent_at: str = _dates.get_cur_iso8601_time()
        sign_value: str = self._DefaultAlipayClient__gen_sign(
            http_method, path, self._client_id, sent_at, body
        )
        version = key_version or _constants.DEFAULT_KEY_VERSION
        headers = {
            "Content-type": "application/json; charset=UTF-8",
            "Accept": "text/plain,text/xml,text/javascript,text/html",
            "Cache-Control": "no-cache",
            "Connection": "Keep-Alive",
            "User-Agent": _version.USER_AGENT,
            "Request-Time": sent_at,
            "client-id": self._client_id,
            "Signature": f"algorithm=RSA256,keyVersion={version},signature={sign_value}",
        }
        if self._agent_token:
            headers["Agent-Token"] = self._agent_token
        return headers

    def _verify(self, http_method: str, path: str, response: httpx.Response) -> None:
        """The SDK's own checks: the signature headers are there and verify against the body
        (raises ``AlipayApiException``)."""
        text = response.content.decode(_CHARSET, "replace")
        signature, response_time, client_id = self._DefaultAlipayClient__parse_header(
            response.headers.multi_items()  # lower-case names, as the SDK looks them up
        )
        self._DefaultAlipayClient__assert_response_verified(
            http_method, path, client_id, response_time, text, signature
        )
