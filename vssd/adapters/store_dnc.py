"""The do-not-call list in PostgreSQL (`StoreDnc`, table `dnc_numbers` of `migrations/0002_dialer.sql`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vssd.adapters.store import Store
from vssd.adapters.store_dialer_sql import DNC_SOURCES, page_of, read, write

_DNC_COLUMNS = "number_e164, source, reason, created_by::text AS created_by, created_at"


class StoreDnc:
    """The do-not-call list, keyed by E.164 number (the caller normalises)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, number_e164: str, source: str = "manual", reason: str = "",
                  created_by: str | None = None) -> dict[str, Any]:
        """Put the number on the list; returns its row (an existing entry is kept as it was)."""
        if source not in DNC_SOURCES:
            raise ValueError("INVALID_PARAMS", f"source must be one of {DNC_SOURCES}")
        await write(self.store, "execute",
                     "INSERT INTO dnc_numbers (number_e164, source, reason, created_by) VALUES ($1, $2, $3, $4::uuid) "
                     "ON CONFLICT (number_e164) DO NOTHING", number_e164, source, reason, created_by,
                     doing="adding a DNC number")
        row = await read(self.store, "fetchrow", f"SELECT {_DNC_COLUMNS} FROM dnc_numbers WHERE number_e164 = $1",
                          number_e164)
        return dict(row)

    async def add_many(self, numbers: Sequence[str], source: str = "import", reason: str = "",
                       created_by: str | None = None) -> int:
        """Bulk import; returns how many were new."""
        if source not in DNC_SOURCES:
            raise ValueError("INVALID_PARAMS", f"source must be one of {DNC_SOURCES}")
        status = await write(self.store, "execute",
                              "INSERT INTO dnc_numbers (number_e164, source, reason, created_by) "
                              "SELECT DISTINCT n, $2, $3, $4::uuid FROM unnest($1::text[]) AS n "
                              "ON CONFLICT (number_e164) DO NOTHING", list(numbers), source, reason, created_by,
                              doing="importing DNC numbers")
        return int(status.split()[-1])

    async def remove(self, number_e164: str) -> bool:
        return await write(self.store, "fetchval", "DELETE FROM dnc_numbers WHERE number_e164 = $1 RETURNING true",
                            number_e164, doing="removing a DNC number") is True

    async def list(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total."""
        return await page_of(self.store, _DNC_COLUMNS, "dnc_numbers", "", [], "created_at DESC, number_e164",
                           limit, offset)

    async def contains(self, number_e164: str) -> bool:
        return await read(self.store, "fetchval", "SELECT true FROM dnc_numbers WHERE number_e164 = $1",
                           number_e164) is True

    async def all_numbers(self) -> set[str]:
        return {r["number_e164"] for r in await read(self.store, "fetch", "SELECT number_e164 FROM dnc_numbers")}
