"""Operators (the Smart Call Center API): `GET /api/operators` (filters status, group_id; limit/offset, X-Total-Count),
`PUT /api/operators/{operator_id}/status` (online | busy | offline; an operator may set their own),
`GET /api/operators/{operator_id}/stats?period=` (today | yesterday | week | month: vssd/calls/periods.py).

An operator's id is their user id. Going `online` logs the operator in: vssd pre-connects their line (an
answered channel to their extension) so campaign calls are bridged to them at once; `offline` hangs it up.
"""

from __future__ import annotations

from aiohttp import web

from vssd.api.body import object_body
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid
from vssd.api.paging import list_response, page_of
from vssd.api.ports import AutodialerDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.slot_admin import port_call, port_or_503
from vssd.calls.periods import PERIODS

STATUSES = ("online", "busy", "offline")


def _desk(request: web.Request) -> AutodialerDesk:
    return port_or_503(deps_of(request).autodialer, "operators")


@needs("vssd.operators.read")
async def list_operators(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status and status not in (*STATUSES, "wrapup"):
        raise invalid([detail(["query", "status"], "must be online, busy, wrapup or offline")])
    filters = {k: request.query[k] for k in ("status", "group_id") if request.query.get(k)}
    page = page_of(request.query, default_limit=500, max_limit=500)
    operators = _desk(request).list_operators(filters)
    return list_response(page.cut(operators), len(operators))


@needs("vssd.operators.{operator_id}.update", own="operator_id")
async def set_status(request: web.Request) -> web.Response:
    operator_id = request.match_info["operator_id"]
    data = await object_body(request)
    status = data.get("status")
    if status not in STATUSES:
        raise invalid([detail(["body", "status"], "must be online, busy or offline")])
    view = await port_call(_desk(request).set_operator_status(operator_id, status), f"operator {operator_id}")
    return json_response(view)


@needs("vssd.operators.{operator_id}.read", own="operator_id")
async def stats(request: web.Request) -> web.Response:
    operator_id = request.match_info["operator_id"]
    period = request.query.get("period", "today")
    if period not in PERIODS:
        raise invalid([detail(["query", "period"], f"must be one of {', '.join(PERIODS)}")])
    return json_response(await port_call(_desk(request).operator_stats(operator_id, period),
                                         f"operator {operator_id}"))


ROUTES = (
    Route("GET", "/operators", list_operators),
    Route("GET", "/operators/", list_operators),
    Route("PUT", "/operators/{operator_id}/status", set_status),
    Route("GET", "/operators/{operator_id}/stats", stats),
)
