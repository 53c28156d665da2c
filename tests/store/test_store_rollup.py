"""The call rollups against the calls table, in a REAL PostgreSQL: the batch writer keeps the hourly, the daily
and the per-hour plot rollups each equal to a fresh aggregation of `calls` through inserts, updates that change a
call's outcome, operator, hour and day, batches merged in memory and an outage; migrations 0004 and 0007
backfill them from the calls already stored."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from vssd.adapters.store import Store
from vssd.adapters.store_migrate import apply_migrations, load_migrations, migrations_dir

T0 = datetime(2026, 11, 22, 8, tzinfo=UTC)
OUTCOMES = ("answered", "busy", "no_answer", "abandoned", "failed")
ROLLED = """SELECT bucket, user_id, campaign_id, outcome, ended, answered, sum(calls) AS calls, sum(talk_s) AS talk_s,
                   sum(talk_n) AS talk_n, sum(ring_s) AS ring_s, sum(ring_n) AS ring_n, sum(within_sla) AS sla
            FROM {} GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(calls) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"""


DAY = "date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
DAILY = ROLLED.replace("SELECT bucket,", "SELECT day,")
PER_DAY = f"(SELECT {DAY} AS day, * FROM call_rollup_source) s"
HOURS = """SELECT bucket, sum(calls) AS calls, sum(answered) AS answered, sum(missed) AS missed FROM {}
           GROUP BY 1 HAVING sum(calls) <> 0 ORDER BY 1"""
PER_HOUR = """(SELECT bucket, calls, CASE WHEN answered THEN calls ELSE 0 END AS answered,
                      CASE WHEN ended AND NOT answered THEN calls ELSE 0 END AS missed FROM call_rollup_source) s"""


async def _same(conn: asyncpg.Connection, kept_sql: str, fresh_sql: str) -> list[asyncpg.Record]:
    kept, fresh = await conn.fetch(kept_sql), await conn.fetch(fresh_sql)
    assert [tuple(r) for r in kept] == [tuple(r) for r in fresh]
    return kept


async def _consistent(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Each rollup equals a fresh aggregation of the calls; the hourly rows."""
    kept = await _same(conn, ROLLED.format("call_rollup_hourly"), ROLLED.format("call_rollup_source"))
    daily = await _same(conn, DAILY.format("call_rollup_daily"), DAILY.format(PER_DAY))
    hours = await _same(conn, HOURS.format("call_rollup_hours"), HOURS.format(PER_HOUR))
    assert sum(r["calls"] for r in daily) == sum(r["calls"] for r in hours) == sum(r["calls"] for r in kept)
    return kept


def _random_fields(rng: random.Random, users: list[str]) -> dict[str, object]:
    start = T0 + timedelta(minutes=rng.randrange(0, 2400))  # across UTC midnights: calls move between days
    outcome = rng.choice(OUTCOMES)
    fields: dict[str, object] = {"originated_at": start, "status": "ENDED", "outcome": outcome,
                                 "ring_s": float(rng.randrange(1, 40)), "campaign_id": rng.choice(["", "cmp_a"])}
    if outcome == "answered":
        fields.update(talk_s=float(rng.randrange(1, 300)), answered_at=start, user_id=rng.choice(users))
    return fields


async def test_writer_keeps_rollup_equal_to_calls(store: Store) -> None:
    rng = random.Random(7)
    users = [str(uuid.uuid4()) for _ in range(3)]
    for n in range(300):  # first seen ringing (no outcome, no dial time: bucketed by created_at)
        store.writer.submit_call(f"r-{n}", number=f"+3809900{n:05d}", status="CALLING")
    await store.writer.flush(10.0)
    async with store.pool.acquire() as conn:
        assert sum(r["calls"] for r in await _consistent(conn)) == 300
    for _round in range(3):  # updates move calls between hours, outcomes and operators
        for n in rng.sample(range(300), 200):
            store.writer.submit_call(f"r-{n}", **_random_fields(rng, users))
            if rng.random() < 0.3:  # the same call twice in one batch: merged before the COPY
                store.writer.submit_call(f"r-{n}", **_random_fields(rng, users))
        await store.writer.flush(10.0)
        async with store.pool.acquire() as conn:
            kept = await _consistent(conn)
    assert sum(r["calls"] for r in kept) == 300
    assert any(r["answered"] and r["talk_n"] for r in kept)


async def test_a_rejected_batch_leaves_the_rollup_alone(store: Store) -> None:
    store.writer.submit_call("ok-1", status="ENDED", outcome="busy", originated_at=T0)
    store.writer.submit_call("ok-2", status="ENDED", outcome="answered", originated_at=T0, talk_s=30.0)
    # too long for the btree index on number: PostgreSQL refuses the row, the writer bisects the batch
    store.writer.submit_call("bad", number=random.randbytes(6000).hex(), originated_at=T0)
    await store.writer.flush(20.0)
    async with store.pool.acquire() as conn:
        kept = await _consistent(conn)
        assert await conn.fetchval("SELECT count(*) FROM calls") == sum(r["calls"] for r in kept) == 2
    assert store.writer.stats.rejected_rows == 1


async def test_migration_backfills_from_stored_calls(db: str) -> None:
    migrations = load_migrations(migrations_dir())
    conn = await asyncpg.connect(db)
    try:
        await apply_migrations(conn, [m for m in migrations if m.version < 4])
        await conn.execute("""
            INSERT INTO calls (attempt_id, status, outcome, talk_s, ring_s, originated_at, answered_at)
            SELECT 'b-' || g, 'ENDED', CASE WHEN g % 3 = 0 THEN 'answered' ELSE 'busy' END,
                   CASE WHEN g % 3 = 0 THEN g END, g % 30, $1::timestamptz + g * interval '7 minutes',
                   CASE WHEN g % 3 = 0 THEN $1::timestamptz END
            FROM generate_series(1, 500) g""", T0)
        await apply_migrations(conn, migrations)
        kept = await _consistent(conn)
        assert sum(r["calls"] for r in kept) == 500
    finally:
        await conn.close()

