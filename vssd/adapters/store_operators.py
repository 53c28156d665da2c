"""Operators and their dispositions in PostgreSQL (`StoreOperators`, tables `operators` and `dispositions` of
`migrations/0002_dialer.sql`); a `dnc` disposition also puts its number on the DNC list."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_crm_sync import after_disposition
from vssd.adapters.store_dialer_sql import (
    OPERATOR_STATUSES,
    filters_where,
    in_transaction,
    jsonb_text,
    read,
    row_dict,
    write,
)

# Attempts name their operator by user id (the API's operator ids are user ids); dispositions by the operators
# row's id. calls_today: the operator's attempts reserved since midnight UTC.
UTC_MIDNIGHT = "(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
_OPERATOR_SELECT = f"""
SELECT o.id::text AS id, o.user_id::text AS user_id, coalesce(nullif(u.name, ''), u.username) AS name,
       u.username, o.extension, o.status, o.group_id, o.skills::text AS skills, o.max_concurrent_calls,
       o.last_activity, o.created_at, o.updated_at,
       (SELECT count(*) FROM dial_attempts a
        WHERE a.operator_id = o.user_id::text AND a.reserved_at >= {UTC_MIDNIGHT}) AS calls_today
FROM operators o JOIN users u ON u.id = o.user_id
"""
# One operator's work over [$2, $3): calls bridged to them, talk time, their dispositions by code.
_OPERATOR_STATS = """
WITH a AS (
    SELECT count(*) AS handled, coalesce(sum(talk_s), 0)::float8 AS talk_s
    FROM dial_attempts WHERE operator_id = $1 AND answered AND NOT abandoned AND reserved_at >= $2 AND reserved_at < $3
), d AS (
    SELECT coalesce(jsonb_object_agg(code, n), '{}'::jsonb)::text AS codes FROM (
        SELECT d.code, count(*) AS n FROM dispositions d JOIN operators o ON d.operator_id = o.id::text
        WHERE o.user_id::text = $1 AND d.created_at >= $2 AND d.created_at < $3 GROUP BY d.code) x
)
SELECT a.handled, a.talk_s, d.codes FROM a, d
"""
_UPSERT_OPERATOR = """
INSERT INTO operators (user_id, extension, group_id, skills, max_concurrent_calls, status)
VALUES ($1::uuid, $2, $3, coalesce($4::jsonb, '[]'::jsonb), coalesce($5, 1), coalesce($6, 'offline'))
ON CONFLICT (user_id) DO UPDATE SET
    extension = coalesce($2, operators.extension), group_id = coalesce($3, operators.group_id),
    skills = coalesce($4::jsonb, operators.skills),
    max_concurrent_calls = coalesce($5, operators.max_concurrent_calls),
    status = coalesce($6, operators.status), updated_at = now()
RETURNING id::text
"""
_DISPOSITION_COLUMNS = "id, attempt_id, lead_id, operator_id, code, notes, created_at"
# The number a `dnc` disposition puts on the list: the attempt's, else the lead's.
_DISPOSITION_NUMBER = """
SELECT coalesce((SELECT number FROM dial_attempts WHERE attempt_id = $1),
                (SELECT coalesce(phone_e164, phone) FROM autodialer_leads WHERE id = $2))
