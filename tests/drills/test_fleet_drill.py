"""The fleet drill (issue 20): real worker processes, a real redis-server, a loopback provider.

Every duplicate answer of the four providers, plus a bare HTTP 409 (tests/support/fleet_provider.py,
written from the providers' documents), in three situations a job queue produces:

- **after**: worker A's payment executes and its answer stalls past A's read timeout; the queue
  runs the job again on worker B, another process, under the same Idempotency-Key;
- **while**: the same, but B sends while A is still waiting for its answer (A then succeeds);
- **reused**: worker C sends a key nobody sent, for an order number a payment outside this fleet
  already used (the merchant reused it).

Each job is an obedient caller (tests/support/fleet_worker.py): it resends when the error says
``safe_to_resend`` and sends a new order number when a failure's action asks for one. Checked:
no purchase executes twice, and no worker says "failed" for an order that executed. With the
Redis ledger, C hears the truth (a failure: the number was reused); with the per-process memory
ledger, C hears outcome unknown: less precise, never false.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import FakeTime
from tests.support.fleet_provider import DUPLICATES, FleetProvider, request_body
from tests.support.ledgers import aged_ledger, quick_client

REPO = Path(__file__).resolve().parents[2]
TTL = 600.0
READ_TIMEOUT_STALL = 0.3  # A gives up on a stalled answer (the provider holds it until released)
READ_TIMEOUT_WAIT = 20.0  # A waits while B runs (the answer is released after B's result)
SCENARIOS = sorted(DUPLICATES)
_ids = itertools.count()


class Worker:
    """A worker process: send it jobs, collect its replies by job id."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fleet_worker"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(settings) + "\n")
        self.process.stdin.flush()
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self.replies.get(timeout=60)
        assert ready == {"ready": True}, ready

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.replies.put(json.loads(line))

    def send(self, jobs: list[dict[str, Any]]) -> None:
        assert self.process.stdin is not None
        for job in jobs:
            self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()

    def collect(self, count: int) -> dict[str, list[dict[str, Any]]]:
        replies = {}
        for _ in range(count):
            reply = self.replies.get(timeout=60)
            assert "crash" not in reply, reply
            replies[reply["id"]] = reply["steps"]
        return replies

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def job(scenario: str, order: str, key: str, *, read_timeout: float, run: int) -> dict[str, Any]:
    provider = DUPLICATES[scenario][0]
    return {
        "id": f"{order}#{run}",
        "provider": provider,
        "order": order,
        "key": key,
        "read_timeout": read_timeout,
        "run": run,
    }


@pytest.fixture(scope="module")
def provider() -> Iterator[FleetProvider]:
    with FleetProvider() as running:
        yield running


def age_the_ledger(redis_port: int, prefix: str) -> None:
    """The fleet's Redis ledger has recorded a whole window already (as in production after
    its first day): started through the public API with a clock one window back."""
    client = quick_client(redis_port)
    past = FakeTime()
    past.now = time.time() - 2 * TTL  # the workers' real clocks are then a window later
    aged_ledger(client, past, prefix=prefix, ttl=TTL)
    client.close()


def drill(provider: FleetProvider, settings: dict[str, Any]) -> dict[str, Any]:
    """Run the three situations for every scenario; return every job's steps by role."""
    workers = {role: Worker(settings) for role in ("A", "B", "C")}
    tag = f"{settings['ledger']}{next(_ids)}"
    try:
        steps: dict[str, Any] = {}
        # after: A times out on a stalled answer; then B runs the job again, same key.
        provider.rearm()
        a_jobs, b_jobs = [], []
        for scenario in SCENARIOS:
            order = f"{tag}-after-{scenario}"
            provider.script(order, scenario, hold=True)
            a_jobs.append(
                job(scenario, order, f"k-{order}", read_timeout=READ_TIMEOUT_STALL, run=0)
            )
            b_jobs.append(job(scenario, order, f"k-{order}", read_timeout=READ_TIMEOUT_WAIT, run=1))
        workers["A"].send(a_jobs)
        steps["after-A"] = workers["A"].collect(len(a_jobs))
        workers["B"].send(b_jobs)
        steps["after-B"] = workers["B"].collect(len(b_jobs))
        provider.release()
        # while: A waits for its held answer while B runs the job again.
        provider.rearm()
        a_jobs, b_jobs = [], []
        for scenario in SCENARIOS:
            order = f"{tag}-while-{scenario}"
            provider.script(order, scenario, hold=True)
            a_jobs.append(job(scenario, order, f"k-{order}", read_timeout=READ_TIMEOUT_WAIT, run=0))
            b_jobs.append(job(scenario, order, f"k-{order}", read_timeout=READ_TIMEOUT_WAIT, run=1))
        workers["A"].send(a_jobs)
        assert provider.wait_held(len(a_jobs)), "A's requests never reached the provider"
        workers["B"].send(b_jobs)
        steps["while-B"] = workers["B"].collect(len(b_jobs))
        provider.release()
        steps["while-A"] = workers["A"].collect(len(a_jobs))
        # reused: C's key is new; the order number was used by a payment outside the fleet.
        c_jobs = []
        for scenario in SCENARIOS:
            order = f"{tag}-reused-{scenario}"
            body = request_body(DUPLICATES[scenario][0], order, run=-1)
            provider.executed_elsewhere(order, scenario, body)
            c_jobs.append(job(scenario, order, f"k-{order}", read_timeout=READ_TIMEOUT_WAIT, run=0))
        workers["C"].send(c_jobs)
        steps["reused-C"] = workers["C"].collect(len(c_jobs))
        return steps
    finally:
        provider.release()
        for worker in workers.values():
            worker.stop()


