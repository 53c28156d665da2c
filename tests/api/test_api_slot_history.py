"""`GET /api/slots/{id}/history`: the transitions the batch writer stored, newest first, each with the call the
slot carried then — against the REAL `slot_transitions` and `calls` tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Rig, RigFactory
from tests.api.console_store import console_store_fixture  # noqa: F401 (the console_store fixture)
from vssd.adapters.store import Store
from vssd.adapters.store_slot_history import StoreSlotHistory
from vssd.adapters.store_users import StoreUserDirectory
from vssd.fsm.types import TransitionRecord

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
STEPS = [("REGISTERING", "READY", "registered", ""), ("READY", "CALLING", "dial", ""),
         ("CALLING", "ACTIVE_CALL", "answered", ""), ("ACTIVE_CALL", "POSTCALL", "hangup", "normal clearing"),
         ("POSTCALL", "READY", "wrapup_done", "")]


async def _history_rig(make_rig: RigFactory, store: Store) -> Rig:
    for n, (src, dst, event, cause) in enumerate(STEPS):
        store.writer.submit_transition(TransitionRecord("44", src, dst, event, cause, T0 + timedelta(seconds=n)))
    store.writer.submit_transition(TransitionRecord("1", "READY", "CALLING", "dial", "", T0))  # another slot
    store.writer.submit_call("att-77", call_id="c_77", slot_id=44, number="+380991110077",
                             originated_at=T0 + timedelta(seconds=1, milliseconds=200))
    await store.writer.flush()
    return await make_rig(users=StoreUserDirectory(store), slot_history=StoreSlotHistory(store))


async def test_newest_first_with_the_call_and_the_reason(make_rig: RigFactory, console_store: Store) -> None:
    rig = await _history_rig(make_rig, console_store)
    resp = await rig.client.get("/api/slots/44/history?limit=50", headers=rig.bearer(await rig.token("op12")))
    assert resp.status == 200, await resp.text()
    rows = await resp.json()
    assert resp.headers["X-Total-Count"] == "5"
    assert [(r["from_state"], r["to_state"]) for r in rows] == [(s, d) for s, d, _, _ in reversed(STEPS)]
    assert rows[0]["at"] == (T0 + timedelta(seconds=4)).isoformat() and rows[0]["at"].endswith("+00:00")
    assert [r["call_id"] for r in rows] == ["c_77", "c_77", "c_77", "c_77", None]  # READY→CALLING precedes the row
    hangup = rows[1]
    assert (hangup["reason"], hangup["cause"], hangup["trigger"]) == ("normal clearing", "normal clearing", "hangup")
    assert (rows[0]["reason"], rows[0]["cause"]) == ("wrapup_done", None)  # no cause: the trigger says why


async def test_paging_and_an_empty_history(make_rig: RigFactory, console_store: Store) -> None:
    rig = await _history_rig(make_rig, console_store)
    admin = rig.bearer(await rig.token("admin"))
    resp = await rig.client.get("/api/slots/44/history?limit=2&offset=1", headers=admin)
    assert [r["to_state"] for r in await resp.json()] == ["POSTCALL", "ACTIVE_CALL"]
    assert resp.headers["X-Total-Count"] == "5"
    resp = await rig.client.get("/api/slots/3/history", headers=admin)  # a slot that never moved
    assert resp.status == 200 and await resp.json() == [] and resp.headers["X-Total-Count"] == "0"


async def test_unknown_slot_denied_role_and_bad_paging(make_rig: RigFactory, console_store: Store) -> None:
    rig = await _history_rig(make_rig, console_store)
    admin = rig.bearer(await rig.token("admin"))
    resp = await rig.client.get("/api/slots/999/history", headers=admin)
    assert resp.status == 404
    assert await resp.json() == {"error": True, "code": "NOT_FOUND", "message": "slot 999 not found"}
    resp = await rig.client.get("/api/slots/44/history", headers=rig.bearer(await rig.token("seller1")))
    assert resp.status == 403 and (await resp.json())["code"] == "PERMISSION_DENIED"
    resp = await rig.client.get("/api/slots/44/history")
    assert resp.status == 401
    for query in ("limit=0", "limit=501", "limit=x", "offset=-1"):
        resp = await rig.client.get(f"/api/slots/44/history?{query}", headers=admin)
        body = await resp.json()
        assert resp.status == 422 and body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"][0] == "query"


async def test_without_a_store_it_is_503(rig: Rig) -> None:
    resp = await rig.client.get("/api/slots/44/history", headers=rig.bearer(await rig.token("admin")))
    assert resp.status == 503 and (await resp.json())["code"] == "SERVICE_UNAVAILABLE"
