"""payerr demo: the README's main job."""

from __future__ import annotations

import json

import pytest

from payerr.cli import main

LABELS = {"success", "pending", "retryable", "user-action", "merchant-config", "risk", "final"}


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
    assert "payerr.retry_scheduled" in out  # the structured logs are shown
    assert "4111111111111111" not in out  # the card numbers in the bodies never leak
