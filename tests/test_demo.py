"""payerr demo: the README's main job."""

from __future__ import annotations

import json

import pytest

from payerr._cli import main
from payerr._demo import workload

from .otel import installed

LABELS = {
    "success",
    "pending",
    "outcome-unknown",
    "retryable",
    "user-action",
    "merchant-config",
    "risk",
    "final",
}


def test_demo_json_summary_on_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(out[-1])
    for key in ("requests", "executions", "duplicate_executions", "retries", "outcomes"):
        assert key in summary
    assert summary["duplicate_executions"] == 0
    assert set(summary["outcomes"]) == LABELS  # every outcome and every category
    assert summary["retries"] > 0
    assert summary["faults_played"]["stall"] > 0  # the execute-then-stall case ran
    assert summary["requests"] > summary["payments"]
    assert sum(summary["outcomes"].values()) == summary["payments"]


def test_demo_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "payerr demo summary" in out
    assert "duplicate_executions  0" in out
    assert "payerr.retry_scheduled" not in out  # logs only with --verbose
    lines = out.splitlines()
    scenarios = [line for line in lines if line.startswith(("antom-", "ottpay-", "paykka-"))]
    assert len(scenarios) >= 3 * 14  # one line per scenario
    assert all(len(line) < 160 for line in lines)
    stalled = [line for line in scenarios if "stall" in line and " no " in line]
    assert stalled
    # A keyless payment whose answer was lost is never resent; an inquiry settles it.
    assert all("outcome-unknown -> inquiry:" in line for line in stalled)
    assert all(line.endswith("(success)") for line in stalled)
    # An order the caller sent again meets the provider's repeat answer (OTT Pay ORDER_PAID,
    # PayKKa 4021), which payerr reads as "inquire", and the inquiry finds it paid.
    twice = [line for line in scenarios if "sent twice" in line and line.startswith("paykka")]
    assert twice
    assert all("4021 (repeat) -> inquiry:" in line for line in twice)
    assert all(line.endswith("(success)") for line in twice)


def test_demo_verbose_shows_redacted_logs_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3", "--verbose"]) == 0
    captured = capsys.readouterr()
    assert "payerr.retry_scheduled" in captured.err
    assert "payerr.retry_scheduled" not in captured.out
    assert "4111111111111111" not in captured.err + captured.out  # card numbers never leak


def test_demo_metrics_agree_with_what_the_simulator_saw(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """payerr's attempts counter against the simulator's own request count, its retries
    histogram against the retries the logs announced, one call point per logical call."""
    with installed(meters=False, traces=False):  # the demo installs its own, as an app would
        assert main(["demo", "--json", "--metrics"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    points = summary["metrics"]

    def total(name: str, field: str) -> float:
        return float(sum(p[field] for p in points if p["name"] == name))

    assert total("payerr.client.attempts", "value") == summary["requests"]
    assert total("payerr.client.call.retries", "sum") == summary["retries"]
    calls = total("payerr.client.call.duration", "count")
    resent = sum(p.resend for p in workload(7))  # "sent twice by the caller" payments
    assert calls == summary["payments"] + resent + summary["inquiries"]
    units = {p["name"]: p["unit"] for p in points}
    assert units["payerr.client.call.duration"] == "s"
    assert units["payerr.client.retry.delay"] == "s"


def test_demo_metrics_text(capsys: pytest.CaptureFixture[str]) -> None:
    with installed(meters=False, traces=False):
        assert main(["demo", "--metrics"]) == 0
    out = capsys.readouterr().out
    assert "metrics (OpenTelemetry, meter 'payerr')" in out
    assert "payerr.client.call.duration{" in out
