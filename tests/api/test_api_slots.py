"""GET /api/slots (bare array, filters, pagination, X-Total-Count) and GET /api/slots/{id}."""

from __future__ import annotations

from tests.api.conftest import SLOTS, Rig

SEED_FIELDS = {"id", "status", "fsm_state", "online", "type", "device", "internal_sip_number", "sip_username",
               "trunk_id", "trunk_name", "trunk", "user", "last_activity"}


async def _get(rig: Rig, path: str, token: str | None = None):
    token = token or await rig.token("admin")
    return await rig.client.get(path, headers=rig.bearer(token))


async def test_list_is_a_bare_array_in_the_seed_shape(rig: Rig) -> None:
    resp = await _get(rig, "/api/slots")
    assert resp.status == 200
    assert resp.headers["X-Total-Count"] == str(len(SLOTS))
    body = await resp.json()
    assert isinstance(body, list)
    assert [s["id"] for s in body] == [s["id"] for s in SLOTS]
    for view in body:
        assert view.keys() >= SEED_FIELDS
        assert view["status"] in ("free", "busy", "offline", "error")
    mf = next(v for v in body if v["id"] == 3)
    assert (mf["battery"], mf["temperature"], mf["signal"]) == (82, 38, -71)


async def test_filters_type_status_trunk(rig: Rig) -> None:
    token = await rig.token("admin")
    cases = {
        "/api/slots?type=auto": [1, 2],
        "/api/slots?type=MF&status=free": [44],
        "/api/slots?trunk_id=1": [1, 2],
        "/api/slots?trunk_id=2&status=OFFLINE": [3],
        "/api/slots?fsm_state=fault": [5],
        "/api/slots?trunk_id=9": [],
    }
    for path, ids in cases.items():
        resp = await _get(rig, path, token)
        assert resp.status == 200, path
        assert [s["id"] for s in await resp.json()] == ids, path
        assert resp.headers["X-Total-Count"] == str(len(ids)), path


async def test_pagination_limit_offset_skip(rig: Rig) -> None:
    token = await rig.token("admin")
    resp = await _get(rig, "/api/slots?limit=2&offset=1", token)
    assert [s["id"] for s in await resp.json()] == [2, 3]
    assert resp.headers["X-Total-Count"] == "5"
    resp = await _get(rig, "/api/v1/slots?limit=2&skip=4", token)
    assert [s["id"] for s in await resp.json()] == [5]
    assert resp.headers["X-Total-Count"] == "5"
    resp = await _get(rig, "/api/slots?type=AUTO&limit=1&offset=1", token)
    assert [s["id"] for s in await resp.json()] == [2]
    assert resp.headers["X-Total-Count"] == "2"
    resp = await _get(rig, "/api/slots?offset=50", token)
    assert await resp.json() == []


async def test_bad_query_values_are_422_with_details(rig: Rig) -> None:
    token = await rig.token("admin")
    resp = await _get(rig, "/api/slots?limit=abc&offset=-1", token)
    assert resp.status == 422
    body = await resp.json()
    assert body["error"] is True and body["code"] == "INVALID_PARAMS"
    assert [d["loc"] for d in body["details"]] == [["query", "limit"], ["query", "offset"]]
    resp = await _get(rig, "/api/slots?type=GSM&status=sleepy", token)
    assert resp.status == 422
    assert [d["loc"] for d in (await resp.json())["details"]] == [["query", "type"], ["query", "status"]]
    resp = await _get(rig, "/api/slots?limit=0", token)
    assert resp.status == 422


async def test_one_slot_and_not_found(rig: Rig) -> None:
    token = await rig.token("admin")
    resp = await _get(rig, "/api/slots/44", token)
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == 44 and body["type"] == "MF" and body["internal_sip_number"] == "7044"
    resp = await _get(rig, "/api/v1/slots/44", token)
    assert (await resp.json())["id"] == 44
    resp = await _get(rig, "/api/slots/999", token)
    assert resp.status == 404
    body = await resp.json()
    assert body == {"error": True, "code": "NOT_FOUND", "message": "slot 999 not found"}


async def test_list_follows_the_directory_live(rig: Rig) -> None:
    token = await rig.token("admin")
    rig.slots.views[0]["status"] = "busy"
    resp = await _get(rig, "/api/slots?status=busy", token)
    assert [s["id"] for s in await resp.json()] == [1, 2]
