"""A notification delivered to several workers is new to exactly one of them, when they share
a RedisCallLedger on a real redis-server; and when Redis cannot say, payerr does not guess."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import warnings
from pathlib import Path
from typing import Any

import pytest

import payerr
from tests.support import redis_server
from tests.support.ledgers import quick_client
from tests.support.notify_signers import PATH, PUBLIC, antom_body, signed
from tests.support.notify_worker import verify_in_process
from tests.support.redis_server import running_redis


def arguments() -> dict[str, Any]:
    body = antom_body()
    return {"method": "POST", "path": PATH, "headers": signed(body), "body": body,
            "public_key": PUBLIC}  # fmt: skip


def test_a_redelivery_to_another_worker_is_a_duplicate(redis_port: int) -> None:
    """Four processes verify the same notification at once: one is told it is new, the
    others that it is being handled (come back later); once done, a redelivery is a
    duplicate for every worker."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [
        context.Process(target=verify_in_process, args=(redis_port, arguments(), barrier, results))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    duplicates = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    results.close()
    results.join_thread()
    assert sorted(duplicates) == ["busy", "busy", "busy", "new"]


def test_when_redis_cannot_say_payerr_does_not_guess(tmp_path: Path) -> None:
    redis_server.skip_unless_installed()
    with running_redis(tmp_path) as port:
        client = quick_client(port, timeout=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", payerr.RedisConfigWarning)
            ledger = payerr.RedisCallLedger(client, prefix="notify-down", max_wait=5.0)
        note = payerr.verify_notification("antom", ledger=ledger, **arguments())
        assert not note.duplicate
        client.shutdown(nosave=True)
        with pytest.raises(payerr.NotificationLedgerError):
            note.done()
    with pytest.raises(payerr.NotificationLedgerError, match="redelivers"):
        payerr.verify_notification("antom", ledger=ledger, **arguments())


def test_forgetting_is_fleet_wide(redis_port: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        one = payerr.RedisCallLedger(quick_client(redis_port), prefix="forget", max_wait=5.0)
        two = payerr.RedisCallLedger(quick_client(redis_port), prefix="forget", max_wait=5.0)
    note = payerr.verify_notification("antom", ledger=one, **arguments())
    assert not note.duplicate
    with pytest.raises(payerr.NotificationInProgressError):
        payerr.verify_notification("antom", ledger=two, **arguments())
    note.forget()  # handling failed on worker one: worker two handles the redelivery
    again = payerr.verify_notification("antom", ledger=two, **arguments())
    assert not again.duplicate
    again.done()
    assert payerr.verify_notification("antom", ledger=one, **arguments()).duplicate


def test_an_async_endpoint_shares_the_fleet_ledger(redis_port: int) -> None:
    """averify_notification with a redis.asyncio ledger claims in the same place as the sync
    workers: an async endpoint and a sync one never both handle a delivery."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        sync_worker = payerr.RedisCallLedger(quick_client(redis_port), prefix="mixed", max_wait=5)

    async def main() -> None:
        aclient = quick_client(redis_port, asynchronous=True)
        ledger = payerr.RedisCallLedger(aclient, prefix="mixed", max_wait=5.0)
        with pytest.raises(payerr.UsageError, match="averify_notification"):
            payerr.verify_notification("antom", ledger=ledger, **arguments())
        note = await payerr.averify_notification("antom", ledger=ledger, **arguments())
        assert not note.duplicate
        assert note.classification.outcome == "success"
        with pytest.raises(payerr.NotificationInProgressError):
            payerr.verify_notification("antom", ledger=sync_worker, **arguments())
        with pytest.raises(payerr.UsageError, match="adone"):
            note.done()  # a sync call would block the loop: refused, and nothing recorded
        await note.aforget()  # handling failed: the redelivery is handled, by anyone
        again = await payerr.averify_notification("antom", ledger=ledger, **arguments())
        assert not again.duplicate
        await again.adone()
        assert (await payerr.averify_notification("antom", ledger=ledger, **arguments())).duplicate
        await aclient.connection_pool.disconnect()  # redis-py 5.0.0 has no aclose()

    asyncio.run(main())
    assert payerr.verify_notification("antom", ledger=sync_worker, **arguments()).duplicate
    with pytest.raises(payerr.UsageError, match="synchronous"):
        asyncio.run(payerr.averify_notification("antom", ledger=sync_worker, **arguments()))


def test_an_async_endpoint_is_never_held_by_a_hung_redis() -> None:
    """A Redis that accepts and never answers (a hung server) holds the endpoint no longer
    than the client's timeouts within max_wait, then payerr says it cannot tell: never a
    guess."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)  # connections complete in the backlog; nothing ever answers

        async def main() -> None:
            aclient = quick_client(hung.getsockname()[1], timeout=0.2, asynchronous=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", payerr.RedisConfigWarning)
                ledger = payerr.RedisCallLedger(aclient, prefix="hung", max_wait=1.0)
            with pytest.raises(payerr.NotificationLedgerError, match="redelivers"):
                await payerr.averify_notification("antom", ledger=ledger, **arguments())
            await aclient.connection_pool.disconnect()

        asyncio.run(main())


def test_a_claim_sent_again_under_its_own_token_is_still_its_own(redis_port: int) -> None:
    """redis-py resends a script whose reply was lost: the delivery that claimed it is told
    "new" again, never that another delivery holds it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        ledger = payerr.RedisCallLedger(quick_client(redis_port), prefix="again", max_wait=5.0)
    assert ledger.claim_notification("antom:e1", "token-a", 600, 3600) == "new"
    assert ledger.claim_notification("antom:e1", "token-a", 600, 3600) == "new"
    assert ledger.claim_notification("antom:e1", "token-b", 600, 3600) == "busy"
    memory = payerr.MemoryCallLedger()
    assert memory.claim_notification("antom:e1", "token-a", 600, 3600) == "new"
    assert memory.claim_notification("antom:e1", "token-a", 600, 3600) == "new"
    assert memory.claim_notification("antom:e1", "token-b", 600, 3600) == "busy"


def stuck_after_claiming(ledger: Any, claimed: asyncio.Event) -> None:
    """The claim runs in Redis, and its reply never comes (a lost reply, a stalled server)."""
    real = ledger._claim

    async def claim(**kwargs: Any) -> Any:
        await real(**kwargs)
        claimed.set()
        await asyncio.sleep(3600)

    ledger._claim = claim


@pytest.mark.parametrize("ending", ["cancelled", "timed out"])
def test_a_claim_whose_reply_never_came_is_given_up(redis_port: int, ending: str) -> None:
    """A delivery cancelled (its client gone) or timed out while its claim ran gives the claim
    up: the next delivery is handled at once, not told "in progress" for ten minutes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        sync_worker = payerr.RedisCallLedger(quick_client(redis_port), prefix=ending, max_wait=5)

    async def main() -> None:
        aclient = quick_client(redis_port, timeout=0.2, asynchronous=True)
        ledger = payerr.RedisCallLedger(
            aclient, prefix=ending, max_wait=0.5 if ending == "timed out" else 5.0
        )
        claimed = asyncio.Event()
        stuck_after_claiming(ledger, claimed)
        task = asyncio.create_task(
            payerr.averify_notification("antom", ledger=ledger, **arguments())
        )
        await claimed.wait()
        if ending == "cancelled":
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with pytest.raises(payerr.NotificationLedgerError):
                await task
        await aclient.connection_pool.disconnect()  # redis-py 5.0.0 has no aclose()

    asyncio.run(main())
    again = payerr.verify_notification("antom", ledger=sync_worker, **arguments())
    assert not again.duplicate  # handled now, by the next delivery
