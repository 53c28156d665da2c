"""RBAC against the seeds' role descriptions, written out by hand (NOT derived from vssd/api/rbac.py):

- the routes reference, "РОЛИ И ПРАВА ДОСТУПА": admin — everything, users and roles; operator — calls, slots, CRM,
  ❌ user management; seller — leads, CRM notes, call history, ❌ slots, ❌ starting calls; supervisor —
  monitoring, reports, logs, ❌ settings.
- the operating manual, "Роли в системе": supervisor sees all data read-only.
- the Smart Call Center API: `/api/admin/*` is admin only; `PUT /api/operators/{id}/status` — operator only its
  own status.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.api.conftest import Rig
from vssd.adapters.store import Store
from vssd.api.app import make_app
from vssd.api.rbac import BUILTIN_ROLES, covers, normalize, required_for
from vssd.api.respond import json_response

NEW_USER = {"username": "rbac_probe", "password": "probe-pw-1", "email": "probe@example.com", "role": "seller"}

# (user, method, path, body, expected status) — straight from the seeds' words above.
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
    # admin: full access
    ("admin", "GET", "/api/slots", None, 200),
    ("admin", "GET", "/api/users", None, 200),
    ("admin", "GET", "/api/roles", None, 200),
    ("admin", "GET", "/api/admin/users", None, 200),
    ("admin", "GET", "/api/security/audit", None, 200),
    ("admin", "POST", "/api/users", {**NEW_USER, "password": "x"}, 422),  # allowed; validation refuses
    # operator: calls and slots yes, user management no
    ("op12", "GET", "/api/slots", None, 200),
    ("op12", "GET", "/api/slots/44", None, 200),
    ("op12", "GET", "/api/calls/feed", None, 200),
    ("op12", "GET", "/api/users", None, 403),
    ("op12", "POST", "/api/users", NEW_USER, 403),
    ("op12", "DELETE", "/api/users/00000000-0000-0000-0000-000000000000", None, 403),
    ("op12", "GET", "/api/roles", None, 403),
    ("op12", "POST", "/api/roles", {"name": "x_role", "permissions": ["calls:read"]}, 403),
    ("op12", "GET", "/api/admin/users", None, 403),
    # seller: call history yes, slots no, users no
    ("seller1", "GET", "/api/calls/feed", None, 200),
    ("seller1", "GET", "/api/slots", None, 403),
    ("seller1", "GET", "/api/slots/44", None, 403),
    ("seller1", "GET", "/api/users", None, 403),
    ("seller1", "GET", "/api/admin/users", None, 403),
    # supervisor: everything read-only (operating manual), logs (routes reference), but the Smart Call Center API's
    # admin routes are admin's
    ("super1", "GET", "/api/slots", None, 200),
    ("super1", "GET", "/api/calls/feed", None, 200),
    ("super1", "GET", "/api/security/audit", None, 200),
    ("super1", "GET", "/api/users", None, 200),
    ("super1", "POST", "/api/users", NEW_USER, 403),
    ("super1", "POST", "/api/roles", {"name": "y_role", "permissions": ["calls:read"]}, 403),
    ("super1", "GET", "/api/admin/users", None, 403),
    # manager (Smart Call Center API): calls list yes; admin routes no
    ("mgr1", "GET", "/api/calls/feed", None, 200),
    ("mgr1", "GET", "/api/admin/users", None, 403),
    ("mgr1", "POST", "/api/admin/users", NEW_USER, 403),
    # autodialer and operators. This rig wires no autodialer desk: a request that passes authorization answers
    # 503 from the handler, a refused one 403.
    # the Smart Call Center API: GET /api/operators — admin, manager, supervisor (not an operator)
    ("op12", "GET", "/api/operators", None, 403),
    ("super1", "GET", "/api/operators", None, 503),
    ("mgr1", "GET", "/api/operators", None, 503),
    ("seller1", "GET", "/api/operators", None, 403),
    # the routes reference: seller works with leads, never starts calls; supervisor watches, changes nothing
    ("seller1", "GET", "/api/autodialer/leads", None, 503),
    ("seller1", "POST", "/api/autodialer/run-campaign", {"campaign_id": "c1"}, 503),  # their own only (scope.py)
    ("seller1", "POST", "/api/autodialer/dnc", {"number": "+79990001111"}, 403),
    ("super1", "GET", "/api/autodialer/campaigns", None, 503),
    ("super1", "GET", "/api/autodialer/campaigns/c1/status", None, 503),
    ("super1", "POST", "/api/autodialer/run-campaign", {"campaign_id": "c1"}, 403),
    ("super1", "POST", "/api/autodialer/dnc", {"number": "+79990001111"}, 403),
    ("mgr1", "POST", "/api/autodialer/run-campaign", {"campaign_id": "c1"}, 503),
    ("mgr1", "POST", "/api/autodialer/stop-campaign", {"campaign_id": "c1"}, 503),
    # issue 5: only an admin requeues an `unknown` lead
    ("mgr1", "POST", "/api/autodialer/leads/1/requeue", None, 403),
    ("admin", "POST", "/api/autodialer/leads/1/requeue", None, 503),
    # the routes reference: the operator manages calls (dispositions), not campaigns
    ("op12", "POST", "/api/autodialer/dispositions", {"call_id": "c_1", "code": "sale"}, 503),
    ("op12", "GET", "/api/autodialer/campaigns", None, 403),
    # the console (issue 11): a slot's history as the slot; alerts are the supervisor's and admin's; notes per
    # call ownership beyond the route's permission (tests/api/test_api_crm_notes.py)
    ("op12", "GET", "/api/slots/44/history", None, 503),
    ("seller1", "GET", "/api/slots/44/history", None, 403),
    ("op12", "GET", "/api/alerts", None, 403),
    ("mgr1", "GET", "/api/alerts", None, 403),
    ("super1", "GET", "/api/alerts", None, 503),
    ("super1", "POST", "/api/alerts/00000000-0000-4000-8000-000000000000/ack", None, 503),
    ("op12", "POST", "/api/alerts/00000000-0000-4000-8000-000000000000/ack", None, 403),
    ("super1", "POST", "/api/crm/note", {"call_id": "c_1", "text": "x"}, 503),
    ("op12", "GET", "/api/crm/notes/c_1", None, 503),
]

# rolecheck: (user, action in a seed spelling, allowed)
ROLECHECK = [
    ("op12", "call.start", True), ("op12", "slots.read", True), ("op12", "users:write", False),
    ("seller1", "call.start", False), ("seller1", "calls:read", True), ("seller1", "slot.view", False),
    ("super1", "slots.read", True), ("super1", "slots:write", False), ("admin", "slots:admin", True),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "status"), MATRIX,
                         ids=[f"{u}-{m}-{p}" for u, m, p, _, _ in MATRIX])
async def test_role_route_matrix(rig: Rig, user: str, method: str, path: str, body: dict | None,
                                 status: int) -> None:
    resp = await rig.client.request(method, path, json=body, headers=rig.bearer(await rig.token(user)))
    assert resp.status == status, await resp.text()
    if status == 403:
        assert (await resp.json())["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(("user", "action", "expected"), ROLECHECK)
async def test_rolecheck_accepts_the_seeds_spellings(rig: Rig, user: str, action: str, expected: bool) -> None:
    resp = await rig.client.get("/api/point/rolecheck", params={"action": action},
                                headers=rig.bearer(await rig.token(user)))
    assert resp.status == 200
    body = await resp.json()
    assert body["allowed"] is expected, body
    assert isinstance(body["permissions"], list)


async def test_every_role_reads_itself(rig: Rig) -> None:
    for user in ("admin", "op12", "seller1", "super1", "mgr1"):
        resp = await rig.client.get("/api/auth/me", headers=rig.bearer(await rig.token(user)))
        assert resp.status == 200
        assert (await resp.json())["username"] == user


async def test_operator_may_set_only_its_own_status(rig: Rig) -> None:
    """The Smart Call Center API: `PUT /api/operators/{id}/status` — admin, and an operator for its own status only.
    The rig wires no autodialer, so a request that passes authorization answers 503 from the handler; one refused
    is 403."""
    app = make_app(rig.deps)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        op = await rig.deps.users.find_user("op12")
        other = await rig.deps.users.find_user("seller1")
        assert op is not None and other is not None
        op_token, admin_token = await rig.token("op12"), await rig.token("admin")
        seller_token = await rig.token("seller1")
        cases = [(op_token, op.id, 503), (op_token, other.id, 403), (admin_token, other.id, 503),
                 (seller_token, other.id, 403)]
        for token, target, status in cases:
            resp = await client.put(f"/api/operators/{target}/status", json={"status": "online"},
                                    headers=rig.bearer(token))
            assert resp.status == status, (target, await resp.text())
    finally:
        await client.close()


async def test_a_route_without_a_permission_fails_start_up(rig: Rig) -> None:
    async def naked(request: web.Request) -> web.Response:
        return json_response({})

    app = make_app(rig.deps)
    app.router.add_get("/api/naked", naked)
    from vssd.api.rbac import check_routes
    with pytest.raises(RuntimeError, match="/api/naked"):
        check_routes(app)
    client = TestClient(TestServer(app))  # and were it served anyway, the middleware denies it
    await client.start_server()
    try:
        resp = await client.get("/api/naked", headers=rig.bearer(await rig.token("admin")))
        assert resp.status == 403
    finally:
        await client.close()


async def test_custom_roles_cannot_grant_what_the_creator_lacks(make_rig, fresh_store: Store) -> None:
    from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin
    await ensure_admin(fresh_store, "admin", "admin123")
    directory = StoreUserDirectory(fresh_store)
    rig: Rig = await make_rig(users=directory)
    admin = rig.bearer(await rig.token("admin"))
    seed_role = {"name": "custom_role", "permissions": {"calls": ["read", "create"], "slots": ["read"],
                                                        "crm": ["read", "write"]}}
    resp = await rig.client.post("/api/roles", json=seed_role, headers=admin)
    assert resp.status == 201, await resp.text()
    assert "vssd.calls.create" in (await resp.json())["permissions"]
    # a role manager who may manage roles and read calls only
    resp = await rig.client.post("/api/roles", json={"name": "role_keeper",
                                                     "permissions": ["vssd.roles.#", "calls:read"]}, headers=admin)
    assert resp.status == 201
    await add_user(fresh_store, "keeper", "keeper-pw", role="role_keeper")
    keeper = rig.bearer(await rig.token("keeper"))
    for perms in (["calls:write"], ["#"], ["vssd.#"], {"OTTB": ["read"]}, ["slots.read"]):
        resp = await rig.client.post("/api/roles", json={"name": "escalate", "permissions": perms}, headers=keeper)
        assert resp.status == 403, perms
    resp = await rig.client.post("/api/roles", json={"name": "reader", "permissions": ["calls.read"]},
                                 headers=keeper)
    assert resp.status == 201
    role_id = (await resp.json())["id"]
    resp = await rig.client.post(f"/api/roles/{role_id}", json={"permissions": {"OTTB": ["read", "write"]}},
                                 headers=keeper)
    assert resp.status == 403
    resp = await rig.client.post(f"/api/roles/{role_id}", json={"permissions": {"OTTB": ["read", "write"]}},
                                 headers=admin)
    assert resp.status == 200
    assert "vssd.trunks.create" in (await resp.json())["permissions"]
    resp = await rig.client.post("/api/roles/admin", json={"permissions": []}, headers=admin)
    assert resp.status == 409
    every = await (await rig.client.get("/api/roles", headers=admin)).json()
    resp = await rig.client.get("/api/roles?limit=2&offset=1", headers=admin)
    assert resp.headers["X-Total-Count"] == str(len(every)) and await resp.json() == every[1:3]
    assert (await rig.client.get("/api/roles?limit=0", headers=admin)).status == 422


def test_alias_spellings_fold_to_the_dotted_scheme() -> None:
    assert normalize(["calls:read"]) == ["vssd.calls.read", "vssd.calls.*.read"]
    assert required_for("call.start") == ["vssd.calls.create"]
    assert required_for("slot.view") == ["vssd.slots.read"]
    assert required_for("slots:write") == ["vssd.slots.create", "vssd.slots.update", "vssd.slots.delete"]
    assert normalize({"OTTB": ["read"]})[:2] == ["vssd.slots.read", "vssd.slots.*.read"]
    assert normalize(["!slots:admin"]) == ["!vssd.slots.#"]
    with pytest.raises(ValueError):
        normalize({"calls": ["fly"]})


def test_covers_respects_the_holders_denies() -> None:
    operator = ["vssd.calls.#", "!vssd.users.#"]
    assert covers(operator, "vssd.calls.create")
    assert covers(operator, "vssd.calls.*.read")
    assert not covers(operator, "vssd.#")
    assert not covers(["#", "!vssd.users.#"], "vssd.#")
    assert covers(["#"], "vssd.#")
    assert covers(operator, "!vssd.calls.#")
    assert not covers(["vssd.slots.*"], "vssd.slots.#")


async def test_builtin_roles_in_the_store_match_the_role_table(user_store: Store) -> None:
    rows = await user_store.pool.fetch("SELECT name, permissions::text AS p FROM roles WHERE builtin")
    import orjson
    assert {r["name"]: orjson.loads(r["p"]) for r in rows} == BUILTIN_ROLES


async def test_demo_visitors_never_see_users_roles_or_the_audit(demo_rig: Rig) -> None:
    for path in ("/api/users", "/api/roles", "/api/admin/users", "/api/security/audit"):
        resp = await demo_rig.client.get(path)
        assert resp.status == 403, path
    assert (await demo_rig.client.get("/api/slots")).status == 200
    assert (await demo_rig.client.get("/api/auth/me")).status == 401
