"""Every event of the catalogue reaches a WebSocket client that holds its permission, and not one that lacks it;
an addressed event (`Event.addressed`: a notification) reaches the user it names, and not another user who holds
every permission."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.api.conftest import Live, LiveFactory
from tests.api.test_api_realtime import a_call
from vssd.events import (
    CATALOGUE,
    CallUpdate,
    CampaignCallConnected,
    CampaignCallEnded,
    CampaignCallStarted,
    CampaignUpdate,
    Event,
    Notification,
    OperatorLoggedIn,
    OperatorStatusChanged,
    PipelineUpdate,
    RtmpStreamStart,
    RtmpStreamStop,
    SlotUpdate,
    SystemAlert,
    SystemAlertAcknowledged,
)

SAMPLES: dict[str, Callable[[], Event]] = {
    "call.update": lambda: CallUpdate(a_call(7), "leg"),
    "slot.update": lambda: SlotUpdate({"id": 44, "fsm_state": "READY", "to_state": "READY"}),
    "operator_status_changed": lambda: OperatorStatusChanged(operator_id="u1", status="busy", timestamp=1.0),
    "operator_logged_in": lambda: OperatorLoggedIn(operator_id="u1", extension="1001", timestamp=1.0),
    "campaign.update": lambda: CampaignUpdate(campaign_id="c1", status="running"),
    "campaign.call_started": lambda: CampaignCallStarted(call_id="a1", campaign_id="c1", lead_id=3, slot_id="44"),
    "campaign.call_connected": lambda: CampaignCallConnected(call_id="a1", operator_id="u1", campaign_id="c1",
                                                             answer_time=2.0),
    "campaign.call_ended": lambda: CampaignCallEnded(call_id="a1", campaign_id="c1", lead_id=3, outcome="answered",
                                                     duration=9.0, status="completed", end_time=3.0),
    "system.alert": lambda: SystemAlert(type="dialer_stalled", severity="critical", message="m", timestamp=1.0),
    "system.alert.acknowledged": lambda: SystemAlertAcknowledged(id="a1", acknowledged_at="t",
                                                                 acknowledged_by="admin"),
    "pipeline.update": lambda: PipelineUpdate(id="p1", name_="cdr-export", branch=None, status="running",
                                              triggered_by="admin", start_time="t", end_time=None, log_url=None),
    "rtmp.stream.start": lambda: RtmpStreamStart(stream_key="s1", slot_id="44", url="rtmp://127.0.0.1/live/s1",
                                                 started_at="t"),
    "rtmp.stream.stop": lambda: RtmpStreamStop(stream_key="s1", slot_id="44", ended_at="t"),
}
# addressed events: the sample names the admin (its client is the "allowed" one)
ADDRESSED: dict[str, Callable[[str], Event]] = {
    "notification": lambda user_id: Notification(id="ntf_1", title="t", message="m", severity="info",
                                                 to_users=(user_id,), timestamp=1.0),
}
# derived events are made by the dispatcher from their source event
SOURCE: dict[str, Callable[[], Event]] = {
    "call_started": lambda: CallUpdate(a_call(8), "leg"),
    "call_answered": lambda: CallUpdate(a_call(9, answered=True), "answered"),
    "call_ended": lambda: CallUpdate(a_call(10, answered=True, ended=True), "ended"),
}


def test_every_catalogued_event_has_a_sample_here() -> None:
    assert set(SAMPLES) | set(SOURCE) | set(ADDRESSED) == set(CATALOGUE)
    assert {n for n, c in CATALOGUE.items() if c.addressed} == set(ADDRESSED)
    assert {n for n, c in CATALOGUE.items() if c.derived} == set(SOURCE)


async def _client(rig: Live, permissions: list[str], username: str = "admin") -> aiohttp.ClientWebSocketResponse:
    user = await rig.deps.users.find_user(username)
    assert user is not None
    token = rig.deps_token(dataclasses.replace(user, permissions=tuple(permissions)))
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"{rig.base}/ws/events?token={token}")
    ws._vssd_session = session  # type: ignore[attr-defined]
    assert (await _frame(ws))["type"] == "connected"
    return ws


async def _frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def _close(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.close()
    await ws._vssd_session.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(CATALOGUE))
async def test_event_reaches_the_permitted_client_only(live: LiveFactory, name: str) -> None:  # noqa: F811
    cls = CATALOGUE[name]
    rig: Live = await live(demo=False, slot_rate_hz=1000.0)
    allowed = await _client(rig, [cls.permission])
    denied = await _client(rig, ["vssd.#"], "op12") if cls.addressed else \
        await _client(rig, ["vssd.#", f"!{cls.permission}"])
    admin = await rig.deps.users.find_user("admin")
    assert admin is not None
    await asyncio.sleep(0)
    sentinel = CampaignUpdate(campaign_id="sentinel", status="paused") if cls.group == "system" else \
        SystemAlert(type="sentinel", severity="info", message="after", timestamp=0.0)
    try:
        rig.bus.emit(ADDRESSED[name](str(admin.id)) if name in ADDRESSED else (SAMPLES.get(name) or SOURCE[name])())
        rig.bus.emit(sentinel)
        got = await _frame(allowed)
        while got["type"] != name:  # a derived event follows its source
            assert got["type"] in ("call.update", "call_started", "call_answered"), got
            got = await _frame(allowed)
        assert got["event"] == name and isinstance(got["data"], dict)
        skipped = await _frame(denied)
        while skipped["type"] != type(sentinel).name:
            assert CATALOGUE[skipped["type"]].permission != cls.permission, f"{name} reached a client without it"
            skipped = await _frame(denied)
    finally:
        await _close(allowed)
        await _close(denied)


async def _as(rig: Live, role: str, user_id: str, permissions: list[str]) -> aiohttp.ClientWebSocketResponse:
    user = await rig.deps.users.find_user("admin")
    assert user is not None
    token = rig.deps_token(dataclasses.replace(user, id=user_id, role=role, permissions=list(permissions)))
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"{rig.base}/ws/events?token={token}")
    ws._vssd_session = session  # type: ignore[attr-defined]
    assert (await _frame(ws))["type"] == "connected"
    return ws


async def _types_until_sentinel(ws: aiohttp.ClientWebSocketResponse) -> list[str]:
    seen = []
    while (frame := await _frame(ws))["type"] != "system.alert":
        seen.append(frame["type"])
    return seen


async def test_an_operator_hears_only_their_own_calls_and_a_supervisor_all(live: LiveFactory) -> None:
    rig: Live = await live(demo=False, slot_rate_hz=1000.0)
    perms = ["vssd.calls.#", "vssd.system.read"]
    mine = await _as(rig, "operator", "op-a", perms)
    other = await _as(rig, "operator", "op-b", perms)
    boss = await _as(rig, "supervisor", "sup-1", perms)
    await asyncio.sleep(0)
    try:
        view = {**a_call(11, answered=True, ended=True), "operator_id": "op-a"}
        rig.bus.emit(CallUpdate(view, "ended"))
        rig.bus.emit(CallUpdate(a_call(12), "leg"))  # nobody's call yet: not an operator's
        rig.bus.emit(SystemAlert(type="sentinel", severity="info", message="after", timestamp=0.0))
        expected = ["call.update", "call_started", "call_answered", "call_ended"]
        assert await _types_until_sentinel(mine) == expected
        assert await _types_until_sentinel(other) == []
        assert await _types_until_sentinel(boss) == [*expected, "call.update", "call_started"]
    finally:
        for ws in (mine, other, boss):
            await _close(ws)
