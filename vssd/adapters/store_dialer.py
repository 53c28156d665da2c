"""The autodialer's record in PostgreSQL (issue 5): leads and their dial attempts (`StoreLeads`, which
implements `vssd.actors.dialer_ports.LeadStore`), campaigns, the DNC list, dead letters, operators and
dispositions. Tables: `migrations/0002_dialer.sql`.

    leads = StoreLeads(store)
    res = await leads.reserve(lead_id, "c_17", slot_id="44", number="+79991234567", sim_key=iccid)
    await leads.finish_attempt("c_17", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                               lead_status="retry", retry_at=time.time() + 600)

Times at the `LeadStore` interface are unix-second floats; rows for the API carry datetimes. Every write that
the Protocol calls "one transaction" is one SQL statement (data-modifying CTEs) or an explicit transaction, so
a crash leaves either all of it or none. Refused writes raise `ValueError(code, message)`, a missing row
`LookupError`; database failures are the store's typed errors (`StoreNotReady` …), raised `from` the cause.
Reads are retried once on a dropped pooled connection; writes are not (the caller owns the retry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate
from vssd.calls.campaign import AttemptEnd, Reservation, ReserveAsk

__all__ = ["LEAD_FINAL", "LEAD_STATUSES", "Reservation", "StoreCampaigns", "StoreDeadLetters", "StoreDnc", "StoreLeads",
           "StoreOperators"]

T = TypeVar("T")

# Mirrors vssd.actors.dialer_ports (adapters may not import actors) and the CHECK constraints of 0002.
LEAD_FINAL = ("done", "failed", "dnc", "expired", "unknown", "cancelled")
LEAD_STATUSES = ("pending", "queued", "dialing", "retry", *LEAD_FINAL)
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped", "completed")
SLOT_TYPES = ("AUTO", "MF", "LS")
OPERATOR_STATUSES = ("online", "busy", "offline", "wrapup")
DNC_SOURCES = ("manual", "disposition", "import")



# ---- plumbing ------------------------------------------------------------------------------------------------
def _refused(err: Exception, doing: str) -> Exception:
    """Constraint violations → ValueError(code, message); everything else → the store's typed errors."""
    if isinstance(err, asyncpg.UniqueViolationError):
        return ValueError("CONFLICT", f"{doing}: duplicate {err.constraint_name or 'value'}")
    if isinstance(err, asyncpg.ForeignKeyViolationError):
        return LookupError(f"{doing}: {err.detail or err}")
    if isinstance(err, asyncpg.CheckViolationError | asyncpg.DataError | asyncpg.NotNullViolationError):
        return ValueError("INVALID_PARAMS", f"{doing}: {str(err).splitlines()[0]}")
    return translate(err, doing)


async def _read(store: Store, method: str, sql: str, *args: Any) -> Any:
    """One read, retried once on a transient error (`Store.run`)."""
    return await store.run(method, sql, *args)


async def _write(store: Store, method: str, sql: str, *args: Any, doing: str = "dialer write") -> Any:
    """One statement (atomic on its own); not retried."""
    try:
        return await getattr(store.pool, method)(sql, *args)
    except Exception as err:
        raise _refused(err, doing) from err


async def _transaction(store: Store, work: Callable[[asyncpg.Connection], Awaitable[T]], doing: str) -> T:
    """`work` inside one transaction on one pooled connection; LookupError/ValueError from `work` roll back."""
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            return await work(conn)
    except (LookupError, ValueError):
        raise
    except Exception as err:
        raise _refused(err, doing) from err


def _check_end(end: AttemptEnd) -> None:
    if end.lead_status not in LEAD_FINAL and end.lead_status != "retry":
        raise ValueError("INVALID_PARAMS", f"lead_status must be retry or one of {LEAD_FINAL}")
    if end.lead_status == "retry" and end.retry_at is None:
        raise ValueError("INVALID_PARAMS", "lead_status retry needs retry_at")
    if end.abandoned and not end.answered:
        raise ValueError("INVALID_PARAMS", "an abandoned call was answered: pass answered=True")


