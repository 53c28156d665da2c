"""PostgreSQL goes away under call load (backends terminated, new connections refused) and comes back.

Nothing the slot actors recorded in the meantime may be lost: afterwards `calls` holds one row per Originate
in the PBX ledger, with the outcome the PBX played.
"""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
from daemon_rig import ADMIN_DSN, ENROLLED_AUTO, Hub, until

NUMBERS = {"4954000001": "answered", "4954000002": "busy", "4954000003": "no_answer"}


async def calls_on_every_slot(hub: Hub) -> list:
    numbers = list(NUMBERS)
    return await asyncio.gather(*(hub.dial(e, numbers[i % len(numbers)]) for i, e in enumerate(ENROLLED_AUTO)))


async def outage(admin: asyncpg.Connection, database: str, on: bool) -> None:
    """Refuse new connections and terminate the daemon's backends (on), or accept connections again (off)."""
    await admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS {'false' if on else 'true'}")
    if on:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database)


async def test_calls_recorded_across_a_postgresql_outage(hub: Hub) -> None:
    for number, outcome in NUMBERS.items():
        hub.pbx.script(number, outcome, ring_s=1.0, talk_s=20.0)
    database = hub.dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        writers = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND "
                                    "application_name = 'vssd-writer'", database)
        assert writers, "the daemon's writer is connected"
        before = await calls_on_every_slot(hub)
        await outage(admin, database, on=True)
        await until(lambda: all(c.outcome is not None for c in before))
        await until(lambda: not hub.daemon.ready())  # the writer found PostgreSQL gone
        assert hub.daemon.checks()["store"] is False and hub.daemon.checks()["pbx"] is True
        await until(lambda: all(hub.state(e).value == "READY" for e in ENROLLED_AUTO))
        during = await calls_on_every_slot(hub)  # the farm keeps dialling without its database
        await until(lambda: all(c.outcome is not None for c in during))
        assert not hub.daemon.ready()
        await outage(admin, database, on=False)
    finally:
        await admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        await admin.close()

    await until(hub.daemon.ready)
    rows = await hub.calls()
    ledger = {o.action_id: o for o in hub.pbx.ledger.originates}
    assert len(ledger) == 2 * len(ENROLLED_AUTO)
    assert set(rows) == set(ledger)
    assert {a: r["outcome"] for a, r in rows.items()} == {a: o.outcome for a, o in ledger.items()}
    assert all(r["status"] == "ENDED" for r in rows.values())
    assert hub.daemon.store.writer.stats.dropped_rows == 0


async def _readiness(base: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health/ready") as resp:
        return resp.status, await resp.json()


async def test_health_ready_names_the_store_while_postgresql_is_gone_and_recovers(hub_factory) -> None:
    """An idle daemon (no call writing anything): the store's probe notices PostgreSQL gone, `/health/ready` is
    503 `{"ready": false, "failing": ["store"]}`; PostgreSQL back → ready again."""
    hub = await hub_factory(VSSD_DATABASE__HEALTH_CHECK_INTERVAL_S="0.2")
    listen = hub.daemon.config.http.listen[0]
    base = f"http://{listen.host}:{listen.port}"
    assert await _readiness(base) == (200, {"ready": True, "status": "ready", "checks": hub.daemon.checks()})
    database = hub.dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await outage(admin, database, on=True)
        await until(lambda: not hub.daemon.checks()["store"], timeout_s=20.0)
        status, body = await _readiness(base)
        assert status == 503 and body["ready"] is False and body["code"] == "NOT_READY", body
        assert body["failing"] == ["store"], body
        await outage(admin, database, on=False)
    finally:
        await admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        await admin.close()
    await until(hub.daemon.ready, timeout_s=20.0)
    status, body = await _readiness(base)
    assert status == 200 and body["ready"] is True and all(body["checks"].values()), body
