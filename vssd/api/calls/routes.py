"""Calls: `POST /api/call/start|end`, `GET /api/call/{id}`, `GET /api/calls` (the Smart Call Center API's
`{items, total, page, pages}`), `GET /api/calls/active`, `GET /api/calls/{id}`, `GET /api/cdr/records` through the
CallDesk port (below the feed), and `GET /api/calls/feed`: recent and live calls, newest first, as the bare array
the WORKSPACE API shows
(`call_id`, `slot`, `number`, `user`, `status`, `start_time` …) with `limit`/`offset`/`skip` and
`X-Total-Count`. Filters: `slot_id`, `status`, `outcome`, `direction`, `number`/`phone_number`, and the
date filters SPEC names (`date`, `date_from`/`date_to`, `start_date`/`end_date`), passed to the CallFeed
normalised to `date_from`/`date_to` ISO-8601 instants (UTC when no offset is given; `date_to` exclusive).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeGuard

from aiohttp import web

from vssd.api.authn import authenticate, require
from vssd.api.body import object_body
from vssd.api.calls.views import ended_view, seed_shape, stats_view
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found
from vssd.api.paging import TOTAL_HEADER, list_response, page_of
from vssd.api.ports import CallDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.tokens import Principal
from vssd.calls.gate import DialRefused
from vssd.calls.periods import PERIODS, period_window
from vssd.events.catalogue import OWN_CALLS_ONLY

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
PASSED = ("slot_id", "status", "outcome", "direction")
DATE_ALIASES = {"date_from": "date_from", "start_date": "date_from", "date_to": "date_to", "end_date": "date_to"}


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


@needs("vssd.calls.read")
async def feed(request: web.Request) -> web.Response:
    require(request, "vssd.calls.read")
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    items, total = await deps_of(request).calls.recent_calls(page.limit, page.offset, filters_of(request.query))
    return list_response([seed_shape(v) for v in items], total)


# ---- manual calls, history and CDR (the CallDesk port) --------------------------------------------------------
# DialRefused reasons → (HTTP status, error code).
REFUSALS = {
    "number_busy": (409, "NUMBER_BUSY"), "invalid_number": (422, "INVALID_PARAMS"), "no_slot": (404, "NOT_FOUND"),
    "slot_busy": (409, "SLOT_BUSY"), "slot_offline": (503, "SLOT_OFFLINE"), "call_failed": (503, "CALL_FAILED"),
    "not_live": (409, "CALL_FAILED"), "pbx_refused": (503, "AST_005"), "dnc": (403, "DNC"),
    "window_closed": (409, "WINDOW_CLOSED"), "holiday": (409, "WINDOW_CLOSED"),
    "number_daily_cap": (409, "CAP_REACHED"), "number_lifetime_cap": (409, "CAP_REACHED"),
    "sim_cap": (409, "CAP_REACHED"), "slot_cooldown": (409, "SLOT_BUSY"),
}
OWN_ONLY_ROLES = OWN_CALLS_ONLY  # SPEC: an operator sees and ends only their own calls (so do the call events)
HISTORY_PASSED = ("operator_id", "campaign_id")
MAX_NUMBER = 32


def refused(err: DialRefused) -> ApiError:
    status, code = REFUSALS.get(err.reason, (409, "CALL_FAILED"))
    if code == "INVALID_PARAMS":
        return invalid([detail(["body", "number"], err.message)], err.message)
    return ApiError(status, code, err.message)


def desk_of(request: web.Request) -> CallDesk:
    desk = deps_of(request).call_desk
    if desk is None:
        raise ApiError(503, "SERVICE_UNAVAILABLE", "calls are not available on this daemon")
    return desk


def own_only(who: Principal) -> bool:
    return who.role in OWN_ONLY_ROLES


def visible(who: Principal, view: Mapping[str, Any]) -> bool:
    return not own_only(who) or (bool(who.user_id) and view.get("operator_id") == who.user_id)


def call_id_of(value: Any) -> str | None:
    """A call id from a body: `c_<n>`, or the DEMIURGE API reference's bare number n (→ `c_<n>`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"c_{value}"
    if isinstance(value, str) and 0 < len(value.strip()) <= 64:
        text = value.strip()
        return f"c_{text}" if text.isdigit() else text
    return None


def _start_fields(data: Mapping[str, Any]) -> tuple[str, str, str]:
    """(number, slot, caller_id) from either body form (the WORKSPACE API's number/slot; the operating manual's
    and the DEMIURGE API reference's phone_number/slot_id)."""
    problems: list[dict[str, Any]] = []
    number_key = "number" if "number" in data else "phone_number"
    number = data.get(number_key)
    if not isinstance(number, str) or not number.strip() or len(number) > MAX_NUMBER:
        problems.append(detail(["body", number_key], f"a phone number of at most {MAX_NUMBER} characters is required"))
    slot_key = "slot" if "slot" in data else "slot_id"
    slot = data.get(slot_key, "AUTO")
    if isinstance(slot, bool) or not isinstance(slot, str | int) or not str(slot).strip() or len(str(slot)) > 64:
        problems.append(detail(["body", slot_key], "a slot id or type (AUTO, MF, LS) is required"))
    caller_id = data.get("caller_id") or ""
    if not isinstance(caller_id, str) or len(caller_id) > 80:
        problems.append(detail(["body", "caller_id"], "must be a string of at most 80 characters"))
    if data.get("direction", "outbound") != "outbound":
        problems.append(detail(["body", "direction"], "only outbound calls can be started"))
    if problems:
        raise invalid(problems, "invalid call start")
    return str(number).strip(), str(slot).strip(), str(caller_id)