def _json(value: Any) -> str:
    """jsonb text; NUL, which jsonb refuses, becomes U+FFFD (AMQP headers and bodies may carry anything)."""
    text = orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS).decode()
    if "\\u0000" in text:  # rare: clean the values, not the JSON text (an escaped backslash may precede)
        text = orjson.dumps(_no_nul(value), default=_plain, option=orjson.OPT_NON_STR_KEYS).decode()
    return text


def _no_nul(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, Mapping):
        return {_no_nul(k) if isinstance(k, str | bytes) else k: _no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul(v) for v in value]
    return value


def _plain(value: Any) -> str:
    """What orjson cannot encode (AMQP headers' bytes, decimals …) as text."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _row(record: asyncpg.Record | None, *json_columns: str) -> dict[str, Any] | None:
    if record is None:
        return None
    row = dict(record)
    for name in json_columns:
        if isinstance(row.get(name), str):
            row[name] = orjson.loads(row[name])
    return row


def _filters(filters: Mapping[str, Any], known: Mapping[str, str]) -> tuple[str, list[Any]]:
    """A WHERE clause from the filters in `known` (name → template with `{}` for the parameter); None and ''
    are skipped, unknown names raise ValueError."""
    unknown = set(filters) - set(known)
    if unknown:
        raise ValueError("INVALID_PARAMS", f"unknown filter(s) {sorted(unknown)}; known: {sorted(known)}")
    clauses: list[str] = []
    args: list[Any] = []
    for name, value in filters.items():
        if value is None or value == "":
            continue
        args.append(value)
        clauses.append(known[name].format(f"${len(args)}"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


async def _page(store: Store, select: str, table: str, where: str, args: list[Any], order: str,
                limit: int, offset: int, *json_columns: str) -> tuple[list[dict[str, Any]], int]:
    """Rows of one page and the total of all matching rows."""
    n = len(args)
    total = int(await _read(store, "fetchval", f"SELECT count(*) FROM {table}{where}", *args))
    rows = await _read(store, "fetch", f"SELECT {select} FROM {table}{where} ORDER BY {order} "
                                       f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
    return [_row(r, *json_columns) for r in rows], total  # type: ignore[misc]


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
# and only while that attempt is open (dialing) or was written off as unknown before the outcome arrived.
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
)
UPDATE autodialer_leads l
SET status = a.lead_status, next_attempt_at = CASE WHEN a.lead_status = 'retry' THEN to_timestamp(a.retry_at) END,
    last_outcome = a.outcome, final_reason = CASE WHEN a.lead_status = 'retry' THEN NULL ELSE a.outcome END,
    updated_at = now()
FROM a
WHERE l.id = a.lead_id AND l.last_attempt_id = a.attempt_id AND l.status IN ('dialing', 'unknown')
"""

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
        rows = await _write(self.store, "fetch", _RESERVE, *columns, doing="reserving attempts")
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
        await _write(self.store, "execute", _FINISH_ATTEMPTS, *map(list, columns), doing="finishing attempts")

    async def defer(self, lead_id: int, until: float, reason: str) -> None:
        """Lead → retry at `until` (the gate said not now). Only a lead waiting for a dial (pending, queued,
        retry) moves: a final one stays final, and a `dialing` one (a duplicate message refused because its own
        call is live) stays with its attempt, whose outcome decides."""
        await _write(self.store, "execute",
                     "UPDATE autodialer_leads SET status = 'retry', next_attempt_at = to_timestamp($2), "
                     "defer_reason = $3, updated_at = now() WHERE id = $1 AND status IN ('pending', 'queued', 'retry')",
                     lead_id, until, reason, doing="deferring a lead")

    async def finish_lead(self, lead_id: int, status: str, reason: str) -> None:
        """A final status without an attempt (dnc, failed: invalid number, expired). Only a lead waiting for a
        dial moves (as in `defer`): a final lead keeps its first final status, a dialing one its attempt's."""
        if status not in LEAD_FINAL:
            raise ValueError("INVALID_PARAMS", f"status must be one of {LEAD_FINAL}")
        await _write(self.store, "execute",
                     "UPDATE autodialer_leads SET status = $2, final_reason = $3, next_attempt_at = NULL, "
                     "updated_at = now() WHERE id = $1 AND status IN ('pending', 'queued', 'retry')",
                     lead_id, status, reason, doing="finishing a lead")

    async def claim_due(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Due retries of running campaigns → queued (FOR UPDATE SKIP LOCKED: concurrent claimers never get
        the same lead), earliest first."""
        rows = await _write(self.store, "fetch", _CLAIM_DUE, now, limit, doing="claiming due retries")
        return [(r["id"], r["campaign_id"]) for r in rows]

    async def next_due(self) -> float | None:
        """The earliest `next_attempt_at` of a lead in retry of a running campaign (what claim_due can take)."""
        value = await _read(
            self.store, "fetchval",
            "SELECT extract(epoch FROM min(l.next_attempt_at))::float8 FROM autodialer_leads l "
            "JOIN campaigns c ON c.id = l.campaign_id WHERE l.status = 'retry' AND c.status = 'running'")
        return None if value is None else float(value)

    async def open_attempts(self) -> list[dict[str, Any]]:
        """Attempts still reserved: attempt_id, lead_id, campaign_id, slot_id, number, sim_key, attempt_no,
        reserved_at (unix seconds), oldest first."""
        rows = await _read(
            self.store, "fetch",
            "SELECT attempt_id, lead_id, campaign_id, slot_id, number, sim_key, attempt_no, "
            "extract(epoch FROM reserved_at)::float8 AS reserved_at FROM dial_attempts "
            "WHERE state = 'reserved' ORDER BY reserved_at, attempt_id")
        return [dict(r) for r in rows]

    async def withdraw(self, attempt_id: str) -> None:
        """A reservation whose outcome the caller could not learn (the reply was lost) and that was never dialled:
        if it committed, the attempt is closed as `cancelled` and its lead is `queued` again; else nothing."""
        await _write(self.store, "execute", _WITHDRAW, attempt_id, doing="withdrawing a reservation")

    async def mark_unknown(self, attempt_ids: Sequence[str]) -> None:
        """Those reserved attempts → unknown, and their leads (still dialing them) → unknown, in one statement."""
        await _write(self.store, "execute", _MARK_UNKNOWN, list(attempt_ids), doing="marking attempts unknown")

    # -- leads: import, publishing, admin --
    async def add_leads(self, campaign_id: str, leads: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert leads (status pending) in one transaction with one binary COPY; returns their ids in input
        order. Each lead: `phone` (or `number`), optional `name`, `data` (dict), `tz`, `phone_e164`.
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
            return ids
        return await _transaction(self.store, insert, "adding leads")

    async def take_pending(self, campaign_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` pending leads of the campaign → queued, lowest id first (FOR UPDATE SKIP LOCKED), as
        lead rows, for the caller to publish. If publishing fails, `return_to_pending` them."""
        rows = await _write(self.store, "fetch", _TAKE_PENDING, campaign_id, limit, doing="taking pending leads")
        return sorted((_row(r, "data") for r in rows), key=lambda r: r["id"])  # type: ignore[index]

    async def return_to_pending(self, lead_ids: Sequence[int]) -> int:
        """Queued leads whose messages were not published → pending again; returns how many."""
        status = await _write(self.store, "execute",
                              "UPDATE autodialer_leads SET status = 'pending', updated_at = now() "
                              "WHERE id = ANY($1::bigint[]) AND status = 'queued'", list(lead_ids),
                              doing="returning leads to pending")
        return int(status.split()[-1])

    async def queued_for(self, campaign_id: str, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
        """Queued leads of the campaign with id > after_id, by id: to publish again after a restart (a
        duplicate message is harmless, `reserve` takes a lead once)."""
        rows = await _read(self.store, "fetch",
                           f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads WHERE campaign_id = $1 AND status = "
                           "'queued' AND id > $2 ORDER BY id LIMIT $3", campaign_id, after_id, limit)
        return [_row(r, "data") for r in rows]  # type: ignore[misc]

    async def list_leads(self, limit: int = 50, offset: int = 0,
                         filters: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
        """Lead rows by id, and the total; filters `campaign_id`, `status`, `phone` (matches phone or E.164)."""
        where, args = _filters(filters or {}, _LEAD_FILTERS)
        return await _page(self.store, _LEAD_COLUMNS, "autodialer_leads", where, args, "id", limit, offset, "data")

    async def get_lead(self, lead_id: int) -> dict[str, Any] | None:
        row = await _read(self.store, "fetchrow",
                          f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads WHERE id = $1", lead_id)
        return _row(row, "data")

    async def requeue_unknown(self, lead_id: int) -> dict[str, Any]:
        """Admin: an `unknown` lead → queued (the caller publishes it). LookupError when there is no such lead,
        ValueError("LEAD_NOT_UNKNOWN") when it is in another status."""
        row = await _write(self.store, "fetchrow",
                           "UPDATE autodialer_leads SET status = 'queued', final_reason = NULL, updated_at = now() "
                           f"WHERE id = $1 AND status = 'unknown' RETURNING {_LEAD_COLUMNS}", lead_id,
                           doing="requeueing a lead")
        if row is None:
            current = await self.get_lead(lead_id)
            if current is None:
                raise LookupError(lead_id)
            raise ValueError("LEAD_NOT_UNKNOWN", f"lead {lead_id} is {current['status']}, not unknown")
        return _row(row, "data")  # type: ignore[return-value]

    async def cancel_open(self, campaign_id: str) -> int:
        """The campaign's pending/queued/retry leads → cancelled (dialing ones finish their attempt); returns
        how many. Stopping a campaign does not call this: a stopped campaign's leads wait for a resume."""
        status = await _write(self.store, "execute",
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
        rows = await _read(
            self.store, "fetch",
            "SELECT number, sim_key, slot_id, extract(epoch FROM reserved_at)::float8 AS reserved_at, state, "
            "outcome, answered, talk_s, extract(epoch FROM ended_at)::float8 AS ended_at "
            "FROM dial_attempts WHERE reserved_at >= to_timestamp($1) "
            "ORDER BY reserved_at, attempt_id", since)
        return [dict(r) for r in rows]

    async def lifetime_attempts(self, numbers: Sequence[str] | None = None) -> dict[str, int]:
        """Attempts ever made per number (only `numbers` when given; numbers never dialled are absent)."""
        rows = await _read(
            self.store, "fetch",
            "SELECT number, count(*) AS n FROM dial_attempts WHERE $1::text[] IS NULL OR number = ANY($1::text[]) "
            "GROUP BY number", None if numbers is None else list(numbers))
        return {r["number"]: int(r["n"]) for r in rows}


    # -- what the dialer's `Campaigns` port asks of the same object (vssd/actors/dialer.py) --
    async def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        return await StoreCampaigns(self.store).get(campaign_id)

    async def running_campaigns(self) -> list[dict[str, Any]]:
        rows = await _read(self.store, "fetch",
                           f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE status = 'running' ORDER BY created_at")
        return [_row(r, "settings") for r in rows]  # type: ignore[misc]

    async def unqueue(self, lead_ids: Sequence[int]) -> None:
        await self.return_to_pending(lead_ids)

    async def add_dead_letter(self, letter: DeadLetterLike, lead_id: int | None) -> None:
        await StoreDeadLetters(self.store).add(letter.queue, letter.reason, letter.message_id, lead_id, letter.body,
                                               letter.headers)

    async def lead_rows(self, lead_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Lead rows by id (ids that do not exist are absent)."""
        rows = await _read(self.store, "fetch", f"SELECT {_LEAD_COLUMNS} FROM autodialer_leads "
                                                "WHERE id = ANY($1::bigint[]) ORDER BY id", list(lead_ids))
        return [_row(r, "data") for r in rows]  # type: ignore[misc]

    async def operator_rows(self) -> list[dict[str, Any]]:
        """Operators who have an extension (the others cannot take a call)."""
        return [row for row in await StoreOperators(self.store).list() if row["extension"] is not None]


class DeadLetterLike(Protocol):
    """The fields of `vssd.actors.dialer_ports.DeadLetter` that are stored."""

    reason: str
    queue: str
    body: bytes
    message_id: str | None
    headers: dict[str, Any]


_LEAD_COLUMNS = ("id, campaign_id, phone, phone_e164, name, status, attempts, max_attempts, next_attempt_at, "
                 "last_outcome, last_attempt_id, final_reason, defer_reason, tz, payload::text AS data, "
                 "created_at, updated_at")
_LEAD_COPY_COLUMNS = ["id", "campaign_id", "phone", "name", "payload", "tz", "phone_e164"]
_LEAD_FILTERS = {"campaign_id": "campaign_id = {}", "status": "status = {}",
                 "phone": "(phone = {0} OR phone_e164 = {0})"}
_TAKE_PENDING = f"""
WITH p AS (
    SELECT id FROM autodialer_leads WHERE campaign_id = $1 AND status = 'pending'
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE autodialer_leads l SET status = 'queued', updated_at = now() FROM p WHERE l.id = p.id
RETURNING {', '.join('l.' + c.strip() for c in _LEAD_COLUMNS.split(','))}
"""


def _lead_record(campaign_id: str, lead: Mapping[str, Any]) -> tuple[Any, ...]:
    """(campaign_id, phone, name, payload, tz, phone_e164) for COPY; ValueError for a lead without a phone."""
    phone = lead.get("phone") or lead.get("number")
    if not isinstance(phone, str) or not phone.strip():
        raise ValueError("INVALID_PARAMS", f"a lead needs a phone: {dict(lead)!r}")
    data = lead.get("data") or {}
    if not isinstance(data, Mapping):
        raise ValueError("INVALID_PARAMS", "a lead's data must be an object")
    return (campaign_id, phone.strip(), str(lead.get("name") or ""), _json(data), lead.get("tz") or None,
            lead.get("phone_e164") or None)


# ---- campaigns ------------------------------------------------------------------------------------------------
_CAMPAIGN_COLUMNS = ("id, name, status, slot_type, settings::text AS settings, created_by::text AS created_by, "
                     "created_at, started_at, stopped_at, updated_at")
_STATUS_COUNTS = """
SELECT (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)::text
        FROM (SELECT status, count(*) AS n FROM autodialer_leads WHERE campaign_id = $1 GROUP BY status) s
       ) AS statuses,
       a.attempts, a.answered, a.abandoned, a.unknown,
       (SELECT count(*) FROM dead_letters WHERE campaign_id = $1) AS dead_lettered
FROM (SELECT count(*) AS attempts, count(*) FILTER (WHERE answered) AS answered,
             count(*) FILTER (WHERE abandoned) AS abandoned, count(*) FILTER (WHERE state = 'unknown') AS unknown
      FROM dial_attempts WHERE campaign_id = $1) a
"""
# Successive periods of `$2` seconds from the campaign's first attempt up to the one holding `$3` (unix seconds).
_LEDGER = """
WITH first AS (SELECT min(reserved_at) AS t0 FROM dial_attempts WHERE campaign_id = $1),
periods AS (
    SELECT g, t0 + g * make_interval(secs => $2) AS ps, t0 + (g + 1) * make_interval(secs => $2) AS pe
    FROM first, generate_series(0, greatest(0, floor(extract(epoch FROM to_timestamp($3) - t0) / $2))::int) AS g
    WHERE t0 IS NOT NULL
)
SELECT p.ps AS period_start, p.pe AS period_end, count(a.attempt_id) AS attempts,
       count(*) FILTER (WHERE a.answered) AS answered, count(*) FILTER (WHERE a.abandoned) AS abandoned,
       count(*) FILTER (WHERE a.state = 'unknown') AS unknown
FROM periods p
LEFT JOIN dial_attempts a ON a.campaign_id = $1 AND a.reserved_at >= p.ps AND a.reserved_at < p.pe
GROUP BY p.g, p.ps, p.pe ORDER BY p.g
"""


def _rate(abandoned: int, answered: int) -> float:
    return abandoned / answered if answered else 0.0


class StoreCampaigns:
    """Campaign rows (settings as a dict), their status counts and the compliance ledger."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, name: str, settings: Mapping[str, Any], slot_type: str | None = None,
                     created_by: str | None = None) -> dict[str, Any]:
        """A draft campaign; returns its row."""
        if slot_type is not None and slot_type.upper() not in SLOT_TYPES:
            raise ValueError("INVALID_PARAMS", f"slot_type must be one of {SLOT_TYPES}")
        row = await _write(self.store, "fetchrow",
                           f"INSERT INTO campaigns (name, settings, slot_type, created_by) "
                           f"VALUES ($1, $2::jsonb, $3, $4::uuid) RETURNING {_CAMPAIGN_COLUMNS}",
                           name, _json(dict(settings)), slot_type.upper() if slot_type else None, created_by,
                           doing="creating a campaign")
        return _row(row, "settings")  # type: ignore[return-value]

    async def get(self, campaign_id: str) -> dict[str, Any] | None:
        row = await _read(self.store, "fetchrow", f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1",
                          campaign_id)
        return _row(row, "settings")

    async def list(self, limit: int = 50, offset: int = 0,
                   status: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total."""
        where, args = _filters({"status": status}, {"status": "status = {}"})
        return await _page(self.store, _CAMPAIGN_COLUMNS, "campaigns", where, args, "created_at DESC, id",
                           limit, offset, "settings")

    async def set_status(self, campaign_id: str, status: str,
                         only_from: Sequence[str] | None = None) -> dict[str, Any] | None:
        """Set the status (running stamps `started_at` the first time and clears `stopped_at`; stopped and
        completed stamp `stopped_at`); returns the row. With `only_from`, a compare-and-set: None when the
        current status is not one of them. LookupError when there is no such campaign."""
        if status not in CAMPAIGN_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {CAMPAIGN_STATUSES}")
        row = await _write(
            self.store, "fetchrow",
            "UPDATE campaigns SET status = $2, updated_at = now(), "
            "started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END, "
            "stopped_at = CASE WHEN $2 = 'running' THEN NULL WHEN $2 IN ('stopped', 'completed') THEN now() "
            "ELSE stopped_at END "
            f"WHERE id = $1 AND ($3::text[] IS NULL OR status = ANY($3::text[])) RETURNING {_CAMPAIGN_COLUMNS}",
            campaign_id, status, None if only_from is None else list(only_from), doing="setting a campaign status")
        if row is None and await self.get(campaign_id) is None:
            raise LookupError(campaign_id)
        return _row(row, "settings")

    async def status_counts(self, campaign_id: str) -> dict[str, Any]:
        """leads_total; pending (pending + queued + retry + dialing: not yet final); attempts, answered
        (abandoned calls included), abandoned, abandon_rate (abandoned / answered, 0.0 without answers),
        unknown (attempts), dead_lettered; `statuses`: leads per status (every status, 0 when none)."""
        row = await _read(self.store, "fetchrow", _STATUS_COUNTS, campaign_id)
        statuses = dict.fromkeys(LEAD_STATUSES, 0) | orjson.loads(row["statuses"])
        return {
            "leads_total": sum(statuses.values()),
            "pending": sum(statuses[s] for s in ("pending", "queued", "retry", "dialing")),
            "attempts": row["attempts"], "answered": row["answered"], "abandoned": row["abandoned"],
            "abandon_rate": _rate(row["abandoned"], row["answered"]),
            "unknown": row["unknown"], "dead_lettered": row["dead_lettered"], "statuses": statuses,
        }

    async def ledger(self, campaign_id: str, period_days: float = 30,
                     now: float | None = None) -> list[dict[str, Any]]:
        """The compliance ledger: successive periods of `period_days` from the campaign's first attempt up to
        the one holding `now` (unix seconds; default the database's clock), each {period_start, period_end,
        attempts, answered, abandoned, abandon_rate, unknown}. Empty before the first attempt."""
        if period_days <= 0:
            raise ValueError("INVALID_PARAMS", "period_days must be positive")
        at = now if now is not None else float(await _read(self.store, "fetchval",
                                                            "SELECT extract(epoch FROM now())::float8"))
        rows = await _read(self.store, "fetch", _LEDGER, campaign_id, float(period_days) * 86400.0, at)
        return [{**dict(r), "abandon_rate": _rate(r["abandoned"], r["answered"])} for r in rows]


# ---- DNC ------------------------------------------------------------------------------------------------------
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
        await _write(self.store, "execute",
                     "INSERT INTO dnc_numbers (number_e164, source, reason, created_by) VALUES ($1, $2, $3, $4::uuid) "
                     "ON CONFLICT (number_e164) DO NOTHING", number_e164, source, reason, created_by,
                     doing="adding a DNC number")
        row = await _read(self.store, "fetchrow", f"SELECT {_DNC_COLUMNS} FROM dnc_numbers WHERE number_e164 = $1",
                          number_e164)
        return dict(row)

    async def add_many(self, numbers: Sequence[str], source: str = "import", reason: str = "",
                       created_by: str | None = None) -> int:
        """Bulk import; returns how many were new."""
        if source not in DNC_SOURCES:
            raise ValueError("INVALID_PARAMS", f"source must be one of {DNC_SOURCES}")
        status = await _write(self.store, "execute",
                              "INSERT INTO dnc_numbers (number_e164, source, reason, created_by) "
                              "SELECT DISTINCT n, $2, $3, $4::uuid FROM unnest($1::text[]) AS n "
                              "ON CONFLICT (number_e164) DO NOTHING", list(numbers), source, reason, created_by,
                              doing="importing DNC numbers")
        return int(status.split()[-1])

    async def remove(self, number_e164: str) -> bool:
        return await _write(self.store, "fetchval", "DELETE FROM dnc_numbers WHERE number_e164 = $1 RETURNING true",
                            number_e164, doing="removing a DNC number") is True

    async def list(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total."""
        return await _page(self.store, _DNC_COLUMNS, "dnc_numbers", "", [], "created_at DESC, number_e164",
                           limit, offset)

    async def contains(self, number_e164: str) -> bool:
        return await _read(self.store, "fetchval", "SELECT true FROM dnc_numbers WHERE number_e164 = $1",
                           number_e164) is True

    async def all_numbers(self) -> set[str]:
        return {r["number_e164"] for r in await _read(self.store, "fetch", "SELECT number_e164 FROM dnc_numbers")}


# ---- dead letters ---------------------------------------------------------------------------------------------
_DEAD_COLUMNS = "id, queue, reason, message_id, lead_id, campaign_id, body, headers::text AS headers, created_at"
_ADD_DEAD = """
INSERT INTO dead_letters (queue, reason, message_id, lead_id, campaign_id, body, headers)
SELECT $1, $2, $3, $4, (SELECT campaign_id FROM autodialer_leads WHERE id = $4), $5, $6::jsonb
ON CONFLICT (message_id, reason) WHERE message_id IS NOT NULL DO NOTHING
RETURNING id
"""


class StoreDeadLetters:
    """Messages that reached the dead-letter queue, kept with their reason for the API."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, queue: str, reason: str, message_id: str | None, lead_id: int | None,
                  body: bytes | str, headers: Mapping[str, Any] | None = None) -> int | None:
        """Store one dead letter; returns its id, or None when this message id already reached the DLQ with
        this reason (a redelivery). Reason `expired` also makes its lead, if still queued, `expired` in the
        same transaction."""
        text = _no_nul(body)  # PostgreSQL text cannot hold NUL; a poison body may

        async def insert(conn: asyncpg.Connection) -> int | None:
            dead_id = await conn.fetchval(_ADD_DEAD, queue, reason, message_id, lead_id, text,
                                          _json(dict(headers or {})))
            if dead_id is not None and reason == "expired" and lead_id is not None:
                await conn.execute(
                    "UPDATE autodialer_leads SET status = 'expired', final_reason = 'expired', updated_at = now() "
                    "WHERE id = $1 AND status = 'queued'", lead_id)
            return dead_id
        return await _transaction(self.store, insert, "storing a dead letter")

    async def list(self, limit: int = 50, offset: int = 0, reason: str | None = None,
                   campaign_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total."""
        where, args = _filters({"reason": reason, "campaign_id": campaign_id},
                               {"reason": "reason = {}", "campaign_id": "campaign_id = {}"})
        return await _page(self.store, _DEAD_COLUMNS, "dead_letters", where, args, "created_at DESC, id DESC",
                           limit, offset, "headers")


# ---- operators and dispositions -------------------------------------------------------------------------------
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
        where, args = _filters({"status": status, "group_id": group_id},
                               {"status": "o.status = {}", "group_id": "o.group_id = {}"})
        rows = await _read(self.store, "fetch", f"{_OPERATOR_SELECT}{where} ORDER BY o.extension, o.id", *args)
        return [_row(r, "skills") for r in rows]  # type: ignore[misc]

    async def get(self, operator_id: str) -> dict[str, Any] | None:
        return _row(await _read(self.store, "fetchrow", f"{_OPERATOR_SELECT} WHERE o.id::text = $1", operator_id),
                    "skills")

    async def by_user(self, user_id: str) -> dict[str, Any] | None:
        return _row(await _read(self.store, "fetchrow", f"{_OPERATOR_SELECT} WHERE o.user_id::text = $1",
                                str(user_id)), "skills")

    async def upsert(self, user_id: str, extension: str | None = None, *, group_id: str | None = None,
                     skills: Sequence[str] | None = None, max_concurrent_calls: int | None = None,
                     status: str | None = None) -> dict[str, Any]:
        """Create the user's operator or update it (None leaves a field as it is; new ones start offline).
        LookupError for an unknown user, ValueError("CONFLICT") for an extension another operator has."""
        if status is not None and status not in OPERATOR_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {OPERATOR_STATUSES}")
        operator_id = await _write(self.store, "fetchval", _UPSERT_OPERATOR, str(user_id), extension, group_id,
                                   None if skills is None else _json(list(skills)), max_concurrent_calls, status,
                                   doing="saving an operator")
        row = await self.get(operator_id)
        assert row is not None
        return row

    async def set_status(self, operator_id: str, status: str) -> dict[str, Any]:
        """online | busy | offline | wrapup, stamping last_activity; LookupError when there is no such operator."""
        if status not in OPERATOR_STATUSES:
            raise ValueError("INVALID_PARAMS", f"status must be one of {OPERATOR_STATUSES}")
        changed = await _write(self.store, "fetchval",
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
        row = await _read(self.store, "fetchrow", _OPERATOR_STATS, str(user_id), since, until)
        return {"calls_handled": int(row["handled"]), "talk_s": float(row["talk_s"]),
                "dispositions": orjson.loads(row["codes"])}

    async def add_disposition(self, attempt_id: str | None, lead_id: int | None, operator_id: str | None,
                              code: str, notes: str = "") -> dict[str, Any]:
        """Record a disposition. Code `dnc` also puts the attempt's (else the lead's) number on the DNC list, in
        the same transaction (ValueError("DNC_NO_NUMBER") when neither is known), and the row carries that
        `number` (so the caller can tell the dial gate)."""
        async def insert(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                f"INSERT INTO dispositions (attempt_id, lead_id, operator_id, code, notes) "
                f"VALUES ($1, $2, $3, $4, $5) RETURNING {_DISPOSITION_COLUMNS}",
                attempt_id, lead_id, operator_id, code, notes)
            if code == "dnc":
                return {**dict(row), "number": await _dnc_from_disposition(conn, attempt_id, lead_id, operator_id)}
            return dict(row)
        return await _transaction(self.store, insert, "recording a disposition")

    async def dispositions(self, attempt_id: str | None = None, lead_id: int | None = None,
                           limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, of one attempt and/or one lead."""
        where, args = _filters({"attempt_id": attempt_id, "lead_id": lead_id},
                               {"attempt_id": "attempt_id = {}", "lead_id": "lead_id = {}"})
        rows = await _read(self.store, "fetch", f"SELECT {_DISPOSITION_COLUMNS} FROM dispositions{where} "
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
