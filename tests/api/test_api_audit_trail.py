"""`GET /api/security/audit` on the REAL `security_audit_log` table: every denied request (any method), failed
login, lockout and role change is in the trail with actor, ip, action, object and outcome; the filters (actor,
action, object, outcome, time range) and the paging (`X-Total-Count`) work; a bad filter value is 422."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from tests.api.console_store import console_store_fixture, user_id
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_users import StoreUserDirectory

__all__ = ["console_store_fixture"]
PLUS_3 = timezone(timedelta(hours=3))


async def _rig(make_rig: RigFactory, store: Store, **more: Any) -> Rig:
    rig: Rig = await make_rig(users=StoreUserDirectory(store), audit=StoreAuditLog(store), **more)
    return rig


async def _trail(rig: Rig, status: int = 200, **params: str) -> tuple[Any, int | None]:
    resp = await rig.client.get("/api/security/audit", params=params, headers=rig.bearer(await rig.token("admin")))
    assert resp.status == status, await resp.text()
    total = resp.headers.get("X-Total-Count")
    return await resp.json(), int(total) if total is not None else None


async def test_denials_failed_logins_lockouts_and_role_changes_are_in_the_trail(make_rig: RigFactory,
                                                                               console_store: Store) -> None:
    rig = await _rig(make_rig, console_store, auth_per_minute=3)
    seller, seller_id = rig.bearer(await rig.token("seller1")), await user_id(console_store, "seller1")
    assert (await rig.client.get("/api/users", headers=seller)).status == 403          # a denied read
    assert (await rig.client.get("/api/slots", headers=rig.bearer("x.y.z"))).status == 401  # a forged token
    for _ in range(3):
        resp = await rig.client.post("/api/auth/login", json={"username": "super1", "password": "wrong"})
        assert resp.status == 401
    resp = await rig.client.post("/api/auth/login", json={"username": "super1", "password": "wrong"})
    assert resp.status == 429                                                            # locked out
    resp = await rig.client.patch(f"/api/users/{seller_id}", json={"role": "supervisor"},
                                  headers=rig.bearer(await rig.token("admin")))
    assert resp.status == 200
    entries, total = await _trail(rig)
    assert total == len(entries) == 7
    change, lockout, *failed, forged, denied = entries
    assert (denied["action"], denied["outcome"], denied["username"], denied["ip"]) == (
        "GET /api/users", "denied", "seller1", "127.0.0.1")
    assert (denied["object_type"], denied["details"]["code"]) == ("users", "PERMISSION_DENIED")
    assert (forged["outcome"], forged["username"], forged["details"]["status"]) == ("denied", None, 401)
    super_id = await user_id(console_store, "super1")
    assert [(f["action"], f["username"], f["object_type"], f["object_id"], f["details"]["code"]) for f in failed] \
        == [("POST /api/auth/login", "super1", "users", super_id, "AUTH_FAIL")] * 3
    assert (lockout["outcome"], lockout["details"]["code"], lockout["ip"]) == ("denied", "RATE_LIMITED", "127.0.0.1")
    assert (change["action"], change["outcome"], change["username"], change["object_type"], change["object_id"]) == (
        "PATCH /api/users/{user_id}", "ok", "admin", "users", seller_id)
    assert (change["details"]["role_from"], change["details"]["role_to"]) == ("seller", "supervisor")
    assert "wrong" not in str(entries)


async def test_the_filters_and_the_paging(make_rig: RigFactory, console_store: Store) -> None:
    rig = await _rig(make_rig, console_store)
    seller_id, admin = await user_id(console_store, "seller1"), rig.bearer(await rig.token("admin"))
    await rig.client.get("/api/users", headers=rig.bearer(await rig.token("seller1")))            # t0 denied
    rig.clock.now += 3600
    await rig.client.patch(f"/api/users/{seller_id}", json={"name": "S One"}, headers=admin)       # t0+1h ok
    await rig.client.patch(f"/api/users/{uuid.uuid4()}", json={"name": "Nobody"}, headers=admin)   # failed (404)
    rig.clock.now += 3600
    await rig.client.post("/api/auth/login", json={"username": "op12", "password": "no"})           # t0+2h denied
    names = lambda found: [(e["username"], e["outcome"]) for e in found[0]]  # noqa: E731
    assert names(await _trail(rig, actor="admin")) == [("admin", "failed"), ("admin", "ok")]
    assert names(await _trail(rig, actor=seller_id)) == [("seller1", "denied")]
    assert names(await _trail(rig, outcome="success")) == [("admin", "ok")]
    assert names(await _trail(rig, outcome="denied")) == [("op12", "denied"), ("seller1", "denied")]
    assert names(await _trail(rig, outcome="failed")) == [("admin", "failed")]
    assert names(await _trail(rig, object_type="users", object_id=seller_id)) == [("admin", "ok")]
    assert names(await _trail(rig, action="POST /api/auth/login")) == [("op12", "denied")]
    hour = datetime.fromtimestamp(rig.clock.now - 3600, UTC)  # the admin's hour, in UTC and in another zone
    since, until = hour.strftime("%Y-%m-%dT%H:%M:%SZ"), (hour + timedelta(hours=1)).astimezone(PLUS_3).isoformat()
    assert names(await _trail(rig, **{"from": since, "to": until})) == [("admin", "failed"), ("admin", "ok")]
    assert names(await _trail(rig, since=since)) == [("op12", "denied"), ("admin", "failed"), ("admin", "ok")]
    page, total = await _trail(rig, limit="2", offset="1")
    assert total == 4 and [e["username"] for e in page] == ["admin", "admin"]


@pytest.mark.parametrize("params", [
    {"outcome": "maybe"}, {"from": "yesterday"}, {"to": "2026-13-01T00:00:00Z"}, {"user_id": "not-a-uuid"},
    {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, {"limit": "0"}, {"offset": "-1"},
    {"actor": "x" * 301},
])
async def test_bad_filter_values_are_422(rig: Rig, params: dict[str, str]) -> None:
    body, _ = await _trail(rig, 422, **params)
    assert body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"][0] == "query"
