"""CRM notes (the WORKSPACE API): `POST /api/crm/note` and `GET /api/crm/notes/{call_id}` on the REAL
`crm_notes`, `calls` and `crm_leads` tables — operators on their own calls only, supervisors and admins on any,
every write audited, bad input a 422 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Rig, RigFactory
from tests.api.console_store import console_store_fixture, user_id  # noqa: F401 (the console_store fixture)
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_crm_notes import StoreCrmNotes
from vssd.adapters.store_users import StoreUserDirectory

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _rig(make_rig: RigFactory, store: Store) -> tuple[Rig, dict[str, str]]:
    """Calls c_100 (op12's), c_101 (op13's), c_102 (nobody's) and a lead assigned to seller1."""
    ids = {name: await user_id(store, name) for name in ("op12", "op13", "seller1", "super1")}
    for n, owner in ((100, ids["op12"]), (101, ids["op13"]), (102, None)):
        await store.pool.execute("INSERT INTO calls (attempt_id, call_id, slot_id, number, user_id, originated_at) "
                                 "VALUES ($1, $2, 44, '+380991234567', $3::uuid, $4)", f"att-{n}", f"c_{n}", owner, AT)
    ids["lead"] = str(await store.pool.fetchval(
        "INSERT INTO crm_leads (client_name, phone, assigned_seller) VALUES ('Ivan', '+380991234567', $1::uuid) "
        "RETURNING id", ids["seller1"]))
    rig = await make_rig(users=StoreUserDirectory(store), audit=StoreAuditLog(store), crm_notes=StoreCrmNotes(store))
    return rig, ids


async def _post(rig: Rig, who: str, body: Any) -> tuple[int, Any]:
    resp = await rig.client.post("/api/crm/note", json=body, headers=rig.bearer(await rig.token(who)))
    return resp.status, await resp.json()


async def _notes(rig: Rig, who: str, call_id: str) -> tuple[int, Any]:
    resp = await rig.client.get(f"/api/crm/notes/{call_id}", headers=rig.bearer(await rig.token(who)))
    return resp.status, await resp.json()


async def test_an_operator_notes_their_own_call(make_rig: RigFactory, console_store: Store) -> None:
    rig, ids = await _rig(make_rig, console_store)
    status, note = await _post(rig, "op12", {"call_id": "c_100", "text": "Client asked about price."})
    assert status == 201, note
    assert (note["call_id"], note["text"], note["type"], note["author_id"]) == (
        "c_100", "Client asked about price.", "call_note", ids["op12"])
    await _post(rig, "op12", {"call_id": "c_100", "text": "Calls back on Monday.", "type": "callback"})
    status, body = await _notes(rig, "op12", "c_100")
    assert status == 200
    assert [(n["text"], n["type"]) for n in body["notes"]] == [("Client asked about price.", "call_note"),
                                                               ("Calls back on Monday.", "callback")]
    assert body["total"] == 2 and body["notes"][0]["timestamp"] == note["created_at"]
    rows = await console_store.pool.fetch("SELECT author_id::text AS a, text FROM crm_notes ORDER BY id")
    assert [r["a"] for r in rows] == [ids["op12"], ids["op12"]]
    await rig.flush_audit()
    audit = await console_store.pool.fetch("SELECT username, action, outcome FROM security_audit_log ORDER BY id")
    assert [tuple(r) for r in audit] == [("op12", "POST /api/crm/note", "ok")] * 2


async def test_not_on_another_operators_call_but_a_supervisor_may(make_rig: RigFactory,
                                                                 console_store: Store) -> None:
    rig, ids = await _rig(make_rig, console_store)
    for call_id in ("c_101", "c_102"):
        status, body = await _post(rig, "op12", {"call_id": call_id, "text": "mine?"})
        assert (status, body["code"]) == (403, "PERMISSION_DENIED"), body
        status, body = await _notes(rig, "op12", call_id)
        assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    assert await console_store.pool.fetchval("SELECT count(*) FROM crm_notes") == 0
    await rig.flush_audit()
    denied = await console_store.pool.fetchval("SELECT count(*) FROM security_audit_log WHERE outcome = 'denied'")
    assert denied == 4  # the refused writes and the refused reads
    for who in ("super1", "admin"):
        status, note = await _post(rig, who, {"call_id": "c_101", "text": f"checked by {who}"})
        assert status == 201, note
    status, body = await _notes(rig, "op13", "c_101")  # the call's own operator reads them
    assert status == 200 and [n["text"] for n in body["notes"]] == ["checked by super1", "checked by admin"]
    assert body["notes"][0]["author_id"] == ids["super1"]


async def test_notes_on_a_lead(make_rig: RigFactory, console_store: Store) -> None:
    rig, ids = await _rig(make_rig, console_store)
    status, note = await _post(rig, "seller1", {"lead_id": ids["lead"], "text": "Wants the yearly plan"})
    assert status == 201 and note["lead_id"] == ids["lead"] and note["call_id"] is None
    status, body = await _post(rig, "op12", {"lead_id": ids["lead"], "text": "not my lead"})
    assert (status, body["code"]) == (404, "NOT_FOUND")  # another's lead is not shown to exist (the CRM's rule)
    status, body = await _post(rig, "admin", {"lead_id": "00000000-0000-4000-8000-000000000000", "text": "x"})
    assert (status, body["code"]) == (404, "NOT_FOUND")
    status, body = await _post(rig, "admin", {"call_id": "c_100", "lead_id": "00000000-0000-4000-8000-000000000000",
                                              "text": "x"})
    assert (status, body["code"]) == (404, "NOT_FOUND")  # a named lead must exist, even beside a call


async def test_unknown_calls_are_404(make_rig: RigFactory, console_store: Store) -> None:
    rig, _ = await _rig(make_rig, console_store)
    status, body = await _post(rig, "admin", {"call_id": "c_999", "text": "x"})
    assert (status, body) == (404, {"error": True, "code": "NOT_FOUND", "message": "call c_999 not found"})
    status, body = await _notes(rig, "admin", "c_999")
    assert (status, body["code"]) == (404, "NOT_FOUND")


async def test_bad_input_is_a_422_naming_the_field(make_rig: RigFactory, console_store: Store) -> None:
    rig, _ = await _rig(make_rig, console_store)
    cases = [
        ({"call_id": "c_100", "text": ""}, ["body", "text"]),
        ({"call_id": "c_100", "text": "   "}, ["body", "text"]),
        ({"call_id": "c_100", "text": "x" * 4001}, ["body", "text"]),
        ({"call_id": "c_100", "text": 5}, ["body", "text"]),
        ({"call_id": "c_100"}, ["body", "text"]),
        ({"text": "no subject"}, ["body"]),
        ({"call_id": "", "text": "x"}, ["body", "call_id"]),
        ({"call_id": 100, "text": "x"}, ["body", "call_id"]),
        ({"lead_id": "lead_uuid", "text": "x"}, ["body", "lead_id"]),
        ({"call_id": "c_100", "text": "x", "type": ""}, ["body", "type"]),
    ]
    for body, loc in cases:
        status, answer = await _post(rig, "op12", body)
        assert status == 422, (body, answer)
        assert answer["code"] == "INVALID_PARAMS" and loc in [d["loc"] for d in answer["details"]], (body, answer)
    status, answer = await _post(rig, "op12", ["not", "an", "object"])
    assert status in (400, 422) and answer["error"] is True
    status, note = await _post(rig, "op12", {"call_id": "c_100", "text": "я" * 4000})  # the limit itself is fine
    assert status == 201 and len(note["text"]) == 4000
    assert await console_store.pool.fetchval("SELECT count(*) FROM crm_notes") == 1


async def test_without_a_store_it_is_503(rig: Rig) -> None:
    status, body = await _post(rig, "admin", {"call_id": "c_1", "text": "x"})
    assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
