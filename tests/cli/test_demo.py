"""payerr demo: the README's main job."""

from __future__ import annotations

import json

import pytest

from payerr._cli.drill import workload
from payerr._cli.main import main
from tests.support.otel import installed

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
    assert summary["faults_played"]["drop"] > 0  # the execute-then-lose-the-answer case ran
    assert summary["requests"] > summary["payments"]
    assert sum(summary["outcomes"].values()) == summary["payments"]
    # Every verdict payerr gave, against what the simulator did: never a wrong one.
    assert summary["verdicts"]["wrong"] == 0
    assert sum(summary["verdicts"].values()) == summary["payments"]
    assert summary["verdicts"]["right"] >= summary["payments"] - 2


def test_the_demo_is_the_same_every_run(capsys: pytest.CaptureFixture[str]) -> None:
    """Same seed, same numbers and the same report, byte for byte: no wall-clock race decides
    a scenario's path (lost answers are scripted as closed connections, the retry jitter is
    fixed, no figure is a time), so a loaded machine prints what an idle one does."""
    runs = []
    for _ in range(2):
        assert main(["demo", "--seed", "5"]) == 0
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1]
    assert main(["demo", "--seed", "5", "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--seed", "5", "--json"]) == 0
    assert capsys.readouterr().out == first


def test_demo_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 100 for line in lines)  # fits 100 columns
    headline = "\n".join(lines[:6])
    assert "duplicate executions 0" in headline  # the headline comes first
    assert "0 wrong" in headline
    assert "payerr.retry_scheduled" not in out  # logs only with --verbose
    rows = {line[:24].strip(): line[24:].split() for line in lines if line[:24].strip()}
    assert rows["scenario"] == ["antom", "alipay_plus", "ottpay", "paykka"]
    assert len([line for line in lines if line.startswith(("answers ", "plain"))]) == 6
    # A keyless payment whose answer was lost after it ran is never resent (OTT Pay, PayKKa:
    # no id the provider deduplicates); an inquiry finds it ran. Antom and Alipay+ resend
    # under their paymentRequestId.
    lost = next(line for line in lines if line.startswith("answer lost, no key"))
    assert lost[24:].split() == ["success", "x2", "success", "x2", "?->ran", "?->ran"]
    # An order the caller sent again meets the provider's repeat answer (OTT Pay ORDER_PAID,
    # PayKKa 4021), which payerr reads as "inquire", and the inquiry finds it paid.
    twice = next(line for line in lines if line.startswith("sent twice"))
    assert twice[24:].split()[-2:] == ["repeat->ran", "repeat->ran"]


def test_demo_verbose_shows_redacted_logs_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3", "--verbose"]) == 0
    captured = capsys.readouterr()
    assert "payerr.retry_scheduled" in captured.err
    assert "payerr.retry_scheduled" not in captured.out
    assert "4111111111111111" not in captured.err + captured.out  # card numbers never leak
    events = [line for line in captured.err.splitlines() if "payerr." in line]
    assert events
    assert all("payment_id=" in line for line in events)  # every line names its payment


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
    assert "payerr.client.call.duration count=" in out
    assert max(len(line) for line in out.splitlines()) <= 100  # labels wrapped under each point
