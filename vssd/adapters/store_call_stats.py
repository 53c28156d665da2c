"""The dashboards' call figures over a time window, from the rollups the batch writer keeps (migrations 0004 and
0007, `store_rollup`): never a scan of every call. The whole UTC days of the window are read from
`call_rollup_daily`, the whole UTC hours beside them from `call_rollup_hourly`, and the partial hours at the edges
(a time zone at :30 or :45) from `call_rollup_source` through `calls_at_idx`. One GROUP BY with GROUPING SETS
gives the totals, the operators and the campaigns in one pass; the calls per hour of day come from
`call_rollup_hours` (or, for one group's operators, from the hourly rows of its users).

    figures = await StoreCallStats(store).figures(start, end, tz="Europe/Moscow", group_id=None)
    figures["total"], figures["answered"], figures["hours"], figures["operators"], figures["campaigns"]
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from vssd.adapters.store_errors import StoreError

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DIMS = "user_id, campaign_id, outcome, ended, answered, calls, talk_s, talk_n, ring_s, ring_n, within_sla"
IN_GROUP = "($6::text IS NULL OR user_id IN (SELECT id FROM grp))"

# $1 start, $2 end, $3/$4 the whole hours inside them, $5 time zone, $6 group (NULL: everyone), $7/$8 the whole
# days inside the whole hours. The partial hours at the edges only when the window is not cut at whole UTC hours
# (`edge` is read twice, so PostgreSQL materialises it: at most two hours' calls).
EDGE_CTE = f"""
, edge AS (
    SELECT at, {DIMS} FROM call_rollup_source WHERE at >= $1 AND at < $3 AND {IN_GROUP}
    UNION ALL
    SELECT at, {DIMS} FROM call_rollup_source WHERE at >= $4 AND at < $2 AND {IN_GROUP}
)"""
EDGE_SRC = f"""
    UNION ALL
    SELECT {DIMS} FROM edge"""
EDGE_HOURS = """
        UNION ALL
        SELECT at, calls, CASE WHEN answered THEN calls ELSE 0 END,
               CASE WHEN ended AND NOT answered THEN calls ELSE 0 END
        FROM edge"""
FIGURES_TEMPLATE = f"""
WITH grp AS (SELECT id FROM users WHERE group_id = $6){{edge_cte}}
, src AS (
    SELECT {DIMS} FROM call_rollup_daily WHERE day >= $7 AND day < $8 AND {IN_GROUP}
    UNION ALL
    SELECT {DIMS} FROM call_rollup_hourly WHERE bucket >= $3 AND bucket < $7 AND {IN_GROUP}
    UNION ALL
    SELECT {DIMS} FROM call_rollup_hourly WHERE bucket >= $8 AND bucket < $4 AND {IN_GROUP}{{edge_src}}
), agg AS (
    SELECT GROUPING(user_id, campaign_id) AS level, user_id, campaign_id, sum(calls)::bigint AS calls,
           (sum(calls) FILTER (WHERE answered))::bigint AS answered,
           (sum(calls) FILTER (WHERE ended AND NOT answered))::bigint AS missed,
           (sum(calls) FILTER (WHERE outcome = 'abandoned'))::bigint AS abandoned,
           (sum(calls) FILTER (WHERE ended))::bigint AS ended,
           sum(talk_s) AS talk_s, sum(talk_n)::bigint AS talk_n, sum(ring_s) AS ring_s, sum(ring_n)::bigint AS ring_n,
           sum(within_sla)::bigint AS within_sla
    FROM src GROUP BY GROUPING SETS ((), (user_id), (campaign_id))
), hours AS (
    SELECT extract(hour FROM at AT TIME ZONE $5)::int AS hour, sum(calls)::bigint AS calls,
           sum(answered)::bigint AS answered, sum(missed)::bigint AS missed
    FROM (
        SELECT bucket AS at, calls, answered, missed FROM call_rollup_hours
        WHERE $6::text IS NULL AND bucket >= GREATEST($3, $1::timestamptz) AND bucket < LEAST($4, $2::timestamptz)
        UNION ALL
        SELECT bucket, calls, CASE WHEN answered THEN calls ELSE 0 END,
               CASE WHEN ended AND NOT answered THEN calls ELSE 0 END
        FROM call_rollup_hourly WHERE $6::text IS NOT NULL AND bucket >= $3 AND bucket < $4
                                  AND user_id IN (SELECT id FROM grp){{edge_hours}}
    ) h GROUP BY 1 HAVING sum(calls) <> 0
), ops AS (
    SELECT u.id::text AS operator_id, COALESCE(NULLIF(u.name, ''), u.username) AS operator_name, a.calls,
           a.answered, a.talk_s, a.talk_n
    FROM agg a JOIN users u ON u.id = a.user_id WHERE a.level = 1 AND a.calls <> 0
), camps AS (
    SELECT a.campaign_id, COALESCE(c.name, '') AS name, a.calls, a.answered, a.ended, a.ring_s, a.ring_n,
           a.within_sla
    FROM agg a LEFT JOIN campaigns c ON c.id = a.campaign_id WHERE a.level = 2 AND a.calls <> 0
)
SELECT COALESCE(t.calls, 0) AS total, COALESCE(t.answered, 0) AS answered, COALESCE(t.missed, 0) AS missed,
       COALESCE(t.abandoned, 0) AS abandoned, COALESCE(t.ended, 0) AS ended,
       COALESCE(t.talk_s, 0) AS talk_s, COALESCE(t.talk_n, 0) AS talk_n,
       COALESCE(t.ring_s, 0) AS ring_s, COALESCE(t.ring_n, 0) AS ring_n, COALESCE(t.within_sla, 0) AS within_sla,
       (SELECT COALESCE(json_agg(hours ORDER BY hour), '[]') FROM hours) AS hours,
       (SELECT COALESCE(json_agg(ops ORDER BY calls DESC, operator_name), '[]') FROM ops) AS operators,
       (SELECT COALESCE(json_agg(camps ORDER BY calls DESC, campaign_id), '[]') FROM camps) AS campaigns