@needs("vssd.calls.create")
async def start_call(request: web.Request) -> web.Response:
    desk = desk_of(request)
    number, slot, caller_id = _start_fields(await object_body(request))
    who = authenticate(request)
    try:
        view = await desk.start_call(number, slot, caller_id=caller_id, user_id=who.user_id or None)
    except DialRefused as err:
        raise refused(err) from None
    return json_response(view)


@needs("vssd.calls.update")
async def end_call(request: web.Request) -> web.Response:
    desk = desk_of(request)
    data = await object_body(request)
    call_id = call_id_of(data.get("call_id", data.get("id")))
    if call_id is None:
        raise invalid([detail(["body", "call_id"], "a call id is required")])
    await _visible_call(request, desk, call_id)
    try:
        view = await desk.end_call(call_id)
    except DialRefused as err:
        raise refused(err) from None
    if view is None:
        raise not_found(f"call {call_id} not found")
    return json_response(ended_view(view, data.get("reason")))


async def _visible_call(request: web.Request, desk: CallDesk, call_id: str) -> dict[str, Any]:
    view = await desk.get_call(call_id)
    if view is None:
        raise not_found(f"call {call_id} not found")
    if not visible(authenticate(request), view):
        raise ApiError(403, "PERMISSION_DENIED", "operators see only their own calls")
    return view


@needs("vssd.calls.{call_id}.read")
async def get_call(request: web.Request) -> web.Response:
    return json_response(await _visible_call(request, desk_of(request), request.match_info["call_id"]))


def history_filters(request: web.Request) -> dict[str, str]:
    filters = filters_of(request.query)
    filters.update({k: request.query[k] for k in HISTORY_PASSED if request.query.get(k)})
    who = authenticate(request)
    if own_only(who):
        filters["user_id"] = who.user_id
    return filters


async def _history(request: web.Request) -> tuple[list[dict[str, Any]], int, int, int]:
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    try:
        items, total = await desk_of(request).list_calls(page.limit, page.offset, history_filters(request))
    except ValueError as err:
        raise invalid([detail(["query"], str(err))], "invalid call filter") from None
    return items, total, page.limit, page.offset


@needs("vssd.calls.read")
async def list_calls(request: web.Request) -> web.Response:
    """The Smart Call Center API's `{items, total, page, pages}` (page from offset/skip and limit)."""
    items, total, limit, offset = await _history(request)
    body = {"items": items, "total": total, "page": offset // limit + 1, "pages": max(1, math.ceil(total / limit))}
    return json_response(body, headers={TOTAL_HEADER: str(total)})


@needs("vssd.calls.read")
async def active_calls(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    who = authenticate(request)
    views = [v for v in desk_of(request).active_calls() if visible(who, v)]
    return list_response(page.cut(views), len(views))


@needs("vssd.cdr.read")
async def cdr_records(request: web.Request) -> web.Response:
    """Stored call records (the operating manual's `?start_date=…&end_date=…`) as a bare array with `X-Total-Count`."""
    items, total, _, _ = await _history(request)
    return list_response(items, total)


# ---- statistics (the Smart Call Center API) --------------------------------------------------------------------
MAX_GROUP_ID = 64


class CallStats(Protocol):
    async def call_stats(self, start: datetime, end: datetime, group_id: str | None = None) -> dict[str, Any]: ...


def _computes_stats(candidate: object) -> TypeGuard[CallStats]:
    return callable(getattr(candidate, "call_stats", None))


def stats_source(request: web.Request) -> CallStats:
    """The call desk if it computes statistics, else its call history (the daemon's `CallControl.history`,
    `StoreCallHistory`, whose SQL does it)."""
    desk = desk_of(request)
    for candidate in (desk, getattr(desk, "history", None)):
        if _computes_stats(candidate):
            return candidate
    raise ApiError(503, "SERVICE_UNAVAILABLE", "call statistics are not available on this daemon")


def _stats_query(query: Mapping[str, str]) -> tuple[str, str | None]:
    problems: list[dict[str, Any]] = []
    period = (query.get("period") or "today").casefold()
    if period not in PERIODS:
        problems.append(detail(["query", "period"], f"must be one of {', '.join(PERIODS)}"))
    group_id = query.get("group_id") or None
    if group_id is not None and len(group_id) > MAX_GROUP_ID:
        problems.append(detail(["query", "group_id"], f"must be at most {MAX_GROUP_ID} characters"))
    if problems:
        raise invalid(problems, "invalid statistics query")
    return period, group_id


@needs("vssd.reports.calls.read")
async def call_stats(request: web.Request) -> web.Response:
    """The Smart Call Center API's figures (admin, manager, supervisor): totals, averages, service level, peak
    hour and busiest operators of the calls dialled in the period, computed by SQL over the stored calls."""
    period, group_id = _stats_query(request.query)
    start, end = period_window(period, deps_of(request).clock())
    try:
        stats = await stats_source(request).call_stats(start, end, group_id=group_id)
    except ConnectionError as err:
        raise ApiError(503, "DB_001", str(err) or "the call store is unavailable", headers={"Retry-After": "5"}) \
            from None
    return json_response(stats_view(stats, period, start, end, group_id))


ROUTES = (
    Route("GET", "/calls/feed", feed),
    Route("GET", "/calls/active", active_calls),
    Route("GET", "/calls/stats", call_stats),  # before calls/{call_id}
    Route("POST", "/call/start", start_call),
    Route("POST", "/call/end", end_call),
    Route("GET", "/call/{call_id}", get_call),
    Route("GET", "/calls", list_calls),
    Route("GET", "/calls/", list_calls),
    Route("GET", "/calls/{call_id}", get_call),
    Route("GET", "/cdr/records", cdr_records),
)
