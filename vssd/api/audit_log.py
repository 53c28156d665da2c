"""The security audit trail: every mutating request (POST/PUT/PATCH/DELETE) is recorded — who, role, what
(method and route), target (the path's ids), ip and result — by the `audit` middleware into the app's
`AuditLog` (`AUDIT`). Bodies are never recorded (they carry passwords). The routes that read and add
entries, `GET|POST /api/security/audit`, are the audit resource (`vssd.api.audit`).

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

from vssd.api.authn import PRINCIPAL
from vssd.api.deps import DEPS, deps_of
from vssd.api.errors import ApiError
from vssd.api.ports import AuditLog
from vssd.api.tokens import Principal
from vssd.log import get_logger

log = get_logger("vssd.api.audit")
AUDIT: web.AppKey[AuditLog] = web.AppKey("vssd_audit", AuditLog)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RECORD_TIMEOUT_S = 2.0
# Set by a handler that knows better who acted (the login names its user before any token exists).
ACTOR: web.RequestKey[Principal] = web.RequestKey("vssd_audit_actor", Principal)
UNAUDITED = ("/socket.io",)  # Socket.IO's polling transport POSTs every message
# What a handler adds to its entry's details (`note`): e.g. which settings or rights changed, never a secret.
NOTES: web.RequestKey[dict[str, Any]] = web.RequestKey("vssd_audit_notes", dict)


def note(request: web.Request, **details: Any) -> None:
    """Add `details` to this request's audit entry (the handler knows what changed; bodies are not recorded)."""
    request.setdefault(NOTES, {}).update(details)


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


def entry_of(request: web.Request, status: int) -> dict[str, Any]:
    who: Principal | None = request.get(ACTOR) or request.get(PRINCIPAL)
    info = request.match_info
    route = info.route.resource.canonical if info.http_exception is None and info.route.resource else request.path
    target = ",".join(f"{k}={v}" for k, v in info.items()) if info.http_exception is None else ""
    return {
        "at": datetime.fromtimestamp(deps_of(request).clock(), UTC).isoformat(),
        "user_id": who.user_id if who and not who.anonymous else None,
        "username": who.username if who else None, "role": who.role if who else None,
        "action": f"{request.method} {route}", "resource": target or None, "outcome": outcome_of(status),
        "ip": request.remote, "details": {**request.get(NOTES, {}), "status": status, "path": request.path},
    }


async def _record(request: web.Request, status: int) -> None:
    try:
        await asyncio.wait_for(request.app[AUDIT].record(entry_of(request, status)), RECORD_TIMEOUT_S)
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


def setup(app: web.Application) -> None:
    app[AUDIT] = app[DEPS].audit or MemoryAudit()

