"""The call rollups, kept by the batch writer in its own transaction: `call_rollup_hourly` (migration 0004) and
the coarser `call_rollup_daily` and `call_rollup_hours` (migration 0007) the dashboards read over long periods.

A batch's calls are upserts: a call first written ringing comes back answered, then ended, and may move to another
hour once its dial time is known. So for the calls a batch touches the writer takes their contributions
(`call_rollup_source`, the one definition of them) away before the upsert and adds the new ones after it, both
into one delta table, and folds the delta into each rollup with one `INSERT … ON CONFLICT` apiece — in the same
transaction as the rows, so the sums always equal what a scan of `calls` would give.

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
_DAY_KEY = ", ".join(("day", *KEY[1:]))
DAY_OF_BUCKET = "date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"

DELTA_DDL = f"CREATE TEMP TABLE IF NOT EXISTS {DELTA} (LIKE call_rollup_hourly) ON COMMIT DELETE ROWS"


def _contributions(stage: str, sign: str) -> str:
    values = ", ".join(f"{sign}v.{m}" for m in MEASURES)
    return (f"SELECT {', '.join('v.' + k for k in KEY)}, {values} FROM call_rollup_source v "
            f"WHERE v.attempt_id IN (SELECT attempt_id FROM {stage})")


def subtract_sql(stage: str) -> str:
    """The staged calls' current contributions, negated, into the delta table (run before the merge)."""
    return f"INSERT INTO {DELTA} ({_COLS}) {_contributions(stage, '-')}"


def _upsert(table: str, key: str, select_key: str, measures: dict[str, str]) -> str:
    """The delta summed per `key` (selected as `select_key`) added to `table`; keys that did not change are left
    alone, and keys are written in order so two hubs' writers sharing a database cannot deadlock on them."""
    sums = ", ".join(measures.values())
    changed = " OR ".join(f"{expr} <> 0" for expr in measures.values())
    updates = ", ".join(f"{m} = r.{m} + EXCLUDED.{m}" for m in measures)
    return (f"INSERT INTO {table} AS r ({key}, {', '.join(measures)}) "
            f"SELECT {select_key}, {sums} FROM {DELTA} GROUP BY {select_key} HAVING {changed} ORDER BY {select_key} "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")


FULL = {m: f"sum({m})" for m in MEASURES}
PLOT = {"calls": "sum(calls)", "answered": "COALESCE(sum(calls) FILTER (WHERE answered), 0)",
        "missed": "COALESCE(sum(calls) FILTER (WHERE ended AND NOT answered), 0)"}
FOLDS = (
    _upsert("call_rollup_hourly", _KEY, _KEY, FULL),
    _upsert("call_rollup_daily", _DAY_KEY, f"{DAY_OF_BUCKET}, {', '.join(KEY[1:])}", FULL),
    _upsert("call_rollup_hours", "bucket", "bucket", PLOT),
)


def fold_sql(stage: str) -> str:
    """The staged calls' new contributions added to the delta, and the delta folded into the three rollups
    (after the merge): statements run in this order in one round trip (the simple query protocol)."""
    return ";\n".join((f"INSERT INTO {DELTA} ({_COLS}) {_contributions(stage, '')}", *FOLDS))


async def before(conn: Any, stage: str, staged: set[str]) -> None:
    """`staged`: the writer's temp tables of this connection (created once, forgotten on rollback)."""
    if DELTA not in staged:
        await conn.execute(DELTA_DDL)
        staged.add(DELTA)
    await conn.execute(subtract_sql(stage))


async def after(conn: Any, stage: str) -> None:
    await conn.execute(fold_sql(stage))
