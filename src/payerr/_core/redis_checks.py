"""What payerr's Redis stores ask of the client and the server they are given.

The client must give up quickly: a hung Redis (``SIGSTOP``, ``DEBUG SLEEP``, a black-holed
network) would otherwise hold a payment, or a dunning job, for the client's whole timeout and
retry budget; redis-py's defaults allow minutes (5 s timeouts and 10 retries with backoff in
redis-py 8). :func:`require_quick` reads the client's settings and refuses one whose worst wait
passes the store's ``max_wait``; :func:`quick_client` makes one that does not.

The server must keep what payerr writes: a restart without persistence, or an evicting
``maxmemory-policy`` (every payerr key has a TTL, so ``volatile-*`` policies evict payerr's keys
first), forgets never-retry marks and ledger records silently. :func:`server_warnings` reads the
settings (``CONFIG GET``; ``INFO`` where ``CONFIG`` is renamed or denied, as on most managed
Redis) and names each one that can drop payerr's keys; :func:`warn_unsafe` turns them into a
:class:`~payerr.RedisConfigWarning`.

This module does not import ``redis`` unless :func:`quick_client` is called.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Generator, Mapping
from typing import Any

from payerr._core import log as _log
from payerr._core.exceptions import UsageError

__all__ = [
    "QUICK_TIMEOUT",
    "REDIS_UNCHECKED",
    "RedisConfigWarning",
    "aread_settings",
    "check_server",
    "quick_client",
    "read_settings",
    "require_quick",
    "server_warnings",
    "settings_from_info",
    "unsafe_settings",
    "warn_unsafe",
]

QUICK_TIMEOUT = 0.25
"""Seconds :func:`quick_client` allows a connect and a reply (one retry: at most 1 s in all)."""

REDIS_UNCHECKED = "payerr.redis_unchecked"
"""Logged (warning) when the server refused both ``CONFIG GET`` and ``INFO``."""

_SETTINGS = ("maxmemory", "maxmemory-policy", "appendonly", "save")


class RedisConfigWarning(UserWarning):
    """The Redis server a payerr store was given can drop the store's keys (an evicting
    ``maxmemory-policy``, or no ``appendonly`` persistence). The message names the setting.

    Example:
        ``warnings.simplefilter("error", payerr.RedisConfigWarning)`` makes a server that can
        drop payerr's keys an error at start-up.
    """


def quick_client(url: str, *, timeout: float = QUICK_TIMEOUT, asynchronous: bool = False) -> Any:
    """A redis-py client for ``url`` that gives up after ``timeout`` seconds per connect and
    per reply, with one immediate retry on a connection error or a timeout (redis-py 5 retries
    only the errors named in ``retry_on_error``; 6 and later retry both by default): at most
    ``4 * timeout`` on a hung server."""
    if not isinstance(url, str) or not url:
        raise UsageError("url must be a Redis URL, such as 'redis://redis.internal:6379/0'")
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and 0 < timeout <= 60):
        raise UsageError(f"timeout must be seconds in (0, 60], got {timeout!r}")
    # Through Any: redis-py 5 ships no types for these.
    redis: Any = importlib.import_module("redis.asyncio" if asynchronous else "redis")
    retries: Any = importlib.import_module("redis.asyncio.retry" if asynchronous else "redis.retry")
    backoff: Any = importlib.import_module("redis.backoff")
    errors: Any = importlib.import_module("redis.exceptions")
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=retries.Retry(backoff.NoBackoff(), 1),
        retry_on_error=[errors.ConnectionError, errors.TimeoutError],
    )


def require_quick(client: Any, max_wait: float, who: str) -> None:
    """Refuse a client that could hold a caller past ``max_wait`` on a hung server."""
    kwargs = None
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        kwargs = getattr(pool, "connection_kwargs", None)
    if kwargs is None:  # a cluster client keeps them on its nodes manager
        kwargs = getattr(getattr(client, "nodes_manager", None), "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        return  # a client payerr cannot read: its documentation says what it needs
    timeout = kwargs.get("socket_timeout")
    connect = kwargs.get("socket_connect_timeout")
    if connect is None:
        connect = timeout  # redis-py connects with socket_timeout when given no other
    retry = kwargs.get("retry")
    retries, pauses = _retries(retry)
    # A BlockingConnectionPool waits up to its own timeout for a free connection (None: for
    # ever); the plain pool raises at once when it has none.
    blocking = "timeout" in vars(pool) if pool is not None else False
    queue_wait = getattr(pool, "timeout", 0) if blocking else 0
    if timeout is None or connect is None or queue_wait is None or retries is None:
        worst = (
            "for ever (no socket_timeout, a pool that waits for ever for a connection, or a "
            "Retry with a negative count: retry for ever)"
        )
    else:
        seconds = (retries + 1) * (float(timeout) + float(connect)) + pauses + float(queue_wait)
        if seconds <= max_wait:
            return
        worst = (
            f"about {seconds:g} s (socket_timeout={timeout}, socket_connect_timeout={connect}, "
            f"{retries} retries with {pauses:g} s of backoff between them, {queue_wait} s "
            "waiting for a pooled connection)"
        )
    raise UsageError(
        f"this Redis client could hold {who} {worst} when Redis hangs; max_wait is "
        f"{max_wait:g} s. Give it a client that gives up quickly: {type_name(client)}.from_url("
        "..., socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 1)), "
        "or use the store's from_url()"
    )


def _retries(retry: Any) -> tuple[int | None, float]:
    """How many times redis-py's ``Retry`` retries (None: for ever), and the most its backoff
    can pause between them in all (a jittered backoff counts its cap)."""
    if retry is None:
        return 0, 0.0
    count = getattr(retry, "get_retries", None)
    retries = int(count() if callable(count) else getattr(retry, "_retries", 0))
    if retries < 0:
        return None, 0.0
    backoff = getattr(retry, "_backoff", None)
    cap = getattr(backoff, "_cap", None)
    jittered = "Jitter" in type(backoff).__name__  # random (or stateful): count the cap
    compute = getattr(backoff, "compute", None)
    pauses = 0.0
    for failures in range(1, retries + 1):
        if jittered and isinstance(cap, int | float):
            pauses += float(cap)
        elif callable(compute):
            pauses += float(compute(failures))
    return retries, pauses


def type_name(client: Any) -> str:
    cls = type(client)
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


def unsafe_settings(config: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(setting, value, what it does to payerr's keys) for each setting that can drop them.
    ``config`` holds ``CONFIG GET``'s names; a setting it lacks is not judged."""
    found = []
    policy = config.get("maxmemory-policy")
    maxmemory = config.get("maxmemory")
    if policy is not None and policy != "noeviction" and maxmemory not in (None, "0"):
        found.append(
            (
                "maxmemory-policy",
                policy,
                f"with maxmemory {maxmemory}, Redis evicts keys when full, and every payerr key "
                "has a TTL (volatile-* policies evict those first): never-retry marks and "
                "call records vanish silently; use noeviction",
            )
        )
    appendonly = config.get("appendonly")
    if appendonly is not None and appendonly != "yes":
        snapshots = config.get("save", "")
        what = (
            "a restart loses what was written since the last snapshot"
            if snapshots
            else "no persistence: a restart forgets every never-retry mark and call record"
        )
        found.append(("appendonly", appendonly, f"{what}; use appendonly yes"))
    return found


