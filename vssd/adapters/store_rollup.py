"""The hourly call rollup (`call_rollup_hourly`, migration 0004), kept by the batch writer in its own transaction.

A batch's calls are upserts: a call first written ringing comes back answered, then ended, and may move to another
hour once its dial time is known. So for the calls a batch touches the writer takes their contributions
(`call_rollup_source`, the one definition of them) away before the upsert and adds the new ones after it, and
folds the difference into the hourly sums with one `INSERT … ON CONFLICT` — in the same transaction as the rows,
so the sums always equal what a scan of `calls` would give.

    await store_rollup.before(conn, stage, staged)   # before the calls' merge statements
    await store_rollup.after(conn, stage)            # after them, in the same transaction
"""

from __future__ import annotations

from typing import Any

DELTA = "vssd_rollup_delta"
KEY = ("bucket", "user_id", "campaign_id", "outcome", "ended", "answered")
MEASURES = ("calls", "talk_s", "talk_n", "ring_s", "ring_n", "within_sla")
_KEY = ", ".join(KEY)
_COLS = ", ".join((*KEY, *MEASURES))

DELTA_DDL = f"CREATE TEMP TABLE IF NOT EXISTS {DELTA} (LIKE call_rollup_hourly) ON COMMIT DELETE ROWS"


def _contributions(stage: str, sign: str) -> str:
    values = ", ".join(f"{sign}v.{m}" for m in MEASURES)
    return (f"SELECT {', '.join('v.' + k for k in KEY)}, {values} FROM call_rollup_source v "
            f"WHERE v.attempt_id IN (SELECT attempt_id FROM {stage})")


def subtract_sql(stage: str) -> str:
    """The staged calls' current contributions, negated, into the delta table (run before the merge)."""
    return f"INSERT INTO {DELTA} ({_COLS}) {_contributions(stage, '-')}"


def fold_sql(stage: str) -> str:
    """The delta plus the staged calls' new contributions, summed per key and added to the rollup (after the
    merge). Keys are written in order, so two hubs' writers sharing a database cannot deadlock on them."""
    sums = ", ".join(f"sum({m})" for m in MEASURES)
    changed = " OR ".join(f"sum({m}) <> 0" for m in MEASURES)
    updates = ", ".join(f"{m} = r.{m} + EXCLUDED.{m}" for m in MEASURES)
    return (f"INSERT INTO call_rollup_hourly AS r ({_COLS}) "
            f"SELECT {_KEY}, {sums} FROM (SELECT {_COLS} FROM {DELTA} UNION ALL {_contributions(stage, '')}) d "
            f"GROUP BY {_KEY} HAVING {changed} ORDER BY {_KEY} "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET {updates}")


async def before(conn: Any, stage: str, staged: set[str]) -> None:
    """`staged`: the writer's temp tables of this connection (created once, forgotten on rollback)."""
    if DELTA not in staged:
        await conn.execute(DELTA_DDL)
        staged.add(DELTA)
    await conn.execute(subtract_sql(stage))


async def after(conn: Any, stage: str) -> None:
    await conn.execute(fold_sql(stage))
