"""Fault drill: how many never-retry marks a RedisReattemptStore keeps through each fault.

Not a timing benchmark: a table of counts. For each fault, 200 stolen cards (Visa decline
category 1, recorded with their payment request id as ``attempt_id``) are recorded by one worker
around the fault; then a fresh limiter, on a fresh client, asks ``allowed`` for each card.
"kept" counts the cards it refuses as never-retry. Each fault runs on its own throwaway
``redis-server`` (loopback, temp dir). The settings each fault needs are the ones the store
warns about at construction (``payerr.RedisConfigWarning``): that column says whether it did.

A second table: reservations whose reply was lost (dropped after the script ran, twice, so
redis-py's one retry is lost too), and what is left holding a card afterwards.

Run: python benchmarks/drill_redis_faults.py
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import payerr
from payerr.networks._reattempts import card_key

T0 = 1_780_000_000.0
CARDS = 200
QUICK = 0.2
STOLEN = dataclasses.replace(
    payerr.classify_http(
        "antom", 200, {"result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"}}
    ),
    network=payerr.networks.NetworkAdvice("visa", "04", category="1"),
)
ANY_VISA = dataclasses.replace(
    STOLEN, network=payerr.networks.NetworkAdvice("visa", "51", category="2")
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, directory: Path, *settings: str) -> None:
        self.directory, self.settings, self.port = directory, settings, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "yes", "--dir", str(self.directory), "--loglevel", "warning"]
        self.process = subprocess.Popen([*argv, *self.settings], stdout=subprocess.DEVNULL)
        for _ in range(500):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(7).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.process = None

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def command(self, *args: str) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(" ".join(args).encode() + b"\r\n")
            sock.recv(64)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


@contextmanager
def server(*settings: str) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as directory:
        drill = Server(Path(directory), *settings)
        drill.start()
        try:
            yield drill
        finally:
            if drill.process is not None:
                drill.signal(signal.SIGCONT)
                drill.stop(signal.SIGKILL)


def limiter(url: str, caught: list[str] | None = None) -> payerr.networks.ReattemptLimiter:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        store = payerr.networks.RedisReattemptStore.from_url(url, timeout=QUICK)
    if caught is not None:
        caught += [
            m.group(1) for w in seen if (m := re.search(r"server's (\S+) is", str(w.message)))
        ]
    return payerr.networks.ReattemptLimiter(store, clock=lambda: T0)


def record_all(worker: payerr.networks.ReattemptLimiter, during: Callable[[int], None]) -> int:
    """Record every card (``during(n)`` runs before card n); returns how many raised."""
    failed = 0
    for n in range(CARDS):
        during(n)
        try:
            worker.record(f"tok_{n}", STOLEN, attempt_id=f"pay-{n}")
        except payerr.networks.ReattemptStoreError:
            failed += 1
    return failed


def kept(url: str) -> int:
    fresh = limiter(url)
    decisions = [fresh.allowed(f"tok_{n}", ANY_VISA) for n in range(CARDS)]
    return sum(not d.allowed and "category 1" in d.reason for d in decisions)


def drill(name: str, settings: tuple[str, ...], fault: Callable[[Server, Any], str]) -> None:
    caught: list[str] = []
    with server(*settings) as redis_server:
        worker = limiter(redis_server.url, caught)
        note = fault(redis_server, worker)
        marks = kept(redis_server.url)
    warned = ", ".join(sorted(set(caught))) or "-"
    print(f"{name:<44} {marks:>4} / {CARDS}   warned: {warned:<18} {note}")


def nothing(redis_server: Server, worker: Any) -> str:
    return f"{record_all(worker, lambda n: None)} records raised"


def restart(sig: int) -> Callable[[Server, Any], str]:
    def fault(redis_server: Server, worker: Any) -> str:
        record_all(worker, lambda n: None)
        redis_server.stop(sig)
        redis_server.start()
        return "restarted after every record"

    return fault


def flushall(redis_server: Server, worker: Any) -> str:
    record_all(worker, lambda n: None)
    redis_server.command("FLUSHALL")
    return "FLUSHALL after every record"


def outage(redis_server: Server, worker: Any) -> str:
    def during(n: int) -> None:
        if n == CARDS // 4:
            redis_server.stop()
        if n == CARDS * 3 // 4:
            redis_server.start()

    failed = record_all(worker, during)
    worker.flush()
    return f"down for cards 50-149: {failed} records raised (kept), then flush()"


def frozen(redis_server: Server, worker: Any) -> str:
    def during(n: int) -> None:
        if n == CARDS // 2:
            redis_server.signal(signal.SIGSTOP)
        if n == CARDS // 2 + 5:
            redis_server.signal(signal.SIGCONT)

    failed = record_all(worker, during)
    worker.flush()
    return f"SIGSTOP for 5 records: {failed} raised (kept), then flush()"


def asleep(redis_server: Server, worker: Any) -> str:
    sleeper: threading.Thread | None = None

    def during(n: int) -> None:
        nonlocal sleeper
        if n == CARDS // 2:
            sleeper = threading.Thread(target=redis_server.command, args=("DEBUG", "SLEEP", "2"))
            sleeper.start()
            time.sleep(0.05)  # the DEBUG reaches the server first

    failed = record_all(worker, during)
    if sleeper is not None:
        sleeper.join()
    worker.flush()
    return f"DEBUG SLEEP 2: {failed} raised (kept), then flush()"


def evicting(policy: str) -> Callable[[Server, Any], str]:
    def fault(redis_server: Server, worker: Any) -> str:
        failed = record_all(worker, lambda n: None)
        import redis  # noqa: PLC0415 -- the optional extra

        filler = redis.Redis(host="127.0.0.1", port=redis_server.port)
        refused = 0
        for n in range(20_000):  # the application's own cache entries, with TTLs
            try:
                filler.set(f"cache:{n}", "x" * 1_000, ex=3600)
            except redis.ResponseError:
                refused += 1
        return f"{failed} records raised; then 20 MB of cache writes ({refused} refused: OOM)"

    return fault


def lost_replies() -> None:
    print()
    print("reserve whose reply was lost twice (redis-py's retry lost too), 50 cards each")
    for with_id in (True, False):
        with server() as redis_server:
            held = phantom_holds(redis_server, with_id)
        how = "again with the same attempt_id" if with_id else "no attempt_id: given back"
        print(f"  {how:<44} cards still held by nobody: {held} / 50")


def phantom_holds(redis_server: Server, with_id: bool) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.cut_proxy import CutProxy  # noqa: PLC0415 -- the tests' proxy that loses replies

    with CutProxy(redis_server.port) as proxy:
        worker = limiter(f"redis://127.0.0.1:{proxy.port}")
        worker.record("tok_warm", ANY_VISA, attempt_id="warm")
        for n in range(50):
            proxy.lose_replies(2)
            attempt = f"pay-{n}" if with_id else None
            with contextlib.suppress(payerr.networks.ReattemptStoreError):
                worker.reserve(f"tok_{n}", ANY_VISA, attempt_id=attempt)
            if with_id:  # the job reserves again, then records the decline
                again = worker.reserve(f"tok_{n}", ANY_VISA, attempt_id=attempt)
                worker.record(
                    f"tok_{n}", ANY_VISA, reservation=again.reservation, attempt_id=attempt
                )
        worker.flush()
    import redis  # noqa: PLC0415 -- the optional extra

    client: Any = redis.Redis(host="127.0.0.1", port=redis_server.port)
    return sum(
        client.hexists(f"payerr:reattempt:{{{card_key(f'tok_{n}')}}}:s", "hold_member")
        for n in range(50)
    )


def main() -> int:
    if shutil.which("redis-server") is None:
        print("no redis-server on PATH (apt-get install redis-server): nothing to drill")
        return 0
    import redis  # noqa: F401, PLC0415 -- the optional extra

    print(f"never-retry marks kept of {CARDS} stolen cards, per fault (redis-server, loopback)")
    drill("no fault", (), nothing)
    drill("restart (SIGTERM), appendonly yes", (), restart(signal.SIGTERM))
    drill("crash (SIGKILL), appendonly yes (everysec)", (), restart(signal.SIGKILL))
    drill("restart, no persistence", ("--appendonly", "no"), restart(signal.SIGTERM))
    drill("restart, snapshots only (save 3600 1)", ("--appendonly", "no", "--save", "3600 1"),
          restart(signal.SIGTERM))  # fmt: skip
    drill("FLUSHALL", (), flushall)
    drill("outage during the records", (), outage)
    drill("SIGSTOP during the records", (), frozen)
    drill("DEBUG SLEEP during the records", ("--enable-debug-command", "yes"), asleep)
    for policy in ("noeviction", "volatile-lru", "allkeys-lru"):
        settings = ("--maxmemory", "8mb", "--maxmemory-policy", policy)
        drill(f"maxmemory 8mb, {policy}", settings, evicting(policy))
    lost_replies()
    return 0


if __name__ == "__main__":
    sys.exit(main())
