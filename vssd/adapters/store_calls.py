"""Call history queries for the API (`CallHistory` of `vssd/actors/call_control.py`): filtered, paged
`calls` rows with the seeds' status words, one call by `c_<n>` or attempt id, its legs, and the Smart Call Center
API's statistics over a time window.

    history = StoreCallHistory(store)
    rows, total = await history.find_calls(50, 0, {"status": "completed", "date_from": "2026-11-22T00:00:00+00:00"})
    stats = await history.call_stats(start, end, group_id=None)   # GET /api/calls/stats
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from vssd.adapters.store_call_stats import StoreCallStats
from vssd.calls.outcomes import ANSWERED_OUTCOMES

_SUCCESS = ", ".join(f"'{o}'" for o in sorted(ANSWERED_OUTCOMES))  # SQL list of our own enum values
# The seeds' status words (and the FSM's) → a condition on (status, outcome).
STATUS_WORDS = {
    "completed": f"status = 'ENDED' AND outcome IN ({_SUCCESS})",
    "failed": f"status = 'ENDED' AND outcome NOT IN ({_SUCCESS})",
    "ended": "status = 'ENDED'",
    "connected": "status = 'ACTIVE_CALL'", "active": "status = 'ACTIVE_CALL'", "active_call": "status = 'ACTIVE_CALL'",
    "answered": "status = 'ACTIVE_CALL'",
    "initiated": "status = 'CALLING'", "ringing": "status = 'CALLING'", "ring": "status = 'CALLING'",
    "calling": "status = 'CALLING'",
}
FILTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "slot_id": ("slot_id = {}", int), "outcome": ("outcome = {}", str), "direction": ("direction = {}", str),
    "number": ("number = {}", str), "user_id": ("user_id = {}", uuid.UUID), "operator_id": ("user_id = {}", uuid.UUID),
    "campaign_id": ("campaign_id = {}", str),
    "date_from": ("originated_at >= {}", datetime.fromisoformat),
    "date_to": ("originated_at < {}", datetime.fromisoformat),
}


BUSIEST = 5


def stats_view(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The Smart Call Center API's shape, from the dashboards' figures (`StoreCallStats.figures`): counts,
    whole-second averages, service level in % (one decimal), peak hour "HH:00"; null where there is nothing to
    average (no answered call, no finished call, no call)."""
    finished = figures["answered"] + figures["missed"]
    peak = max(figures["hours"], key=lambda h: (h["calls"], -h["hour"]), default=None)
    return {
        "total_calls": figures["total"], "answered_calls": figures["answered"], "missed_calls": figures["missed"],
        "average_duration": mean(figures["talk_s"], figures["talk_n"]),
        "average_wait_time": mean(figures["ring_s"], figures["ring_n"]),
        "service_level": round(100.0 * figures["within_sla"] / finished, 1) if finished else None,
        "peak_hour": f"{peak['hour']:02d}:00" if peak is not None else None,
        "busiest_operators": [{"operator_id": o["operator_id"], "operator_name": o["operator_name"],
                               "calls_count": o["calls"]} for o in figures["operators"][:BUSIEST]],
    }


def mean(total: float, count: int) -> int | None:
    """A whole-second average; None when there is nothing to average."""
    return round(total / count) if count else None


class Queryable(Protocol):
    """The store's query helpers (`Store` implements them)."""

    async def _fetch(self, sql: str, *args: Any) -> list[Any]: ...

    async def _fetchval(self, sql: str, *args: Any) -> Any: ...


def where(filters: Mapping[str, str]) -> tuple[str, list[Any]]:
    """A WHERE clause for the known filters (others are ignored). ValueError for a value of the wrong form
    (a slot id that is no integer, an unknown status word, a bad date)."""
    clauses: list[str] = []
    args: list[Any] = []
    for name, raw in filters.items():
        if raw in (None, ""):
            continue
        if name == "status":
            clause = STATUS_WORDS.get(str(raw).casefold())
            if clause is None:
                raise ValueError(f"status must be one of {', '.join(STATUS_WORDS)}")
            clauses.append(f"({clause})")
            continue
        if name not in FILTERS:
            continue
        template, parse = FILTERS[name]
        args.append(parse(raw))
        clauses.append(template.format(f"${len(args)}"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


class StoreCallHistory:
    def __init__(self, store: Queryable) -> None:
        self.store = store

    async def find_calls(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        """Newest first (by originated_at, then id); the total of all matching rows."""
        clause, args = where(filters)
        n = len(args)
        total = int(await self.store._fetchval(f"SELECT count(*) FROM calls{clause}", *args))
        rows = await self.store._fetch(
            f"SELECT * FROM calls{clause} ORDER BY originated_at DESC NULLS LAST, id DESC "
            f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
        return [dict(r) for r in rows], total

    async def find_call(self, call_id: str) -> dict[str, Any] | None:
        rows = await self.store._fetch(
            "SELECT * FROM calls WHERE call_id = $1 OR attempt_id = $1 "
            "ORDER BY (call_id IS NOT DISTINCT FROM $1) DESC LIMIT 1", call_id)
        return dict(rows[0]) if rows else None

    async def legs_of(self, attempt_id: str) -> list[dict[str, Any]]:
        rows = await self.store._fetch("SELECT * FROM call_legs WHERE attempt_id = $1 ORDER BY id", attempt_id)
        return [dict(r) for r in rows]

    async def call_stats(self, start: datetime, end: datetime, group_id: str | None = None) -> dict[str, Any]:
        """The Smart Call Center API's `GET /api/calls/stats` over calls dialled in [start, end) (of the operators
        of `group_id` when given), the same figures as the dashboards'. `ConnectionError` when the store cannot
        answer."""
        return stats_view(await StoreCallStats(self.store).figures(start, end, "UTC", group_id))
