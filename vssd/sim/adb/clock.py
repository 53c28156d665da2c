"""The simulator's accelerated clock: simulated seconds pass `time_scale` times faster than real ones."""

from __future__ import annotations

import asyncio
import time


class SimClock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def time(self) -> float:
        """Simulated epoch seconds (starts at the real time, then runs `time_scale` times faster)."""
        return self._wall0 + (time.monotonic() - self._mono0) * self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(max(0.0, sim_seconds) / self.time_scale)
