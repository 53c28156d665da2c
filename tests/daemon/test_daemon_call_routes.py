"""The call and PBX routes over a running daemon: the API app is built here from the hub's daemon pieces and a
`CallControl` (as `Daemon._start_api` will), so a manual call really goes out through the simulator's AMI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from daemon_rig import NOT_ENROLLED, Hub, until

from vssd.actors.call_control import CallControl
from vssd.actors.feed import CallFeedView
from vssd.adapters.store_calls import StoreCallHistory
from vssd.adapters.store_users import StoreUserDirectory, add_user, verify_password
from vssd.api import tokens
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.sim.pbx import HOLD

SECRET = "daemon-call-routes-secret-0123456789abcdef"
LONG_TALK = dict(ring_s=0.5, talk_s=HOLD)  # answered, and stays up until it is hung up


@dataclass
class Api:
    client: TestClient
    control: CallControl
    admin: dict[str, str]
    operator: dict[str, str]
    operator_id: str

    async def start(self, headers: dict[str, str], **body: Any) -> Any:
        return await self.client.post("/api/call/start", json=body, headers=headers)


@pytest.fixture
async def api(hub: Hub) -> AsyncIterator[Api]:
    daemon = hub.daemon
    farm, store = daemon.farm, daemon.store
    live = lambda: [(c.call, sid) for sid, c in farm.cores.items() if c.call is not None]  # noqa: E731
    recent = lambda: list(daemon.recent)  # noqa: E731
    control = CallControl(farm, daemon.pump, StoreCallHistory(store), store.writer, live=live, recent=recent)
    users = StoreUserDirectory(store)
    deps = ApiDeps(slots=farm, calls=CallFeedView(live=live, recent=recent), users=users, readiness=daemon,
                   verify_password=verify_password, jwt_secret=SECRET, metrics=daemon.metrics,
                   call_desk=control, pbx=control)
    operator_id = await add_user(store, "op_calls", "op-calls-pw", role="operator")
    bearer = {}
    for name in (daemon.config.auth.admin_username, "op_calls"):
        user = await users.find_user(name)
        assert user is not None
        bearer[name] = {"Authorization": f"Bearer {tokens.access_token(deps, user)}"}
    client = TestClient(TestServer(make_app(deps)))
    await client.start_server()
    try:
        yield Api(client, control, bearer[daemon.config.auth.admin_username], bearer["op_calls"], operator_id)
    finally:
        await client.close()


async def test_manual_call_starts_rings_ends_through_ami_and_is_recorded(hub: Hub, api: Api) -> None:
    hub.pbx.script("4951000001", "answered", **LONG_TALK)
    resp = await api.start(api.admin, number="4951000001", slot="AUTO")
    assert resp.status == 200, await resp.text()
    started = await resp.json()
    call_id = started["call_id"]
    assert call_id.startswith("c_") and started["state"] == "RING" and started["phone_number"] == "4951000001"
    endpoint = hub.daemon.farm.slot_view(str(started["slot_id"]))["internal_sip_number"]
    assert endpoint.startswith("600") and [o.endpoint for o in hub.originates()] == [endpoint]

    again = await api.start(api.admin, phone_number="4951000001", slot_id="MF")
    assert again.status == 409 and (await again.json())["code"] == "NUMBER_BUSY"
    assert len(hub.originates()) == 1  # the gate refused before anything was dialled

    call = next(c for c, _ in api.control._live() if c.call_id == call_id)
    await until(lambda: call.answered_at is not None)
    active = await (await api.client.get("/api/calls/active", headers=api.admin)).json()
    assert [c["call_id"] for c in active] == [call_id] and active[0]["status"] == "connected"

    hangups = len(hub.hangup_actions())
    resp = await api.client.post("/api/call/end", json={"call_id": call_id}, headers=api.admin)
    assert resp.status == 200, await resp.text()
    assert len(hub.hangup_actions()) == hangups + 1
    await until(lambda: call.outcome is not None)
    assert str(call.outcome) == "answered"

    hub.pbx.script("4951000001", "busy", ring_s=0.2)
    resp = await api.start(api.admin, number="4951000001", slot="AUTO")  # the number is free again
    assert resp.status == 200, await resp.text()
    second = await resp.json()
    await until(lambda: all(c.call_id != second["call_id"] for c, _ in api.control._live()))

    await hub.flush()
    history = await (await api.client.get("/api/calls?limit=1", headers=api.admin)).json()
    assert history["total"] == 2 and history["pages"] == 2 and history["page"] == 1
    assert history["items"][0]["call_id"] == second["call_id"] and history["items"][0]["status"] == "failed"
    one = await (await api.client.get(f"/api/call/{call_id}", headers=api.admin)).json()
    assert one["status"] == "completed" and one["outcome"] == "answered" and one["number"] == "4951000001"
    cdr = await (await api.client.get(f"/api/pbx/cdr/{call_id}", headers=api.admin)).json()
    assert cdr["attempt_id"] == call_id and cdr["legs"] and cdr["operator_id"] == one["operator_id"] is not None
    dated = await api.client.get("/api/cdr/records?start_date=2000-01-01&end_date=2000-01-02", headers=api.admin)
    assert await dated.json() == [] and dated.headers["X-Total-Count"] == "0"


async def test_offline_busy_and_unknown_slots(hub: Hub, api: Api) -> None:
    idle = hub.slot(NOT_ENROLLED)
    resp = await api.start(api.admin, number="4951000002", slot=idle)
    assert resp.status == 503 and (await resp.json())["code"] == "SLOT_OFFLINE"
    resp = await api.start(api.admin, number="4951000002", slot="999999")
    assert resp.status == 404
    hub.pbx.script("4951000003", "answered", **LONG_TALK)
    first = await (await api.start(api.admin, number="4951000003", slot=hub.slot("8001"))).json()
    resp = await api.start(api.admin, number="4951000004", slot="LS")  # the only LS slot is in that call
    assert resp.status == 409 and (await resp.json())["code"] == "SLOT_BUSY"
    assert len(hub.originates()) == 1
    await api.client.post("/api/call/end", json={"call_id": first["call_id"]}, headers=api.admin)


async def test_operators_see_only_their_own_calls(hub: Hub, api: Api) -> None:
    hub.pbx.script("4951000005", "answered", **LONG_TALK)
    hub.pbx.script("4951000006", "answered", **LONG_TALK)
    mine = await (await api.start(api.operator, number="4951000005", slot="AUTO")).json()
    theirs = await (await api.start(api.admin, number="4951000006", slot="AUTO")).json()
    assert mine["operator_id"] == api.operator_id
    active = await (await api.client.get("/api/calls/active", headers=api.operator)).json()
    assert [c["call_id"] for c in active] == [mine["call_id"]]
    resp = await api.client.get(f"/api/call/{theirs['call_id']}", headers=api.operator)
    assert resp.status == 403
    resp = await api.client.post("/api/call/end", json={"call_id": theirs["call_id"]}, headers=api.operator)
    assert resp.status == 403
    await hub.flush()
    listed = await (await api.client.get("/api/calls", headers=api.operator)).json()
    assert [c["call_id"] for c in listed["items"]] == [mine["call_id"]]
    for call in (mine, theirs):
        await api.client.post("/api/call/end", json={"call_id": call["call_id"]}, headers=api.admin)
    await until(lambda: not api.control.active_calls())


async def test_pbx_status_follows_the_ami_link(hub: Hub, api: Api) -> None:
    status = await (await api.client.get("/api/pbx/status", headers=api.admin)).json()
    assert status["link"]["up"] is True
    by_name = {e["name"]: e for e in status["endpoints"]}
    assert by_name["6001"]["reachable"] and by_name["6001"]["slot_id"] == int(hub.slot("6001"))
    trunks = {t["name"]: t for t in status["trunks"]}
    assert trunks["t-auto"]["state"] == "OK" and trunks["t-auto"]["failed"] == 0


async def test_route_redirects_a_live_call_on_the_pbx(hub: Hub, api: Api) -> None:
    hub.pbx.script("4951000007", "answered", **LONG_TALK)
    started = await (await api.start(api.admin, number="4951000007", slot="AUTO")).json()
    call = next(c for c, _ in api.control._live() if c.call_id == started["call_id"])
    await until(lambda: call.answered_at is not None)
    resp = await api.client.post("/api/pbx/route", json={"call_id": call.call_id, "exten": "1001"},
                                 headers=api.admin)
    assert resp.status == 200, await resp.text()
    routed = (await resp.json())["routed_to"]
    assert [(r[1], r[2]) for r in hub.pbx.ledger.redirects] == [("vssd-connect", "1001")]
    # the connect side (;1, the half the dialer bridges and redirects), neither the customer nor the Dial half
    assert hub.pbx.ledger.redirects[0][0] == call.attempt.channel_id
    assert routed["channel"] == call.legs[call.attempt.channel_id].channel
    await api.client.post("/api/call/end", json={"call_id": call.call_id}, headers=api.admin)
    await until(lambda: call.outcome is not None)
