"""Users through the API on a fresh REAL PostgreSQL database: the Smart Call Center API's validation and error
codes, the documents' two route families, the last-admin rule (also under concurrency), no privilege escalation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Rig
from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin

OPERATOR = {"username": "operator1", "email": "operator1@company.com", "name": "Иван Петров",
            "password": "secure_password", "role": "operator", "group_id": "g1", "extension": "1001"}


@pytest.fixture
async def users_rig(make_rig, fresh_store: Store) -> Rig:
    await ensure_admin(fresh_store, "admin", "admin123", email="admin@callcenter.com")
    return await make_rig(users=StoreUserDirectory(fresh_store))


async def _admin(rig: Rig) -> dict[str, str]:
    return rig.bearer(await rig.token("admin"))


async def _create(rig: Rig, body: dict[str, Any], path: str = "/api/admin/users") -> Any:
    return await rig.client.post(path, json=body, headers=await _admin(rig))


async def test_smart_call_center_create_then_log_in(users_rig: Rig) -> None:
    resp = await _create(users_rig, OPERATOR)
    assert resp.status == 201, await resp.text()
    user = await resp.json()
    assert {k: user[k] for k in ("username", "email", "name", "role", "group_id", "extension", "is_active")} == {
        "username": "operator1", "email": "operator1@company.com", "name": "Иван Петров", "role": "operator",
        "group_id": "g1", "extension": "1001", "is_active": True}
    assert "password" not in user and "password_hash" not in user and user["created_at"]
    resp = await users_rig.client.post("/api/auth/login", json={"username": "operator1",
                                                                "password": "secure_password"})
    assert resp.status == 200
    resp = await users_rig.client.get(f"/api/admin/users/{user['id']}/operator", headers=await _admin(users_rig))
    assert resp.status == 200
    operator = await resp.json()
    assert operator["user_id"] == user["id"] and operator["extension"] == "1001" and operator["status"] == "offline"


INVALID = [
    ({"username": "ab"}, "username"), ({"username": "x" * 51}, "username"), ({"email": "not-an-email"}, "email"),
    ({"password": "12345"}, "password"), ({"extension": "12a4"}, "extension"),
    ({"extension": "123456"}, "extension"), ({"role": "pilot"}, "role"), ({"is_active": "yes"}, "is_active"),
]


async def test_smart_call_center_validation(users_rig: Rig) -> None:
    for change, field in INVALID:
        body = {k: v for k, v in {**OPERATOR, **change}.items() if v is not None}
        resp = await _create(users_rig, body)
        assert resp.status == 422, (change, await resp.text())
        answer = await resp.json()
        assert answer["code"] == "INVALID_PARAMS"
        assert ["body", field] in [d["loc"] for d in answer["details"]], change


async def test_conflicts_carry_the_seed_codes(users_rig: Rig) -> None:
    assert (await _create(users_rig, OPERATOR)).status == 201
    for change, code in (({"email": "other@company.com", "extension": "1002"}, "USER_001"),
                         ({"username": "operator2", "extension": "1002"}, "USER_002"),
                         ({"username": "operator3", "email": "op3@company.com"}, "USER_003")):
        resp = await _create(users_rig, {**OPERATOR, **change})
        assert resp.status == 409
        assert (await resp.json())["code"] == code
    resp = await _create(users_rig, {**OPERATOR, "username": "OPERATOR1", "email": "x@company.com",
                                     "extension": "1009"})
    assert (await resp.json())["code"] == "USER_001"  # usernames are unique case-insensitively


async def test_list_update_delete_on_both_route_families(users_rig: Rig) -> None:
    rig, admin = users_rig, await _admin(users_rig)
    seller = await (await _create(rig, {"username": "op21", "password": "secure123", "email": "op21@example.com",
                                        "role": "seller"}, "/api/users")).json()
    resp = await rig.client.get("/api/users", params={"role": "seller"}, headers=admin)
    assert resp.status == 200 and resp.headers["X-Total-Count"] == "1"
    assert [u["username"] for u in await resp.json()] == ["op21"]
    resp = await rig.client.get("/api/admin/users", params={"skip": "1", "limit": "1"}, headers=admin)
    assert resp.headers["X-Total-Count"] == "2" and len(await resp.json()) == 1
    resp = await rig.client.patch(f"/api/users/{seller['id']}", json={"name": "Op 21"}, headers=admin)
    assert resp.status == 200 and (await resp.json())["name"] == "Op 21"
    resp = await rig.client.get(f"/api/admin/users/{seller['id']}/operator", headers=admin)
    assert resp.status == 200 and await resp.json() is None  # not an operator
    resp = await rig.client.patch(f"/api/users/{seller['id']}", json={"role": "operator"}, headers=admin)
    assert resp.status == 200 and (await resp.json())["extension"] is None  # optional until they take calls
    resp = await rig.client.patch(f"/api/users/{seller['id']}", json={"role": "operator", "extension": "2021"},
                                  headers=admin)
    assert resp.status == 200 and (await resp.json())["role"] == "operator"
    resp = await rig.client.get(f"/api/admin/users/{seller['id']}/operator", headers=admin)
    assert (await resp.json())["extension"] == "2021"
    resp = await rig.client.put(f"/api/admin/users/{seller['id']}", json={"is_active": False}, headers=admin)
    assert resp.status == 200 and (await resp.json())["is_active"] is False
    assert (await rig.client.delete(f"/api/users/{seller['id']}", headers=admin)).status == 200
    for method, path in (("DELETE", f"/api/users/{seller['id']}"), ("PATCH", f"/api/users/{seller['id']}"),
                         ("PUT", "/api/admin/users/not-a-uuid"), ("GET", f"/api/admin/users/{seller['id']}/operator")):
        resp = await rig.client.request(method, path, json={"name": "x"}, headers=admin)
        assert resp.status == 404, (method, path)
        assert (await resp.json())["code"] == "USER_004"


async def test_the_last_admin_stays(users_rig: Rig) -> None:
    rig, admin = users_rig, await _admin(users_rig)
    me = await rig.deps.users.find_user("admin")
    assert me is not None
    for method, body in (("DELETE", None), ("PATCH", {"role": "seller"}), ("PATCH", {"is_active": False})):
        resp = await rig.client.request(method, f"/api/users/{me.id}", json=body, headers=admin)
        assert resp.status == 409, (method, body)
        assert (await resp.json())["code"] == "USER_005"
    second = await (await _create(rig, {"username": "admin2", "password": "admin2-pw", "email": "a2@x.org",
                                        "role": "admin"})).json()
    assert (await rig.client.delete(f"/api/users/{me.id}", headers=admin)).status == 200
    resp = await rig.client.delete(f"/api/users/{second['id']}", headers=rig.bearer(await rig.token("admin2")))
    assert resp.status == 409 and (await resp.json())["code"] == "USER_005"


async def test_two_admins_deleted_at_once_leave_one(users_rig: Rig, fresh_store: Store) -> None:
    second = await add_user(fresh_store, "admin2", "admin2-pw", role="admin")
    first = await users_rig.deps.users.find_user("admin")
    assert first is not None
    admin = await _admin(users_rig)
    answers = await asyncio.gather(*(users_rig.client.delete(f"/api/users/{uid}", headers=admin)
                                     for uid in (first.id, second)))
    assert sorted(r.status for r in answers) == [200, 409]
    assert await fresh_store.pool.fetchval("SELECT count(*) FROM users WHERE role = 'admin'") == 1


async def test_nobody_hands_out_a_role_above_their_own(users_rig: Rig, fresh_store: Store) -> None:
    admin = await _admin(users_rig)
    resp = await users_rig.client.post("/api/roles", json={"name": "user_keeper", "permissions": ["vssd.users.#"]},
                                       headers=admin)
    assert resp.status == 201
    await add_user(fresh_store, "keeper", "keeper-pw", role="user_keeper")
    keeper = users_rig.bearer(await users_rig.token("keeper"))
    body = {"username": "sneaky", "password": "sneaky-pw", "email": "s@x.org", "role": "admin"}
    resp = await users_rig.client.post("/api/users", json=body, headers=keeper)
    assert resp.status == 403
    resp = await users_rig.client.post("/api/users", json={**body, "role": "user_keeper"}, headers=keeper)
    assert resp.status == 201


async def test_a_deleted_user_cannot_refresh(users_rig: Rig, fresh_store: Store) -> None:
    await add_user(fresh_store, "temp1", "temp1-pw", role="seller")
    login = await (await users_rig.client.post("/api/auth/login", json={"username": "temp1",
                                                                        "password": "temp1-pw"})).json()
    user_id = login["user"]["id"]
    assert (await users_rig.client.delete(f"/api/users/{user_id}", headers=await _admin(users_rig))).status == 200
    resp = await users_rig.client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert resp.status == 401


async def test_without_a_user_admin_the_routes_answer_503(make_rig) -> None:
    class LoginOnly:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def find_user(self, login: str) -> Any:
            return await self.inner.find_user(login)

    rig: Rig = await make_rig()
    rig.deps.users = LoginOnly(rig.deps.users)
    resp = await rig.client.get("/api/users", headers=rig.bearer(await rig.token("admin")))
    assert resp.status == 503
