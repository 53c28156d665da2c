"""Stored `system.alert`s on `system_alerts` (migration 0005): one INSERT per alert (they are rare), newest-first
pages, and the one-time acknowledgement (`UPDATE … WHERE acknowledged_at IS NULL`: a second one changes nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["LEVELS", "StoreAlerts"]

LEVELS = ("info", "warning", "critical")
_COLS = "id::text AS id, at, severity, source, message, details::text AS details, acknowledged_at, acknowledged_by"
_INSERT = ("INSERT INTO system_alerts (id, at, severity, source, message, details) "
           "VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (id) DO NOTHING")
_ACK = (f"UPDATE system_alerts SET acknowledged_at = $2, acknowledged_by = $3 "
        f"WHERE id = $1::uuid AND acknowledged_at IS NULL RETURNING {_COLS}")


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class StoreAlerts:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, alert: Mapping[str, Any]) -> None:
        """A `system.alert` payload (id, type, severity, message, timestamp, details). A severity outside
        LEVELS is stored as `warning` (the original kept in details); an id seen before is ignored."""
        alert_id = _uuid(str(alert.get("id", ""))) or str(uuid.uuid4())
        severity = str(alert.get("severity", "warning"))
        details = dict(alert.get("details") or {})
        if severity not in LEVELS:
            details, severity = {**details, "severity": severity}, "warning"
        at = datetime.fromtimestamp(float(alert.get("timestamp") or 0) or datetime.now(UTC).timestamp(), UTC)
        try:
            await self.store.pool.execute(_INSERT, alert_id, at, severity, str(alert.get("type", "")),
                                          str(alert.get("message", "")), orjson.dumps(details, default=str).decode())
        except Exception as err:
            raise translate(err, "alert insert") from err

    async def list_alerts(self, limit: int, offset: int,
                          filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        clauses, args = [], []
        if filters.get("acknowledged") is not None:
            clauses.append("acknowledged_at IS NOT NULL" if filters["acknowledged"] else "acknowledged_at IS NULL")
        if filters.get("level"):
            args.append(str(filters["level"]))
            clauses.append(f"severity = ${len(args)}")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        n = len(args)
        try:
            rows = await self.store.pool.fetch(f"SELECT {_COLS} FROM system_alerts {where} ORDER BY at DESC, id DESC "
                                               f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
            total = await self.store.pool.fetchval(f"SELECT count(*) FROM system_alerts {where}", *args)
        except Exception as err:
            raise translate(err, "alerts query") from err
        return [_view(r) for r in rows], int(total)

    async def get_alert(self, alert_id: str) -> dict[str, Any] | None:
        if (key := _uuid(alert_id)) is None:
            return None
        try:
            row = await self.store.pool.fetchrow(f"SELECT {_COLS} FROM system_alerts WHERE id = $1::uuid", key)
        except Exception as err:
            raise translate(err, "alert query") from err
        return None if row is None else _view(row)

    async def acknowledge(self, alert_id: str, by: str | None, at: datetime) -> tuple[dict[str, Any], bool]:
        """(the alert, True when this call acknowledged it). LookupError for an unknown alert."""
        if (key := _uuid(alert_id)) is None:
            raise LookupError(alert_id)
        try:
            row = await self.store.pool.fetchrow(_ACK, key, at, by)
        except Exception as err:
            raise translate(err, "alert acknowledgement") from err
        if row is not None:
            return _view(row), True
        current = await self.get_alert(key)
        if current is None:
            raise LookupError(alert_id)
        return current, False


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _view(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "at": _iso(row["at"]), "level": row["severity"], "severity": row["severity"],
            "source": row["source"], "type": row["source"], "message": row["message"],
            "details": orjson.loads(row["details"]), "acknowledged": row["acknowledged_at"] is not None,
            "acknowledged_at": _iso(row["acknowledged_at"]), "acknowledged_by": row["acknowledged_by"]}
