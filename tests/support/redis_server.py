"""A real ``redis-server`` for the tests: one per session, on a free loopback port, in a temp dir,
set up as payerr's stores ask (``appendonly yes``, no ``maxmemory``): the Redis store is only
as good as the server it runs on, so no fakes. Drills start their own with other settings."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 10.0


def missing() -> str | None:
    """Why the Redis tests cannot run here, or None when they can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH (apt-get install redis-server; .ci/run installs it)"
    if importlib.util.find_spec("redis") is None:
        return "the redis client is not installed (pip install -e '.[test]')"
    return None


def skip_unless_installed() -> None:
    """Skip the calling test where redis-server or the client is missing, except in CI
    (``CI`` set), which must run every Redis test: there a missing server fails instead."""
    import os

    import pytest

    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Redis tests: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(port: int, directory: Path, *settings: str) -> subprocess.Popen[bytes] | None:
    """Start ``redis-server`` on ``port`` (``appendonly yes``, no snapshots, unless
    ``settings`` say otherwise: later settings win) and wait, bounded, until it answers; None
    when it did not start (skipped where none is installed, outside CI)."""
    skip_unless_installed()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "yes", "--dir", str(directory), "--loglevel", "warning", *settings]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while server.poll() is None and time.monotonic() < deadline and not _answers(port):
        time.sleep(0.02)
    if server.poll() is None and _answers(port):
        return server
    stop(server)
    return None


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server :func:`start` started (it may have stopped already)."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def running_redis(directory: Path, *settings: str) -> Iterator[int]:
    """Start ``redis-server`` and yield its port; stop it on the way out (skipped where
    none is installed, outside CI)."""
    skip_unless_installed()
    for _ in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        server = start(port, directory, *settings)
        if server is not None:
            break
    else:
        raise RuntimeError("redis-server did not start")
    try:
        yield port
    finally:
        stop(server)
