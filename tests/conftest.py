from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import structlog
from hypothesis import settings

from payerr._mappings.registry import ENV_VAR, Registry, reset_default_registry
from payerr._observe.logs import UNKNOWN_CODE_LOGS
from payerr.testing import reset
from tests.support.redis_server import missing, running_redis
from tests.support.repo import DATA, PROVIDERS, REPO, row_counts  # noqa: F401 -- fixtures' and plugins' use

if TYPE_CHECKING:
    pass

pytest_plugins = ["pytester"]

# In CI, property tests draw the same examples every run: a red build is our change, not luck.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _quiet_structlog() -> Iterator[None]:
    """payerr's events run through structlog's default processors but print nothing."""
    structlog.reset_defaults()
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _fresh_retry_budgets() -> Iterator[None]:
    """Each test starts with full process-wide retry budgets (the public reset users call)."""
    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def _fresh_unknown_code_logs() -> Iterator[None]:
    """Each test starts as a new process does: no unknown code logged yet."""
    UNKNOWN_CODE_LOGS.clear()
    yield
    UNKNOWN_CODE_LOGS.clear()


@pytest.fixture(autouse=True)
def _clean_mappings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the shipped mappings only: no env files, no loaded overlays."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    reset_default_registry()
    yield
    reset_default_registry()


@pytest.fixture
def registry() -> Registry:
    """A private registry with the shipped mappings and nothing from the environment."""
    return Registry(use_env=False)


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server for this session: skipped where none is installed, except in CI,
    which must run the Redis tests (.ci/run installs redis-server)."""
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests: {reason}")
        pytest.skip(reason)
    with running_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port


@pytest.fixture
def redis_client(redis_port: int) -> Iterator[Any]:
    """A client of the session's server, on an empty database."""
    import redis

    # Quick enough for RedisReattemptStore's default max_wait (2 s) and RedisCallLedger(
    # max_wait=tests.support.ledgers.WAIT), slow enough that a loaded CI machine never turns a slow
    # loopback answer into an outage.
    from tests.support.ledgers import retries_of

    client: Any = redis.Redis(
        host="127.0.0.1",
        port=redis_port,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=retries_of(0),
    )
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def fleet_ledger(redis_client: Any) -> Any:
    """A RedisCallLedger on the session's server that has recorded a whole window: it knows a
    key nobody sent is a first send."""
    from tests.support.ledgers import aged_ledger

    return aged_ledger(redis_client)