FROM agg t WHERE t.level = 3
"""
FIGURES_SQL = FIGURES_TEMPLATE.format(edge_cte=EDGE_CTE, edge_src=EDGE_SRC, edge_hours=EDGE_HOURS)
WHOLE_HOURS_SQL = FIGURES_TEMPLATE.format(edge_cte="", edge_src="", edge_hours="")


class Queryable(Protocol):
    async def _fetch(self, sql: str, *args: Any) -> list[Any]: ...


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC hours wholly inside [start, end) as [lo, hi); (end, end) when there is none."""
    epoch = start.timestamp()
    lo = start + timedelta(seconds=(-epoch) % 3600)
    hi = end - timedelta(seconds=end.timestamp() % 3600)
    return (lo, hi) if lo < hi else (end, end)


def whole_days(lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    """The UTC days wholly inside the whole hours [lo, hi) as [first, last); (hi, hi) when there is none."""
    first = lo.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first += DAY if first < lo else timedelta(0)
    last = hi.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (first, last) if first < last else (hi, hi)


def figures_query(start: datetime, end: datetime, tz: str = "UTC",
                  group_id: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """The SQL and its arguments for the figures of [start, end) (the benchmark's bare SQL runs exactly this)."""
    lo, hi = whole_hours(start, end)
    first, last = whole_days(lo, hi)
    sql = WHOLE_HOURS_SQL if (lo, hi) == (start, end) else FIGURES_SQL
    return sql, (start, end, lo, hi, tz, group_id, first, last)


class StoreCallStats:
    """The `CallFigures` port (vssd/api/ports.py). `ConnectionError` when the store cannot answer."""

    def __init__(self, store: Queryable) -> None:
        self.store = store

    async def figures(self, start: datetime, end: datetime, tz: str = "UTC",
                      group_id: str | None = None) -> dict[str, Any]:
        sql, args = figures_query(start, end, tz, group_id)
        try:
            rows = await self.store._fetch(sql, *args)
        except StoreError as err:
            raise ConnectionError(f"call figures unavailable: {err}") from err
        row = dict(rows[0])
        for name in ("hours", "operators", "campaigns"):
            row[name] = json.loads(row[name])
        return row
