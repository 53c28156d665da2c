"""What the dialer's stores (store_leads.py, store_campaigns.py, store_dnc.py, store_dead_letters.py,
store_operators.py) share: the statuses the tables' CHECK constraints allow, and the SQL plumbing.

Every write that the `LeadStore` Protocol calls "one transaction" is one SQL statement (data-modifying CTEs)
or an explicit transaction (`in_transaction`), so a crash leaves either all of it or none. Refused writes
raise `ValueError(code, message)`, a missing row `LookupError`; database failures are the store's typed errors
(`StoreNotReady` …), raised `from` the cause. Reads are retried once on a dropped pooled connection; writes are
not (the caller owns the retry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, overload

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate
from vssd.fsm.types import SlotType

T = TypeVar("T")

# Mirrors vssd.actors.dialer_ports (adapters may not import actors) and the CHECK constraints of 0002.
LEAD_FINAL = ("done", "failed", "dnc", "expired", "unknown", "cancelled")
LEAD_STATUSES = ("pending", "queued", "dialing", "retry", *LEAD_FINAL)
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped", "completed")
SLOT_TYPES = tuple(t.value for t in SlotType)
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


async def read(store: Store, method: str, sql: str, *args: Any) -> Any:
    """One read, retried once on a transient error (`Store.run`)."""
    return await store.run(method, sql, *args)


async def write(store: Store, method: str, sql: str, *args: Any, doing: str = "dialer write") -> Any:
    """One statement (atomic on its own); not retried."""
    try:
        return await getattr(store.pool, method)(sql, *args)
    except Exception as err:
        raise _refused(err, doing) from err


async def in_transaction(store: Store, work: Callable[[asyncpg.Connection], Awaitable[T]], doing: str) -> T:
    """`work` inside one transaction on one pooled connection; LookupError/ValueError from `work` roll back."""
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            return await work(conn)
    except (LookupError, ValueError):
        raise
    except Exception as err:
        raise _refused(err, doing) from err


def jsonb_text(value: Any) -> str:
    """jsonb text; NUL, which jsonb refuses, becomes U+FFFD (AMQP headers and bodies may carry anything)."""
    text = orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS).decode()
    if "\\u0000" in text:  # rare: clean the values, not the JSON text (an escaped backslash may precede)
        text = orjson.dumps(no_nul(value), default=_plain, option=orjson.OPT_NON_STR_KEYS).decode()
    return text


def no_nul(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, Mapping):
        return {no_nul(k) if isinstance(k, str | bytes) else k: no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [no_nul(v) for v in value]
    return value


def _plain(value: Any) -> str:
    """What orjson cannot encode (AMQP headers' bytes, decimals …) as text."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


@overload
def row_dict(record: None, *json_columns: str) -> None: ...


@overload
def row_dict(record: asyncpg.Record, *json_columns: str) -> dict[str, Any]: ...


def row_dict(record: asyncpg.Record | None, *json_columns: str) -> dict[str, Any] | None:
    if record is None:
        return None
    row = dict(record)
    for name in json_columns:
        if isinstance(row.get(name), str):
            row[name] = orjson.loads(row[name])
    return row


# A user's campaigns, for the tables that carry a campaign id (leads, dead letters): a seller sees only theirs.
OWNED_BY = "campaign_id IN (SELECT id FROM campaigns WHERE created_by = {}::uuid)"


def filters_where(filters: Mapping[str, Any], known: Mapping[str, str]) -> tuple[str, list[Any]]:
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


async def page_of(store: Store, select: str, table: str, where: str, args: list[Any], order: str,
                limit: int, offset: int, *json_columns: str) -> tuple[list[dict[str, Any]], int]:
    """Rows of one page and the total of all matching rows."""
    n = len(args)
    total = int(await read(store, "fetchval", f"SELECT count(*) FROM {table}{where}", *args))
    rows = await read(store, "fetch", f"SELECT {select} FROM {table}{where} ORDER BY {order} "
                                       f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
    return [row_dict(r, *json_columns) for r in rows], total
