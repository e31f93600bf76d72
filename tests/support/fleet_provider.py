"""A loopback provider for the fleet drill: it executes an order once, can hold its answer, and
answers every later request for that order with the duplicate answer a scenario names.

Written from the providers' documents, never from payerr's mappings:

- PayKKa (seed 003): a duplicate submission is HTTP 200, ``ret_code`` "000000" and ``data``
  with ``status`` FAILURE and ``error_code`` 4020 "Duplicate transaction", 4021 "Transaction
  number is duplicate", 4002 "Transaction is completed, duplicate submission is not allowed",
  4007 "Checkout is completed, duplicate submission is not allowed"
  (Architecture#where-each-provider-fact-lives for the
  envelope). The order is ``merchant_order_no``.
- OTT Pay (seed 002, Appendix B; envelope from docs.ottpay.com/payment-api): ``rsp_code``
  ORDER_USED "order number duplicated", SERIALNO_EXIST "the account request serial number
  already exists, can not be submitted again.", ORDER_PAID "order paid", TRADE_HAS_FINISHED
  "the trade has been finished.", PRE_AUTH_FINISHED "original order has been finished". The
  order is ``data.order_id`` (``data`` is encrypted on the real wire; the drill sends it
  plain, as the merchant's code holds it before encrypting).
- Antom and Alipay+ (docs.antom.com/ac/ams/idempotency, Architecture#where-each-provider-fact-lives
and 7): pay is
  idempotent on ``paymentRequestId``: the same body replays the first result, a changed body
  under the same id is ``REPEAT_REQ_INCONSISTENT`` (F).
- Any REST API: a bare HTTP 409 Conflict (RFC 9110 15.5.10), for every provider here.

A held order's first request executes, then waits (bounded) until the drill releases it:
"the provider executed, then stalled".
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.support.loopback import running

HOLD_MAX = 30.0  # a held answer is released by the drill; this bounds a drill gone wrong

PATHS = {
    "antom": "/ams/api/v1/payments/pay",
    "alipay_plus": "/aps/api/v1/payments/pay",
    "paykka": "/paykka/v1/payments",
    "ottpay": "/ottpay/api",
}


def _paykka(code: str, text: str) -> tuple[int, dict[str, Any]]:
    data = {"status": "FAILURE", "error_code": code, "error_description": text}
    return 200, {"ret_code": "000000", "ret_msg": "success", "data": data}


def _ottpay(code: str, text: str) -> tuple[int, dict[str, Any]]:
    return 200, {"rsp_code": code, "rsp_msg": text}


def _antom(code: str, text: str) -> tuple[int, dict[str, Any]]:
    return 200, {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": text}}


DUPLICATES: dict[str, tuple[str, tuple[int, dict[str, Any]]]] = {
    "paykka-4020": ("paykka", _paykka("4020", "Duplicate transaction")),
    "paykka-4021": ("paykka", _paykka("4021", "Transaction number is duplicate")),
    "paykka-4002": (
        "paykka",
        _paykka("4002", "Transaction is completed, duplicate submission is not allowed"),
    ),
    "paykka-4007": (
        "paykka",
        _paykka("4007", "Checkout is completed, duplicate submission is not allowed"),
    ),
    "paykka-409": ("paykka", (409, {})),
    "ottpay-ORDER_USED": ("ottpay", _ottpay("ORDER_USED", "order number duplicated")),
    "ottpay-SERIALNO_EXIST": (
        "ottpay",
        _ottpay(
            "SERIALNO_EXIST",
            "the account request serial number already exists, can not be submitted again.",
        ),
    ),
    "ottpay-ORDER_PAID": ("ottpay", _ottpay("ORDER_PAID", "order paid")),
    "ottpay-TRADE_HAS_FINISHED": (
        "ottpay",
        _ottpay("TRADE_HAS_FINISHED", "the trade has been finished."),
    ),
    "ottpay-PRE_AUTH_FINISHED": (
        "ottpay",
        _ottpay("PRE_AUTH_FINISHED", "original order has been finished"),
    ),
    "ottpay-409": ("ottpay", (409, {})),
    "antom-REPEAT_REQ_INCONSISTENT": (
        "antom",
        _antom("REPEAT_REQ_INCONSISTENT", "Repeated requests are inconsistent."),
    ),
    "antom-409": ("antom", (409, {})),
    "alipay_plus-REPEAT_REQ_INCONSISTENT": (
        "alipay_plus",
        _antom("REPEAT_REQ_INCONSISTENT", "Repeated requests are inconsistent."),
    ),
}
"""Scenario -> (provider, the answer to a request for an order already executed)."""


def success(provider: str, order: str) -> dict[str, Any]:
    """The first execution's answer, in each provider's envelope
    (Architecture#where-each-provider-fact-lives)."""
    if provider == "paykka":
        data = {"status": "SUCCESS", "merchant_order_no": order}
        return {"ret_code": "000000", "ret_msg": "success", "data": data}
    if provider == "ottpay":
        # PASSIVEPAY's decrypted data (docs.ottpay.com/payment-api/retail-api/api-list:
        # "order_status | Order status | Y ... order_id | Order ID | Y"); integrations read
        # its value as "success" (STATUS_QUERY callers).
        data = {"order_id": order, "order_status": "success"}
        return {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": data}
    result = {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."}
    return {"result": result, "paymentRequestId": order}


def order_of(provider: str, body: dict[str, Any]) -> str | None:
    """The order a request names, as each provider reads it."""
    if provider == "paykka":
        value = body.get("merchant_order_no")
    elif provider == "ottpay":
        data = body.get("data")
        value = data.get("order_id") if isinstance(data, dict) else None
    else:
        value = body.get("paymentRequestId")
    return value if isinstance(value, str) else None


@dataclass
class _Order:
    scenario: str
    hold: bool = False
    executed_body: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None


class FleetProvider:
    """The loopback provider; counts executions per order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, _Order] = {}
        self.executions: Counter[str] = Counter()
        self._held = threading.Semaphore(0)
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._running = contextlib.ExitStack()

    # -- the drill's controls -----------------------------------------------------------------

    def script(self, order: str, scenario: str, *, hold: bool = False) -> None:
        """Answer ``order`` as ``scenario`` says; ``hold``: the first execution stalls."""
        with self._lock:
            self._orders[order] = _Order(scenario, hold)

    def executed_elsewhere(self, order: str, scenario: str, body: dict[str, Any]) -> None:
        """The order number was used before, by a payment this fleet never sent."""
        with self._lock:
            provider = DUPLICATES[scenario][0]
            self._orders[order] = _Order(scenario, False, body, success(provider, order))

    def wait_held(self, count: int, timeout: float = 20.0) -> bool:
        """Wait until ``count`` held requests have executed and are stalling."""
        return all(self._held.acquire(timeout=timeout) for _ in range(count))

    def release(self) -> None:
        """Let every held answer go (held requests answer their first result)."""
        self._release.set()

    def rearm(self) -> None:
        """Hold again from now on (and count held requests afresh)."""
        self._release = threading.Event()
        self._held = threading.Semaphore(0)

    # -- the provider ---------------------------------------------------------------------------

    def handle(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], bool]:
        """(status, answer, hold) for one request."""
        provider = next((p for p, known in PATHS.items() if known == path), None)
        order = None if provider is None else order_of(provider, body)
        if provider is None or order is None:
            return 400, {}, False
        with self._lock:
            state = self._orders.get(order)
            if state is None:  # an order no scenario named: a new payment (the caller's)
                state = self._orders[order] = _Order("new")
            if state.executed_body is None:
                self.executions[order] += 1
                state.executed_body = body
                state.answer = success(provider, order)
                return 200, state.answer, state.hold
            if provider in ("antom", "alipay_plus") and body == state.executed_body:
                assert state.answer is not None
                return 200, state.answer, False  # Antom replays the first result
            if state.scenario == "new":
                # A caller's new order sent twice: answer as the provider of the path would.
                return 409, {}, False
            status, answer = DUPLICATES[state.scenario][1]
            return status, answer, False

    def __enter__(self) -> FleetProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    body = None
                status, answer, hold = (
                    provider.handle(self.path, body) if isinstance(body, dict) else (400, {}, False)
                )
                if hold:
                    release = provider._release
                    provider._held.release()
                    release.wait(HOLD_MAX)
                payload = json.dumps(answer).encode() if answer else b""
                try:
                    self.send_response(status)
                    if payload:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client gave up waiting (timed out)

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return

        self._server = Server(("127.0.0.1", 0), Handler)
        self._running.enter_context(running(self._server))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release.set()  # held answers go out, so the server's threads can end
        self._running.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"


Body = Callable[[str, int], dict[str, Any]]


def request_body(provider: str, order: str, run: int) -> dict[str, Any]:
    """The request a payment job builds for ``order``; ``run`` counts the job's runs. A re-run
    rebuilds the request, and Antom's carries a fresh request time (so Antom sees a changed
    body under the same paymentRequestId, as a job queue's re-run would send)."""
    if provider == "paykka":
        return {"merchant_order_no": order, "amount": 100, "currency": "USD"}
    if provider == "ottpay":
        data = {"order_id": order}
        return {"action": "PASSIVEPAY", "version": "1.0", "merchant_id": "m1", "data": data}
    amount = {"currency": "USD", "value": "100"}
    return {"paymentRequestId": order, "paymentAmount": amount, "env": {"run": run}}
