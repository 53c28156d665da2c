"""`GET /api/calls/feed`: recent and live calls, newest first, as the bare array seed 002 shows
(`call_id`, `slot`, `number`, `user`, `status`, `start_time` …) with `limit`/`offset`/`skip` and
`X-Total-Count`. Filters: `slot_id`, `status`, `outcome`, `direction`, `number`/`phone_number`, and the
date filters SPEC names (`date`, `date_from`/`date_to`, `start_date`/`end_date`), passed to the CallFeed
normalised to `date_from`/`date_to` ISO-8601 instants (UTC when no offset is given; `date_to` exclusive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from vssd.api.authn import require
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid
from vssd.api.paging import list_response, page_of
from vssd.api.rbac import needs

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
PASSED = ("slot_id", "status", "outcome", "direction")
DATE_ALIASES = {"date_from": "date_from", "start_date": "date_from", "date_to": "date_to", "end_date": "date_to"}
# Seed 002's names for fields the CallFeed port names otherwise.
SEED_ALIASES = {"number": "phone_number", "start_time": "started_at", "end_time": "ended_at", "slot": "slot_id"}


_SPACED_OFFSET = re.compile(r"(T\d[\d:.]*) (\d\d:?\d\d)\Z")


def _instant(raw: str) -> datetime:
    """An ISO date or date-time; naive values are UTC. ValueError when neither.

    Accepts a space for the `T`, and a space for the `+` of an offset (an unencoded `+` in a query string
    arrives as a space).
    """
    text = raw.strip()
    if "T" not in text:
        text = text.replace(" ", "T", 1)
    value = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dates(query: Mapping[str, str], problems: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    raw_day = query.get("date")
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            out.update(date_from=start.isoformat(), date_to=(start + timedelta(days=1)).isoformat())
        except ValueError:
            problems.append(detail(["query", "date"], "must be a date YYYY-MM-DD"))
    for name, target in DATE_ALIASES.items():
        raw = query.get(name)
        if not raw:
            continue
        try:
            out[target] = _instant(raw).isoformat()
        except ValueError:
            problems.append(detail(["query", name], "must be an ISO-8601 date or date-time"))
    return out


def filters_of(query: Mapping[str, str]) -> dict[str, str]:
    problems: list[dict[str, Any]] = []
    filters = {name: query[name] for name in PASSED if query.get(name)}
    number = query.get("number") or query.get("phone_number")
    if number:
        filters["number"] = number
    filters.update(_dates(query, problems))
    if problems:
        raise invalid(problems, "invalid call filter")
    return filters


def seed_shape(view: dict[str, Any]) -> dict[str, Any]:
    """The view plus seed 002's field names where the port used its own."""
    out = dict(view)
    for seed_name, port_name in SEED_ALIASES.items():
        if seed_name not in out and port_name in out:
            out[seed_name] = out[port_name]
    out.setdefault("user", None)
    return out


@needs("vssd.calls.read")
async def feed(request: web.Request) -> web.Response:
    require(request, "vssd.calls.read")
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    items, total = await deps_of(request).calls.recent_calls(page.limit, page.offset, filters_of(request.query))
    return list_response([seed_shape(v) for v in items], total)


def add_routes(app: web.Application) -> None:
    for prefix in ("/api", "/api/v1"):
        app.router.add_get(f"{prefix}/calls/feed", feed)
