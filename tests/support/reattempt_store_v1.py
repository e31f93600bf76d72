"""The Redis reattempt store's scripts as they were before the limits document (commit 6d4366d),
frozen: a fleet upgraded one worker at a time runs these and the new ones against the same keys
for a while. tests/networks/test_reattempt_stores_agree.py runs both on one Redis and asserts
the same decisions and the same stored bytes. Drop this file once no fleet can still run them.

Positional arguments, as they shipped: ``write`` ARGV[1..12] (now, since, keep, ttl, then the
change), ``reserve`` ARGV[1..8+2n+1] (now, since, keep, ttl, member, wait, hold deadline, n, n
pairs (bound, declines), the wall-clock cut-off). ``read`` is the same script as today's.
"""

from __future__ import annotations

import time
from typing import Any

from payerr.networks import ReattemptLimits
from payerr.networks._reattempts import CardState, ReserveCheck, StoreWrite

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

# Shared by the write and reserve scripts: trim, then expire both keys when nothing is left to
# remember. ARGV[1] now, ARGV[2] since, ARGV[3] keep, ARGV[4] the longest window in ms.
_SETTLE = """
local function settle(now)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
  local ttl = tonumber(ARGV[4])
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

# ARGV[5] member to count ('' none), ARGV[6] member to drop ('' none; with ARGV[5], the counted
# one takes its time), ARGV[7..10] never_until, never_reason, wait_until, wait_reason ('' for no
# deadline), ARGV[11] the reservation whose hold this answer settles ('' none), ARGV[12] pending:
# keep (or take) the hold until then ('' settled: lift it).
_WRITE = (
    _SETTLE
    + """
local now = tonumber(ARGV[1])
local at = ARGV[1]
if ARGV[6] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[6])
  if score then
    at = score
    redis.call('ZREM', KEYS[1], ARGV[6])
  end
end
-- Declines past the horizon go before the new one is added, as in the memory store: an
-- attempt id recorded again after its decline left every window counts anew.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[1], 'NX', at, ARGV[5]) end
if ARGV[11] ~= '' then
  local h = redis.call('HMGET', KEYS[2], 'hold_member', 'hold_until')
  local live = h[2] and tonumber(h[2]) > now
  if ARGV[12] ~= '' then
    if h[1] == ARGV[11] or not live then
      redis.call('HSET', KEYS[2], 'hold_member', ARGV[11], 'hold_until', ARGV[12],
        'hold_pending', '1')
    end
  elseif h[1] == ARGV[11] then
    redis.call('HDEL', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
  end
end
for i, name in ipairs({'never', 'wait'}) do
  local value = ARGV[5 + 2 * i]
  if value ~= '' then
    local old = tonumber(redis.call('HGET', KEYS[2], name .. '_until'))
    if old == nil or tonumber(value) > old then
      redis.call('HSET', KEYS[2], name .. '_until', value, name .. '_reason', ARGV[6 + 2 * i])
    end
  end
end
settle(now)
return 1
"""
)

# The rule of payerr.networks._reattempts.blocks, checked, counted and held in one step. ARGV[5]
# member, ARGV[6] the answer's own wait in seconds, ARGV[7] the hold's deadline, ARGV[8] n, then n
# pairs (bound, declines), then the last: the wall-clock time (POSIX seconds) after which nobody
# waits for this reply. A reserve that reaches Redis later (a server stopped or busy, a packet held
# up) grants nothing: its caller has given up (reply -1). When the live hold is the member's already
# (the same reserve sent again after its reply was lost, by redis-py's retry or by the caller),
# decide without it: admitted, it stays as it is; refused, released.
_RESERVE = (
    _SETTLE
    + _STATE
    + """
local clock = redis.call('TIME')
if tonumber(clock[1]) + tonumber(clock[2]) / 1000000 > tonumber(ARGV[#ARGV]) then
  return {-1}
end
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
local own = h[1] == ARGV[5] and h[2] and tonumber(h[2]) > now and h[3] ~= '1'
local times, reply = state(ARGV[2], own and ARGV[5] or '')
local ok = true
local never, waits = tonumber(reply[2]), tonumber(reply[4])
local hold = tonumber(reply[6])
if never ~= nil and never > now then ok = false end
if waits ~= nil and waits > now then ok = false end
if hold ~= nil and hold > now then ok = false end
local wait = tonumber(ARGV[6])
if ok and wait > 0 then
  local last = now
  if #times > 0 then last = tonumber(times[#times]) end
  if last + wait > now then ok = false end
end
local n = tonumber(ARGV[8])
for i = 1, n do
  if ok then
    local bound, limit, count = tonumber(ARGV[7 + 2 * i]), tonumber(ARGV[8 + 2 * i]), 0
    for _, t in ipairs(times) do
      if tonumber(t) > bound then count = count + 1 end
    end
    if count >= limit then ok = false end
  end
end
if ok and not own then
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[5])
  redis.call('HSET', KEYS[2], 'hold_member', ARGV[5], 'hold_until', ARGV[7], 'hold_pending', '0')
  settle(now)
elseif own and not ok then
  redis.call('ZREM', KEYS[1], ARGV[5])
  redis.call('HDEL', KEYS[2], 'hold_member', 'hold_until', 'hold_pending')
  settle(now)
end
table.insert(reply, 1, ok and 1 or 0)
return reply
"""
)


class StoreV1:
    """The old ``RedisReattemptStore``'s read, write, reserve and forget, on a client and prefix
    (the client's checks and the server's settings are today's store's business)."""

    def __init__(self, client: Any, prefix: str, max_wait: float = 2.0) -> None:
        self.client = client
        self.prefix = prefix
        self.max_wait = max_wait
        self._read = client.register_script(_READ)
        self._write = client.register_script(_WRITE)
        self._reserve = client.register_script(_RESERVE)

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}{{{key}}}:d", f"{self.prefix}{{{key}}}:s"]

    def read(self, key: str, since: float) -> CardState:
        return _state(self._read(keys=self._keys(key), args=[repr(since)]))

    def write(self, key: str, now: float, limits: ReattemptLimits, change: StoreWrite) -> None:
        args = [
            *_settle_args(now, limits),
            change.add or "",
            change.remove or "",
            "" if change.never_until is None else repr(change.never_until),
            change.never_reason,
            "" if change.wait_until is None else repr(change.wait_until),
            change.wait_reason,
            change.settle or "",
            "" if change.pending_until is None else repr(change.pending_until),
        ]
        self._write(keys=self._keys(key), args=args)

    def reserve(
        self, key: str, check: ReserveCheck, limits: ReattemptLimits, member: str
    ) -> tuple[bool, CardState]:
        args: list[str | int] = [
            *_settle_args(check.now, limits),
            member,
            repr(check.wait),
            repr(check.now + limits.hold_for),
            len(check.windows),
        ]
        for bound, limit in check.windows:
            args += [repr(bound), limit.declines]
        args.append(repr(time.time() + self.max_wait))
        granted, *reply = self._reserve(keys=self._keys(key), args=args)
        if int(granted) == -1:
            raise TimeoutError("the reserve reached Redis after max_wait: nothing granted")
        return int(granted) == 1, _state(reply)

    def forget(self, key: str) -> None:
        self.client.delete(*self._keys(key))


def _settle_args(now: float, limits: ReattemptLimits) -> list[str | int]:
    ttl_ms = max(1, int(limits.horizon * 1000) + 1)
    return [repr(now), repr(now - limits.horizon), limits.keep, ttl_ms]


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
