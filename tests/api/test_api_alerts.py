"""Stored alerts: every `system.alert` emitted on the dispatcher lands in the REAL `system_alerts` table under
the id its payload carries; `GET /api/alerts` pages and filters them; `POST /api/alerts/{id}/ack` acknowledges
once (audited), publishes `system.alert.acknowledged`, and is idempotent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.api.conftest import Clock, Rig, RigFactory
from tests.api.console_store import console_store_fixture  # noqa: F401 (the console_store fixture)
from vssd.actors.loops import Loops
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_users import StoreUserDirectory
from vssd.events import EventDispatcher, SystemAlert
from vssd.services.alerts import AlertsService

NOW = 1_790_000_000.0


class LoopClock:
    def now(self) -> float:
        return NOW

    def call_later(self, delay_s: float, callback: Any) -> Any:
        return asyncio.get_running_loop().call_later(delay_s, callback)


@pytest.fixture
async def alerts(console_store: Store) -> AsyncIterator[tuple[AlertsService, EventDispatcher]]:
    bus = EventDispatcher()
    loops = Loops("test", LoopClock(), bus)
    service = AlertsService(SimpleNamespace(store=console_store), bus, loops, queue=8)  # type: ignore[arg-type]
    await service.start()
    try:
        yield service, bus
    finally:
        await service.stop()
        await loops.stop()


async def _recorded(service: AlertsService, count: int) -> None:
    """Until the recorder stored `count` alerts (it runs on its own task; bounded)."""
    for _ in range(500):
        if service.recorded >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {service.recorded} of {count} alerts recorded")


async def _rig(make_rig: RigFactory, store: Store, service: AlertsService) -> Rig:
    assert service.book is not None
    return await make_rig(users=StoreUserDirectory(store), audit=StoreAuditLog(store), alerts=service.book,
                          clock=Clock(NOW))


def _alert(kind: str, severity: str, at: float, **details: Any) -> SystemAlert:
    return SystemAlert(type=kind, severity=severity, message=f"{kind} happened", timestamp=at, details=details)


async def test_emitted_alerts_are_stored_and_listed(make_rig: RigFactory, console_store: Store, alerts) -> None:
    service, bus = alerts
    first, second = _alert("loop_faulted", "critical", NOW - 60, loop="rounds"), _alert("dialer_stalled", "warning",
                                                                                         NOW - 30)
    bus.emit(first)
    bus.emit(second)
    await _recorded(service, 2)
    rig = await _rig(make_rig, console_store, service)
    resp = await rig.client.get("/api/alerts", headers=rig.bearer(await rig.token("super1")))
    assert resp.status == 200, await resp.text()
    rows = await resp.json()
    assert resp.headers["X-Total-Count"] == "2"
    assert [r["id"] for r in rows] == [second.id, first.id]  # newest first, under the event's own id
    top = rows[1]
    assert (top["level"], top["source"], top["message"]) == ("critical", "loop_faulted", "loop_faulted happened")
    assert top["details"] == {"loop": "rounds"}
    assert top["at"].startswith("2026-") and top["at"].endswith("+00:00")
    assert top["acknowledged"] is False and top["acknowledged_at"] is None
    resp = await rig.client.get("/api/alerts?level=critical", headers=rig.bearer(await rig.token("admin")))
    assert [r["id"] for r in await resp.json()] == [first.id]
    resp = await rig.client.get("/api/alerts?limit=1&offset=1", headers=rig.bearer(await rig.token("admin")))
    assert [r["id"] for r in await resp.json()] == [first.id] and resp.headers["X-Total-Count"] == "2"


async def test_ack_once_audited_and_published(make_rig: RigFactory, console_store: Store, alerts) -> None:
    service, bus = alerts
    alert = _alert("slot_faulted", "critical", NOW - 10, slot_id=44)
    bus.emit(alert)
    await _recorded(service, 1)
    rig = await _rig(make_rig, console_store, service)
    watch = bus.subscribe(["system.alert.acknowledged"])
    supervisor = rig.bearer(await rig.token("super1"))
    resp = await rig.client.post(f"/api/alerts/{alert.id}/ack", headers=supervisor)
    assert resp.status == 200, await resp.text()
    acked = await resp.json()
    assert (acked["status"], acked["id"], acked["acknowledged"], acked["acknowledged_by"]) == (
        "acknowledged", alert.id, True, "super1")
    event = await asyncio.wait_for(watch.get(), 5)
    assert dict(event.data) == {"id": alert.id, "acknowledged_at": acked["acknowledged_at"],
                                "acknowledged_by": "super1"}
    rig.clock.now += 120
    again = await rig.client.post(f"/api/alerts/{alert.id}/ack", headers=rig.bearer(await rig.token("admin")))
    assert again.status == 200
    assert {k: v for k, v in (await again.json()).items()} == acked  # unchanged: the first acknowledgement stands
    assert watch.get_nowait() is None  # and nothing published again
    resp = await rig.client.get("/api/alerts?acknowledged=false", headers=supervisor)
    assert await resp.json() == []
    resp = await rig.client.get("/api/alerts?acknowledged=true", headers=supervisor)
    assert [r["id"] for r in await resp.json()] == [alert.id]
    await rig.flush_audit()
    rows = await console_store.pool.fetch("SELECT username, action, outcome FROM security_audit_log ORDER BY id")
    assert [tuple(r) for r in rows] == [("super1", "POST /api/alerts/{alert_id}/ack", "ok"),
                                        ("admin", "POST /api/alerts/{alert_id}/ack", "ok")]


async def test_unknown_alert_denied_roles_and_bad_filters(make_rig: RigFactory, console_store: Store,
                                                          alerts) -> None:
    service, bus = alerts
    alert = _alert("dialer_stalled", "critical", NOW)
    bus.emit(alert)
    await _recorded(service, 1)
    rig = await _rig(make_rig, console_store, service)
    admin = rig.bearer(await rig.token("admin"))
    for alert_id in (str(uuid.uuid4()), "not-an-id"):
        resp = await rig.client.post(f"/api/alerts/{alert_id}/ack", headers=admin)
        assert resp.status == 404
        assert await resp.json() == {"error": True, "code": "NOT_FOUND", "message": f"alert {alert_id} not found"}
    operator = rig.bearer(await rig.token("op12"))
    for method, path in (("GET", "/api/alerts"), ("POST", f"/api/alerts/{alert.id}/ack")):
        resp = await rig.client.request(method, path, headers=operator)
        assert resp.status == 403 and (await resp.json())["code"] == "PERMISSION_DENIED"
    row = await console_store.pool.fetchrow("SELECT acknowledged_at FROM system_alerts WHERE id = $1::uuid", alert.id)
    assert row["acknowledged_at"] is None  # the refused acknowledgement changed nothing
    for query, field in (("level=fatal", "level"), ("acknowledged=maybe", "acknowledged"), ("limit=0", "limit")):
        resp = await rig.client.get(f"/api/alerts?{query}", headers=admin)
        body = await resp.json()
        assert resp.status == 422 and body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"] == ["query", field]


async def test_an_unknown_severity_is_kept_as_a_warning(make_rig: RigFactory, console_store: Store, alerts) -> None:
    service, bus = alerts
    bus.emit(_alert("disk", "error", NOW))
    await _recorded(service, 1)
    rig = await _rig(make_rig, console_store, service)
    rows = await (await rig.client.get("/api/alerts", headers=rig.bearer(await rig.token("admin")))).json()
    assert (rows[0]["level"], rows[0]["details"]) == ("warning", {"severity": "error"})
