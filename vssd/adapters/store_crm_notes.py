"""`vssd.api.ports.CrmNotes` on `crm_notes` (with the owners of calls and leads the API checks against)."""

from __future__ import annotations

import uuid
from typing import Any

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["StoreCrmNotes"]

_COLS = "id, call_id, lead_id::text AS lead_id, text, type, author_id::text AS author_id, created_at"
# The author as a user that still exists: a token outlives its user's deletion, and the note is kept (authorless)
# rather than refused by the foreign key.
_INSERT = (f"INSERT INTO crm_notes (call_id, lead_id, text, type, author_id) "
           f"VALUES ($1, $2::uuid, $3, $4, (SELECT id FROM users WHERE id = $5::uuid)) RETURNING {_COLS}")


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


class StoreCrmNotes:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def owner_of_call(self, call_id: str) -> str | None:
        """The operator bridged to the call (`calls.user_id`); by the API's `c_<n>` or the attempt id."""
        row = await self._row("SELECT user_id::text AS owner FROM calls WHERE call_id = $1 OR attempt_id = $1 "
                              "LIMIT 1", call_id)
        if row is None:
            raise LookupError(call_id)
        return row["owner"]

    async def owner_of_lead(self, lead_id: str) -> str | None:
        key = _uuid(lead_id)
        row = None if key is None else await self._row(
            "SELECT assigned_seller::text AS owner FROM crm_leads WHERE id = $1::uuid", key)
        if row is None:
            raise LookupError(lead_id)
        return row["owner"]

    async def add_note(self, call_id: str | None, lead_id: str | None, text: str, note_type: str,
                       author_id: str | None) -> dict[str, Any]:
        row = await self._row(_INSERT, call_id, _uuid(lead_id), text, note_type, _uuid(author_id))
        assert row is not None
        return _view(row)

    async def notes_for_call(self, call_id: str) -> list[dict[str, Any]]:
        try:
            rows = await self.store.pool.fetch(f"SELECT {_COLS} FROM crm_notes WHERE call_id = $1 "
                                               f"ORDER BY created_at, id", call_id)
        except Exception as err:
            raise translate(err, "crm notes query") from err
        return [_view(r) for r in rows]

    async def _row(self, sql: str, *args: Any) -> Any:
        try:
            return await self.store.pool.fetchrow(sql, *args)
        except Exception as err:
            raise translate(err, "crm notes") from err


def _view(row: Any) -> dict[str, Any]:
    at = row["created_at"].isoformat()
    return {"id": row["id"], "call_id": row["call_id"], "lead_id": row["lead_id"], "text": row["text"],
            "type": row["type"], "author_id": row["author_id"], "created_at": at, "timestamp": at}
