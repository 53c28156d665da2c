"""Retry delays: exponential (base · 2^(attempt-1), capped) with equal jitter — half the delay fixed, half drawn
at random — so retries of many deliveries that failed together spread out instead of arriving as one wave."""

from __future__ import annotations

from typing import Protocol


class Rng(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def retry_delay(attempt: int, base_s: float, cap_s: float, rng: Rng) -> float:
    """The wait after failed attempt number `attempt` (1-based)."""
    delay = min(cap_s, base_s * 2 ** min(attempt - 1, 60))
    return delay / 2 + rng.uniform(0, delay / 2)
