"""The autodialer's leads and their dial attempts in PostgreSQL (issue 5): `StoreLeads`, which implements
`vssd.actors.dialer_ports.LeadStore` and the dialer's `Campaigns` port (vssd/actors/dialer_ports.py), plus
lead import, listing and the gate's rebuild queries. Tables: `migrations/0002_dialer.sql`.

    leads = StoreLeads(store)
    res = await leads.reserve(lead_id, "c_17", slot_id="44", number="+79991234567", sim_key=iccid)
    await leads.finish_attempt("c_17", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                               lead_status="retry", retry_at=time.time() + 600)

Times at the `LeadStore` interface are unix-second floats; rows for the API carry datetimes. Atomicity, errors
and retries: vssd/adapters/store_dialer_sql.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_campaigns import CAMPAIGN_COLUMNS, StoreCampaigns
from vssd.adapters.store_crm_sync import AFTER_OUTCOMES, after_push
from vssd.adapters.store_dead_letters import StoreDeadLetters
from vssd.adapters.store_dialer_sql import (
    LEAD_FINAL,
    OWNED_BY,
    filters_where,
    in_transaction,
    jsonb_text,
    page_of,
    read,
    row_dict,
    write,
)
from vssd.adapters.store_operators import StoreOperators
from vssd.calls.campaign import AttemptEnd, DeadLetterLike, Reservation, ReserveAsk

__all__ = ["Reservation", "StoreLeads"]

# ---- leads and attempts (LeadStore) --------------------------------------------------------------------------
_RESERVE = """
WITH i AS (
    SELECT DISTINCT ON (lead_id) lead_id, attempt_id, slot_id, number, sim_key
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
        WITH ORDINALITY AS i(lead_id, attempt_id, slot_id, number, sim_key, n)
    ORDER BY lead_id, n
), lead AS (
    SELECT l.id, c.settings::text AS settings, i.attempt_id, i.slot_id, i.number, i.sim_key
    FROM i JOIN autodialer_leads l ON l.id = i.lead_id JOIN campaigns c ON c.id = l.campaign_id
    WHERE l.status = 'queued' AND c.status = 'running'
    ORDER BY l.id
    FOR UPDATE OF l
), upd AS (
    UPDATE autodialer_leads t
    SET status = 'dialing', attempts = t.attempts + 1, last_attempt_id = lead.attempt_id,
        last_call_id = lead.attempt_id, next_attempt_at = NULL, updated_at = now()
    FROM lead WHERE t.id = lead.id
    RETURNING t.id, t.campaign_id, t.phone, t.attempts, lead.settings, lead.attempt_id, lead.slot_id, lead.number,
              lead.sim_key
), parked AS (
    UPDATE autodialer_leads t SET status = 'pending', updated_at = now()
    FROM i, campaigns c
    WHERE t.id = i.lead_id AND t.status = 'queued' AND c.id = t.campaign_id AND c.status <> 'running'
), ins AS (
    INSERT INTO dial_attempts (attempt_id, lead_id, campaign_id, slot_id, number, sim_key, attempt_no)
    SELECT attempt_id, id, campaign_id, slot_id, number, sim_key, attempts FROM upd
    RETURNING attempt_id
)
SELECT upd.id, upd.campaign_id, upd.phone, upd.attempts, upd.settings, upd.attempt_id
FROM upd JOIN ins ON ins.attempt_id = upd.attempt_id
"""

# The attempt becomes final once (a repeated call changes nothing); the lead follows only its latest attempt,
# and only while that attempt is open (dialing) or was written off as unknown before the outcome arrived; a
# CRM lead it dials follows in the same statement (store_crm_sync.py).
_FINISH_ATTEMPTS = """
WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[], $5::text[], $6::float8[],
                         $7::text[], $8::float8[])
        AS i(attempt_id, outcome, answered, abandoned, operator_id, talk_s, lead_status, retry_at)
), a AS (
    UPDATE dial_attempts d
    SET state = 'final', outcome = i.outcome, answered = i.answered, abandoned = i.abandoned,
        operator_id = i.operator_id, talk_s = i.talk_s, ended_at = clock_timestamp()
    FROM i
    WHERE d.attempt_id = i.attempt_id AND d.state <> 'final'
    RETURNING d.attempt_id, d.lead_id, i.outcome, i.lead_status, i.retry_at
), l AS (
    UPDATE autodialer_leads l
    SET status = a.lead_status, next_attempt_at = CASE WHEN a.lead_status = 'retry' THEN to_timestamp(a.retry_at) END,
        last_outcome = a.outcome, final_reason = CASE WHEN a.lead_status = 'retry' THEN NULL ELSE a.outcome END,
        updated_at = now()
    FROM a
    WHERE l.id = a.lead_id AND l.last_attempt_id = a.attempt_id AND l.status IN ('dialing', 'unknown')
    RETURNING l.crm_lead_id, l.campaign_id, a.attempt_id, a.outcome
)""" + AFTER_OUTCOMES

_CLAIM_DUE = """
WITH due AS (
    SELECT l.id
    FROM autodialer_leads l JOIN campaigns c ON c.id = l.campaign_id
    WHERE l.status = 'retry' AND l.next_attempt_at <= to_timestamp($1) AND c.status = 'running'
    ORDER BY l.next_attempt_at
    LIMIT $2
    FOR UPDATE OF l SKIP LOCKED
)
UPDATE autodialer_leads l SET status = 'queued', next_attempt_at = NULL, updated_at = now()
FROM due WHERE l.id = due.id
RETURNING l.id, l.campaign_id
"""

_WITHDRAW = """
WITH a AS (
    UPDATE dial_attempts SET state = 'final', outcome = 'cancelled', ended_at = now()
    WHERE attempt_id = $1 AND state = 'reserved'
    RETURNING attempt_id, lead_id
)
UPDATE autodialer_leads l
SET status = 'queued', attempts = greatest(l.attempts - 1, 0), updated_at = now()
FROM a
WHERE l.id = a.lead_id AND l.last_attempt_id = a.attempt_id AND l.status = 'dialing'
"""
_MARK_UNKNOWN = """
WITH a AS (
    UPDATE dial_attempts SET state = 'unknown', outcome = 'unknown', ended_at = now()
    WHERE attempt_id = ANY($1::text[]) AND state = 'reserved'
    RETURNING attempt_id, lead_id
)
UPDATE autodialer_leads l
SET status = 'unknown', last_outcome = 'unknown', final_reason = 'unknown_attempt', updated_at = now()
FROM a
WHERE l.id = a.lead_id AND l.last_attempt_id = a.attempt_id AND l.status = 'dialing'
"""


class StoreLeads:
    """`LeadStore` over PostgreSQL, plus lead import, listing and the gate's rebuild queries."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- LeadStore --
    async def reserve(self, lead_id: int, attempt_id: str, slot_id: str, number: str,
                      sim_key: str | None) -> Reservation | None:
        """One statement: the lead (FOR UPDATE) queued → dialing, attempts += 1, one `dial_attempts` row
        reserved. None when the lead is not queued or its campaign not running. A concurrent second reserve of
        the same lead waits for the first and then finds it `dialing`: exactly one wins.

        A queued lead of a campaign that is not running (paused, stopped) goes back to `pending` in the same
        statement: its message is dropped, and the campaign's next run publishes it again (`take_pending`)."""
        found = await self.reserve_many([ReserveAsk(lead_id, attempt_id, str(slot_id), number, sim_key)])
        return found.get(attempt_id)

    async def reserve_many(self, asks: Sequence[ReserveAsk]) -> dict[str, Reservation]:
        """`reserve` for many leads in one statement (one commit; leads locked in id order, so two batches never
        deadlock): attempt id → Reservation for each ask that won. A lead asked for twice wins once, with its
        first ask. At hundreds of attempts a second, one commit per reservation queued on the pool for most of
        a second (bench/dialer.py)."""
        if not asks:
            return {}
        columns = [list(c) for c in zip(*((a.lead_id, a.attempt_id, str(a.slot_id), a.number, a.sim_key)
                                           for a in asks), strict=True)]
        rows = await write(self.store, "fetch", _RESERVE, *columns, doing="reserving attempts")
        return {r["attempt_id"]: Reservation(attempt_id=r["attempt_id"], lead_id=r["id"],
                                             campaign_id=r["campaign_id"], phone=r["phone"],
                                             attempt_no=r["attempts"], settings=orjson.loads(r["settings"]))
                for r in rows}

    async def finish_attempt(self, attempt_id: str, outcome: str, *, answered: bool, abandoned: bool,
                             operator_id: str | None, talk_s: float | None,
                             lead_status: str, retry_at: float | None) -> None:
        """One attempt final with its outcome, its lead to `lead_status` (retry at `retry_at`); as
        `finish_attempts` with one."""
        await self.finish_attempts([AttemptEnd(attempt_id, outcome, answered, abandoned, operator_id, talk_s,
                                               lead_status, retry_at)])

    async def finish_attempts(self, ends: Sequence[AttemptEnd]) -> None:
        """One statement for all of `ends` (atomic: all or none): each attempt final with its outcome, its lead
        to `lead_status`. Idempotent: an attempt already final is left as it is, and so is its lead. At a few
        hundred attempts a second one commit per outcome fell behind (bench/dialer.py); one per batch does not."""
        for end in ends:
            _check_end(end)
        if not ends:
            return
        columns = list(zip(*((e.attempt_id, e.outcome, e.answered, e.abandoned, e.operator_id, e.talk_s,
                              e.lead_status, e.retry_at) for e in ends), strict=True))
        await write(self.store, "execute", _FINISH_ATTEMPTS, *map(list, columns), doing="finishing attempts")

    async def defer(self, lead_id: int, until: float, reason: str) -> None:
        """Lead → retry at `until` (the gate said not now). Only a lead waiting for a dial (pending, queued,
        retry) moves: a final one stays final, and a `dialing` one (a duplicate message refused because its own
        call is live) stays with its attempt, whose outcome decides."""
        await write(self.store, "execute",
                     "UPDATE autodialer_leads SET status = 'retry', next_attempt_at = to_timestamp($2), "
                     "defer_reason = $3, updated_at = now() WHERE id = $1 AND status IN ('pending', 'queued', 'retry')",
                     lead_id, until, reason, doing="deferring a lead")

    async def finish_lead(self, lead_id: int, status: str, reason: str) -> None:
        """A final status without an attempt (dnc, failed: invalid number, expired). Only a lead waiting for a
        dial moves (as in `defer`): a final lead keeps its first final status, a dialing one its attempt's."""
        if status not in LEAD_FINAL:
            raise ValueError("INVALID_PARAMS", f"status must be one of {LEAD_FINAL}")
        await write(self.store, "execute",
                     "UPDATE autodialer_leads SET status = $2, final_reason = $3, next_attempt_at = NULL, "
                     "updated_at = now() WHERE id = $1 AND status IN ('pending', 'queued', 'retry')",
                     lead_id, status, reason, doing="finishing a lead")

    async def claim_due(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Due retries of running campaigns → queued (FOR UPDATE SKIP LOCKED: concurrent claimers never get
        the same lead), earliest first."""
        rows = await write(self.store, "fetch", _CLAIM_DUE, now, limit, doing="claiming due retries")
        return [(r["id"], r["campaign_id"]) for r in rows]

    async def next_due(self) -> float | None:
        """The earliest `next_attempt_at` of a lead in retry of a running campaign (what claim_due can take)."""
        value = await read(
            self.store, "fetchval",
            "SELECT extract(epoch FROM min(l.next_attempt_at))::float8 FROM autodialer_leads l "
            "JOIN campaigns c ON c.id = l.campaign_id WHERE l.status = 'retry' AND c.status = 'running'")
        return None if value is None else float(value)

    async def open_attempts(self) -> list[dict[str, Any]]:
        """Attempts still reserved: attempt_id, lead_id, campaign_id, slot_id, number, sim_key, attempt_no,
        reserved_at (unix seconds), oldest first."""
        rows = await read(
            self.store, "fetch",
            "SELECT attempt_id, lead_id, campaign_id, slot_id, number, sim_key, attempt_no, "
            "extract(epoch FROM reserved_at)::float8 AS reserved_at FROM dial_attempts "
            "WHERE state = 'reserved' ORDER BY reserved_at, attempt_id")
        return [dict(r) for r in rows]

    async def withdraw(self, attempt_id: str) -> None:
        """A reservation whose outcome the caller could not learn (the reply was lost) and that was never dialled:
        if it committed, the attempt is closed as `cancelled` and its lead is `queued` again; else nothing."""
        await write(self.store, "execute", _WITHDRAW, attempt_id, doing="withdrawing a reservation")

    async def mark_unknown(self, attempt_ids: Sequence[str]) -> None:
        """Those reserved attempts → unknown, and their leads (still dialing them) → unknown, in one statement."""
        await write(self.store, "execute", _MARK_UNKNOWN, list(attempt_ids), doing="marking attempts unknown")

    # -- leads: import, publishing, admin --
    async def add_leads(self, campaign_id: str, leads: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert leads (status pending) in one transaction with one binary COPY; returns their ids in input
        order. Each lead: `phone` (or `number`), optional `name`, `data` (dict), `tz`, `phone_e164`, and
        `crm_lead_id` (with `crm_actor_id`, who pushed it) for a CRM lead pushed into the campaign.
        LookupError when the campaign does not exist, ValueError for a lead without a phone."""
        records = [_lead_record(campaign_id, lead) for lead in leads]
        if not records:
            return []

        async def insert(conn: asyncpg.Connection) -> list[int]:
            if await conn.fetchval("SELECT true FROM campaigns WHERE id = $1 FOR KEY SHARE", campaign_id) is None:
                raise LookupError(campaign_id)
            ids: list[int] = await conn.fetchval(
                "SELECT array_agg(nextval(pg_get_serial_sequence('autodialer_leads', 'id'))) "
                "FROM generate_series(1, $1)", len(records))
            await conn.copy_records_to_table(
                "autodialer_leads", columns=_LEAD_COPY_COLUMNS,
                records=[(lead_id, *record) for lead_id, record in zip(ids, records, strict=True)])
            await after_push(conn, campaign_id, [(lead["crm_lead_id"], lead.get("crm_actor_id")) for lead in leads
                                                 if lead.get("crm_lead_id")])
            return ids
        return await in_transaction(self.store, insert, "adding leads")

    async def take_pending(self, campaign_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` pending leads of the campaign → queued, lowest id first (FOR UPDATE SKIP LOCKED), as
        lead rows, for the caller to publish. If publishing fails, `return_to_pending` them."""
        rows = await write(self.store, "fetch", _TAKE_PENDING, campaign_id, limit, doing="taking pending leads")
        return sorted((row_dict(r, "data") for r in rows), key=lambda r: r["id"])

    async def return_to_pending(self, lead_ids: Sequence[int]) -> int:
        """Queued leads whose messages were not published → pending again; returns how many."""
        status = await write(self.store, "execute",
                              "UPDATE autodialer_leads SET status = 'pending', updated_at = now() "
                              "WHERE id = ANY($1::bigint[]) AND status = 'queued'", list(lead_ids),
                              doing="returning leads to pending")
        return int(status.split()[-1])

    async def queued_for(self, campaign_id: str, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
        """Queued leads of the campaign with id > after_id, by id: to publish again after a restart (a
        duplicate message is harmless, `reserve` takes a lead once)."""
        rows = await read(self.store, "fetch",
                           f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads WHERE campaign_id = $1 AND status = "
                           "'queued' AND id > $2 ORDER BY id LIMIT $3", campaign_id, after_id, limit)
        return [row_dict(r, "data") for r in rows]

    async def list_leads(self, limit: int = 50, offset: int = 0,
                         filters: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
        """Lead rows by id, and the total; filters `campaign_id`, `status`, `phone` (matches phone or E.164),
        `created_by` (the leads of that user's campaigns)."""
        where, args = filters_where(filters or {}, _LEAD_FILTERS)
        return await page_of(self.store, _LEAD_COLUMNS, "autodialer_leads", where, args, "id", limit, offset, "data")

    async def get_lead(self, lead_id: int) -> dict[str, Any] | None:
        row = await read(self.store, "fetchrow",
                          f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads WHERE id = $1", lead_id)
        return row_dict(row, "data")

    async def attempt_lead(self, attempt_id: str) -> dict[str, Any] | None:
        """The lead and the operator of a stored attempt (by the attempt's id, which is its call's id)."""
        row = await read(self.store, "fetchrow",
                         "SELECT lead_id, operator_id FROM dial_attempts WHERE attempt_id = $1", attempt_id)
        return dict(row) if row is not None else None

    async def requeue_unknown(self, lead_id: int) -> dict[str, Any]:
        """Admin: an `unknown` lead → queued (the caller publishes it). LookupError when there is no such lead,
        ValueError("LEAD_NOT_UNKNOWN") when it is in another status."""
        row = await write(self.store, "fetchrow",
                           "UPDATE autodialer_leads SET status = 'queued', final_reason = NULL, updated_at = now() "
                           f"WHERE id = $1 AND status = 'unknown' RETURNING {_LEAD_COLUMNS}", lead_id,
                           doing="requeueing a lead")
        if row is None:
            current = await self.get_lead(lead_id)
            if current is None:
                raise LookupError(lead_id)
            raise ValueError("LEAD_NOT_UNKNOWN", f"lead {lead_id} is {current['status']}, not unknown")
        return row_dict(row, "data")

    async def cancel_open(self, campaign_id: str) -> int:
        """The campaign's pending/queued/retry leads → cancelled (dialing ones finish their attempt); returns
        how many. Stopping a campaign does not call this: a stopped campaign's leads wait for a resume."""
        status = await write(self.store, "execute",
                              "UPDATE autodialer_leads SET status = 'cancelled', final_reason = 'cancelled', "
                              "next_attempt_at = NULL, updated_at = now() WHERE campaign_id = $1 "
                              "AND status IN ('pending', 'queued', 'retry')", campaign_id,
                              doing="cancelling leads")
        return int(status.split()[-1])

    # -- the gate's rebuild at start --
    async def attempts_since(self, since: float) -> list[dict[str, Any]]:
        """Attempts reserved at or after `since` (unix seconds), oldest first: number, sim_key, slot_id,
        reserved_at (unix seconds), state, outcome, answered, talk_s, ended_at — for per-number/day and SIM usage
        and the slots' failure streaks."""
        rows = await read(
            self.store, "fetch",
            "SELECT number, sim_key, slot_id, extract(epoch FROM reserved_at)::float8 AS reserved_at, state, "
            "outcome, answered, talk_s, extract(epoch FROM ended_at)::float8 AS ended_at "
            "FROM dial_attempts WHERE reserved_at >= to_timestamp($1) "
            "ORDER BY reserved_at, attempt_id", since)
        return [dict(r) for r in rows]

    async def lifetime_attempts(self, numbers: Sequence[str] | None = None) -> dict[str, int]:
        """Attempts ever made per number (only `numbers` when given; numbers never dialled are absent)."""
        rows = await read(
            self.store, "fetch",
            "SELECT number, count(*) AS n FROM dial_attempts WHERE $1::text[] IS NULL OR number = ANY($1::text[]) "
            "GROUP BY number", None if numbers is None else list(numbers))
        return {r["number"]: int(r["n"]) for r in rows}

    # -- what the dialer's `Campaigns` port asks of the same object (vssd/actors/dialer_ports.py) --
    async def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        return await StoreCampaigns(self.store).get(campaign_id)

    async def running_campaigns(self) -> list[dict[str, Any]]:
        rows = await read(self.store, "fetch",
                           f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE status = 'running' ORDER BY created_at")
        return [row_dict(r, "settings") for r in rows]

    async def unqueue(self, lead_ids: Sequence[int]) -> None:
        await self.return_to_pending(lead_ids)

    async def add_dead_letter(self, letter: DeadLetterLike, lead_id: int | None) -> None:
        await StoreDeadLetters(self.store).add(letter.queue, letter.reason, letter.message_id, lead_id, letter.body,
                                               letter.headers)

    async def lead_rows(self, lead_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Lead rows by id (ids that do not exist are absent)."""
        rows = await read(self.store, "fetch", f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads "
                                                "WHERE id = ANY($1::bigint[]) ORDER BY id", list(lead_ids))
        return [row_dict(r, "data") for r in rows]

    async def operator_rows(self) -> list[dict[str, Any]]:
        """Operators who have an extension (the others cannot take a call)."""
        return [row for row in await StoreOperators(self.store).list() if row["extension"] is not None]


_LEAD_COLUMNS = ("id, campaign_id, phone, phone_e164, name, status, attempts, max_attempts, next_attempt_at, "
                 "last_outcome, last_attempt_id, final_reason, defer_reason, tz, payload::text AS data, "
                 "created_at, updated_at")
_LEAD_COPY_COLUMNS = ["id", "campaign_id", "phone", "name", "payload", "tz", "phone_e164", "crm_lead_id"]
_LEAD_FILTERS = {"campaign_id": "campaign_id = {}", "status": "status = {}",
                 "phone": "(phone = {0} OR phone_e164 = {0})", "created_by": OWNED_BY}
_TAKE_PENDING = f"""
WITH p AS (
    SELECT id FROM autodialer_leads WHERE campaign_id = $1 AND status = 'pending'
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE autodialer_leads l SET status = 'queued', updated_at = now() FROM p WHERE l.id = p.id
RETURNING {', '.join('l.' + c.strip() for c in _LEAD_COLUMNS.split(','))}
"""


def _lead_record(campaign_id: str, lead: Mapping[str, Any]) -> tuple[Any, ...]:
    """(campaign_id, phone, name, payload, tz, phone_e164, crm_lead_id) for COPY; ValueError for a lead without
    a phone."""
    phone = lead.get("phone") or lead.get("number")
    if not isinstance(phone, str) or not phone.strip():
        raise ValueError("INVALID_PARAMS", f"a lead needs a phone: {dict(lead)!r}")
    data = lead.get("data") or {}
    if not isinstance(data, Mapping):
        raise ValueError("INVALID_PARAMS", "a lead's data must be an object")
    crm = lead.get("crm_lead_id")
    return (campaign_id, phone.strip(), str(lead.get("name") or ""), jsonb_text(data), lead.get("tz") or None,
            lead.get("phone_e164") or None, uuid.UUID(str(crm)) if crm else None)


def _check_end(end: AttemptEnd) -> None:
    if end.lead_status not in LEAD_FINAL and end.lead_status != "retry":
        raise ValueError("INVALID_PARAMS", f"lead_status must be retry or one of {LEAD_FINAL}")
    if end.lead_status == "retry" and end.retry_at is None:
        raise ValueError("INVALID_PARAMS", "lead_status retry needs retry_at")
    if end.abandoned and not end.answered:
        raise ValueError("INVALID_PARAMS", "an abandoned call was answered: pass answered=True")