def settings_from_info(info: Mapping[str, Any]) -> dict[str, str]:
    """``CONFIG GET``'s names from ``INFO memory`` and ``INFO persistence`` fields."""
    config: dict[str, str] = {}
    if "maxmemory_policy" in info:
        config["maxmemory-policy"] = str(info["maxmemory_policy"])
    if "maxmemory" in info:
        config["maxmemory"] = str(info["maxmemory"])
    if "aof_enabled" in info:
        config["appendonly"] = "yes" if str(info["aof_enabled"]) == "1" else "no"
        # INFO does not show the save schedule: say "snapshots" only when one was taken.
        config["save"] = "?" if str(info.get("rdb_last_save_time", "0")) != "0" else ""
    return config


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_Reading = Generator[tuple[str, str], Any, "dict[str, str] | None"]
"""Reading the settings: yields the client method and its argument to call, is sent each
reply (or thrown the ``redis.ResponseError`` it raised), returns the settings."""


def _reading(refused: type[Exception]) -> _Reading:
    """The commands that read the settings, written once for both clients: ``CONFIG GET``,
    else ``INFO`` where ``CONFIG`` is renamed or denied (managed Redis, ACLs); None when the
    server refuses both."""
    try:
        config: dict[str, str] = {}
        for name in _SETTINGS:
            reply = yield "config_get", name
            config.update({_text(k): _text(v) for k, v in reply.items()})
        return config
    except refused:
        pass
    try:
        memory = yield "info", "memory"
        persistence = yield "info", "persistence"
    except refused:
        return None
    return settings_from_info({_text(k): v for k, v in {**memory, **persistence}.items()})


def read_settings(client: Any) -> dict[str, str] | None:
    """The server's settings through a synchronous client; None when it refused both ways.
    Connection errors propagate (the caller decides whether to check again later)."""
    import redis  # noqa: PLC0415 -- redis is an extra, imported only when used

    step = _reading(redis.ResponseError)
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            method, argument = step.send(reply) if error is None else step.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the generator's return value
        try:
            reply, error = getattr(client, method)(argument), None
        except redis.ResponseError as exc:
            reply, error = None, exc


async def aread_settings(client: Any) -> dict[str, str] | None:
    """:func:`read_settings` through a ``redis.asyncio`` client."""
    import redis  # noqa: PLC0415 -- redis is an extra, imported only when used

    step = _reading(redis.ResponseError)
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            method, argument = step.send(reply) if error is None else step.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the generator's return value
        try:
            reply, error = await getattr(client, method)(argument), None
        except redis.ResponseError as exc:
            reply, error = None, exc


def check_server(client: Any, who: str, stacklevel: int) -> bool:
    """Warn (:func:`warn_unsafe`) about the settings of a synchronous client's server that can
    drop ``who``'s keys; whether the server answered (if not, check again once it does)."""
    try:
        config = read_settings(client)
    except Exception:  # not reachable now
        return False
    warn_unsafe(server_warnings(config, who), stacklevel + 1)
    return True


def server_warnings(config: Mapping[str, str] | None, who: str) -> list[str]:
    """The warnings for ``config`` (None: the server refused to say)."""
    if config is None:
        _log.emit(
            logging.WARNING,
            REDIS_UNCHECKED,
            store=who,
            consequence=(
                "the server refused CONFIG GET and INFO: payerr cannot check that it keeps its "
                "keys (it needs appendonly yes and maxmemory-policy noeviction)"
            ),
        )
        return []
    return [
        f"{who}: the Redis server's {setting} is {value!r}: {consequence}"
        for setting, value, consequence in unsafe_settings(config)
    ]


def warn_unsafe(messages: list[str], stacklevel: int) -> None:
    for message in messages:
        warnings.warn(message, RedisConfigWarning, stacklevel=stacklevel + 1)
