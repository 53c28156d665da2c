"""Trunks over the REAL store (TrunkStore on a database of its own): the operating manual's create body,
CRUD, duplicate names, validation, slot counts, deleting a trunk unbinds its slots, RBAC per documented role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.adapters.store import Store
from vssd.adapters.store_trunks import TrunkStore
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin

SEED_BODY = {"name": "AUTO HUB 1", "type": "auto", "capacity": 10, "description": "Primary AUTO hub"}


@pytest.fixture
async def trunk_rig(make_rig: RigFactory, fresh_store: Store) -> Rig:
    await ensure_admin(fresh_store, "admin", "admin123")
    await add_user(fresh_store, "op12", "1234-op", role="operator")
    await add_user(fresh_store, "mgr1", "m4nager", role="manager")
    return await make_rig(trunks=TrunkStore(fresh_store), users=StoreUserDirectory(fresh_store))


async def _call(rig: Rig, method: str, path: str, who: str = "admin", **kw: Any) -> tuple[int, Any, Any]:
    resp = await rig.client.request(method, path, headers=rig.bearer(await rig.token(who)), **kw)
    return resp.status, await resp.json(), resp.headers


async def test_seed_body_creates_a_trunk_and_crud_round_trips(trunk_rig: Rig, fresh_store: Store) -> None:
    status, made, _ = await _call(trunk_rig, "POST", "/api/trunks", json=SEED_BODY)
    assert status == 201
    assert {k: made[k] for k in SEED_BODY} == SEED_BODY and made["slots_count"] == 0 and made["config"] == {}
    await _call(trunk_rig, "POST", "/api/trunks", json={"name": "MF HUB 1", "type": "MF", "capacity": 20})
    status, listed, headers = await _call(trunk_rig, "GET", "/api/trunks")
    assert [t["name"] for t in listed] == ["AUTO HUB 1", "MF HUB 1"] and headers["X-Total-Count"] == "2"
    assert [t["name"] for t in (await _call(trunk_rig, "GET", "/api/trunks?type=mf"))[1]] == ["MF HUB 1"]

    status, dup, _ = await _call(trunk_rig, "POST", "/api/trunks", json=SEED_BODY)
    assert (status, dup["code"]) == (409, "TRUNK_001")
    status, patched, _ = await _call(trunk_rig, "PATCH", f"/api/trunks/{made['id']}",
                                     json={"capacity": 12, "config": {"gateway": "gw-1"}})
    assert (status, patched["capacity"], patched["config"], patched["name"]) == (200, 12, {"gateway": "gw-1"},
                                                                                  "AUTO HUB 1")
    slot_id = await fresh_store.upsert_slot(internal_sip_number="6001", type="AUTO", trunk_id=made["id"])
    assert (await _call(trunk_rig, "GET", f"/api/trunks/{made['id']}"))[1]["slots_count"] == 1
    status, refused, _ = await _call(trunk_rig, "PATCH", f"/api/trunks/{made['id']}", json={"type": "ls"})
    assert (status, refused["code"]) == (409, "TRUNK_002")

    status, gone, _ = await _call(trunk_rig, "DELETE", f"/api/trunks/{made['id']}")
    assert (status, gone) == (200, {"status": "deleted", "trunk": made["id"]})
    assert (await fresh_store.get_slot(slot_id))["trunk_id"] is None  # the slot stays, unbound
    for method in ("GET", "PATCH", "DELETE"):
        status, body, _ = await _call(trunk_rig, method, f"/api/trunks/{made['id']}", json={"capacity": 1})
        assert (status, body["code"]) == (404, "NOT_FOUND"), method
    assert (await _call(trunk_rig, "GET", "/api/trunks/abc"))[0] == 404


async def test_trunk_fields_are_validated(trunk_rig: Rig) -> None:
    bad = [({"type": "auto"}, "name"), ({"name": "x", "type": "gsm"}, "type"),
           ({"name": "x", "type": "auto", "capacity": -1}, "capacity"),
           ({"name": "x", "type": "auto", "capacity": True}, "capacity"),
           ({"name": "x", "type": "auto", "config": [1]}, "config"), ({"name": "x" * 101, "type": "ls"}, "name")]
    for body, field_name in bad:
        status, answer, _ = await _call(trunk_rig, "POST", "/api/trunks", json=body)
        assert status == 422 and ["body", field_name] in [d["loc"] for d in answer["details"]], body


async def test_trunk_rights_follow_the_seed_roles(trunk_rig: Rig) -> None:
    assert (await _call(trunk_rig, "GET", "/api/trunks", "mgr1"))[0] == 200
    assert (await _call(trunk_rig, "POST", "/api/trunks", "mgr1", json=SEED_BODY))[0] == 403
    assert (await _call(trunk_rig, "POST", "/api/trunks", "op12", json=SEED_BODY))[0] == 403
    assert (await _call(trunk_rig, "DELETE", "/api/trunks/1", "mgr1"))[0] == 403
    resp = await trunk_rig.client.get("/api/trunks")
    assert resp.status == 401


async def test_unwired_trunks_answer_503(rig: Rig) -> None:
    status, body, _ = await _call(rig, "GET", "/api/trunks")
    assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
