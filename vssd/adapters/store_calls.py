"""Call history queries for the API (`CallHistory` of `vssd/actors/call_control.py`): filtered, paged
`calls` rows with the seeds' status words, one call by `c_<n>` or attempt id, and its legs.

    history = StoreCallHistory(store)
    rows, total = await history.find_calls(50, 0, {"status": "completed", "date_from": "2026-11-22T00:00:00+00:00"})
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

ANSWERED = ("answered", "abandoned")
# The seeds' status words (and the FSM's) → a condition on (status, outcome).
STATUS_WORDS = {
    "completed": "status = 'ENDED' AND outcome IN ('answered', 'abandoned')",
    "failed": "status = 'ENDED' AND outcome NOT IN ('answered', 'abandoned')",
    "ended": "status = 'ENDED'",
    "connected": "status = 'ACTIVE_CALL'", "active": "status = 'ACTIVE_CALL'", "active_call": "status = 'ACTIVE_CALL'",
    "answered": "status = 'ACTIVE_CALL'",
    "initiated": "status = 'CALLING'", "ringing": "status = 'CALLING'", "ring": "status = 'CALLING'",
    "calling": "status = 'CALLING'",
}
FILTERS = {
    "slot_id": ("slot_id = {}", int), "outcome": ("outcome = {}", str), "direction": ("direction = {}", str),
    "number": ("number = {}", str), "user_id": ("user_id = {}", uuid.UUID), "operator_id": ("user_id = {}", uuid.UUID),
    "campaign_id": ("campaign_id = {}", str),
    "date_from": ("originated_at >= {}", datetime.fromisoformat),
    "date_to": ("originated_at < {}", datetime.fromisoformat),
}


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
