"""Campaign rows in PostgreSQL (`StoreCampaigns`, table `campaigns` of `migrations/0002_dialer.sql`): settings
as a dict, status changes, their leads' and attempts' counts and the compliance ledger."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_dialer_sql import (
    CAMPAIGN_STATUSES,
    LEAD_STATUSES,
    SLOT_TYPES,
    filters_where,
    jsonb_text,
    page_of,
    read,
    row_dict,
    write,
)

CAMPAIGN_COLUMNS = ("id, name, status, slot_type, settings::text AS settings, created_by::text AS created_by, "
                     "created_at, started_at, stopped_at, updated_at")
_STATUS_COUNTS = """
SELECT (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)::text
        FROM (SELECT status, count(*) AS n FROM autodialer_leads WHERE campaign_id = $1 GROUP BY status) s
       ) AS statuses,
       a.attempts, a.answered, a.abandoned, a.unknown,
       (SELECT count(*) FROM dead_letters WHERE campaign_id = $1) AS dead_lettered
FROM (SELECT count(*) AS attempts, count(*) FILTER (WHERE answered) AS answered,
             count(*) FILTER (WHERE abandoned) AS abandoned, count(*) FILTER (WHERE state = 'unknown') AS unknown
      FROM dial_attempts WHERE campaign_id = $1) a
"""
# Successive periods of `$2` seconds from the campaign's first attempt up to the one holding `$3` (unix seconds).
_LEDGER = """
WITH first AS (SELECT min(reserved_at) AS t0 FROM dial_attempts WHERE campaign_id = $1),
periods AS (
    SELECT g, t0 + g * make_interval(secs => $2) AS ps, t0 + (g + 1) * make_interval(secs => $2) AS pe
    FROM first, generate_series(0, greatest(0, floor(extract(epoch FROM to_timestamp($3) - t0) / $2))::int) AS g
    WHERE t0 IS NOT NULL
)
SELECT p.ps AS period_start, p.pe AS period_end, count(a.attempt_id) AS attempts,
       count(*) FILTER (WHERE a.answered) AS answered, count(*) FILTER (WHERE a.abandoned) AS abandoned,
       count(*) FILTER (WHERE a.state = 'unknown') AS unknown
FROM periods p
LEFT JOIN dial_attempts a ON a.campaign_id = $1 AND a.reserved_at >= p.ps AND a.reserved_at < p.pe
GROUP BY p.g, p.ps, p.pe ORDER BY p.g
"""


_CAMPAIGN_FILTERS = {"status": "status = {}", "created_by": "created_by = {}::uuid"}


def _rate(abandoned: int, answered: int) -> float:
    return abandoned / answered if answered else 0.0


class StoreCampaigns:
    """Campaign rows (settings as a dict), their status counts and the compliance ledger."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, name: str, settings: Mapping[str, Any], slot_type: str | None = None,
                     created_by: str | None = None) -> dict[str, Any]:
        """A draft campaign; returns its row."""
        if slot_type is not None and slot_type.upper() not in SLOT_TYPES:
            raise ValueError("INVALID_PARAMS", f"slot_type must be one of {SLOT_TYPES}")
        row = await write(self.store, "fetchrow",
                           f"INSERT INTO campaigns (name, settings, slot_type, created_by) "
                           f"VALUES ($1, $2::jsonb, $3, $4::uuid) RETURNING {CAMPAIGN_COLUMNS}",
                           name, jsonb_text(dict(settings)), slot_type.upper() if slot_type else None, created_by,
                           doing="creating a campaign")
        return row_dict(row, "settings")

    async def get(self, campaign_id: str) -> dict[str, Any] | None:
        row = await read(self.store, "fetchrow", f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1",
                          campaign_id)
        return row_dict(row, "settings")

    async def list(self, limit: int = 50, offset: int = 0,
                   status: str | None = None, created_by: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total; `created_by` (a user id) keeps that user's campaigns only."""
        where, args = filters_where({"status": status, "created_by": created_by}, _CAMPAIGN_FILTERS)
        return await page_of(self.store, CAMPAIGN_COLUMNS, "campaigns", where, args, "created_at DESC, id",
                           limit, offset, "settings")

    async def set_status(self, campaign_id: str, status: str,
                         only_from: Sequence[str] | None = None) -> dict[str, Any] | None:
        """Set the status (running stamps `started_at` the first time and clears `stopped_at`; stopped and
        completed stamp `stopped_at`); returns the row. With `only_from`, a compare-and-set: None when the
        current status is not one of them. LookupError when there is no such campaign."""
        if status not in CAMPAIGN_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {CAMPAIGN_STATUSES}")
        row = await write(
            self.store, "fetchrow",
            "UPDATE campaigns SET status = $2, updated_at = now(), "
            "started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END, "
            "stopped_at = CASE WHEN $2 = 'running' THEN NULL WHEN $2 IN ('stopped', 'completed') THEN now() "
            "ELSE stopped_at END "
            f"WHERE id = $1 AND ($3::text[] IS NULL OR status = ANY($3::text[])) RETURNING {CAMPAIGN_COLUMNS}",
            campaign_id, status, None if only_from is None else list(only_from), doing="setting a campaign status")
        if row is None and await self.get(campaign_id) is None:
            raise LookupError(campaign_id)
        return row_dict(row, "settings")

    async def status_counts(self, campaign_id: str) -> dict[str, Any]:
        """leads_total; pending (pending + queued + retry + dialing: not yet final); attempts, answered
        (abandoned calls included), abandoned, abandon_rate (abandoned / answered, 0.0 without answers),
        unknown (attempts), dead_lettered; `statuses`: leads per status (every status, 0 when none)."""
        row = await read(self.store, "fetchrow", _STATUS_COUNTS, campaign_id)
        statuses = dict.fromkeys(LEAD_STATUSES, 0) | orjson.loads(row["statuses"])
        return {
            "leads_total": sum(statuses.values()),
            "pending": sum(statuses[s] for s in ("pending", "queued", "retry", "dialing")),
            "attempts": row["attempts"], "answered": row["answered"], "abandoned": row["abandoned"],
            "abandon_rate": _rate(row["abandoned"], row["answered"]),
            "unknown": row["unknown"], "dead_lettered": row["dead_lettered"], "statuses": statuses,
        }

    async def ledger(self, campaign_id: str, period_days: float = 30,
                     now: float | None = None) -> builtins.list[dict[str, Any]]:
        """The compliance ledger: successive periods of `period_days` from the campaign's first attempt up to
        the one holding `now` (unix seconds; default the database's clock), each {period_start, period_end,
        attempts, answered, abandoned, abandon_rate, unknown}. Empty before the first attempt."""
        if period_days <= 0:
            raise ValueError("INVALID_PARAMS", "period_days must be positive")
        at = now if now is not None else float(await read(self.store, "fetchval",
                                                            "SELECT extract(epoch FROM now())::float8"))
        rows = await read(self.store, "fetch", _LEDGER, campaign_id, float(period_days) * 86400.0, at)
        return [{**dict(r), "abandon_rate": _rate(r["abandoned"], r["answered"])} for r in rows]
