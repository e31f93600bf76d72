"""The reattempt limits shared by every process of a fleet, on one Redis (``payerr[redis]``).

Each card is two keys in one cluster hash slot: a sorted set of its declined (and reserved)
attempts, scored by time, and a hash with its never-retry and wait deadlines and the hold of the
reservation in flight (its member, deadline, and whether its answer was pending). Every operation is
one Lua script (``EVALSHA``, with redis-py's fallback to ``EVAL`` when the server's script cache
is empty), and Redis runs a script atomically: no other command runs while it does
(https://redis.io/docs/latest/develop/interact/programmability/eval-intro/). So ``reserve``'s
check and count cannot interleave with another process's, and no record is lost.

Memory is bounded: a write trims declines older than the longest window and keeps at most as many
as the largest limit needs, then sets both keys to expire (``PEXPIRE``) when the longest window,
or a never-retry, wait or hold deadline, is over. An attempt id (``record(..., attempt_id=)``)
is the member its decline is counted under (a hash of it), so it is remembered exactly as long
as the decline is kept. Times are the limiter's clock, passed in: Redis's own
``TIME`` is not read, so an injected clock works and every process of a fleet must keep its clock
in sync (NTP); a skew of a few seconds moves a window of hours or days by as much.

Every script may run twice (redis-py's retry sends a command again when its reply was lost; a
caller reserves again with the same ``attempt_id``): a write adds its members ``NX``, removes by
member and keeps the later deadline, and a reserve whose member already holds the card is
granted again without counting twice.

The rules' numbers come from ``payerr.networks._reattempts``, by name: ``write`` and ``reserve``
each send one JSON document (``write_document``, ``reserve_document``: the limits document the
memory store evaluates), which the scripts read with ``cjson.decode``; nothing of it is worked
out here again. The keys, the hash's fields and the text in them are what they were when the
scripts took positional arguments (times written as Python's ``repr`` writes them), so workers
of both versions can share one Redis during a rolling upgrade, each with its own scripts. One
decision differs: a reserve granted under a member still stored from a decline that has left
every window (an attempt id used again, nothing written since) counts the attempt here; the
previous scripts granted it uncounted. Until every worker runs these, an old worker's reserve
can still do that (as before the upgrade); nothing a new worker writes makes it likelier.

This module imports ``redis`` only when a store is made: the client you pass brings it.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from typing import TYPE_CHECKING, Any

from payerr._core.exceptions import UsageError
from payerr._core.redis_checks import (
    QUICK_TIMEOUT,
    check_server,
    quick_client,
    require_quick,
)
from payerr.networks._reattempts import (
    CardState,
    ReattemptLimits,
    ReserveCheck,
    StoreWrite,
    reserve_document,
    write_document,
)

if TYPE_CHECKING:
    from redis import Redis
    from redis.commands.core import Script

__all__ = ["DEFAULT_MAX_WAIT", "DEFAULT_PREFIX", "RedisReattemptStore"]

DEFAULT_PREFIX = "payerr:reattempt:"
DEFAULT_MAX_WAIT = 2.0
"""The longest, in seconds, a store's client may take on a hung Redis (connects, replies and
retries together)."""

# KEYS[1] declines (sorted set), KEYS[2] deadlines (hash). ARGV[1]: since (exclusive).
# Numbers travel as strings both ways: Redis turns a Lua number into an integer reply. The
# decline times come back as one string ("t1 t2 ..."): one reply to parse, not one per decline
# (redis-py's parser pays per element: 35 declines cost more than the round trip).
# ``without``: a member to leave out, with the hold (a repeated reserve's own); '' none.
_STATE = """
local function state(since, without)
  local d = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. since, '+inf', 'WITHSCORES')
  local times = {}
  for i = 2, #d, 2 do
    if d[i - 1] ~= without then times[#times + 1] = d[i] end
  end
  local s = redis.call('HMGET', KEYS[2], 'never_until', 'never_reason', 'wait_until',
    'wait_reason', 'hold_until', 'hold_pending')
  if without ~= '' then s[5], s[6] = false, false end
  return times, {table.concat(times, ' '), s[1], s[2], s[3], s[4], s[5], s[6]}
end
"""
_READ = (
    _STATE
    + """
local _, reply = state(ARGV[1], '')
return reply
"""
)

# The write and reserve scripts take one JSON document (ARGV[1], cjson.decode), built by
# payerr.networks._reattempts (write_document, reserve_document): the numbers both stores
# decide and trim by come from there by name, never computed again here. A number passed to
# redis.call reaches Redis exactly (Redis prints it with 17 digits or, in newer versions, as the
# shortest text that reads back as it), enough for a score or a bound; Lua's own number-to-text
# ('(' .. x) keeps 14 digits, too few for a time. A time kept in the hash goes through
# decimal(): the text Python's repr wrote there before the documents (the shortest that reads
# back as the same number), so old and new workers write the same bytes.
_DECIMAL = """
local function decimal(x)
  local text = string.format('%.15g', x)
  if tonumber(text) ~= x then
    text = string.format('%.16g', x)
    if tonumber(text) ~= x then text = string.format('%.17g', x) end
  end
  if x % 1 == 0 and math.abs(x) < 1e15 then text = text .. '.0' end
  return text
end
"""

# Shared by the write and reserve scripts: trim, then expire both keys when nothing is left to
# remember. limits (the documents' LimitsDocument): now, since (declines at or before it go),
# keep, horizon (the longest window, seconds).
_SETTLE = (
    _DECIMAL
    + """
local function settle(limits)
  local now = limits.now
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', limits.since)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limits.keep + 1))
  local ttl = math.floor(limits.horizon * 1000) + 1
  for _, name in ipairs({'never', 'wait'}) do
    local untl = tonumber(redis.call('HGET', KEYS[2], name .. '_until'))
    if untl ~= nil and untl <= now then
      redis.call('HDEL', KEYS[2], name .. '_until', name .. '_reason')
    elseif untl ~= nil then
      ttl = math.max(ttl, math.ceil((untl - now) * 1000))
    end
  end
  local hold = tonumber(redis.call('HGET', KEYS[2], 'hold_until'))
  if hold ~= nil and hold <= now then
    redis.call('HDEL', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
  elseif hold ~= nil then
    ttl = math.max(ttl, math.ceil((hold - now) * 1000))
  end
  for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
  end
end
"""
)

# One recorded answer, a WriteDocument: limits, and the change, each of its fields present only
# when set. add: the member to count; remove: the member to drop (with add, the counted one
# takes its time); never_until/never_reason, wait_until/wait_reason: deadlines (the later one is
# kept); settle: the reservation whose hold this answer settles; pending_until: keep (or take)
# the hold until then (absent: settled, lift it).
_WRITE = (
    _SETTLE
    + """
local doc = cjson.decode(ARGV[1])
local limits, change = doc.limits, doc.change
local now = limits.now
local at = now
if change.remove then
  local score = redis.call('ZSCORE', KEYS[1], change.remove)
  if score then
    at = score
    redis.call('ZREM', KEYS[1], change.remove)
  end
end
-- Declines past the horizon go before the new one is added, as in the memory store: an
-- attempt id recorded again after its decline left every window counts anew.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', limits.since)
if change.add then redis.call('ZADD', KEYS[1], 'NX', at, change.add) end
if change.settle then
  local h = redis.call('HMGET', KEYS[2], 'hold_member', 'hold_until')
  local live = h[2] and tonumber(h[2]) > now
  if change.pending_until then
    if h[1] == change.settle or not live then
      redis.call('HSET', KEYS[2], 'hold_member', change.settle, 'hold_until',
        decimal(change.pending_until), 'hold_pending', '1')
    end
  elseif h[1] == change.settle then
    redis.call('HDEL', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
  end
end
for _, name in ipairs({'never', 'wait'}) do
  local value = change[name .. '_until']
  if value then
    local old = tonumber(redis.call('HGET', KEYS[2], name .. '_until'))
    if old == nil or value > old then
      redis.call('HSET', KEYS[2], name .. '_until', decimal(value), name .. '_reason',
        change[name .. '_reason'] or '')
    end
  end
end
settle(limits)
return 1
"""
)

# The rule of payerr.networks._reattempts.stops, checked, counted and held in one step, on the
# ReserveDocument the memory store evaluates: limits (as the write's), rule (now; wait, the
# answer's own in seconds; windows, each {after, declines, window, name}: window and name are
# for the reasons Python writes), member, hold_until, and reply_by, added by this store: the
# wall-clock time (POSIX seconds) after which nobody waits for this reply. A reserve that
# reaches Redis later (a server stopped or busy, a packet held up) grants nothing: its caller
# has given up (reply -1). When the live hold is the member's already (the same reserve sent
# again after its reply was lost, by redis-py's retry or by the caller), decide without it:
# admitted, it stays as it is; refused, released. Granted otherwise, declines past the horizon
# go before the member is counted (ZADD NX), as in a write: the previous scripts counted first,
# so a member still stored from a decline that had left every window was not added, then
# trimmed, and the reserved attempt counted for nothing.
_RESERVE = (
    _SETTLE
    + _STATE
    + """
local doc = cjson.decode(ARGV[1])
local clock = redis.call('TIME')
if tonumber(clock[1]) + tonumber(clock[2]) / 1000000 > doc.reply_by then
  return {-1}
end
local limits, rule, member = doc.limits, doc.rule, doc.member
local now = rule.now
local h = redis.call('HMGET', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
local own = h[1] == member and h[2] and tonumber(h[2]) > now and h[3] ~= '1'
local times, reply = state(string.format('%.17g', limits.since), own and member or '')
local ok = true
local never, waits = tonumber(reply[2]), tonumber(reply[4])
local hold = tonumber(reply[6])
if never ~= nil and never > now then ok = false end
if waits ~= nil and waits > now then ok = false end
if hold ~= nil and hold > now then ok = false end
if ok and rule.wait > 0 then
  local last = now
  if #times > 0 then last = tonumber(times[#times]) end
  if last + rule.wait > now then ok = false end
end
for _, window in ipairs(rule.windows) do
  if ok then
    local count = 0
    for _, t in ipairs(times) do
      if tonumber(t) > window.after then count = count + 1 end
    end
    if count >= window.declines then ok = false end
  end
end
if ok and not own then
  -- Declines past the horizon go before the attempt is counted, as in a write: a member whose
  -- decline left every window (still stored, nothing written since) counts anew, from now.
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', limits.since)
  redis.call('ZADD', KEYS[1], 'NX', now, member)
  redis.call('HSET', KEYS[2], 'hold_member', member, 'hold_until', decimal(doc.hold_until),
    'hold_pending', '0')
  settle(limits)
elseif own and not ok then
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
  settle(limits)
end
table.insert(reply, 1, ok and 1 or 0)
return reply
"""
)


class RedisReattemptStore:
    """A :class:`~payerr.networks.ReattemptStore` on Redis, shared by a fleet.

    ``RedisReattemptStore.from_url("redis://redis.internal:6379/0")``, or
    ``RedisReattemptStore(client)`` with a redis-py client that gives up quickly (any client
    with ``register_script``; ``decode_responses`` either way)::

        client = redis.Redis(host=..., socket_timeout=0.25, socket_connect_timeout=0.25,
                             retry=Retry(NoBackoff(), 1))

    A client whose worst wait on a hung server, ``(retries + 1) * (socket_connect_timeout +
    socket_timeout)``, passes ``max_wait`` is refused: redis-py's defaults would hold a
    ``reserve`` for minutes. Redis errors reach the limiter, which raises
    :class:`~payerr.networks.ReattemptStoreError`: a limiter that cannot reach its store never
    guesses "allowed", and keeps the answers it could not record.

    The server must keep payerr's keys: ``appendonly yes`` (a restart without it forgets every
    never-retry mark) and ``maxmemory-policy noeviction`` (or no ``maxmemory``: every key here
    has a TTL, so an evicting policy drops them first). At construction the store reads those
    settings (``CONFIG GET``, or ``INFO`` where ``CONFIG`` is denied) and warns with a
    :class:`~payerr.RedisConfigWarning` naming each one that can drop its keys; when the
    server cannot be reached then, it checks once it first answers.

    Args:
        redis_client: a ``redis.Redis`` (or cluster) client.
        prefix: the key prefix; one per merchant (card acceptor) whose limits are counted
            apart, shared only by limiters with the same
            :class:`~payerr.networks.ReattemptLimits`.
        max_wait: the longest, in seconds, the client may take on a hung server (default 2).

    Raises:
        UsageError: a ``prefix`` that is not printable text of at most 100 characters or holds
            braces, a client that is not a synchronous redis-py one, or one whose worst wait on
            a hung server passes ``max_wait``, or a ``max_wait`` that is not a positive number
            of seconds.
        RedisConfigWarning: only where warnings are turned into errors (``-W error``): the
            server has a setting that can drop the store's keys (checked at construction).

    Example:
        ``payerr.networks.ReattemptLimiter(payerr.networks.RedisReattemptStore.from_url(
        "redis://redis.internal:6379/0"))``
    """

    def __init__(
        self,
        redis_client: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        if not isinstance(prefix, str) or len(prefix) > 100 or not prefix.isprintable():
            raise UsageError("prefix must be printable text of at most 100 characters")
        if "{" in prefix or "}" in prefix:
            raise UsageError("prefix must not contain braces (payerr sets the cluster hash tag)")
        if not callable(getattr(redis_client, "register_script", None)) or (
            inspect.iscoroutinefunction(getattr(type(redis_client), "execute_command", None))
        ):
            raise UsageError(
                "redis_client must be a synchronous redis-py client (redis.Redis): the "
                f"limiter is synchronous; got {type(redis_client).__module__}."
                f"{type(redis_client).__name__}"
            )
        if isinstance(max_wait, bool) or not (
            isinstance(max_wait, int | float) and 0 < max_wait < math.inf
        ):
            raise UsageError(f"max_wait must be a positive number of seconds, got {max_wait!r}")
        require_quick(redis_client, float(max_wait), "a reattempt check")
        self.client = redis_client
        self.prefix = prefix
        self.max_wait = float(max_wait)
        self._read: Script = redis_client.register_script(_READ)
        self._write: Script = redis_client.register_script(_WRITE)
        self._reserve: Script = redis_client.register_script(_RESERVE)
        self._checked = False
        self._check_server(stacklevel=2)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = QUICK_TIMEOUT,
        max_wait: float | None = None,
    ) -> RedisReattemptStore:
        """A store on a client for ``url`` (``redis://``, ``rediss://``, ``unix://``) that gives
        up after ``timeout`` seconds per connect and per reply, with one retry: at most
        ``4 * timeout`` in all, which is ``max_wait`` unless given (and at least 2 s).

        Raises:
            UsageError: ``url`` is not a Redis URL, ``timeout`` is not seconds in (0, 60], or
                an argument the constructor refuses.
            ModuleNotFoundError: redis-py is not installed (``pip install 'payerr[redis]'``).
            RedisConfigWarning: as the constructor, where warnings are turned into errors.
        """
        wait = max(DEFAULT_MAX_WAIT, 4 * timeout) if max_wait is None else max_wait
        return cls(quick_client(url, timeout=timeout), prefix=prefix, max_wait=wait)

    def _check_server(self, stacklevel: int) -> None:
        """Warn about settings that can drop payerr's keys, once the server answers."""
        self._checked = check_server(self.client, repr(self), stacklevel + 1)

    def _keys(self, key: str) -> list[str]:
        # The card's hash in braces: both keys land in one cluster slot, as a script needs.
        return [f"{self.prefix}{{{key}}}:d", f"{self.prefix}{{{key}}}:s"]

    def read(self, key: str, since: float) -> CardState:
        state = _state(self._read(keys=self._keys(key), args=[repr(since)]))
        if not self._checked:
            self._check_server(stacklevel=4)
        return state

    def write(self, key: str, now: float, limits: ReattemptLimits, change: StoreWrite) -> None:
        self._write(keys=self._keys(key), args=[_json(write_document(now, limits, change))])
        if not self._checked:
            self._check_server(stacklevel=4)

    def reserve(
        self, key: str, check: ReserveCheck, limits: ReattemptLimits, member: str
    ) -> tuple[bool, CardState]:
        """``reserve`` as :class:`~payerr.networks.ReattemptStore` describes it, in one Lua
        script. The limiter calls it and turns its errors into a ReattemptStoreError.

        Raises:
            TimeoutError: the script reached Redis more than ``max_wait`` after it was sent (or
                this host's clock is behind the server's by more than that), so it granted
                nothing.
        """
        document = reserve_document(check, limits, member)
        rule = document["rule"]
        # The script reads the numbers; a window's name and the wait's reason are for the
        # reasons Python words. Left out, a name that is not text (bytes, a lone surrogate)
        # cannot stop every reserve here when the memory store takes it.
        for_lua = {
            **document,
            "rule": {
                "now": rule["now"],
                "wait": rule["wait"],
                "windows": [
                    {"after": w["after"], "declines": w["declines"]} for w in rule["windows"]
                ],
            },
            "reply_by": time.time() + self.max_wait,
        }
        sent = _json(for_lua)
        granted, *reply = self._reserve(keys=self._keys(key), args=[sent])
        if int(granted) == -1:
            raise TimeoutError(
                f"the reserve reached Redis more than max_wait ({self.max_wait:g} s) after it was "
                "sent, so it granted nothing (or this host's clock is behind the Redis "
                "server's by more than that: keep them in sync with NTP)"
            )
        if not self._checked:
            self._check_server(stacklevel=4)
        return int(granted) == 1, _state(reply)

    def forget(self, key: str) -> None:
        self.client.delete(*self._keys(key))

    def __repr__(self) -> str:
        return f"RedisReattemptStore(prefix={self.prefix!r})"


_json = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
).encode
"""A document as the scripts' ``cjson.decode`` reads it: floats as Python's repr (exact), text
as UTF-8, as the scripts' other arguments travel."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _state(reply: list[Any]) -> CardState:
    """A CardState from the scripts' reply: the decline times as one string, then the HMGET."""
    times, never, never_reason, wait, wait_reason, hold, pending = (
        None if v is None else _text(v) for v in reply
    )
    return CardState(
        tuple(map(float, times.split())) if times else (),
        None if never is None else float(never),
        never_reason or "",
        None if wait is None else float(wait),
        wait_reason or "",
        None if hold is None else float(hold),
        pending == "1",
    )


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
RedisReattemptStore.__module__ = "payerr.networks"
