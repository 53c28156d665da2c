"""Stored system alerts (the Dashboard's alert list): `GET /api/alerts?acknowledged=&level=&limit=&offset=`
(bare array, `X-Total-Count`) and `POST /api/alerts/{alert_id}/ack`.

Every `system.alert` event is stored under the `id` its payload carries, so a console acknowledges a live alert
by that id. Acknowledging is idempotent: the first one records who and when and publishes
`system.alert.acknowledged`; a repeat answers the alert unchanged (200) and publishes nothing. Audited like
every write.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.api.alerts.views import acknowledged_view
from vssd.api.authn import authenticate
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.ports import AlertDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route

LEVELS = ("info", "warning", "critical")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
_ID_CHARS = frozenset("0123456789abcdefABCDEF-")


def _alerts(request: web.Request) -> AlertDesk:
    return port_or_503(deps_of(request).alerts, "the alert store")


def _filters(query: Any) -> dict[str, Any]:
    problems, out = [], {}
    acknowledged = query.get("acknowledged", "").lower()
    if acknowledged:
        if acknowledged not in (*TRUE, *FALSE):
            problems.append(detail(["query", "acknowledged"], "must be true or false"))
        out["acknowledged"] = acknowledged in TRUE
    level = query.get("level", query.get("severity", "")).lower()
    if level:
        if level not in LEVELS:
            problems.append(detail(["query", "level"], f"must be one of {', '.join(LEVELS)}"))
        out["level"] = level
    if problems:
        raise invalid(problems, "invalid alert filter")
    return out


@needs("vssd.system.alerts.read")
async def list_alerts(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=500)
    filters = _filters(request.query)
    rows, total = await port_call(_alerts(request).list_alerts(page.limit, page.offset, filters), "alerts")
    return list_response(rows, total)


@needs("vssd.system.alerts.update")
async def acknowledge(request: web.Request) -> web.Response:
    alert_id = request.match_info["alert_id"]
    if len(alert_id) != 36 or not set(alert_id) <= _ID_CHARS:
        raise not_found(f"alert {alert_id} not found")
    who = authenticate(request)
    view = await port_call(_alerts(request).acknowledge(alert_id, None if who.anonymous else who.username),
                           f"alert {alert_id}")
    return json_response(acknowledged_view(view))


ROUTES = (
    Route("GET", "/alerts", list_alerts),
    Route("POST", "/alerts/{alert_id}/ack", acknowledge),
)
