"""The security audit trail: every mutating request (POST/PUT/PATCH/DELETE), whatever its answer, and every
denied one of any method (401, 403, 429: the `authorize` middleware's refusals, login failures, lockouts and
rate limits) is recorded — who, role, what (method and route), the object (`object_type`, `object_id`: the
path's resource and id), ip and result — by the `audit` middleware into the app's `AuditLog` (`AUDIT`). Bodies
are never recorded (they carry passwords); a handler may add what the path does not say (`note`: a role change's
before and after) or name its object (`name_object`: the login's user). The routes that read and add entries,
`GET|POST /api/security/audit`, are the audit resource (`vssd.api.audit`).

Recording never fails or slows the request: a store-backed trail is wrapped in `AuditQueue` (bounded, batched,
its overflow policy there), so a sink that is down or slow costs warnings in the log, never the caller's answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from vssd.api.audit_queue import AuditQueue
from vssd.api.authn import PRINCIPAL
from vssd.api.deps import DEPS, deps_of
from vssd.api.errors import ApiError
from vssd.api.ports import AuditLog
from vssd.api.tokens import Principal
from vssd.log import get_logger

log = get_logger("vssd.api.audit")
AUDIT: web.AppKey[AuditLog] = web.AppKey("vssd_audit", AuditLog)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DRAIN_TIMEOUT_S = 5.0  # the last flush when the app stops; what is still unwritten then is logged as lost
# Set by a handler that knows better who acted (the login names its user before any token exists).
ACTOR: web.RequestKey[Principal] = web.RequestKey("vssd_audit_actor", Principal)
NOTES: web.RequestKey[dict[str, Any]] = web.RequestKey("vssd_audit_notes", dict)
OBJECT: web.RequestKey[tuple[str, str | None]] = web.RequestKey("vssd_audit_object", tuple)
UNAUDITED = ("/socket.io",)  # Socket.IO's polling transport POSTs every message
DENIED = frozenset({401, 403, 429})
OUTCOMES = ("ok", "denied", "failed")
_VERSION_PREFIXES = ("/api/v1/", "/api/")


def note(request: web.Request, **details: Any) -> None:
    """Add to the entry's details what the request alone does not say (never a secret)."""
    request.setdefault(NOTES, {}).update(details)


def name_object(request: web.Request, object_type: str, object_id: str | None) -> None:
    request[OBJECT] = (object_type, object_id)


def object_of(route: str, ids: Mapping[str, str]) -> tuple[str | None, str | None]:
    """`/api/archonts/centers/{center_id}/assign` → ("archonts/centers", its id); no id → the route's words."""
    for prefix in _VERSION_PREFIXES:
        if route.startswith(prefix):
            route = route[len(prefix):]
            break
    words = route.strip("/").split("/")
    for i, word in enumerate(words):
        if word.startswith("{") and word.endswith("}"):
            return "/".join(words[:i]) or None, ids.get(word[1:-1].split(":")[0])
    return "/".join(words) or None, None


class MemoryAudit:
    """`AuditLog` in this process: the newest `max_entries` entries (older ones are dropped)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)

    async def record(self, entry: dict[str, Any]) -> None:
        self._entries.appendleft(dict(entry))

    async def flush(self) -> None:
        """Nothing waits: entries are kept as they are recorded."""

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        hits = [e for e in self._entries if matches(e, filters)]
        return [dict(e) for e in hits[offset:offset + limit]], len(hits)


def matches(entry: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    """The trail's filters in memory (the store's are SQL): equality, `actor` (id or name), `since`/`until`."""
    for key, want in filters.items():
        if key == "actor":
            ok = want in (entry.get("user_id"), entry.get("username"))
        elif key in ("since", "until"):
            at = datetime.fromisoformat(str(entry.get("at")))
            ok = at >= want if key == "since" else at < want
        else:
            ok = str(entry.get(key)) == str(want)
        if not ok:
            return False
    return True


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "denied" if status in DENIED else "failed"


def entry_of(request: web.Request, status: int, code: str | None = None) -> dict[str, Any]:
    who: Principal | None = request.get(ACTOR) or request.get(PRINCIPAL)
    info = request.match_info
    matched = info.http_exception is None
    route = info.route.resource.canonical if matched and info.route.resource else request.path
    target = ",".join(f"{k}={v}" for k, v in info.items()) if matched else ""
    object_type, object_id = request.get(OBJECT) or object_of(route, info if matched else {})
    details: dict[str, Any] = {"status": status, "path": request.path, **request.get(NOTES, {})}
    if code:
        details["code"] = code
    return {
        "at": datetime.fromtimestamp(deps_of(request).clock(), UTC).isoformat(),
        "user_id": who.user_id if who and not who.anonymous else None,
        "username": who.username if who else None, "role": who.role if who else None,
        "action": f"{request.method} {route}", "resource": target or None, "object_type": object_type,
        "object_id": object_id, "outcome": outcome_of(status), "ip": request.remote, "details": details,
    }


async def _record(request: web.Request, status: int, code: str | None = None) -> None:
    if request.method not in MUTATING and status not in DENIED:
        return
    try:
        await request.app[AUDIT].record(entry_of(request, status, code))
    except Exception as err:
        log.warning("audit.record_failed", error=repr(err), path=request.path, status=status)


@web.middleware
async def audit(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(UNAUDITED) or request.method == "OPTIONS":
        return await handler(request)
    try:
        response = await handler(request)
    except ApiError as err:
        await _record(request, err.status, err.code)
        raise
    except web.HTTPException as exc:
        await _record(request, exc.status)
        raise
    except Exception:
        await _record(request, 500)
        raise
    await _record(request, response.status)
    return response


def setup(app: web.Application) -> None:
    """A wired trail (the store's) goes through the queue, started and stopped with the app."""
    sink = app[DEPS].audit
    if sink is None:
        app[AUDIT] = MemoryAudit()
        return
    queue = app[AUDIT] = AuditQueue(sink, clock=app[DEPS].clock)

    async def start(_: web.Application) -> None:
        await queue.start()

    async def stop(_: web.Application) -> None:
        await queue.stop(DRAIN_TIMEOUT_S)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)

