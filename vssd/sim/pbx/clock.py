"""Accelerated simulated clock: sim seconds pass `time_scale` times faster than real ones."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class SimClock:
    def __init__(self, time_scale: float, epoch: float | None = None) -> None:
        self.time_scale = time_scale
        self._epoch = time.time() if epoch is None else epoch
        self._t0 = time.monotonic()

    def now(self) -> float:
        """Simulated wall-clock time (Unix seconds)."""
        return self._epoch + (time.monotonic() - self._t0) * self.time_scale

    def real_s(self, sim_s: float) -> float:
        return max(0.0, sim_s) / self.time_scale

    async def sleep(self, sim_s: float) -> None:
        await asyncio.sleep(self.real_s(sim_s))

    @staticmethod
    def fmt(ts: float | None) -> str:
        if ts is None:
            return ""
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")
