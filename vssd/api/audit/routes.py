"""The audit routes (the routes reference): `GET /api/security/audit` (the trail, newest first, paginated with
`X-Total-Count`, filtered by actor, action, object, outcome and time range — `filters.py`) and
`POST /api/security/audit` (a client's own entry). What is recorded, and how, is `vssd.api.audit_log`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.api.audit.filters import OUTCOME_ALIASES, filters_of
from vssd.api.audit.views import client_entry_view
from vssd.api.audit_log import AUDIT, entry_of
from vssd.api.authn import authenticate
from vssd.api.body import object_body, text_field
from vssd.api.errors import invalid
from vssd.api.paging import list_response, page_of
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.log import get_logger

log = get_logger("vssd.api.audit")


@needs("vssd.audit.read")
async def list_entries(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=100, max_limit=1000)
    filters = filters_of(request.query)
    items, total = await request.app[AUDIT].entries(page.limit, page.offset, filters)
    return list_response(items, total)


@needs("vssd.audit.create")
async def add_entry(request: web.Request) -> web.Response:
    """A client's own audit entry (the routes reference's "Запись аудита"): who is the caller, never the body."""
    data = await object_body(request)
    problems: list[dict[str, Any]] = []
    action = text_field(data, "action", problems, max_len=200)
    details = data.get("details", {})
    if not isinstance(details, dict):
        problems.append({"loc": ["body", "details"], "msg": "must be an object"})
    outcome = OUTCOME_ALIASES.get(data.get("outcome", "ok")) if isinstance(data.get("outcome", "ok"), str) else None
    if outcome is None:
        problems.append({"loc": ["body", "outcome"], "msg": "must be one of success (ok), denied, failed"})
    if problems:
        raise invalid(problems)
    who = authenticate(request)
    entry = client_entry_view(entry_of(request, 201), action, outcome or "ok", data.get("resource"), details)
    await request.app[AUDIT].record(entry)
    log.info("audit.client_entry", user_id=who.user_id, action=action)
    return json_response(entry, status=201)


ROUTES = (
    Route("GET", "/security/audit", list_entries),
    Route("POST", "/security/audit", add_entry),
)
