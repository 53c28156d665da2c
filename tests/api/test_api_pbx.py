"""The PBX routes: status from the AMI link's endpoint list (live on every request), dial through the dial
gate, route as an AMI Redirect of a live call, and who may do what."""

from __future__ import annotations

import pytest

from tests.api.conftest import RigFactory
from tests.api.test_api_calls_start import CallsRig, calls_rig, end
from vssd.adapters.store import Store


@pytest.fixture
async def crig(make_rig: RigFactory, user_store: Store) -> CallsRig:
    crig = await calls_rig(make_rig, user_store)
    crig.pbx.rows = [
        {"objectname": "6001", "devicestate": "Not in use", "contacts": "6001/sip:6001@127.0.0.1:5070,"},
        {"objectname": "6002", "devicestate": "In use", "contacts": "6002/sip:6002@127.0.0.1:5071,"},
        {"objectname": "7003", "devicestate": "Unavailable", "contacts": ""},
        {"objectname": "7044", "devicestate": "Not in use", "contacts": "7044/sip:7044@127.0.0.1:5072,"},
        {"objectname": "ottb-sip-1", "devicestate": "Not in use", "contacts": "ottb/sip:gw@127.0.0.1,"},
    ]
    return crig


async def test_status_reports_trunks_and_endpoints_from_the_link(crig: CallsRig) -> None:
    body = await (await crig.get("/api/pbx/status")).json()
    assert body["link"] == {"up": True, "version": "vssd-sim 1.0"}
    trunks = {t["name"]: (t["state"], t["failed"], t["endpoints"]) for t in body["trunks"]}
    assert trunks == {"trunk-1": ("OK", 0, 2), "trunk-2": ("WARN", 1, 2), "trunk-3": ("FAIL", 1, 1)}
    endpoints = {e["name"]: (e["reachable"], e["slot_id"]) for e in body["endpoints"]}
    assert endpoints["7003"] == (False, 3) and endpoints["ottb-sip-1"] == (True, None)
    crig.pbx.rows[0]["devicestate"] = "Unavailable"  # every value is live
    trunks = {t["name"]: t["state"] for t in (await (await crig.get("/api/pbx/status")).json())["trunks"]}
    assert trunks["trunk-1"] == "WARN"
    crig.pbx.link.is_up = False
    body = await (await crig.get("/api/pbx/status")).json()
    assert body["link"]["up"] is False and body["endpoints"] == []
    assert {t["state"] for t in body["trunks"]} == {"FAIL"}


async def test_dial_is_a_gated_manual_call(crig: CallsRig) -> None:
    resp = await crig.post("/api/pbx/dial", {"from": "slot_44", "to": "+380991234567", "trunk": "trunk-2"})
    body = await resp.json()
    assert resp.status == 200 and body["slot_id"] == 44 and body["to"] == "+380991234567"
    resp = await crig.post("/api/pbx/dial", {"from": "AUTO", "to": "+380991234567"})
    assert resp.status == 409 and (await resp.json())["code"] == "NUMBER_BUSY"
    resp = await crig.post("/api/pbx/dial", {"from": "slot_1", "to": "+380991234568", "trunk": "trunk-2"})
    assert resp.status == 404
    resp = await crig.post("/api/pbx/dial", {"to": ""})
    assert resp.status == 422
    assert [d["loc"] for d in (await resp.json())["details"]] == [["body", "from"], ["body", "to"]]


async def test_route_redirects_the_live_calls_connect_side(crig: CallsRig) -> None:
    call = await (await crig.post("/api/call/start", {"number": "+380991234569", "slot": "AUTO"})).json()
    resp = await crig.post("/api/pbx/route", {"call_id": call["call_id"], "exten": "1001"})
    assert resp.status == 200, await resp.text()
    assert crig.pbx.link.sent == [{"Action": "Redirect", "Channel": "Local/+380991234569@vssd-out-0001;1",
                                   "Context": "vssd-connect", "Exten": "1001", "Priority": "1"}]
    crig.pbx.link.fail = "Channel not found"
    resp = await crig.post("/api/pbx/route", {"call_id": call["call_id"], "to": "1002", "context": "ops"})
    assert resp.status == 503 and (await resp.json())["code"] == "AST_005"
    end(crig.farm.calls[call["call_id"]][0])
    resp = await crig.post("/api/pbx/route", {"call_id": call["call_id"], "exten": "1001"})
    assert resp.status == 409 and (await resp.json())["code"] == "CALL_FAILED"
    resp = await crig.post("/api/pbx/route", {"exten": ""})
    assert resp.status == 422


@pytest.mark.parametrize(("user", "status_code", "dial_code"), [
    ("mgr1", 200, 403), ("super1", 200, 403), ("op12", 403, 403), ("seller1", 403, 403), ("admin", 200, 200),
])
async def test_who_may_use_the_pbx_routes(crig: CallsRig, user: str, status_code: int, dial_code: int) -> None:
    assert (await crig.get("/api/pbx/status", user)).status == status_code
    resp = await crig.post("/api/pbx/dial", {"from": "AUTO", "to": "+380991234570"}, user)
    assert resp.status == dial_code
