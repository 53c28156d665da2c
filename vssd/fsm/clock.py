"""Clocks behind the `Clock` Protocol: the event loop's for production, a hand-advanced one for tests/benches."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

from vssd.fsm.types import Clock, TimerHandle


class LoopClock:
    """Wall-clock `now()`, timers on the running asyncio loop (monotonic, so a clock step never fires them)."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> TimerHandle:
        return asyncio.get_running_loop().call_later(max(delay_s, 0.0), callback)


class ManualTimer:
    __slots__ = ("due", "seq", "callback", "cancelled")

    def __init__(self, due: float, seq: int, callback: Callable[[], None]) -> None:
        self.due = due
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: ManualTimer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class ManualClock:
    """Time moves only when `advance()` is called; due callbacks then run in deadline order, synchronously."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._heap: list[ManualTimer] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(self._now + max(delay_s, 0.0), next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        return timer

    def pending(self) -> list[float]:
        """Deadlines of the timers still armed, soonest first (for tests that check what was scheduled)."""
        return sorted(t.due for t in self._heap if not t.cancelled)

    def next_delay(self) -> float | None:
        """Seconds until the soonest armed timer, or None."""
        due = self.pending()
        return due[0] - self._now if due else None

    def advance(self, seconds: float) -> int:
        """Move time forward, firing every timer due by then (also ones armed by those callbacks)."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        end = self._now + seconds
        fired = 0
        while self._heap and self._heap[0].due <= end:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, timer.due)
            timer.callback()
            fired += 1
        self._now = end
        return fired


async def sleep(clock: Clock, delay_s: float) -> None:
    """`asyncio.sleep` on an injectable clock: wakes when the clock's timer fires; cancelling disarms it."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    handle = clock.call_later(delay_s, wake)
    try:
        await future
    finally:
        handle.cancel()
