"""The security audit: every mutating request (POST/PUT/PATCH/DELETE) is recorded — who, role, what
(method and route), target (the path's ids), ip and result — and `GET|POST /api/security/audit` read and
add entries (the routes reference). Bodies are never recorded (they carry passwords).

Recording happens after the answer is computed and never fails the request: an audit sink that is down
or slow (over `RECORD_TIMEOUT_S`) costs a warning in the log, not the caller's write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from vssd.api.authn import PRINCIPAL, authenticate
from vssd.api.body import object_body, text_field
from vssd.api.deps import DEPS, deps_of
from vssd.api.errors import ApiError, invalid
from vssd.api.paging import list_response, page_of
from vssd.api.ports import AuditLog
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.tokens import Principal
from vssd.log import get_logger

log = get_logger("vssd.api.audit")
AUDIT: web.AppKey[AuditLog] = web.AppKey("vssd_audit", AuditLog)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RECORD_TIMEOUT_S = 2.0
# Set by a handler that knows better who acted (the login names its user before any token exists).
ACTOR: web.RequestKey[Principal] = web.RequestKey("vssd_audit_actor", Principal)
UNAUDITED = ("/socket.io",)  # Socket.IO's polling transport POSTs every message
FILTERS = ("user_id", "username", "action", "outcome")


class MemoryAudit:
    """`AuditLog` in this process: the newest `max_entries` entries (older ones are dropped)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)

    async def record(self, entry: dict[str, Any]) -> None:
        self._entries.appendleft(dict(entry))

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        hits = [e for e in self._entries if all(str(e.get(k)) == v for k, v in filters.items())]
        return [dict(e) for e in hits[offset:offset + limit]], len(hits)


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "denied" if status in (401, 403, 429) else "failed"


def _entry(request: web.Request, status: int) -> dict[str, Any]:
    who: Principal | None = request.get(ACTOR) or request.get(PRINCIPAL)
    info = request.match_info
    route = info.route.resource.canonical if info.http_exception is None and info.route.resource else request.path
    target = ",".join(f"{k}={v}" for k, v in info.items()) if info.http_exception is None else ""
    return {
        "at": datetime.fromtimestamp(deps_of(request).clock(), UTC).isoformat(),
        "user_id": who.user_id if who and not who.anonymous else None,
        "username": who.username if who else None, "role": who.role if who else None,
        "action": f"{request.method} {route}", "resource": target or None, "outcome": outcome_of(status),
        "ip": request.remote, "details": {"status": status, "path": request.path},
    }


async def _record(request: web.Request, status: int) -> None:
    try:
        await asyncio.wait_for(request.app[AUDIT].record(_entry(request, status)), RECORD_TIMEOUT_S)
    except Exception as err:
        log.warning("audit.record_failed", error=repr(err), path=request.path, status=status)


@web.middleware
async def audit(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in MUTATING or request.path.startswith(UNAUDITED):
        return await handler(request)
    try:
        response = await handler(request)
    except ApiError as err:
        await _record(request, err.status)
        raise
    except web.HTTPException as exc:
        await _record(request, exc.status)
        raise
    await _record(request, response.status)
    return response


@needs("vssd.audit.read")
async def list_entries(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=100, max_limit=1000)
    filters = {k: request.query[k] for k in FILTERS if request.query.get(k)}
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
    outcome = data.get("outcome", "ok")
    if outcome not in ("ok", "denied", "failed"):
        problems.append({"loc": ["body", "outcome"], "msg": "must be one of ok, denied, failed"})
    if problems:
        raise invalid(problems)
    who = authenticate(request)
    entry = {**_entry(request, 201), "action": f"client.{action}", "outcome": outcome,
             "resource": str(data.get("resource"))[:200] if data.get("resource") is not None else None,
             "details": details}
    await request.app[AUDIT].record(entry)
    log.info("audit.client_entry", user_id=who.user_id, action=action)
    return json_response(entry, status=201)


def setup(app: web.Application) -> None:
    app[AUDIT] = app[DEPS].audit or MemoryAudit()


ROUTES = (
    Route("GET", "/security/audit", list_entries),
    Route("POST", "/security/audit", add_entry),
)
