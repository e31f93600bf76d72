"""Fake time for tests: a clock that moves only when payerr sleeps (or a test moves it)."""

from __future__ import annotations


class FakeTime:
    """A clock that only moves when payerr sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