def purchase_executions(provider: FleetProvider, order: str) -> int:
    """Executions for one purchase: its order number and any new one the caller made."""
    return sum(n for o, n in provider.executions.items() if o == order or o.startswith(order + "-"))


def check_never_false(provider: FleetProvider, steps: dict[str, Any]) -> None:
    """No purchase executes twice; no worker says "failed" for an order that executed."""
    for role in ("after-A", "after-B", "while-A", "while-B"):
        for job_id, job_steps in steps[role].items():
            order = job_id.split("#")[0]
            assert purchase_executions(provider, order) == 1, (role, job_id, job_steps)
            for step in job_steps:
                assert step["outcome"] != "failed", (role, job_id, step)
                assert "could not be completed" not in step["user_message"], (role, job_id, step)
    for job_id, job_steps in steps["reused-C"].items():
        order = job_id.split("#")[0]
        assert purchase_executions(provider, order) <= 1, (job_id, job_steps)


def first(steps: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    return {job_id.split("#")[0].rsplit("-", 1)[0]: s[0] for job_id, s in steps[role].items()}


def test_the_fleet_with_a_shared_redis_ledger_never_claims_falsely_and_knows_a_reuse(
    provider: FleetProvider, redis_port: int
) -> None:
    prefix = f"drill{next(_ids)}"
    age_the_ledger(redis_port, prefix)
    settings = {
        "ledger": "redis",
        "redis_port": redis_port,
        "prefix": prefix,
        "ttl": TTL,
        "url": provider.url,
    }
    steps = drill(provider, settings)
    check_never_false(provider, steps)
    for job_id, job_steps in steps["after-A"].items():
        # Unknown, or the success Antom replays to A's own resend of the same body.
        assert job_steps[-1]["outcome"] in ("pending", "success"), (job_id, job_steps)
    for role in ("after-B", "while-B"):
        for job_id, job_steps in steps[role].items():
            step = job_steps[0]
            assert step["kind"] == "OutcomeUnknownError", (role, job_id, step)
            assert step["outcome"] == "pending", (role, job_id, step)
            assert "inquire" in step["action"].lower(), (role, job_id, step)
            assert step["executed_before"], (role, job_id, step)  # the other worker's attempt
    for job_id, job_steps in steps["while-A"].items():
        assert job_steps[0]["outcome"] == "success", (job_id, job_steps)
    # C: nobody in the fleet sent the key or the order: "reused" is the truth, and the
    # obedient caller's new order number executes the purchase once.
    for job_id, job_steps in steps["reused-C"].items():
        order = job_id.split("#")[0]
        assert job_steps[0]["outcome"] == "failed", (job_id, job_steps)
        assert job_steps[0]["repeat"], (job_id, job_steps)
        # Where the action asks for a new number, the caller sends one and pays once.
        paid = 1 if job_steps[-1]["outcome"] == "success" else 0
        assert purchase_executions(provider, order) == paid, (job_id, job_steps)


def test_the_fleet_with_per_process_memory_ledgers_is_less_precise_never_false(
    provider: FleetProvider,
) -> None:
    settings = {"ledger": "memory", "url": provider.url}
    steps = drill(provider, settings)
    check_never_false(provider, steps)
    for role in ("after-B", "while-B", "reused-C"):
        for job_id, job_steps in steps[role].items():
            step = job_steps[0]
            assert step["kind"] == "OutcomeUnknownError", (role, job_id, step)
            assert "per process" in step["message"], (role, job_id, step)
    for job_id, job_steps in steps["reused-C"].items():
        assert len(job_steps) == 1, (job_id, job_steps)  # it inquires; it never charges again
