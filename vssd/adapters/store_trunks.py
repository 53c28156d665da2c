"""Trunks and slot rows for the admin routes: a `TrunkStore` over the store's asyncpg pool.

Refused writes raise `ValueError(code, message)` (TRUNK_001 name taken, TRUNK_002 type mismatch, SLOT_001
internal SIP number taken, SLOT_002 device already has a slot, SLOT_003 no such trunk); a missing row is
`None` from the getters and `LookupError` from the writers. Trunk views carry the slot counts the seeds show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson

from vssd.adapters.store import SLOT_COLUMNS, Store
from vssd.adapters.store_errors import translate

__all__ = ["TRUNK_COLUMNS", "TrunkStore"]

TRUNK_COLUMNS = frozenset({"name", "type", "capacity", "description", "config"})
_TRUNK_SQL = """
SELECT t.id, t.name, t.type, t.capacity, t.description, t.state, t.config::text AS config,
       t.created_at, t.updated_at,
       (SELECT count(*) FROM slots s WHERE s.trunk_id = t.id) AS slots_count
FROM trunks t
"""
_UNIQUE_CODES = {
    "trunks_name_key": ("TRUNK_001", "a trunk with this name exists"),
    "slots_internal_sip_number_key": ("SLOT_001", "a slot with this internal SIP number exists"),
    "slots_device_sim_key": ("SLOT_002", "this device (and SIM) already has a slot"),
}


def _trunk_view(row: asyncpg.Record) -> dict[str, Any]:
    view = dict(row)
    view["config"] = orjson.loads(view["config"])
    view["type"] = view["type"].lower()  # the seeds write trunk types in lower case
    return view


def _refused(err: Exception) -> Exception:
    if isinstance(err, asyncpg.UniqueViolationError):
        code, message = _UNIQUE_CODES.get(err.constraint_name or "", ("CONFLICT", "duplicate value"))
        return ValueError(code, message)
    if isinstance(err, asyncpg.ForeignKeyViolationError):
        return ValueError("SLOT_003", "no such trunk")
    if isinstance(err, asyncpg.CheckViolationError | asyncpg.DataError):
        return ValueError("INVALID_PARAMS", str(err).splitlines()[0])
    return translate(err, "trunks/slots write")


class TrunkStore:
    def __init__(self, store: Store) -> None:
        self.pool = store.pool

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        try:
            return await self.pool.fetch(sql, *args)
        except Exception as err:
            raise _refused(err) from err

    # ---- trunks ----------------------------------------------------------------------------------------------
    async def list_trunks(self) -> list[dict[str, Any]]:
        return [_trunk_view(r) for r in await self._fetch(_TRUNK_SQL + " ORDER BY t.id")]

    async def get_trunk(self, trunk_id: int) -> dict[str, Any] | None:
        rows = await self._fetch(_TRUNK_SQL + " WHERE t.id = $1", trunk_id)
        return _trunk_view(rows[0]) if rows else None

    async def create_trunk(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        values = _trunk_values(fields)
        cols = list(values)
        params = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        rows = await self._fetch(f"INSERT INTO trunks ({', '.join(cols)}) VALUES ({params}) RETURNING id",
                                 *values.values())
        view = await self.get_trunk(int(rows[0]["id"]))
        assert view is not None
        return view

    async def update_trunk(self, trunk_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        values = _trunk_values(fields)
        if "type" in values:
            await self._same_type(trunk_id, values["type"])
        if values:
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
            rows = await self._fetch(f"UPDATE trunks SET {sets}, updated_at = now() WHERE id = $1 RETURNING id",
                                     trunk_id, *values.values())
            if not rows:
                raise LookupError(trunk_id)
        view = await self.get_trunk(trunk_id)
        if view is None:
            raise LookupError(trunk_id)
        return view

    async def _same_type(self, trunk_id: int, kind: str) -> None:
        """A trunk's type may change only while none of its slots is of another type."""
        rows = await self._fetch("SELECT count(*) AS n FROM slots WHERE trunk_id = $1 AND type <> $2", trunk_id, kind)
        if rows[0]["n"]:
            raise ValueError("TRUNK_002", f"the trunk has slots of another type than {kind}")

    async def delete_trunk(self, trunk_id: int) -> None:
        """Its slots keep existing, unbound (slots.trunk_id is ON DELETE SET NULL)."""
        if not await self._fetch("DELETE FROM trunks WHERE id = $1 RETURNING id", trunk_id):
            raise LookupError(trunk_id)

    # ---- slot rows -------------------------------------------------------------------------------------------
    async def insert_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A new slot row (fails with SLOT_001/SLOT_002 instead of updating an existing one)."""
        values = _slot_values(fields)
        cols = list(values)
        params = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        rows = await self._fetch(f"INSERT INTO slots ({', '.join(cols)}) VALUES ({params}) RETURNING *",
                                 *values.values())
        return dict(rows[0])

    async def patch_slot(self, slot_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        values = _slot_values(fields)
        if not values:
            rows = await self._fetch("SELECT * FROM slots WHERE id = $1", slot_id)
        else:
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
            rows = await self._fetch(f"UPDATE slots SET {sets}, updated_at = now() WHERE id = $1 RETURNING *",
                                     slot_id, *values.values())
        if not rows:
            raise LookupError(slot_id)
        return dict(rows[0])

    async def get_slot_row(self, slot_id: int) -> dict[str, Any] | None:
        rows = await self._fetch("SELECT * FROM slots WHERE id = $1", slot_id)
        return dict(rows[0]) if rows else None

    async def delete_slot(self, slot_id: int) -> bool:
        return bool(await self._fetch("DELETE FROM slots WHERE id = $1 RETURNING id", slot_id))

    async def used_sip_numbers(self) -> set[str]:
        return {r["internal_sip_number"] for r in await self._fetch("SELECT internal_sip_number FROM slots")}


def _trunk_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - TRUNK_COLUMNS
    if unknown:
        raise ValueError("INVALID_PARAMS", f"trunks has no field(s) {sorted(unknown)}")
    values = dict(fields)
    if "type" in values:
        values["type"] = str(values["type"]).upper()
    if "config" in values:
        values["config"] = orjson.dumps(values["config"]).decode()
    return values


def _slot_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - SLOT_COLUMNS
    if unknown:
        raise ValueError("INVALID_PARAMS", f"slots has no field(s) {sorted(unknown)}")
    return dict(fields)
