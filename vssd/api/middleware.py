"""Two middlewares: `observe` (request id, structlog access line, HTTP metrics) wraps `errors` (every
failure rendered in the error format; never a stack trace to the client, never a 500 for bad input)."""

from __future__ import annotations

import asyncio
import re
import time
import traceback
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, from_http_exception
from vssd.log import bound_context, get_logger

log = get_logger("vssd.api.access")
REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
UNMATCHED = "unmatched"
# Probes and scrapes arrive every few seconds: their successes are logged at debug level only.
QUIET_ROUTES = frozenset({"/health", "/health/live", "/health/ready", "/metrics"})
CLIENT_GONE = 499  # nginx's convention: the client went away before the answer


def route_of(request: web.Request) -> str:
    """The route template (bounded label), never the raw path."""
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return UNMATCHED
    return info.route.resource.canonical


def request_id(request: web.Request) -> str:
    """The client's X-Request-ID when it is short and plain, else a fresh one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _CLIENT_ID.match(given) else uuid.uuid4().hex


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request_id(request)
    started = time.perf_counter()
    status = 500
    with bound_context(request_id=rid):
        try:
            response = await handler(request)
            status = response.status
            response.headers[REQUEST_ID_HEADER] = rid
            return response
        except asyncio.CancelledError:
            status = CLIENT_GONE
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(request)
            deps_of(request).metrics.http_request(route, status, elapsed)
            emit = log.debug if route in QUIET_ROUTES and status < 400 else log.info
            emit("http.request", method=request.method, path=request.path, route=route, status=status,
                 duration_ms=round(elapsed * 1000, 2), remote=request.remote)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return from_http_exception(exc).response()
    except ConnectionError as exc:  # a backing service (database, broker, PBX, device) away: retry later
        log.warning("http.unavailable", method=request.method, path=request.path, error=repr(exc))
        return ApiError(503, getattr(exc, "api_code", "SERVICE_UNAVAILABLE"),
                        "a backing service is not reachable now; retry", headers={"Retry-After": "5"}).response()
    except Exception as exc:
        # The stack goes to the log as plain text (cheap to render), never to the client.
        log.error("http.unhandled", method=request.method, path=request.path, error=repr(exc),
                  stack="".join(traceback.format_exception(exc)))
        return ApiError(500, "INTERNAL_ERROR", "internal error").response()
