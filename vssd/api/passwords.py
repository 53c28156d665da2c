"""The password gate: argon2 checks and hashes (CPU-heavy and blocking) on a small private thread pool
(`ApiDeps.password_threads`) with at most `ApiDeps.password_queue` operations in flight; beyond that the caller
answers 429 RATE_LIMITED at once. The login (`vssd.api.auth`) checks passwords on it, the user administration
(`vssd.api.users`) hashes new ones on it. `setup(app)` opens it at start-up and closes it at cleanup (`GATE`).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from argon2 import PasswordHasher as Argon2Hasher

from vssd.api.deps import DEPS, ApiDeps
from vssd.api.errors import ApiError

_ARGON2 = Argon2Hasher()  # argon2id, the same profile as the store's hashes


class PasswordGate:
    """Runs password checks on `threads` worker threads, with at most `queue` checks in flight."""

    def __init__(self, deps: ApiDeps) -> None:
        self._verify = deps.verify_password
        self._hasher = deps.hash_password or _ARGON2.hash
        self._limit = deps.password_queue
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=deps.password_threads, thread_name_prefix="vssd-argon2")

    async def check(self, password_hash: str, password: str) -> bool:
        if self._in_flight >= self._limit:
            raise ApiError(429, "RATE_LIMITED", "too many logins in progress", headers={"Retry-After": "1"})
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return bool(await loop.run_in_executor(self._pool, self._verify, password_hash, password))
        finally:
            self._in_flight -= 1

    async def hash(self, password: str) -> str:
        """An argon2id hash made on the same bounded pool (user writes are rare; logins come first)."""
        if self._in_flight >= self._limit:
            raise ApiError(429, "RATE_LIMITED", "too many password operations in progress",
                           headers={"Retry-After": "1"})
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, self._hasher, password)
        finally:
            self._in_flight -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


GATE: web.AppKey[PasswordGate] = web.AppKey("vssd_password_gate", PasswordGate)


async def _open_gate(app: web.Application) -> None:
    app[GATE] = PasswordGate(app[DEPS])


async def _close_gate(app: web.Application) -> None:
    if GATE in app:
        app[GATE].close()


def setup(app: web.Application) -> None:
    app.on_startup.append(_open_gate)
    app.on_cleanup.append(_close_gate)
