"""Tokens end to end, on the in-process auth state and on the REAL Redis: refresh rotation and reuse
detection, logout revocation, the token attacks, and the rate limits (429 with Retry-After)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest

from tests.api.conftest import PASSWORDS, SECRET, Clock, Rig
from tests.conftest import require_service
from vssd.adapters.redis_state import RedisAuthState

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["local", "redis"])
async def state_rig(request: pytest.FixtureRequest, make_rig) -> AsyncIterator[Rig]:
    if request.param == "local":
        yield await make_rig()
        return
    require_service("redis", 6379)
    clock = Clock()
    state = RedisAuthState.from_url(REDIS_URL, clock, prefix=f"vssd-test-{uuid.uuid4().hex[:8]}:")
    try:
        rig: Rig = await make_rig(auth_state=state, clock=clock)
        rig.clock = clock
        yield rig
    finally:
        keys = [k async for k in state.client.scan_iter(match=f"{state._prefix}*")]
        if keys:
            await state.client.delete(*keys)
        await state.close()


async def _login(rig: Rig, user: str = "admin") -> dict[str, Any]:
    resp = await rig.client.post("/api/auth/login", json={"username": user, "password": PASSWORDS[user]})
    assert resp.status == 200
    return await resp.json()


async def _refresh(rig: Rig, refresh_token: str) -> Any:
    return await rig.client.post("/api/auth/refresh", json={"refresh_token": refresh_token})


async def _me(rig: Rig, token: str) -> int:
    return (await rig.client.get("/api/auth/me", headers=rig.bearer(token))).status


async def test_refresh_rotates_and_a_reused_token_ends_the_family(state_rig: Rig) -> None:
    rig = state_rig
    first = await _login(rig)
    resp = await _refresh(rig, first["refresh_token"])
    assert resp.status == 200
    second = await resp.json()
    assert second["refresh_token"] != first["refresh_token"] and second["token"] != first["token"]
    assert second["user"]["username"] == "admin" and second["expires_in"] == 3600
    assert await _me(rig, second["token"]) == 200
    resp = await _refresh(rig, first["refresh_token"])  # replayed: stolen or double-submitted
    assert resp.status == 401
    assert await _me(rig, second["token"]) == 401  # the whole family is revoked, access tokens included
    assert (await _refresh(rig, second["refresh_token"])).status == 401
    other = await _login(rig)  # another login is a new family, untouched
    assert await _me(rig, other["token"]) == 200


async def test_refresh_with_an_access_token_in_the_header(state_rig: Rig) -> None:
    """The WORKSPACE API: `POST /api/auth/refresh` with `Authorization: Bearer <token>` answers a new token."""
    rig = state_rig
    login = await _login(rig, "op12")
    rig.clock.now += 600
    resp = await rig.client.post("/api/auth/refresh", headers=rig.bearer(login["token"]))
    assert resp.status == 200
    body = await resp.json()
    assert body["token"] == body["access_token"] != login["token"] and body["expires"] == 3600
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"], audience="vssd-api", options={"verify_exp": False})
    assert claims["iat"] == int(rig.clock.now) and claims["role"] == "operator"
    resp = await rig.client.post("/api/auth/refresh")
    assert resp.status == 422


async def test_logout_revokes_the_token_and_its_family(state_rig: Rig) -> None:
    rig = state_rig
    login = await _login(rig)
    resp = await rig.client.post("/api/auth/logout", headers=rig.bearer(login["token"]))
    assert resp.status == 200
    assert await resp.json() == {"success": True, "message": "Successfully logged out"}
    assert await _me(rig, login["token"]) == 401
    assert (await rig.client.get("/api/slots", headers=rig.bearer(login["token"]))).status == 401
    assert (await _refresh(rig, login["refresh_token"])).status == 401
    assert (await rig.client.post("/api/auth/logout")).status == 401


async def test_redis_denylist_entries_expire_with_the_token(make_rig) -> None:
    require_service("redis", 6379)
    clock = Clock()
    state = RedisAuthState.from_url(REDIS_URL, clock, prefix=f"vssd-test-{uuid.uuid4().hex[:8]}:")
    try:
        rig: Rig = await make_rig(auth_state=state, clock=clock)
        login = await _login(rig)
        await rig.client.post("/api/auth/logout", headers=rig.bearer(login["token"]))
        keys = [k async for k in state.client.scan_iter(match=f"{state._prefix}deny:*")]
        assert len(keys) == 1
        assert 3600 <= await state.client.ttl(keys[0]) <= 3600 + 31
    finally:
        keys = [k async for k in state.client.scan_iter(match=f"{state._prefix}*")]
        if keys:
            await state.client.delete(*keys)
        await state.close()


def _forge(claims: dict[str, Any], header: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part(claims)}."


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_token_attacks_fail(state_rig: Rig) -> None:
    rig = state_rig
    login = await _login(rig)
    lax = {"algorithms": ["HS256"], "audience": "vssd-api", "options": {"verify_exp": False}}
    claims = jwt.decode(login["token"], SECRET, **lax)
    refresh_claims = jwt.decode(login["refresh_token"], SECRET, **lax)
    head, body, sig = login["token"].split(".")
    padded = body + "=" * (-len(body) % 4)
    tampered = json.loads(base64.urlsafe_b64decode(padded))
    tampered["role"], tampered["perms"] = "admin", ["#"]
    forged_body = base64.urlsafe_b64encode(json.dumps(tampered).encode()).rstrip(b"=").decode()
    attacks = {
        "alg none": _forge(claims, {"alg": "none", "typ": "JWT"}),
        "HS512 same secret": jwt.encode(claims, SECRET, algorithm="HS512"),
        "other secret": jwt.encode(claims, "another-secret-0123456789abcdef0123456789", algorithm="HS256"),
        "tampered payload": f"{head}.{forged_body}.{sig}",
        "refresh as access": login["refresh_token"],
    }
    for name, token in attacks.items():
        assert await _me(rig, token) == 401, name
    for name, token in {"alg none": _forge(refresh_claims, {"alg": "none"}),
                        "access as refresh": login["token"],
                        "HS384": jwt.encode(refresh_claims, SECRET, algorithm="HS384")}.items():
        assert (await _refresh(rig, token)).status == 401, name
    rig.clock.now += 3600 + 60
    resp = await rig.client.get("/api/auth/me", headers=rig.bearer(login["token"]))
    assert resp.status == 401 and (await resp.json())["code"] == "AUTH_002"


async def test_api_rate_limit_is_per_user_with_retry_after(make_rig) -> None:
    rig: Rig = await make_rig(api_per_minute=3)
    op, seller = rig.bearer(await rig.token("op12")), rig.bearer(await rig.token("seller1"))
    for _ in range(3):
        assert (await rig.client.get("/api/calls/feed", headers=op)).status == 200
    resp = await rig.client.get("/api/calls/feed", headers=op)
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) == 60
    assert (await resp.json())["code"] == "RATE_LIMITED"
    assert (await rig.client.get("/api/calls/feed", headers=seller)).status == 200
    assert (await rig.client.get("/health")).status == 200  # probes are never limited
    rig.clock.now += 61
    assert (await rig.client.get("/api/calls/feed", headers=op)).status == 200


async def test_rate_limits_on_redis_are_shared_by_two_apps(make_rig) -> None:
    """Two daemons on one Redis share the counters (SPEC: Redis-backed limits across hosts)."""
    require_service("redis", 6379)
    clock = Clock(1_790_000_010.0)
    prefix = f"vssd-test-{uuid.uuid4().hex[:8]}:"
    states = [RedisAuthState.from_url(REDIS_URL, clock, prefix=prefix) for _ in range(2)]
    try:
        one: Rig = await make_rig(auth_state=states[0], clock=clock, auth_per_minute=2)
        two: Rig = await make_rig(auth_state=states[1], clock=clock, auth_per_minute=2)
        bad = {"username": "nobody", "password": "x"}
        assert (await one.client.post("/api/auth/login", json=bad)).status == 401
        assert (await two.client.post("/api/auth/login", json=bad)).status == 401
        resp = await one.client.post("/api/auth/login", json=bad)
        assert resp.status == 429
        assert int(resp.headers["Retry-After"]) == 30  # the fixed window ends at the next whole minute
        login = await one.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
        assert login.status == 429
        clock.now += 30
        login = await two.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
        assert login.status == 200
        token = (await login.json())["token"]
        assert (await one.client.post("/api/auth/logout", headers=one.bearer(token))).status == 200
        assert (await two.client.get("/api/auth/me", headers=two.bearer(token))).status == 401
    finally:
        keys = [k async for k in states[0].client.scan_iter(match=f"{prefix}*")]
        if keys:
            await states[0].client.delete(*keys)
        for state in states:
            await state.close()


async def test_redis_down_fails_closed_for_tokens_and_open_for_rate_limits(make_rig) -> None:
    clock = Clock()
    dead = RedisAuthState.from_url("redis://127.0.0.1:1/0", clock)  # loopback, nothing listens
    try:
        rig: Rig = await make_rig(auth_state=dead, clock=clock, auth_per_minute=1)
        token = await rig.token("admin")
        resp = await rig.client.get("/api/auth/me", headers=rig.bearer(token))
        assert resp.status == 503 and resp.headers["Retry-After"] == "5"
        assert (await resp.json())["code"] == "SERVICE_UNAVAILABLE"
        for _ in range(2):  # the auth limit (1/min) cannot be counted: not enforced, and no 500
            resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
            assert resp.status == 503  # a new session cannot be recorded either
    finally:
        await dead.close()
