"""Dashboards: the WORKSPACE API's `GET /api/dashboard`, `/api/dashboard/slots`, `/api/dashboard/metrics`
(`vssd.dashboard.read`: every role but the seller) and the Smart Call Center API's `/api/dashboard/stats`,
`/realtime`, `/call-analytics`, `/operator-activity` (`vssd.reports.dashboard.read`: admin, manager, supervisor).

Call figures come from the CallFigures port (SQL over the hourly rollup the batch writer keeps); slots by state
from the live farm; operators by status from the live operators' pool. `period` is today|yesterday|week|month,
days cut at midnight in `tz` (an IANA zone name, UTC when absent); `group_id` narrows to one group's operators.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from vssd.api.dashboard import views
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, port_or_503
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.calls.periods import PERIODS, local_hour, local_window

MAX_GROUP_ID = 64
MAX_TZ = 64
DASHBOARD = "vssd.dashboard.read"
REPORTS = "vssd.reports.dashboard.read"


def _zone(raw: str | None, problems: list[dict[str, Any]]) -> tuple[str, ZoneInfo]:
    name = raw or "UTC"
    try:
        if len(name) > MAX_TZ or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(detail(["query", "tz"], "must be an IANA time zone name such as Europe/Moscow"))
        return "UTC", ZoneInfo("UTC")


def _query(query: Mapping[str, str]) -> tuple[str, str, ZoneInfo, str | None]:
    """(period, tz name, zone, group_id) or 422 INVALID_PARAMS naming each bad parameter."""
    problems: list[dict[str, Any]] = []
    period = (query.get("period") or "today").casefold()
    if period not in PERIODS:
        problems.append(detail(["query", "period"], f"must be one of {', '.join(PERIODS)}"))
    tz, zone = _zone(query.get("tz"), problems)
    group_id = query.get("group_id") or None
    if group_id is not None and len(group_id) > MAX_GROUP_ID:
        problems.append(detail(["query", "group_id"], f"must be at most {MAX_GROUP_ID} characters"))
    if problems:
        raise invalid(problems, "invalid dashboard query")
    return period, tz, zone, group_id


async def _figures(request: web.Request, start: datetime, end: datetime, tz: str,
                   group_id: str | None = None) -> dict[str, Any]:
    source = port_or_503(deps_of(request).call_figures, "call figures")
    try:
        return await source.figures(start, end, tz, group_id)
    except ConnectionError as err:
        raise ApiError(503, "DB_001", str(err) or "the call store is unavailable",
                       headers={"Retry-After": "5"}) from None


async def _period_figures(request: web.Request) -> tuple[dict[str, Any], str, str, str | None]:
    period, tz, zone, group_id = _query(request.query)
    start, end = local_window(period, deps_of(request).clock(), zone)
    return await _figures(request, start, end, tz, group_id), period, tz, group_id


async def _hour_figures(request: web.Request) -> dict[str, Any]:
    _, tz, zone, _ = _query(request.query)
    start, end = local_hour(deps_of(request).clock(), zone)
    return await _figures(request, start, end, tz)


def _operators(request: web.Request, group_id: str | None = None) -> list[dict[str, Any]]:
    desk = deps_of(request).autodialer
    if desk is None:
        return []
    return desk.list_operators({"group_id": group_id} if group_id else {})


async def _trunks(request: web.Request) -> list[dict[str, Any]] | None:
    trunks = deps_of(request).trunks
    return await trunks.list_trunks() if trunks is not None else None


@needs(DASHBOARD)
async def dashboard(request: web.Request) -> web.Response:
    """The WORKSPACE API's dashboard (today's calls in `tz`) with the console's figures."""
    figures, *_ = await _period_figures(request)
    deps = deps_of(request)
    return json_response(views.dashboard_view(figures, deps.slots.slot_views(), _operators(request),
                                              await _trunks(request), deps.clock()))


@needs(DASHBOARD)
async def dashboard_slots(request: web.Request) -> web.Response:
    """Slots by status, FSM state and type, from the live farm."""
    deps = deps_of(request)
    return json_response({**views.slot_block(deps.slots.slot_views()), "timestamp": views.iso(deps.clock())})


@needs(DASHBOARD)
async def dashboard_metrics(request: web.Request) -> web.Response:
    deps = deps_of(request)
    system = await deps.monitor.system() if deps.monitor is not None else None
    return json_response(views.metrics_view(system, deps.readiness.checks(), deps.slots.slot_views(),
                                            await _hour_figures(request), deps.clock()))


@needs(REPORTS)
async def stats(request: web.Request) -> web.Response:
    figures, period, tz, group_id = await _period_figures(request)
    return json_response(views.stats_view(figures, _operators(request, group_id), period, tz))


@needs(REPORTS)
async def realtime(request: web.Request) -> web.Response:
    deps = deps_of(request)
    return json_response(views.realtime_view(await _hour_figures(request), deps.slots.slot_views(),
                                             _operators(request), deps.clock()))


@needs(REPORTS)
async def call_analytics(request: web.Request) -> web.Response:
    figures, period, tz, _ = await _period_figures(request)
    return json_response(views.analytics_view(figures, period, tz))


@needs(REPORTS)
async def operator_activity(request: web.Request) -> web.Response:
    """Each live operator with its calls today (in `tz`)."""
    _, tz, zone, group_id = _query(request.query)
    start, end = local_window("today", deps_of(request).clock(), zone)
    figures = await _figures(request, start, end, tz, group_id)
    return json_response(views.activity_view(_operators(request, group_id), figures, deps_of(request).clock()))


ROUTES = (
    Route("GET", "/dashboard", dashboard),
    Route("GET", "/dashboard/slots", dashboard_slots),
    Route("GET", "/dashboard/metrics", dashboard_metrics),
    Route("GET", "/dashboard/stats", stats),
    Route("GET", "/dashboard/realtime", realtime),
    Route("GET", "/dashboard/call-analytics", call_analytics),
    Route("GET", "/dashboard/operator-activity", operator_activity),
)
