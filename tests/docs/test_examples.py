"""Every example in examples/ runs and says what it promises."""

from __future__ import annotations

import runpy

import pytest

from tests.support.repo import REPO

EXPECTED = {
    "antom_sdk.py": [
        "pay-001: success (SUCCESS) after 2 sends, executed 1 time",
        "pay-002: answer lost, resent: success, executed 1 time",
        "pay-003: UserActionError USER_BALANCE_NOT_ENOUGH",
        "pay-004: pending (PAYMENT_IN_PROCESS)",
        "double charges: 0",
    ],
    "classify_answers.py": ["USER_BALANCE_NOT_ENOUGH", "failed/risk", "retry_after=3.0"],
    "antom_pay_then_inquire.py": ["pay: pending (PAYMENT_IN_PROCESS)", "settled: success"],
    "paykka_checkout_idempotency.py": [
        "checkout: success after 2 sends, every send with the same key: True",
        "without a key: OutcomeUnknownError after 1 send",
    ],
    "async_client.py": ["'success': 34", "'UserActionError': 10", "'pending': 6"],
    "tenacity_loop.py": ["attempt 2 failed; retrying", "charged: success"],
    "notifications_asgi.py": [
        "deliveries answered: [200, 200, 200]",
        "forged success answered: 401",
        "handled once: ['order-1001: success (SUCCESS)']",
    ],
    "json_logs.py": [
        '"event": "payerr.retry_scheduled"',
        '"event": "payerr.request_failed"',
        '"payment.category": "user-action"',
        '"number": "411111******1111"',
        '"cvv": "[REDACTED]"',
    ],
}


def test_every_example_is_covered() -> None:
    assert {p.name for p in (REPO / "examples").glob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(REPO / "examples" / name), run_name="__main__")
    out = capsys.readouterr().out
    for expected in EXPECTED[name]:
        assert expected in out, out
    assert "4111111111111111" not in out


def test_an_example_that_needs_an_extra_says_so_in_one_line() -> None:
    """On the base install (no Antom SDK: hidden here), the SDK example exits with a hint."""
    import subprocess
    import sys

    hide = (
        "import runpy, sys; sys.modules['com'] = None; "
        "runpy.run_path('examples/antom_sdk.py', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "this example needs Antom's official SDK: pip install 'payerr[antom]'"
    )
