"""Users and roles as the routes reference shows them, on a fresh REAL PostgreSQL database: its `POST /api/users`
examples (an operator without an extension) answer 201; an admin changes a builtin role's permissions (audited,
kept by the start-up sync, reset to the shipped default); the admin role always keeps full rights."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Rig
from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin, sync_builtin_roles
from vssd.api.audit_log import AUDIT
from vssd.api.rbac import BUILTIN_ROLES

# The OTTB/POINT/DCI/WORKSPACE API's request and the operating manual's curl body, verbatim.
ROUTES_REFERENCE_USER = {"username": "op21", "password": "secure123", "email": "op21@example.com", "role": "operator"}
MANUAL_USER = {"username": "operator1", "password": "secure_password", "email": "operator1@example.com",
               "role": "operator"}


@pytest.fixture
async def rrig(make_rig, fresh_store: Store) -> Rig:
    await ensure_admin(fresh_store, "admin", "admin123")
    return await make_rig(users=StoreUserDirectory(fresh_store))


async def call(rig: Rig, method: str, path: str, body: Any = None, user: str = "admin") -> tuple[int, Any]:
    resp = await rig.client.request(method, path, json=body, headers=rig.bearer(await rig.token(user)))
    return resp.status, await resp.json()


async def test_the_documents_user_examples_answer_201(rrig: Rig) -> None:
    for body in (ROUTES_REFERENCE_USER, MANUAL_USER):
        status, user = await call(rrig, "POST", "/api/users", body)
        assert status == 201, user
        assert (user["role"], user["extension"]) == ("operator", None)
    status, user = await call(rrig, "POST", "/api/users", {**ROUTES_REFERENCE_USER, "username": "op22",
                                                          "email": "op22@example.com", "extension": ""})
    assert status == 201 and user["extension"] is None  # an empty extension is none


async def test_builtin_role_edited_kept_at_start_and_reset(rrig: Rig, fresh_store: Store) -> None:
    status, role = await call(rrig, "POST", "/api/roles/operator",
                              {"permissions": ["calls:read", "vssd.slots.read"], "description": "Narrow"})
    assert status == 200, role
    assert role["builtin"] is True and role["customized"] is True
    assert role["permissions"] == ["vssd.calls.read", "vssd.calls.*.read", "vssd.slots.read"]
    await sync_builtin_roles(fresh_store, BUILTIN_ROLES)  # what every start does
    status, roles = await call(rrig, "GET", "/api/roles")
    operator = next(r for r in roles if r["name"] == "operator")
    assert operator["permissions"] == role["permissions"] and operator["customized"] is True
    await add_user(fresh_store, "op1", "op-pass-1", role="operator")
    assert (await fresh_store.pool.fetchval(  # the login reads the role's rights from the store
        "SELECT permissions::text FROM roles WHERE name = 'operator'")) == '["vssd.calls.read", "vssd.calls.*.read", ' \
        '"vssd.slots.read"]'

    status, reset = await call(rrig, "POST", f"/api/roles/{role['id']}/reset")
    assert status == 200, reset
    assert reset["permissions"] == BUILTIN_ROLES["operator"] and reset["customized"] is False
    entries, _ = await rrig.client.app[AUDIT].entries(10, 0, {})
    changes = [e for e in entries if e["action"].startswith("POST /api/roles/{role_id}")]
    assert [e["details"].get("reset", False) for e in changes] == [True, False]
    assert changes[1]["details"]["permissions_before"] == BUILTIN_ROLES["operator"]
    assert changes[1]["details"]["permissions_after"] == role["permissions"]
    assert changes[0]["details"]["permissions_after"] == BUILTIN_ROLES["operator"]


async def test_the_admin_role_keeps_full_rights(rrig: Rig, fresh_store: Store) -> None:
    status, body = await call(rrig, "POST", "/api/roles/admin", {"permissions": ["vssd.slots.read"]})
    assert (status, body["code"]) == (409, "ROLE_004")
    status, body = await call(rrig, "POST", "/api/roles/admin", {"description": "Hub administrators"})
    assert status == 200 and body["permissions"] == ["#"] and body["description"] == "Hub administrators"
    await fresh_store.pool.execute("UPDATE roles SET permissions = '[]', customized = true WHERE name = 'admin'")
    await sync_builtin_roles(fresh_store, BUILTIN_ROLES)
    assert await fresh_store.pool.fetchval("SELECT permissions::text FROM roles WHERE name = 'admin'") == '["#"]'


async def test_refusals(rrig: Rig, fresh_store: Store) -> None:
    status, custom = await call(rrig, "POST", "/api/roles", {"name": "night_shift", "permissions": ["calls:read"]})
    assert status == 201
    status, body = await call(rrig, "POST", f"/api/roles/{custom['id']}/reset")
    assert (status, body["code"]) == (409, "ROLE_005")
    status, body = await call(rrig, "POST", "/api/roles/nosuch/reset")
    assert status == 404
    status, body = await call(rrig, "POST", "/api/roles/seller", {"permissions": {"calls": ["fly"]}})
    assert status == 422 and ["body", "permissions"] in [d["loc"] for d in body["details"]]
    await add_user(fresh_store, "super1", "super-pass", role="supervisor")
    for path in ("/api/roles/seller", "/api/roles/seller/reset"):
        status, body = await call(rrig, "POST", path, {"permissions": ["calls:read"]}, user="super1")
        assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    status, roles = await call(rrig, "GET", "/api/roles")
    seller = next(r for r in roles if r["name"] == "seller")
    assert seller["permissions"] == BUILTIN_ROLES["seller"] and seller["customized"] is False
