"""A notification endpoint for an ASGI app (Starlette here; FastAPI's is the same function):
verify, classify, hand the verdict to the application once, answer the acknowledgement.

``make_app`` is the part to copy. Run as a script, it serves the endpoint with uvicorn on a
loopback port, pays through payerr's simulator, and lets the simulator push Antom's signed
notifications to it, redelivered and forged, as a real provider and a real attacker would.

Run: python examples/notifications_asgi.py
     (needs pip install 'payerr[notifications,antom]' starlette uvicorn)
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError:
    sys.exit(
        "this example needs starlette, uvicorn and cryptography: "
        "pip install 'payerr[notifications]' starlette uvicorn"
    )

import httpx

import payerr
from payerr.testing import ProviderSimulator


def make_app(
    public_key: str,
    handle: Callable[[payerr.Notification], None],
    *,
    provider: str = "antom",
    ledger: Any = None,
) -> Starlette:
    """An app whose ``POST /notify`` believes only what the provider signed, and hands each
    event to ``handle`` once (a redelivery is acknowledged, not handled again).

    ``ledger`` is where deliveries are remembered: this process by default, the fleet with
    ``payerr.RedisCallLedger(redis.asyncio.Redis(...))`` (the async calls never block the loop).

    ``handle`` runs in the event loop here; a slow one belongs in a worker thread
    (``await anyio.to_thread.run_sync(handle, note)``) or a job queue."""

    async def notify(request: Request) -> Response:
        body = await request.body()  # the exact bytes: never re-serialised JSON
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            note = await payerr.averify_notification(
                provider,
                method=request.method,
                path=path,
                headers=request.headers,
                body=body,
                public_key=public_key,
                ledger=ledger,
            )
        except payerr.SignatureError:
            return Response(status_code=401)  # a forgery: no acknowledgement
        except (payerr.NotificationLedgerError, payerr.NotificationInProgressError):
            # Cannot tell a redelivery, or another delivery is being handled right now:
            # no acknowledgement, so the provider delivers it again later.
            return Response(status_code=503)
        if not note.duplicate:
            try:
                handle(note)
            except Exception:
                await note.aforget()  # the redelivery will be handled, not skipped
                return Response(status_code=500)
            # From now on a redelivery is acknowledged without handling. If the ledger cannot
            # record it, acknowledge all the same: it was handled (a redelivery may run it
            # again, so the handler stays idempotent on note.notification_id).
            with contextlib.suppress(payerr.NotificationLedgerError):
                await note.adone()
        return Response(note.ack.body, note.ack.status_code, dict(note.ack.headers))

    return Starlette(routes=[Route("/notify", notify, methods=["POST"])])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    handled: list[str] = []

    def ship(note: payerr.Notification) -> None:
        c = note.classification
        handled.append(f"{note.data['paymentRequestId']}: {c.outcome} ({c.code})")

    with ProviderSimulator() as sim:
        app = make_app(sim.antom_public_key, ship)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port}/notify"
        try:
            transport = payerr.PaymentTransport("antom")
            with httpx.Client(transport=transport, base_url=sim.url_for("antom")) as client:
                client.post(
                    "/ams/api/v1/payments/pay",
                    json={"paymentRequestId": "order-1001",
                          "paymentAmount": {"currency": "USD", "value": "1000"}},
                )  # fmt: skip
            answers = sim.notify(url, "order-1001", times=3)  # Antom redelivers until acked
            print("deliveries answered:", [a.status_code for a in answers])
            forged = httpx.post(
                url,
                content=b'{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS",'
                b'"resultStatus":"S"},"paymentRequestId":"order-9999"}',
                headers={"signature": "algorithm=RSA256,keyVersion=1,signature=Zm9yZ2Vk",
                         "client-id": "x", "request-time": "0"},
            )  # fmt: skip
            print("forged success answered:", forged.status_code)
            print("handled once:", handled)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
