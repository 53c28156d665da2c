"""An in-process sliding-window rate limiter (SPEC: Redis in production is a later step; same contract).

Memory is bounded: at most `max_keys` clients are remembered; beyond that the least recently seen client
is forgotten (overflow policy), which can only make the limiter more lenient, never block a stranger.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` hits per `window_s` per key."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float], max_keys: int = 10_000) -> None:
        if limit < 1 or window_s <= 0 or max_keys < 1:
            raise ValueError("limit, window_s and max_keys must be positive")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> int | None:
        """Record one hit; None when allowed, else the whole seconds until the next hit would be."""
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque(maxlen=self.limit)
            if len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window_s - now))
        hits.append(now)
        return None

    def __len__(self) -> int:
        return len(self._hits)
