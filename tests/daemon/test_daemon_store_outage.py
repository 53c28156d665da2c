"""PostgreSQL goes away under call load (backends terminated, new connections refused) and comes back.

Nothing the slot actors recorded in the meantime may be lost: afterwards `calls` holds one row per Originate
in the PBX ledger, with the outcome the PBX played.
"""

from __future__ import annotations

import asyncio

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
