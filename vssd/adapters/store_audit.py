"""`vssd.api.ports.AuditLog` on the `security_audit_log` table (one INSERT per entry; newest-first reads)."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["StoreAuditLog"]

_COLS = ("id, at, user_id::text AS user_id, username, action, resource, outcome, host(ip) AS ip, "
         "details::text AS details")
_FILTERS = {"user_id": "user_id::text", "username": "username", "action": "action", "outcome": "outcome"}
_INSERT = ("INSERT INTO security_audit_log (at, user_id, username, action, resource, outcome, ip, details) "
           "VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::inet, $8::jsonb)")


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


class StoreAuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, entry: dict[str, Any]) -> None:
        at = entry.get("at")
        details = {**(entry.get("details") or {}), "role": entry.get("role")}
        try:
            await self.store.pool.execute(
                _INSERT, datetime.fromisoformat(at) if isinstance(at, str) else None,
                _uuid_or_none(entry.get("user_id")), entry.get("username"), str(entry.get("action", "")),
                entry.get("resource"), entry.get("outcome", "ok"), _ip_or_none(entry.get("ip")),
                orjson.dumps(details, default=str).decode())
        except Exception as err:
            raise translate(err, "audit insert") from err

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        clauses = [f"{_FILTERS[k]} = ${i}" for i, k in enumerate((k for k in filters if k in _FILTERS), start=1)]
        args = [filters[k] for k in filters if k in _FILTERS]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
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
