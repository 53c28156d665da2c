"""`vssd.api.ports.CrmLeads` on `crm_leads` and `crm_lead_history` (migrations 0001 and 0006).

Every change and its history row are one transaction. `owner` (a user id, or None for "anyone's") scopes every
read and write: a lead that is not the owner's is answered as missing, so a seller cannot tell another seller's
lead from no lead. The list's SQL (filters, the page, the capped count): `vssd.adapters.store_crm_list`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_crm_list import LEAD_COLUMNS, list_rows
from vssd.adapters.store_dialer_sql import in_transaction, jsonb_text, read

__all__ = ["StoreCrmLeads"]

_COLS = LEAD_COLUMNS
_WRITABLE = ("client_name", "phone", "email", "status", "assigned_seller", "source")
_HISTORY_COLS = ("id, event, from_status, to_status, call_id, campaign_id, actor_id::text AS actor_id, "
                 "details::text AS details, at")


class StoreCrmLeads:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def list_leads(self, filters: Mapping[str, Any], owner: str | None, limit: int,
                         offset: int) -> tuple[list[dict[str, Any]], int, bool]:
        rows, total, capped = await list_rows(functools.partial(read, self.store, "fetch"),
                                              functools.partial(read, self.store, "fetchval"),
                                              filters, owner, limit, offset)
        return [_view(r) for r in rows], total, capped

    async def get_lead(self, lead_id: str, owner: str | None) -> dict[str, Any] | None:
        key = _uuid(lead_id)
        if key is None:
            return None
        row = await read(self.store, "fetchrow", f"SELECT {_COLS} FROM crm_leads WHERE id = $1::uuid"
                         f"{' AND assigned_seller = $2::uuid' if owner else ''}", key, *([owner] if owner else []))
        return None if row is None else _view(row)

    async def find_user(self, ref: str) -> str | None:
        """A user's id by id or username (the seller a lead is assigned to)."""
        key = _uuid(ref)
        sql = "SELECT id::text FROM users WHERE " + ("id = $1::uuid" if key else "username = $1")
        value = await read(self.store, "fetchval", sql, key or ref)
        return None if value is None else str(value)

    async def create_lead(self, fields: Mapping[str, Any], data: Mapping[str, Any],
                          actor: str | None) -> dict[str, Any]:
        names = [k for k in _WRITABLE if k in fields]

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            values = ", ".join(f"${i}" + ("::uuid" if k == "assigned_seller" else "")
                               for i, k in enumerate(names, 1))
            row = await conn.fetchrow(
                f"INSERT INTO crm_leads ({', '.join(names)}, data, created_by) VALUES ({values}, "
                f"${len(names) + 1}::jsonb, ${len(names) + 2}::uuid) RETURNING {_COLS}",
                *(fields[k] for k in names), jsonb_text(dict(data)), actor)
            await _history(conn, row["id"], "created", None, row["status"], actor, {})
            return _view(row)
        return await in_transaction(self.store, work, "creating a lead")

    async def update_lead(self, lead_id: str, fields: Mapping[str, Any], data: Mapping[str, Any] | None,
                          actor: str | None, owner: str | None) -> dict[str, Any]:
        """Changed fields set, `data` merged (a key set to null is removed); LookupError when missing/not owned."""
        key = _uuid(lead_id)
        if key is None:
            raise LookupError(lead_id)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            old = await conn.fetchrow(f"SELECT {_COLS} FROM crm_leads WHERE id = $1::uuid"
                                      f"{' AND assigned_seller = $2::uuid' if owner else ''} FOR UPDATE",
                                      key, *([owner] if owner else []))
            if old is None:
                raise LookupError(lead_id)
            names = [k for k in _WRITABLE if k in fields]
            sets = [f"{k} = ${i}" + ("::uuid" if k == "assigned_seller" else "") for i, k in enumerate(names, 2)]
            if data is not None:
                sets.append(f"data = jsonb_strip_nulls(data || ${len(names) + 2}::jsonb)")
            row = await conn.fetchrow(
                f"UPDATE crm_leads SET {', '.join([*sets, 'updated_at = now()'])} WHERE id = $1::uuid "
                f"RETURNING {_COLS}", key, *(fields[k] for k in names),
                *([jsonb_text(dict(data))] if data is not None else []))
            changed = sorted(k for k in names if str(old[k]) != str(row[k])) + (["data"] if data else [])
            await _history(conn, key, "updated", old["status"], row["status"], actor, {"changed": changed})
            return _view(row)
        return await in_transaction(self.store, work, "updating a lead")

    async def delete_lead(self, lead_id: str, owner: str | None) -> bool:
        key = _uuid(lead_id)
        if key is None:
            return False
        done = await in_transaction(self.store, lambda conn: conn.execute(
            "DELETE FROM crm_leads WHERE id = $1::uuid" + (" AND assigned_seller = $2::uuid" if owner else ""),
            key, *([owner] if owner else [])), "deleting a lead")
        return str(done).endswith(" 1")

    async def history(self, lead_id: str) -> list[dict[str, Any]]:
        rows = await read(self.store, "fetch", f"SELECT {_HISTORY_COLS} FROM crm_lead_history "
                                               f"WHERE lead_id = $1::uuid ORDER BY at, id", lead_id)
        return [{**dict(r), "details": orjson.loads(r["details"]), "at": r["at"].isoformat()} for r in rows]

    async def notes_for_lead(self, lead_id: str) -> list[dict[str, Any]]:
        rows = await read(self.store, "fetch",
                          "SELECT id, call_id, lead_id::text AS lead_id, text, type, author_id::text AS author_id, "
                          "created_at FROM crm_notes WHERE lead_id = $1::uuid ORDER BY created_at, id", lead_id)
        return [{**dict(r), "created_at": r["created_at"].isoformat(), "timestamp": r["created_at"].isoformat()}
                for r in rows]

    async def leads_by_ids(self, lead_ids: Sequence[str], owner: str | None) -> list[dict[str, Any]]:
        keys = [k for k in (_uuid(i) for i in lead_ids) if k]
        rows = await read(self.store, "fetch", f"SELECT {_COLS} FROM crm_leads WHERE id = ANY($1::uuid[])"
                          f"{' AND assigned_seller = $2::uuid' if owner else ''}", keys, *([owner] if owner else []))
        return [_view(r) for r in rows]


async def _history(conn: asyncpg.Connection, lead_id: Any, event: str, old: str | None, new: str,
                   actor: str | None, details: Mapping[str, Any]) -> None:
    await conn.execute("INSERT INTO crm_lead_history (lead_id, event, from_status, to_status, actor_id, details) "
                       "VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6::jsonb)", str(lead_id), event, old, new, actor,
                       jsonb_text(dict(details)))


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _view(row: Any) -> dict[str, Any]:
    view = dict(row)
    view["data"] = orjson.loads(row["data"])
    view["name"] = row["client_name"]
    for key in ("created_at", "updated_at", "last_call_at"):
        view[key] = row[key].isoformat() if row[key] is not None else None
    return view