"""


class StoreOperators:
    """Operators (one per user; ids are uuids as text) and their dispositions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def list(self, status: str | None = None, group_id: str | None = None) -> list[dict[str, Any]]:
        """By extension, with the user's name and calls_today."""
        where, args = filters_where({"status": status, "group_id": group_id},
                               {"status": "o.status = {}", "group_id": "o.group_id = {}"})
        rows = await read(self.store, "fetch", f"{_OPERATOR_SELECT}{where} ORDER BY o.extension, o.id", *args)
        return [row_dict(r, "skills") for r in rows]

    async def get(self, operator_id: str) -> dict[str, Any] | None:
        return row_dict(await read(self.store, "fetchrow", f"{_OPERATOR_SELECT} WHERE o.id::text = $1", operator_id),
                    "skills")

    async def by_user(self, user_id: str) -> dict[str, Any] | None:
        return row_dict(await read(self.store, "fetchrow", f"{_OPERATOR_SELECT} WHERE o.user_id::text = $1",
                                str(user_id)), "skills")

    async def upsert(self, user_id: str, extension: str | None = None, *, group_id: str | None = None,
                     skills: Sequence[str] | None = None, max_concurrent_calls: int | None = None,
                     status: str | None = None) -> dict[str, Any]:
        """Create the user's operator or update it (None leaves a field as it is; new ones start offline).
        LookupError for an unknown user, ValueError("CONFLICT") for an extension another operator has."""
        if status is not None and status not in OPERATOR_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {OPERATOR_STATUSES}")
        operator_id = await write(self.store, "fetchval", _UPSERT_OPERATOR, str(user_id), extension, group_id,
                                   None if skills is None else jsonb_text(list(skills)), max_concurrent_calls, status,
                                   doing="saving an operator")
        row = await self.get(operator_id)
        assert row is not None
        return row

    async def set_status(self, operator_id: str, status: str) -> dict[str, Any]:
        """online | busy | offline | wrapup, stamping last_activity; LookupError when there is no such operator."""
        if status not in OPERATOR_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {OPERATOR_STATUSES}")
        changed = await write(self.store, "fetchval",
                               "UPDATE operators SET status = $2, last_activity = now(), updated_at = now() "
                               "WHERE id::text = $1 RETURNING true", operator_id, status,
                               doing="setting an operator status")
        row = await self.get(operator_id) if changed else None
        if row is None:
            raise LookupError(operator_id)
        return row

    async def stats(self, user_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        """The operator's (by user id) calls handled — answered, bridged to them, not abandoned — and talk
        seconds of attempts reserved in [since, until), and their dispositions made then, by code."""
        row = await read(self.store, "fetchrow", _OPERATOR_STATS, str(user_id), since, until)
        return {"calls_handled": int(row["handled"]), "talk_s": float(row["talk_s"]),
                "dispositions": orjson.loads(row["codes"])}

    async def add_disposition(self, attempt_id: str | None, lead_id: int | None, operator_id: str | None,
                              code: str, notes: str = "") -> dict[str, Any]:
        """Record a disposition. Code `dnc` also puts the attempt's (else the lead's) number on the DNC list, in
        the same transaction (ValueError("DNC_NO_NUMBER") when neither is known), and the row carries that
        `number` (so the caller can tell the dial gate). The CRM lead the call dialled, if any, takes the code's
        status in the same transaction (store_crm_sync.py)."""
        async def insert(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                f"INSERT INTO dispositions (attempt_id, lead_id, operator_id, code, notes) "
                f"VALUES ($1, $2, $3, $4, $5) RETURNING {_DISPOSITION_COLUMNS}",
                attempt_id, lead_id, operator_id, code, notes)
            await after_disposition(conn, attempt_id, lead_id, code, operator_id, notes)
            if code == "dnc":
                return {**dict(row), "number": await _dnc_from_disposition(conn, attempt_id, lead_id, operator_id)}
            return dict(row)
        return await in_transaction(self.store, insert, "recording a disposition")

    async def dispositions(self, attempt_id: str | None = None, lead_id: int | None = None,
                           limit: int = 100) -> builtins.list[dict[str, Any]]:
        """Newest first, of one attempt and/or one lead."""
        where, args = filters_where({"attempt_id": attempt_id, "lead_id": lead_id},
                               {"attempt_id": "attempt_id = {}", "lead_id": "lead_id = {}"})
        rows = await read(self.store, "fetch", f"SELECT {_DISPOSITION_COLUMNS} FROM dispositions{where} "
                                                f"ORDER BY created_at DESC, id DESC LIMIT ${len(args) + 1}",
                           *args, limit)
        return [dict(r) for r in rows]


async def _dnc_from_disposition(conn: asyncpg.Connection, attempt_id: str | None, lead_id: int | None,
                                operator_id: str | None) -> str:
    number = await conn.fetchval(_DISPOSITION_NUMBER, attempt_id, lead_id)
    if not number:
        raise ValueError("DNC_NO_NUMBER", "a dnc disposition needs an attempt or a lead with a number")
    await conn.execute(
        "INSERT INTO dnc_numbers (number_e164, source, reason, created_by) "
        "VALUES ($1, 'disposition', $2, (SELECT user_id FROM operators WHERE id::text = $3)) "
        "ON CONFLICT (number_e164) DO NOTHING", number, f"disposition of {attempt_id or f'lead {lead_id}'}",
        operator_id)
    return str(number)
