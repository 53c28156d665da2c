"""No audit gaps: a walk over every route the app serves. Each non-GET route is called (as the admin, dummy ids,
an empty body); whatever it answers — success, refusal, failure — leaves exactly one audit row naming its route,
its outcome and its object. Explicit exceptions, and why: `/socket.io` (its polling transport POSTs every
message; who connects is the real-time hub's to log) and OPTIONS (CORS preflights change nothing).
Also the audit queue's overflow policy and its retry when the sink fails."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.api.conftest import Rig, RigFactory
from tests.api.console_store import console_store_fixture
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_crm_notes import StoreCrmNotes
from vssd.adapters.store_users import StoreUserDirectory
from vssd.api.audit_log import MUTATING, UNAUDITED, outcome_of
from vssd.api.audit_queue import AuditQueue

__all__ = ["console_store_fixture"]
EXCEPTIONS = ("/socket.io",)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")


def _value(name: str) -> str:
    return str(uuid.uuid4()) if name in ("user_id", "role_id", "id", "alert_id") else "44" if "slot" in name else "1"


def _mutating_routes(rig: Rig) -> list[tuple[str, str, str]]:
    """(method, canonical route, a concrete path) of every non-GET route but the exceptions."""
    found = set()
    for route in rig.client.app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if route.method in MUTATING and not canonical.startswith(EXCEPTIONS):
            found.add((route.method, canonical, _PLACEHOLDER.sub(lambda m: _value(m.group(1)), canonical)))
    return sorted(found)


async def test_every_changing_route_leaves_an_audit_row(make_rig: RigFactory, console_store: Store) -> None:
    assert UNAUDITED == EXCEPTIONS  # nothing else is exempt in the middleware either
    rig: Rig = await make_rig(users=StoreUserDirectory(console_store), audit=StoreAuditLog(console_store),
                              crm_notes=StoreCrmNotes(console_store), auth_per_minute=None)
    routes = _mutating_routes(rig)
    assert len(routes) >= 30, routes
    answered: list[tuple[str, str, int]] = []
    for method, canonical, path in routes:
        headers = rig.bearer(await rig.token("admin"))  # a fresh token each time: logout revokes its own
        resp = await rig.client.request(method, path, json={}, headers=headers)
        answered.append((method, canonical, resp.status))
        assert resp.status != 500, (method, path, await resp.text())  # 503: a port this rig does not wire
    await rig.flush_audit()
    rows = await console_store.pool.fetch("SELECT action, outcome, object_type, details->>'status' AS status "
                                          "FROM security_audit_log WHERE details ? 'status' ORDER BY id")
    # (a handler may add its own entry beside the request's, e.g. the adb command's verdict: not counted here)
    assert [(r["action"], r["outcome"], int(r["status"])) for r in rows] == [
        (f"{m} {c}", outcome_of(s), s) for m, c, s in answered]
    assert all(r["object_type"] for r in rows)
    assert sum(s < 400 for _, _, s in answered) >= 4  # logout and refresh succeed even with an empty body


class _Sink:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.fail = False

    async def record(self, entry: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("store gone")
        self.rows.append(entry)

    async def entries(self, limit: int, offset: int, filters: Any) -> tuple[list[dict[str, Any]], int]:
        return self.rows[offset:offset + limit], len(self.rows)


async def test_the_queue_drops_beyond_its_bound_and_says_so() -> None:
    sink = _Sink()
    queue = AuditQueue(sink, max_pending=3, clock=lambda: 1_790_000_000.0)
    for i in range(5):
        await queue.record({"action": f"a{i}", "outcome": "denied" if i % 2 else "ok"})
    assert queue.dropped == 2 and sink.rows == []  # recording never waits for the sink
    await queue.flush()
    assert [r["action"] for r in sink.rows] == ["a0", "a1", "a2", "audit.dropped"]
    assert sink.rows[-1]["details"] == {"dropped": {"denied": 1, "ok": 1}} and queue.dropped == 0


async def test_a_failing_sink_keeps_the_entries_for_the_next_flush() -> None:
    sink = _Sink()
    queue = AuditQueue(sink)
    sink.fail = True
    await queue.record({"action": "x", "outcome": "ok"})
    try:
        await queue.flush()
    except ConnectionError:
        pass
    sink.fail = False
    rows, total = await queue.entries(10, 0, {})  # a read flushes first
    assert total == 1 and rows[0]["action"] == "x"
