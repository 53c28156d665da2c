"""The CRM lead list's SQL (`vssd.adapters.store_crm_leads`): filters, the page, the capped count.

Measured by bench/crm.py at a million leads (EXPLAIN (ANALYZE, BUFFERS) in its docstring's terms):
- the count is capped: it counts at most `COUNT_CAP` matches past the page's end and says when it stopped there.
  An exact count(*) of a 100,000-lead status read the whole status from the heap (a second); the capped one reads
  10,000 index entries (an index-only scan, a few milliseconds).
- the page orders by the table's columns: the output's `id` is text, and ordering by it defeated the
  (…, created_at DESC, id DESC) indexes (an incremental sort over a walk of the newest-first index).
- a text search (`q`) reads the trigram index once: one statement materialises the matches' ids (at most the
  count's bound), counts them and sorts the page from them. Only when there are more than that bound — a common
  word — does a second statement walk the newest-first index, which then meets a match every few rows. Left to
  itself the planner walked a status's index for a word that never occurs within it (every row, ~1 s).
- `q` matches the name (ILIKE '%…%', the trigram index) and, when it looks like a phone number, the phone's digits
  (LIKE on the indexed expression `PHONE_DIGITS`): "+7 (999) 047" finds "+79990471234".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = ["COUNT_CAP", "LEAD_COLUMNS", "PHONE_DIGITS", "lead_filters", "list_rows"]

COUNT_CAP = 10_000  # matches counted past the page's end before the total is "at least"
PHONE_DIGITS = "regexp_replace(phone, '[^0-9]+', '', 'g')"  # the expression of crm_leads_phone_digits_trgm_idx
LEAD_COLUMNS = ("id::text AS id, client_name, phone, email, status, assigned_seller::text AS assigned_seller, "
                "source, campaign_id, data::text AS data, created_by::text AS created_by, last_call_id, "
                "last_call_at, last_outcome, last_disposition, calls_count, created_at, updated_at")
_PHONE_Q = re.compile(r"[+0-9 ()-]*[0-9][+0-9 ()-]*\Z")
_NEWEST = "ORDER BY {t}.created_at DESC, {t}.id DESC"

Fetch = Callable[..., Awaitable[Any]]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def lead_filters(filters: Mapping[str, Any], owner: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause and its arguments. Filters: status (a list), assigned_seller, campaign_id, created_from,
    created_to (datetimes; [from, to)), q (an infix of the name, or of the name or the phone's digits)."""
    clauses: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if owner is not None:
        clauses.append(f"assigned_seller = {arg(owner)}::uuid")
    if filters.get("assigned_seller"):
        clauses.append(f"assigned_seller = {arg(filters['assigned_seller'])}::uuid")
    if filters.get("status"):
        statuses = list(filters["status"])
        clauses.append(f"status = {arg(statuses[0])}" if len(statuses) == 1 else f"status = ANY({arg(statuses)})")
    if filters.get("campaign_id"):
        clauses.append(f"campaign_id = {arg(filters['campaign_id'])}")
    if filters.get("created_from") is not None:
        clauses.append(f"created_at >= {arg(filters['created_from'])}")
    if filters.get("created_to") is not None:
        clauses.append(f"created_at < {arg(filters['created_to'])}")
    if filters.get("q"):
        clauses.append(_text_match(str(filters["q"]), arg))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _text_match(text: str, arg: Callable[[Any], str]) -> str:
    name = f"client_name ILIKE {arg(_like(text))}"
    digits = re.sub(r"[^0-9]", "", text) if _PHONE_Q.match(text) else ""
    if not digits:
        return name
    return f"({name} OR {PHONE_DIGITS} LIKE {arg('%' + digits + '%')})"


async def list_rows(fetch: Fetch, fetchval: Fetch, filters: Mapping[str, Any], owner: str | None, limit: int,
                    offset: int) -> tuple[list[Any], int, bool]:
    """(the page's rows newest first, the total, whether the total is capped). `fetch`/`fetchval` run one
    statement (the store's retried reads, or a bare pool's)."""
    where, args = lead_filters(filters, owner)
    n = len(args)
    bound = offset + limit + COUNT_CAP + 1
    walk = (f"SELECT {LEAD_COLUMNS} FROM crm_leads{where} {_NEWEST.format(t='crm_leads')} "
            f"LIMIT ${n + 1} OFFSET ${n + 2}")
    if not filters.get("q"):
        rows, counted = await asyncio.gather(
            fetch(walk, *args, limit, offset),
            fetchval(f"SELECT count(*) FROM (SELECT FROM crm_leads{where} LIMIT ${n + 1}) AS m", *args, bound))
        return list(rows), min(int(counted), bound - 1), int(counted) >= bound
    found = await fetch(
        f"WITH m AS MATERIALIZED (SELECT id, created_at FROM crm_leads{where} LIMIT ${n + 1}), "
        f"top AS (SELECT id FROM m {_NEWEST.format(t='m')} LIMIT ${n + 2} OFFSET ${n + 3}) "
        f"SELECT (SELECT count(*) FROM m) AS matches, {LEAD_COLUMNS} FROM (SELECT 1) AS one "
        f"LEFT JOIN (top JOIN crm_leads USING (id)) ON true {_NEWEST.format(t='crm_leads')}",
        *args, bound, limit, offset)
    counted = int(found[0]["matches"])
    if counted >= bound:  # a common word: the newest matches are a few rows apart in the newest-first index
        return list(await fetch(walk, *args, limit, offset)), bound - 1, True
    return [{k: v for k, v in r.items() if k != "matches"} for r in found if r["id"] is not None], counted, False
