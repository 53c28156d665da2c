"""`vssd.api.ports.AuditLog` on the `security_audit_log` table: entries written in batches (one `executemany`
per batch, `record_many`), read newest first with the trail's filters (each has its index: migrations 1, 13)."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["StoreAuditLog"]

_COLS = ("id, at, user_id::text AS user_id, username, action, resource, object_type, object_id, outcome, "
         "host(ip) AS ip, details::text AS details")
# filter name → (SQL with `{}` for its parameter); `actor` is a user id or a username.
_FILTERS = {"user_id": "user_id = {}::uuid", "username": "username = {}", "action": "action = {}",
            "outcome": "outcome = {}", "object_type": "object_type = {}", "object_id": "object_id = {}",
            "since": "at >= {}", "until": "at < {}"}
_INSERT = ("INSERT INTO security_audit_log (at, user_id, username, action, resource, object_type, object_id, "
           "outcome, ip, details) VALUES (coalesce($1, now()), $2::uuid, $3, $4, $5, $6, $7, $8, $9::inet, $10::jsonb)")


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _ip_or_none(value: Any) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value))) if value else None
    except ValueError:
        return None


def _text(value: Any, max_len: int = 200) -> str | None:
    return str(value)[:max_len] if value not in (None, "") else None


def _row(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    at = entry.get("at")
    details = {**(entry.get("details") or {}), "role": entry.get("role")}
    return (datetime.fromisoformat(at) if isinstance(at, str) else at, _uuid_or_none(entry.get("user_id")),
            _text(entry.get("username")), str(entry.get("action", ""))[:300], _text(entry.get("resource")),
            _text(entry.get("object_type")), _text(entry.get("object_id")), str(entry.get("outcome", "ok")),
            _ip_or_none(entry.get("ip")), orjson.dumps(details, default=str).decode())


def where_of(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The WHERE clause and its arguments for the trail's filters (unknown names are ignored)."""
    clauses: list[str] = []
    args: list[Any] = []
    actor = filters.get("actor")
    if actor:
        args.append(actor)
        clauses.append(f"username = ${len(args)}")
        if _uuid_or_none(actor):
            args.append(actor)
            clauses[-1] = f"({clauses[-1]} OR user_id = ${len(args)}::uuid)"
    for name, sql in _FILTERS.items():
        if filters.get(name) not in (None, ""):
            args.append(filters[name])
            clauses.append(sql.format(f"${len(args)}"))
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args


class StoreAuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, entry: dict[str, Any]) -> None:
        await self.record_many([entry])

    async def record_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """One round trip for a batch (the audit queue's flush)."""
        if not entries:
            return
        try:
            await self.store.pool.executemany(_INSERT, [_row(e) for e in entries])
        except Exception as err:
            raise translate(err, "audit insert") from err

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        where, args = where_of(filters)
        n = len(args)
        try:
            rows = await self.store.pool.fetch(
                f"SELECT {_COLS} FROM security_audit_log {where} ORDER BY at DESC, id DESC "
                f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
            total = await self.store.pool.fetchval(f"SELECT count(*) FROM security_audit_log {where}", *args)
        except Exception as err:
            raise translate(err, "audit query") from err
        return [self._view(r) for r in rows], int(total)

    @staticmethod
    def _view(row: Any) -> dict[str, Any]:
        details = orjson.loads(row["details"])
        return {**dict(row), "details": details, "role": details.get("role"), "at": row["at"].isoformat()}
