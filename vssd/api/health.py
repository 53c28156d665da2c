"""`/health`, `/api/health`, `/health/live`, `/health/ready`: open to everyone (probes, the seeds' curls)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web

from vssd.api.deps import deps_of
from vssd.api.errors import ApiError
from vssd.api.rbac import public
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.log import get_logger

log = get_logger("vssd.api.health")
STARTED: web.AppKey[float] = web.AppKey("vssd_started_monotonic", float)


def _checks(request: web.Request) -> dict[str, bool]:
    """The readiness facts; a Readiness that raises counts as one failing check, never a 500."""
    try:
        return {str(name): bool(ok) for name, ok in deps_of(request).readiness.checks().items()}
    except Exception as err:
        log.warning("readiness.checks_failed", error=repr(err))
        return {"readiness": False}


@public
async def health(request: web.Request) -> web.Response:
    """Always 200 while the process serves HTTP; `status` says whether every readiness check passes."""
    deps = deps_of(request)
    checks = _checks(request)
    return json_response({
        "status": "ok" if all(checks.values()) else "degraded",
        "service": "vssd",
        "version": deps.version,
        "mode": "demo" if deps.demo else "production",
        "uptime_s": round(time.monotonic() - request.app[STARTED], 3),
        "timestamp": datetime.fromtimestamp(deps.clock(), UTC),
        "checks": checks,
    })


@public
async def live(request: web.Request) -> web.Response:
    return json_response({"status": "alive"})


@public
async def ready(request: web.Request) -> web.Response:
    checks = _checks(request)
    failing = sorted(name for name, ok in checks.items() if not ok)
    if failing:
        raise ApiError(503, "NOT_READY", f"not ready: {', '.join(failing)}",
                       extra={"ready": False, "checks": checks, "failing": failing})
    return json_response({"ready": True, "status": "ready", "checks": checks})


def setup(app: web.Application) -> None:
    app[STARTED] = time.monotonic()


ROUTES = (
    Route("GET", "/health", health, prefixed=False),
    Route("GET", "/health", health),
    Route("GET", "/health/live", live, prefixed=False),
    Route("GET", "/health/ready", ready, prefixed=False),
)
