"""`vssd.api.ports.AuthState` on Redis (`redis.asyncio`): the token denylist, refresh-token families and
rate-limit counters shared by every daemon on the same Redis (SPEC: Redis in production; the in-process
twin is `vssd.api.ratelimit.LocalAuthState`, the API's default).

Keys (under `prefix`): `deny:<jti>` (TTL = the token's remaining life), `fam:<family>` = the family's
current refresh jti (TTL = the refresh token's life), `rl:<bucket>:<key>:<window>` fixed-window counters
(TTL = the window). Rotation is one Lua script, so two refreshes racing with the same token cannot both win.
Times come from the injected clock (epoch seconds), so tests that move the clock see the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import redis.asyncio as aioredis

__all__ = ["RedisAuthState"]

# KEYS[1] family key; ARGV: old jti, new jti, ttl seconds. 1 rotated, 0 reused (family ended), -1 unknown.
_ROTATE = """
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""
_VERDICTS = {1: "ok", 0: "reused", -1: "unknown"}


class RedisAuthState:
    def __init__(self, client: aioredis.Redis, clock: Callable[[], float], prefix: str = "vssd:") -> None:
        self.client = client
        self._clock = clock
        self._prefix = prefix
        self._rotate = client.register_script(_ROTATE)

    @classmethod
    def from_url(cls, url: str, clock: Callable[[], float], prefix: str = "vssd:") -> RedisAuthState:
        return cls(aioredis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), clock, prefix)

    async def close(self) -> None:
        await self.client.aclose()

    def _ttl(self, until: float) -> int:
        return max(1, math.ceil(until - self._clock()))

    async def revoke(self, jti: str, until: float) -> None:
        await self.client.set(f"{self._prefix}deny:{jti}", b"1", ex=self._ttl(until))

    async def token_ok(self, jti: str, family: str | None) -> bool:
        if family is None:
            return not await self.client.exists(f"{self._prefix}deny:{jti}")
        denied, current = await self.client.mget(f"{self._prefix}deny:{jti}", f"{self._prefix}fam:{family}")
        return denied is None and current is not None

    async def start_family(self, family: str, jti: str, until: float) -> None:
        await self.client.set(f"{self._prefix}fam:{family}", jti, ex=self._ttl(until))

    async def rotate(self, family: str, old_jti: str, new_jti: str, until: float) -> str:
        verdict = await self._rotate(keys=[f"{self._prefix}fam:{family}"], args=[old_jti, new_jti, self._ttl(until)])
        return _VERDICTS[int(verdict)]

    async def end_family(self, family: str) -> None:
        await self.client.delete(f"{self._prefix}fam:{family}")

    async def hit(self, bucket: str, key: str, limit: int, window_s: float) -> int | None:
        now = self._clock()
        window = int(now // window_s)
        name = f"{self._prefix}rl:{bucket}:{key}:{window}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, max(1, math.ceil(window_s)) + 1)
            count, _ = await pipe.execute()
        if int(count) <= limit:
            return None
        return max(1, math.ceil((window + 1) * window_s - now))
