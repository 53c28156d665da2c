"""The running daemon pushes what happens: a Socket.IO client sees its call and its slot move."""

from __future__ import annotations

import socketio
from daemon_rig import Hub, until

from vssd.api.realtime import HUB


async def test_daemon_pushes_call_and_slot_updates(hub: Hub) -> None:
    hub.pbx.script("4951000001", "answered", ring_s=1.0, talk_s=2.0)
    host, port = hub.daemon.api.addresses[0]
    calls: list[dict] = []
    slots: list[dict] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("call.update", calls.append)
    sio.on("slot.update", slots.append)
    await sio.connect(f"http://{host}:{port}", transports=["websocket"])
    try:
        await until(lambda: len(hub.daemon.api.app[HUB].clients) == 1)
        call = await hub.dial("6001", "4951000001")
        await until(lambda: call.outcome is not None)
        await until(lambda: any(c["state"] == "ENDED" for c in calls))
        await until(lambda: bool(slots) and slots[-1]["fsm_state"] == "READY")
    finally:
        await sio.disconnect()
    assert {c["call_id"] for c in calls} == {call.call_id}
    assert calls[-1]["outcome"] == "answered" and calls[-1]["status"] == "completed"
    assert {s["slot_id"] for s in slots} == {int(hub.slot("6001"))}
