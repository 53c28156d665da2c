"""The dashboards' call figures over a time window, from the hourly rollup the batch writer keeps (migration 0004,
`store_rollup`): never a scan of every call. The whole UTC hours of the window are read from `call_rollup_hourly`;
the partial hours at its edges (a time zone at :30 or :45) from `call_rollup_source` through `calls_at_idx`.

    figures = await StoreCallStats(store).figures(start, end, tz="Europe/Moscow", group_id=None)
    figures["total"], figures["answered"], figures["hours"], figures["operators"], figures["campaigns"]
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from vssd.adapters.store_errors import StoreError

HOUR = timedelta(hours=1)

# $1 start, $2 end, $3/$4 the whole hours inside them, $5 time zone, $6 group (NULL: everyone).
FIGURES_SQL = """
WITH src AS (
    SELECT bucket AS at, user_id, campaign_id, outcome, ended, answered, calls, talk_s, talk_n, ring_s, ring_n,
           within_sla
    FROM call_rollup_hourly WHERE bucket >= $3 AND bucket < $4
    UNION ALL
    SELECT at, user_id, campaign_id, outcome, ended, answered, calls, talk_s, talk_n, ring_s, ring_n, within_sla
    FROM call_rollup_source WHERE at >= $1 AND at < $3
    UNION ALL
    SELECT at, user_id, campaign_id, outcome, ended, answered, calls, talk_s, talk_n, ring_s, ring_n, within_sla
    FROM call_rollup_source WHERE at >= $4 AND at < $2
), f AS MATERIALIZED (
    SELECT * FROM src WHERE $6::text IS NULL OR user_id IN (SELECT id FROM users WHERE group_id = $6)
), totals AS (
    SELECT COALESCE(sum(calls), 0)::bigint AS total,
           COALESCE(sum(calls) FILTER (WHERE answered), 0)::bigint AS answered,
           COALESCE(sum(calls) FILTER (WHERE ended AND NOT answered), 0)::bigint AS missed,
           COALESCE(sum(calls) FILTER (WHERE outcome = 'abandoned'), 0)::bigint AS abandoned,
           COALESCE(sum(calls) FILTER (WHERE ended), 0)::bigint AS ended,
           COALESCE(sum(talk_s), 0) AS talk_s, COALESCE(sum(talk_n), 0)::bigint AS talk_n,
           COALESCE(sum(ring_s), 0) AS ring_s, COALESCE(sum(ring_n), 0)::bigint AS ring_n,
           COALESCE(sum(within_sla), 0)::bigint AS within_sla
    FROM f
), hours AS (
    SELECT extract(hour FROM at AT TIME ZONE $5)::int AS hour, sum(calls)::bigint AS calls,
           (sum(calls) FILTER (WHERE answered))::bigint AS answered,
           (sum(calls) FILTER (WHERE ended AND NOT answered))::bigint AS missed
    FROM f GROUP BY 1
), ops AS (
    SELECT u.id::text AS operator_id, COALESCE(NULLIF(u.name, ''), u.username) AS operator_name,
           sum(f.calls)::bigint AS calls, (sum(f.calls) FILTER (WHERE f.answered))::bigint AS answered,
           sum(f.talk_s) AS talk_s, sum(f.talk_n)::bigint AS talk_n
    FROM f JOIN users u ON u.id = f.user_id GROUP BY u.id
), camps AS (
    SELECT f.campaign_id, COALESCE(c.name, '') AS name, sum(f.calls)::bigint AS calls,
           (sum(f.calls) FILTER (WHERE f.answered))::bigint AS answered,
           (sum(f.calls) FILTER (WHERE f.ended))::bigint AS ended,
           sum(f.ring_s) AS ring_s, sum(f.ring_n)::bigint AS ring_n, sum(f.within_sla)::bigint AS within_sla
    FROM f LEFT JOIN campaigns c ON c.id = f.campaign_id GROUP BY f.campaign_id, c.name
)
SELECT totals.*,
       (SELECT COALESCE(json_agg(hours ORDER BY hour), '[]') FROM hours) AS hours,
       (SELECT COALESCE(json_agg(ops ORDER BY calls DESC, operator_name), '[]') FROM ops) AS operators,
       (SELECT COALESCE(json_agg(camps ORDER BY calls DESC, campaign_id), '[]') FROM camps) AS campaigns
FROM totals
"""

class Queryable(Protocol):
    async def _fetch(self, sql: str, *args: Any) -> list[Any]: ...


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC hours wholly inside [start, end) as [lo, hi); (end, end) when there is none."""
    epoch = start.timestamp()
    lo = start + timedelta(seconds=(-epoch) % 3600)
    hi = end - timedelta(seconds=end.timestamp() % 3600)
    return (lo, hi) if lo < hi else (end, end)


class StoreCallStats:
    """The `CallFigures` port (vssd/api/ports.py). `ConnectionError` when the store cannot answer."""

    def __init__(self, store: Queryable) -> None:
        self.store = store

    async def figures(self, start: datetime, end: datetime, tz: str = "UTC",
                      group_id: str | None = None) -> dict[str, Any]:
        lo, hi = whole_hours(start, end)
        try:
            rows = await self.store._fetch(FIGURES_SQL, start, end, lo, hi, tz, group_id)
        except StoreError as err:
            raise ConnectionError(f"call figures unavailable: {err}") from err
        row = dict(rows[0])
        for name in ("hours", "operators", "campaigns"):
            row[name] = json.loads(row[name])
        return row
