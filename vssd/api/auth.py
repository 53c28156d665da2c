"""`POST /api/auth/login`: username or email + password → tokens and the user (SPEC login reply).

argon2 verification is CPU-heavy and blocking, so it runs on a small private thread pool with a bounded
number of waiting requests; beyond that the login answers 429 RATE_LIMITED at once (overflow policy).
Unknown users are verified against a dummy hash so timing does not reveal which logins exist. Attempts
are limited per client address (`ApiDeps.auth_per_minute`, SPEC/seeds: 5 a minute) before any of that.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from vssd.api import tokens
from vssd.api.body import object_body, text_field
from vssd.api.deps import DEPS, ApiDeps, deps_of
from vssd.api.errors import ApiError, auth_fail, invalid
from vssd.api.ports import UserRecord
from vssd.api.ratelimit import SlidingWindow
from vssd.api.respond import json_response
from vssd.log import get_logger

log = get_logger("vssd.api.auth")

# argon2id hash of a random string nobody knows: verified when the login names no user.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$p5cXfxYlVcaOLvlSY5lQiw$o8x10K3ojToDQh8YqXTTK5yf5ND7Gv0mwjroez9lPWc"


class PasswordGate:
    """Runs password checks on `threads` worker threads, with at most `queue` checks in flight."""

    def __init__(self, deps: ApiDeps) -> None:
        self._verify = deps.verify_password
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

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


GATE: web.AppKey[PasswordGate] = web.AppKey("vssd_password_gate", PasswordGate)
LOGIN_LIMIT: web.AppKey[SlidingWindow | None] = web.AppKey("vssd_login_limit")


def _credentials(data: dict[str, Any]) -> tuple[str, str]:
    problems: list[dict[str, Any]] = []
    field = "username" if data.get("username") not in (None, "") or data.get("email") in (None, "") else "email"
    login = text_field(data, field, problems)
    password = text_field(data, "password", problems, max_len=1024)
    if problems:
        raise invalid(problems, "username or email, and password, are required")
    return login, password


def user_view(user: UserRecord) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "email": user.email or None,
            "name": user.full_name, "role": user.role, "roles": [user.role], "is_active": user.active}


def login_reply(deps: ApiDeps, user: UserRecord) -> dict[str, Any]:
    access = tokens.access_token(deps, user)
    return {
        "token": access, "access_token": access, "refresh_token": tokens.refresh_token(deps, user),
        "token_type": "bearer", "expires": deps.access_ttl_s, "expires_in": deps.access_ttl_s,
        "role": user.role, "permissions": list(user.permissions), "user": user_view(user),
    }


async def _find(deps: ApiDeps, name: str) -> UserRecord | None:
    """The user, or 503 DB_001 when the directory (the database) cannot answer now."""
    try:
        return await deps.users.find_user(name)
    except Exception as err:
        log.warning("auth.user_directory_failed", error=repr(err))
        raise ApiError(503, "DB_001", "user directory unavailable", headers={"Retry-After": "5"}) from None


def _throttle(request: web.Request) -> None:
    """SPEC's auth rate limit (per client address), checked before any work is done."""
    limiter = request.app[LOGIN_LIMIT]
    retry_after = limiter.hit(request.remote or "?") if limiter is not None else None
    if retry_after is not None:
        raise ApiError(429, "RATE_LIMITED", "too many login attempts; retry later",
                       headers={"Retry-After": str(retry_after)})


async def login(request: web.Request) -> web.Response:
    deps = deps_of(request)
    _throttle(request)
    name, password = _credentials(await object_body(request))
    user = await _find(deps, name)
    ok = await request.app[GATE].check(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok:
        log.info("auth.login_failed", login=name[:64], known=user is not None)
        raise auth_fail("invalid username or password")
    if not user.active:
        raise ApiError(403, "AUTH_004", "user is inactive")
    log.info("auth.login", user_id=str(user.id), username=user.username, role=user.role)
    return json_response(login_reply(deps, user))


async def _open_gate(app: web.Application) -> None:
    app[GATE] = PasswordGate(app[DEPS])


async def _close_gate(app: web.Application) -> None:
    if GATE in app:
        app[GATE].close()


def add_routes(app: web.Application) -> None:
    deps = app[DEPS]
    app[LOGIN_LIMIT] = (SlidingWindow(deps.auth_per_minute, 60.0, deps.clock)
                        if deps.auth_per_minute is not None else None)
    app.on_startup.append(_open_gate)
    app.on_cleanup.append(_close_gate)
    for prefix in ("/api", "/api/v1"):
        app.router.add_post(f"{prefix}/auth/login", login)
