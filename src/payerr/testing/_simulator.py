"""A payment-provider simulator: a real HTTP server on loopback that answers the way the
providers' documents say they answer (see ``_providers``), with scripted faults (``_faults``).
The providers' memory is an order book (``_state``); the HTTP side lives in ``_http_handler``."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from types import TracebackType

import httpx

from payerr._core.exceptions import UsageError
from payerr.testing import _signing
from payerr.testing._http_handler import Connections, SimulatorServer
from payerr.testing._state import OrderBook

__all__ = ["ProviderSimulator"]


class ProviderSimulator:
    """Antom, Alipay+, OTT Pay and PayKKa on one loopback port, with scripted faults.

    ``{url}/{provider}/...`` takes each provider's operations the way its API does, as the
    providers' own documents describe it (never from payerr's mappings):

    - Endpoints per operation: Antom and Alipay+ ``/ams/api/v1/payments/pay``, ``inquiryPayment``,
      ``capture``, ``cancel``, ``refund``, ``inquiryRefund``, ``/v1/vaults/...``; for OTT Pay and
      PayKKa the path (or OTT's ``action``) names refund, capture, cancel/void/reverse and
      query/inquiry; any other POST is a payment and any GET an inquiry.
    - Inquiries report the state of the order they name and never execute anything; an order
      that never executed is "order does not exist".
    - Pays, refunds, captures, cancels and vaultings live in separate id spaces.
    - An ``Idempotency-Key`` header or an Antom request id (``paymentRequestId``,
      ``refundRequestId`` ...) is deduplicated: the same body again gets the stored answer, a
      changed body gets a conflict (Antom ``REPEAT_REQ_INCONSISTENT``, others HTTP 409).
    - An order number alone is not an idempotency key, but providers refuse to run an order
      twice: sent again after it executed, it gets the provider's repeat answer (OTT Pay
      ``ORDER_PAID`` / ``ORDER_USED``, PayKKa ``4021`` / ``4000`` / ``4003``).
    - Faults (:func:`scenario`) play in order on the arrivals of the request they come with,
      counted per operation and id, so an inquiry never uses up a pay's script.
    - Antom answers are signed as Antom signs them (``sim.antom_public_key``; requests signed
      with ``sim.merchant_private_key`` are verified), when ``cryptography`` is installed
      (``pip install 'payerr[antom]'``).

    ``executions`` counts every time an operation ran; ``duplicate_executions`` the runs beyond
    the first of one logical request: each is a double charge (or refund).

    Args:
        latency: seconds added to every answer.
        stall: how long a ``stall`` fault keeps the client waiting (set it above the client's
            read timeout).
        port: the port to listen on (0: any free port).
        sign: sign Antom answers (None: when ``cryptography`` is installed).

    Example:
        >>> with ProviderSimulator() as sim:
        ...     answer = httpx.post(sim.url_for("paykka") + "/v1/payments",
        ...                         json={"merchant_order_no": "o-1"})
        >>> answer.json()["ret_code"]
        '000000'
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        stall: float = 2.0,
        port: int = 0,
        sign: bool | None = None,
    ) -> None:
        self.latency = latency
        self.stall = stall
        self.antom_client_id = "SANDBOX_PAYERR_SIMULATOR"
        self._port = port
        self._sign = sign
        self._book = OrderBook()
        self._keys = _signing.AntomKeys()
        self._connections = Connections()
        self._stopping = threading.Event()
        self._server: SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ProviderSimulator:
        """Start serving on loopback in a background thread (``with`` does it); returns the
        simulator.

        Raises:
            OSError: the port cannot be bound (``port`` is in use).
            ImportError: ``sign=True`` without ``cryptography`` (``pip install 'payerr[antom]'``).
        """
        if self._sign is None:
            self._sign = _signing.available()
        if self._sign:
            self._keys.pairs()  # made now, not while the first answer waits
        self._server = SimulatorServer(
            ("127.0.0.1", self._port),
            book=self._book,
            settings=self,
            keys=self._keys if self._sign else None,
            connections=self._connections,
            stopping=self._stopping,
        )
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection still open (kept-alive ones included)."""
        self._stopping.set()  # cut stalls short
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._connections.shut_down()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.wait_idle(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> ProviderSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The simulator's base URL (``http://127.0.0.1:PORT``).

        Raises:
            RuntimeError: the simulator is not running.
        """
        if self._server is None:
            raise RuntimeError("the simulator is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, provider: str) -> str:
        """The base URL for one provider (Antom's SDK takes it as its gateway URL).

        Raises:
            RuntimeError: the simulator is not running.
        """
        return f"{self.url}/{provider}"

    def wait(self, seconds: float) -> None:
        """Sleep, unless the simulator is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- Antom's keys -------------------------------------------------------------------------

    @property
    def antom_public_key(self) -> str:
        """The public key Antom answers are signed for (the SDK's ``alipay_public_key``).

        Raises:
            ImportError: ``cryptography`` is not installed (``pip install 'payerr[antom]'``).
        """
        return self._keys.antom.public

    @property
    def merchant_private_key(self) -> str:
        """A merchant private key whose signatures the simulator accepts.

        Raises:
            ImportError: ``cryptography`` is not installed (``pip install 'payerr[antom]'``).
        """
        return self._keys.merchant.private

    @property
    def merchant_public_key(self) -> str:
        """The public half of :attr:`merchant_private_key`.

        Raises:
            ImportError: ``cryptography`` is not installed (``pip install 'payerr[antom]'``).
        """
        return self._keys.merchant.public

    # -- what happened ------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """Requests that reached a provider's operations or inquiries (not those refused as
        unreadable or badly signed), every retry too."""
        return self._book.requests

    @property
    def inquiries(self) -> int:
        """Inquiries among :attr:`requests`."""
        return self._book.inquiries

    @property
    def faults_played(self) -> Counter[str]:
        """How many times each fault played (``slow`` aside), by name (``429`` for ``429:N``)."""
        return self._book.faults_played

    @property
    def executions(self) -> int:
        """How many times an operation ran (pays, refunds, captures ...), every duplicate too."""
        return self._book.executions

    @property
    def duplicate_executions(self) -> int:
        """Runs beyond the first of one logical request: each one is a double charge."""
        return self._book.duplicate_executions

    def executions_of(self, payment: str, operation: str = "pay") -> int:
        """Executions of one request, by idempotency key, request id or order number."""
        return self._book.executions_of(payment, operation)

    def outcome_of(self, payment: str, operation: str = "pay") -> str | None:
        """What the provider did with one request (by idempotency key, request id or order
        number): ``"success"``, ``"pending"``, ``"failed"``, ``"cancelled"`` (a payment
        cancelled since), or None when it never ran. The ground truth to check a
        classification against."""
        return self._book.outcome_of(payment, operation)

    def notify(
        self,
        url: str,
        payment: str,
        *,
        times: int = 1,
        client_id: str = "SANDBOX_SIMULATOR",
        request_time: str = "2026-01-01T00:00:00Z",
    ) -> list[httpx.Response]:
        """Push Antom's ``notifyPayment`` for ``payment`` (its ``paymentRequestId``) to a
        merchant URL, signed as Antom signs it (:attr:`antom_public_key` verifies it), and
        ``times`` times over, as Antom redelivers until acknowledged.

        The body says what the simulator really did: ``PAYMENT_RESULT`` with SUCCESS or a
        decline, or ``PAYMENT_PENDING`` (docs.antom.com/ac/ams/paymentrn_online).

        Args:
            url: the merchant's notification endpoint.
            payment: the payment's request id (as sent in ``paymentRequestId``).
            times: deliveries to make.
            client_id: the ``client-id`` header.
            request_time: the ``request-time`` header.

        Returns:
            The merchant's answer to each delivery.

        Raises:
            UsageError: the simulator never ran that payment.
            ImportError: ``cryptography`` is not installed (``pip install 'payerr[antom]'``).
        """
        outcome = self.outcome_of(payment)
        if outcome is None:
            raise UsageError(f"the simulator never ran a payment {payment!r}")
        result = {
            "success": ("SUCCESS", "S", "success"),
            "failed": ("USER_BALANCE_NOT_ENOUGH", "F", "The user balance is not enough."),
            "cancelled": ("ORDER_IS_CANCELED", "F", "The order is canceled."),
        }.get(outcome, ("PAYMENT_IN_PROCESS", "U", "The payment is being processed."))
        body = json.dumps(
            {
                "notifyType": "PAYMENT_PENDING" if outcome == "pending" else "PAYMENT_RESULT",
                "result": dict(zip(("resultCode", "resultStatus", "resultMessage"), result,
                                   strict=True)),
                "paymentRequestId": payment,
                "paymentId": "SIM" + hashlib.sha256(payment.encode()).hexdigest()[:16],
            }
        )  # fmt: skip
        path = httpx.URL(url).raw_path.decode("ascii")
        signature = _signing.sign(
            self._keys.antom.private, _signing.content("POST", path, client_id, request_time, body)
        )
        headers = {
            "content-type": "application/json",
            "client-id": client_id,
            "request-time": request_time,
            "signature": _signing.signature_header(signature),
        }
        with httpx.Client(timeout=10.0) as client:
            return [client.post(url, content=body, headers=headers) for _ in range(times)]

    @property
    def open_connections(self) -> int:
        """Connections the server is handling now. A client that just closed its socket may
        still count until the server reads the end of it: use :meth:`wait_idle`."""
        return self._connections.count

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no connection is open; True when that happened within ``timeout``."""
        return self._connections.wait_idle(timeout)

    def reset(self) -> None:
        """Forget every order and count."""
        self._book.reset()
