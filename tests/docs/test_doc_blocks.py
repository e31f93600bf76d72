"""Every Python block of the README and the docs runs as written.

A block may use names that stand for the reader's own application (``order``,
``show_shopper``, Antom's gateway and keys): each page's prelude below provides them, and
every HTTP call goes to a loopback simulator or a mocked route, never to the internet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.support.repo import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
BLOCKS = [
    pytest.param(page, block, id=f"{page.name}-{n}")
    for page in PAGES
    for n, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), re.S))
]


def _app() -> dict[str, Any]:
    """The reader's application, as the blocks call it."""
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def record(name: str) -> Any:
        return lambda *args, **kwargs: calls.append((name, args))

    names = (
        "show_shopper", "page_on_call", "mark_order_failed", "inquire_later", "retry_later",
        "wait_for_notification_or_inquire", "inquire",
    )  # fmt: skip
    app: dict[str, Any] = {name: record(name) for name in names}
    app.update(order={"merchant_order_no": "ORD-1", "amount": 1000}, order_key="key-ORD-1")
    app["calls"] = calls
    return app


@pytest.fixture
def paykka_api() -> Iterator[None]:
    """api.paykka.com answers a success envelope (docs.paykka.com: ret_code 000000, data)."""
    with respx.mock(assert_all_called=False) as mock:
        mock.post(url__regex=r"https://api\.paykka\.com/.*").respond(
            200, json={"ret_code": "000000", "data": {"status": "SUCCESS"}}
        )
        mock.route(host="127.0.0.1").pass_through()  # the loopback simulator answers itself
        yield


@pytest.fixture
def saved_logging() -> Iterator[None]:
    """A block may configure logging as an application does: undone afterwards."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(("page", "block"), BLOCKS)
@pytest.mark.usefixtures("paykka_api", "saved_logging")
def test_the_block_runs(
    page: Path, block: str, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    namespace: dict[str, Any] = {"__name__": "docs", **_app()}
    if "PayerrAlipayClient" in block:
        _antom_gateway(namespace, request)
    if "RedisReattemptStore.from_url" in block or "RedisCallLedger(" in block:
        port: int = request.getfixturevalue("redis_port")
        block = block.replace("redis://redis.internal:6379/0", f"redis://127.0.0.1:{port}/0")
        block = block.replace('host="localhost"', f'host="127.0.0.1", port={port}')
        namespace.update(
            card="tok_9b7f3c2a",
            payment_request_id="pay-1",
            last_decline=_decline(),
        )
    if "PrometheusMetricReader" in block:
        pytest.skip("tests/docs/test_readme.py runs the Prometheus block on a free port")
    exec(compile(block, str(page), "exec"), namespace)
    capsys.readouterr()


def _decline() -> Any:
    import payerr

    body = {"result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"}}
    return payerr.classify_http("antom", 200, body)


def _antom_gateway(namespace: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """Antom's gateway and keys: payerr's simulator, which signs as Antom does."""
    pytest.importorskip("com.alipay.ams")
    from com.alipay.ams.api.model.amount import Amount  # type: ignore[import-untyped]
    from com.alipay.ams.api.request.pay.alipay_pay_request import (  # type: ignore[import-untyped]
        AlipayPayRequest,
    )

    from payerr.testing import ProviderSimulator

    sim = ProviderSimulator()
    sim.start()
    request.addfinalizer(sim.stop)
    pay = AlipayPayRequest()
    pay.payment_request_id = "docs-pay-1"
    pay.payment_amount = Amount(currency="USD", value="1000")
    pay.payment_redirect_url = "https://shop.example/return"
    namespace.update(
        GATEWAY_URL=sim.url_for("antom"),
        CLIENT_ID="SANDBOX_DOCS",
        MERCHANT_PRIVATE_KEY=sim.merchant_private_key,
        ALIPAY_PUBLIC_KEY=sim.antom_public_key,
        pay_request=pay,
    )


def test_every_page_with_code_is_read() -> None:
    assert len(BLOCKS) >= 15
    pages = {param.values[0].name for param in BLOCKS}  # type: ignore[union-attr]
    assert pages >= {"README.md", "retries.md", "notifications.md"}
    assert httpx  # the blocks' httpx is the one respx mocks
