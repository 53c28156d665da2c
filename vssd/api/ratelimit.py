"""In-process rate limiting and auth state (SPEC: Redis in production — `vssd/adapters/redis_state.py`
implements the same `AuthState` port; this one is the default without Redis, and what tests use).

Memory is bounded: at most `max_keys` clients are remembered per limiter, beyond that the least recently
seen is forgotten (more lenient, never blocks a stranger); the denylist and the families keep at most
`max_tokens` entries, expired ones purged first, then the soonest to expire (overflow policy).
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


class _Expiring:
    """key → (value, until), bounded; expired entries are purged before anything else is dropped."""

    def __init__(self, clock: Callable[[], float], max_items: int) -> None:
        self._clock = clock
        self._max = max_items
        self._items: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None or item[1] <= self._clock():
            return None
        return item[0]

    def put(self, key: str, value: str, until: float) -> None:
        self._items[key] = (value, until)
        if len(self._items) > self._max:
            now = self._clock()
            self._items = {k: v for k, v in self._items.items() if v[1] > now}
        while len(self._items) > self._max:
            del self._items[min(self._items, key=lambda k: self._items[k][1])]

    def pop(self, key: str) -> None:
        self._items.pop(key, None)


class LocalAuthState:
    """`vssd.api.ports.AuthState` in this process (one daemon, no Redis)."""

    def __init__(self, clock: Callable[[], float], max_tokens: int = 100_000) -> None:
        self._clock = clock
        self._denied = _Expiring(clock, max_tokens)
        self._families = _Expiring(clock, max_tokens)
        self._limiters: dict[tuple[str, int, float], SlidingWindow] = {}

    async def revoke(self, jti: str, until: float) -> None:
        self._denied.put(jti, "1", until)

    async def token_ok(self, jti: str, family: str | None) -> bool:
        if self._denied.get(jti) is not None:
            return False
        return family is None or self._families.get(family) is not None

    async def start_family(self, family: str, jti: str, until: float) -> None:
        self._families.put(family, jti, until)

    async def rotate(self, family: str, old_jti: str, new_jti: str, until: float) -> str:
        current = self._families.get(family)
        if current is None:
            return "unknown"
        if current != old_jti:
            self._families.pop(family)
            return "reused"
        self._families.put(family, new_jti, until)
        return "ok"

    async def end_family(self, family: str) -> None:
        self._families.pop(family)

    async def hit(self, bucket: str, key: str, limit: int, window_s: float) -> int | None:
        limiter = self._limiters.get((bucket, limit, window_s))
        if limiter is None:
            limiter = self._limiters[(bucket, limit, window_s)] = SlidingWindow(limit, window_s, self._clock)
        return limiter.hit(key)
