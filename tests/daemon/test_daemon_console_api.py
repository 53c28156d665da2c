"""The console's API on the running daemon (its own store, as `vssd demo` has its embedded one): a call's slot
transitions come back from `GET /api/slots/{id}/history` with the call, a `system.alert` emitted anywhere in
the daemon is listed by `GET /api/alerts` and acknowledged, and a note on the call is kept."""

from __future__ import annotations

from typing import Any

import aiohttp
from daemon_rig import Hub, until

from vssd.api import tokens
from vssd.api.deps import DEPS
from vssd.events import SystemAlert


async def _client(hub: Hub) -> tuple[aiohttp.ClientSession, str]:
    deps = hub.daemon.api.app[DEPS]
    admin = await deps.users.find_user(hub.daemon.config.auth.admin_username)
    assert admin is not None
    host, port = hub.daemon.api.addresses[0]
    session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {tokens.access_token(deps, admin)}"})
    return session, f"http://{host}:{port}"


async def _json(resp: aiohttp.ClientResponse) -> Any:
    assert resp.status < 300, await resp.text()
    return await resp.json()


async def test_history_alerts_and_notes_on_the_daemon(hub: Hub) -> None:
    hub.pbx.script("4951000002", "answered", ring_s=0.5, talk_s=0.5)
    call = await hub.run_call("6001", "4951000002")
    await hub.flush()
    alert = SystemAlert(type="dialer_stalled", severity="critical", message="no progress", timestamp=1.8e9)
    hub.daemon.events.emit(alert)
    session, base = await _client(hub)
    async with session:
        rows = await _json(await session.get(f"{base}/api/slots/{hub.slot('6001')}/history?limit=50"))
        steps = [(r["from_state"], r["to_state"]) for r in rows[:4]]
        assert steps == [("POSTCALL", "READY"), ("ACTIVE_CALL", "POSTCALL"), ("CALLING", "ACTIVE_CALL"),
                         ("READY", "CALLING")]
        assert {r["call_id"] for r in rows[:4]} == {call.call_id}
        assert ("REGISTERING", "READY") in [(r["from_state"], r["to_state"]) for r in rows[4:]]
        await until(lambda: hub.daemon.alerts.recorded == 1, 10)
        listed = await _json(await session.get(f"{base}/api/alerts?acknowledged=false"))
        assert [(a["id"], a["level"], a["source"]) for a in listed] == [(alert.id, "critical", "dialer_stalled")]
        acked = await _json(await session.post(f"{base}/api/alerts/{alert.id}/ack"))
        assert acked["acknowledged_by"] == "admin"
        assert await _json(await session.get(f"{base}/api/alerts?acknowledged=false")) == []
        note = await _json(await session.post(f"{base}/api/crm/note", json={"call_id": call.call_id, "text": "ok"}))
        notes = await _json(await session.get(f"{base}/api/crm/notes/{call.call_id}"))
        assert [n["id"] for n in notes["notes"]] == [note["id"]]
