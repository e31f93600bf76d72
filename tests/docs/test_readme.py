"""The README's and the docs' examples run as written (each found by what it holds)."""

from __future__ import annotations

import re

import pytest

from tests.support.repo import REPO


def documentation() -> str:
    """The README and every docs page, as one text to find code blocks in."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README has a Python example"
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "tell the shopper: Your balance is not enough" in out
    assert "Recharge or choose another payment method." in out


def test_readme_names_the_ci_test_command() -> None:
    """.ci/run runs exactly the README's test command (then the lowest-versions run)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = readme.split("Install and run the whole test suite", 1)[1]
    test_command = test_command.split("```sh\n", 1)[1].split("\n```", 1)[0].strip()
    assert test_command in ci.splitlines()
    assert "lowest.txt" in ci


def test_readme_logging_configurations_run_and_redact(capsys: pytest.CaptureFixture[str]) -> None:
    """Both structlog configurations in the README work as written and mask card numbers."""
    import logging

    import structlog

    readme = documentation()
    blocks = [
        b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "structlog.configure" in b
    ]
    assert len(blocks) == 2
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        for block in blocks:
            root.handlers.clear()
            structlog.reset_defaults()  # as a fresh application starts
            exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
            structlog.get_logger("shop").info("paid", card="4111 1111 1111 1111", cvv="123")
            for handler in root.handlers:
                handler.flush()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert text.count("411111******1111") == 2
    assert "4111 1111" not in text
    assert '"cvv": "[REDACTED]"' in text


def test_readme_simulator_example_passes() -> None:
    """The simulator example in the README is a real test: run it."""
    readme = documentation()
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "def test_a_stalled_checkout_is_not_charged_twice" in b
    )
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(block, "README.md", "exec"), namespace)
    test = namespace["test_a_stalled_checkout_is_not_charged_twice"]
    assert callable(test)
    test()


def test_readme_prometheus_scrape_serves_payerrs_metrics() -> None:
    """The README's Prometheus setup, as written but on a free port: a payment, then a scrape."""
    import socket
    import urllib.request

    import httpx
    from opentelemetry import metrics
    from prometheus_client import REGISTRY

    import payerr
    from tests.support.otel import installed

    readme = documentation()
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "PrometheusMetricReader" in b
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "port=9464" in block
    before = set(REGISTRY._collector_to_names)
    with installed(meters=False, traces=False):  # the block installs the provider
        namespace: dict[str, object] = {"__name__": "readme"}
        exec(compile(block.replace("9464", str(port)), "README.md", "exec"), namespace)
        answers = iter(
            [
                httpx.Response(503),  # RFC 9110 15.6.4: try again later
                httpx.Response(
                    200, json={"ret_code": "000000", "data": {"status": "SUCCESS"}}
                ),  # PayKKa's success envelope (seeds/003)
            ]
        )
        transport = payerr.PaymentTransport(
            "paykka",
            transport=httpx.MockTransport(lambda request: next(answers)),
            policy=payerr.RetryPolicy(sleep=lambda seconds: None, budget=False),
        )
        with httpx.Client(transport=transport) as http:
            http.post(
                "https://api.paykka.example/api/v1/payments",
                json={},
                headers={"Idempotency-Key": "order-1"},
            )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
            scraped = page.read().decode()
        metrics.get_meter_provider().shutdown()  # type: ignore[attr-defined]  # the SDK's
    assert set(REGISTRY._collector_to_names) == before  # the reader unregistered itself
    # Exporter releases differ in label order and unit suffixes ("_seconds" or "_s"): match
    # each series by its name's start and its labels.
    series = [line for line in scraped.splitlines() if line.startswith("payerr_")]

    def scraped_series(prefix: str, *labels: str) -> list[str]:
        return [s for s in series if s.startswith(prefix) and all(lab in s for lab in labels)]

    assert scraped_series("payerr_client_attempts", 'http_response_status_code="503"')
    assert scraped_series("payerr_client_call_duration", "_count{", 'payment_provider="paykka"')
    assert scraped_series("payerr_client_call_retries", "_count{")


def test_readme_network_advice_example_runs() -> None:
    readme = documentation()
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "paymentResultInfo" in b
    )
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_readme_dunning_example_runs() -> None:
    readme = documentation()
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "ReattemptLimiter" in b
    )
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_readme_fleet_ledger_example_runs(redis_port: int) -> None:
    """The call-ledger example builds a working ledger on a real Redis, as written (only the
    server's address differs)."""
    readme = documentation()
    (block,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "RedisCallLedger" in b and 'host="localhost"' in b
    ]
    block = block.replace('host="localhost"', f'host="127.0.0.1", port={redis_port}')
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(block, "README.md", "exec"), namespace)
    import payerr

    ledger = namespace["ledger"]
    assert isinstance(ledger, payerr.RedisCallLedger)
    keys = [("paykka", "key", "readme-example")]
    assert not ledger.begin(keys).first  # a new ledger vouches for nothing yet
    ledger.end(keys, None, last=True)
    assert isinstance(namespace["transport"], payerr.PaymentTransport)


def test_the_readme_is_a_front_page() -> None:
    """At most 250 lines: the pitch, the two commands, the taxonomy, one example, the
    exceptions, links; the rest lives on the docs site."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for page in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (REPO / page).is_file(), page


def test_docs_notifications_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", documentation(), re.S) if "notifyType" in b
    )
    exec(compile(block, "docs/notifications.md", "exec"), {"__name__": "docs"})
    out = capsys.readouterr().out
    assert "renewal-2026-11-0043 failed user-action" in out
