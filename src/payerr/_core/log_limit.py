"""How often the same event is logged: per key (a provider's unknown code), at most once per
interval, with the number of its occurrences not logged since its last line.

Never silent: a key's first occurrence is logged, and so is its first after each interval;
the metrics still count every occurrence. Bounded: in any ``interval``, at most ``max_lines``
lines for keys seen for the first time and ``max_lines`` for keys seen before (a provider, or an
attacker, sending a new code in every answer would otherwise log every answer). A key turned
away is remembered as not yet logged, so when it comes again it competes only with keys seen
before, never with a flood of new ones; :meth:`LogLimiter.dropped` tells how many went
unlogged. At most ``max_keys`` keys are remembered; the oldest are forgotten (and logged again
when they come back).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

__all__ = ["LogLimiter"]

_NEVER = float("-inf")


class LogLimiter:
    """Per key: log the first occurrence, then at most one per ``interval`` seconds."""

    def __init__(
        self,
        interval: float = 60.0,
        *,
        max_keys: int = 4096,
        max_lines: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self.max_lines = max_lines
        self.clock = clock
        self._last: OrderedDict[Hashable, list[float]] = OrderedDict()
        """key -> [when last logged (-inf: never), occurrences not logged since]."""
        self._new: deque[float] = deque()
        """When the lines of the last interval for keys seen for the first time were logged."""
        self._again: deque[float] = deque()
        """The same, for keys seen before."""
        self._dropped = 0
        """Occurrences not logged for want of lines, not yet told by :meth:`dropped`."""
        self._lock = threading.Lock()
        _LIMITERS.add(self)

    def admit(self, key: Hashable) -> int | None:
        """None when this occurrence is not to be logged (counted instead); otherwise the
        number of the key's occurrences left unlogged since its last line."""
        now = self.clock()
        with self._lock:
            seen = self._last.get(key)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return None
            lines = self._new if seen is None else self._again
            while lines and now - lines[0] >= self.interval:
                lines.popleft()
            if len(lines) >= self.max_lines:
                # The interval's lines are spent: counted, and remembered as never logged.
                self._dropped += 1
                if seen is None:
                    seen = [_NEVER, 0.0]
                seen[1] += 1
                self._remember(key, seen)
                return None
            lines.append(now)
            suppressed = 0 if seen is None else int(seen[1])
            self._remember(key, [now, 0.0])
            return suppressed

    def _remember(self, key: Hashable, seen: list[float]) -> None:
        self._last[key] = seen
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            self._last.popitem(last=False)

    def dropped(self) -> int:
        """How many occurrences went unlogged because the interval's lines were spent, since
        the last call (0 when none): the caller logs that once."""
        with self._lock:
            dropped, self._dropped = self._dropped, 0
            return dropped

    def clear(self) -> None:
        """Forget every key (for tests: a new process's state)."""
        with self._lock:
            self._last.clear()
            self._new.clear()
            self._again.clear()
            self._dropped = 0


_LIMITERS: weakref.WeakSet[LogLimiter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A child forked while another thread held a limiter's lock (logging an unknown code)
    would wait for it forever at its own first unknown code: it gets new locks."""
    for limiter in list(_LIMITERS):
        limiter._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
