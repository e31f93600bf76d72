"""How often the same event is logged: per key (a provider's unknown code), at most once per
interval, with the number of its occurrences not logged since its last line.

Never silent: a key's first occurrence is always logged, and so is its first after each
interval; the metrics still count every occurrence. Bounded: a provider sending a new code in
every answer costs one line per code until ``max_keys`` codes are remembered, then the oldest
are forgotten (and logged again when they come back).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["LogLimiter"]


class LogLimiter:
    """Per key: log the first occurrence, then at most one per ``interval`` seconds."""

    def __init__(
        self,
        interval: float = 60.0,
        *,
        max_keys: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self.clock = clock
        self._last: OrderedDict[Hashable, list[float]] = OrderedDict()
        """key -> [when last logged, occurrences not logged since]."""
        self._lock = threading.Lock()

    def admit(self, key: Hashable) -> int | None:
        """None when this occurrence is not to be logged (counted instead); otherwise the
        number of the key's occurrences left unlogged since its last line."""
        now = self.clock()
        with self._lock:
            seen = self._last.get(key)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return None
            suppressed = 0 if seen is None else int(seen[1])
            self._last[key] = [now, 0]
            self._last.move_to_end(key)
            while len(self._last) > self.max_keys:
                self._last.popitem(last=False)
            return suppressed

    def clear(self) -> None:
        """Forget every key (for tests: a new process's state)."""
        with self._lock:
            self._last.clear()
