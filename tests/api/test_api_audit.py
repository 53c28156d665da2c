"""The security audit: every mutating request is recorded (who, role, what, target, ip, result) — in
process and in the REAL `security_audit_log` table — and `GET|POST /api/security/audit` read and add."""

from __future__ import annotations

import asyncio

from tests.api.conftest import Rig
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_users import StoreUserDirectory, ensure_admin


async def _audit(rig: Rig, **params: str) -> list[dict]:
    resp = await rig.client.get("/api/security/audit", params=params, headers=rig.bearer(await rig.token("admin")))
    assert resp.status == 200
    return await resp.json()


async def _writes(rig: Rig) -> tuple[str, str]:
    """A refused write, a failed login, a successful login; returns (admin id, seller id)."""
    seller = await rig.deps.users.find_user("seller1")
    admin = await rig.deps.users.find_user("admin")
    assert seller is not None and admin is not None
    resp = await rig.client.delete(f"/api/users/{admin.id}", headers=rig.bearer(await rig.token("seller1")))
    assert resp.status == 403
    assert (await rig.client.post("/api/auth/login", json={"username": "admin", "password": "nope"})).status == 401
    assert (await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})).status == 200
    assert (await rig.client.get("/api/slots", headers=rig.bearer(await rig.token("admin")))).status == 200
    return str(admin.id), str(seller.id)


async def test_mutating_requests_are_recorded_reads_are_not(rig: Rig) -> None:
    admin_id, seller_id = await _writes(rig)
    entries = await _audit(rig)
    assert [e["action"] for e in entries] == ["POST /api/auth/login", "POST /api/auth/login",
                                              "DELETE /api/users/{user_id}"]
    ok_login, bad_login, denied = entries
    assert (ok_login["outcome"], ok_login["user_id"], ok_login["role"]) == ("ok", admin_id, "admin")
    assert (bad_login["outcome"], bad_login["username"]) == ("denied", "admin")
    assert (denied["outcome"], denied["user_id"], denied["role"]) == ("denied", seller_id, "seller")
    assert denied["resource"] == f"user_id={admin_id}" and denied["ip"] == "127.0.0.1"
    assert denied["details"]["status"] == 403
    assert "nope" not in str(entries) and "admin123" not in str(entries)  # bodies are never recorded
    assert [e["action"] for e in await _audit(rig, outcome="ok")] == ["POST /api/auth/login"]


async def test_audit_in_the_store(make_rig, fresh_store: Store) -> None:
    await ensure_admin(fresh_store, "admin", "admin123")
    from vssd.adapters.store_users import add_user
    await add_user(fresh_store, "seller1", "s3ll3r!", role="seller")
    rig: Rig = await make_rig(users=StoreUserDirectory(fresh_store), audit=StoreAuditLog(fresh_store))
    admin_id, seller_id = await _writes(rig)
    await rig.flush_audit()
    rows = await fresh_store.pool.fetch("SELECT user_id::text AS u, action, outcome, host(ip) AS ip "
                                        "FROM security_audit_log ORDER BY id")
    assert [(r["u"], r["action"], r["outcome"]) for r in rows] == [
        (seller_id, "DELETE /api/users/{user_id}", "denied"), (admin_id, "POST /api/auth/login", "denied"),
        (admin_id, "POST /api/auth/login", "ok")]
    assert {r["ip"] for r in rows} == {"127.0.0.1"}
    entries = await _audit(rig, user_id=seller_id)
    assert len(entries) == 1 and entries[0]["role"] == "seller" and entries[0]["resource"] == f"user_id={admin_id}"


async def test_clients_add_entries_as_themselves(rig: Rig) -> None:
    op = rig.bearer(await rig.token("op12"))
    resp = await rig.client.post("/api/security/audit", json={"action": "guacamole.connect", "resource": "slot 44",
                                                               "user_id": "forged", "details": {"x": 1}},
                                 headers=op)
    assert resp.status == 403  # operators write no audit (routes reference: logs are the supervisor's and admin's)
    admin_token = await rig.token("admin")
    resp = await rig.client.post("/api/security/audit", json={"action": "guacamole.connect", "resource": "slot 44",
                                                               "user_id": "forged", "details": {"x": 1}},
                                 headers=rig.bearer(admin_token))
    assert resp.status == 201
    entry = await resp.json()
    admin = await rig.deps.users.find_user("admin")
    assert admin is not None
    assert entry["action"] == "client.guacamole.connect" and entry["user_id"] == str(admin.id)
    resp = await rig.client.post("/api/security/audit", json={"details": []}, headers=rig.bearer(admin_token))
    assert resp.status == 422


async def test_a_failing_or_stuck_audit_sink_never_fails_the_request(make_rig, monkeypatch) -> None:
    class Broken:
        async def record(self, entry: dict) -> None:
            raise ConnectionError("audit store down")

        async def entries(self, limit, offset, filters):
            return [], 0

    class Stuck(Broken):
        async def record(self, entry: dict) -> None:
            await asyncio.Event().wait()

    monkeypatch.setattr("vssd.api.audit_log.DRAIN_TIMEOUT_S", 0.05)
    for sink in (Broken(), Stuck()):  # recording only queues; the queue meets the sink later
        rig: Rig = await make_rig(audit=sink)
        resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
        assert resp.status == 200
