"""CORS for browser front-ends (aiohttp-cors), on every route but the real-time ones.

`allow_cors(app, origins)` runs in `make_app` once every route exists and before the OpenAPI document is built
(aiohttp-cors adds one public OPTIONS route per resource for the preflight; the RBAC table declares them so
deny-by-default still holds, and the document lists them as "CORS preflight").
Socket.IO's route is left alone (engine.io answers CORS itself and the two clash), and so is the WebSocket
upgrade (`realtime.cors_exempt`). Tokens are bearer headers, never cookies: credentials are not allowed.

List routes set `Access-Control-Expose-Headers` themselves (`paging.list_response`, for clients that ignore
CORS); aiohttp-cors refuses a response that already has it, so on a request with an `Origin` it is dropped
before aiohttp-cors sets its own (which names the same headers).
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp_cors
from aiohttp import hdrs, web

from vssd.api import rbac, realtime

EXPOSED = ("X-Total-Count", "X-Total-Count-Capped", "Retry-After", "X-Request-Id")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", "X-Requested-With", "X-Request-Id")
MAX_AGE_S = 600


def is_preflight(route: web.AbstractRoute) -> bool:
    """An OPTIONS route aiohttp-cors added (the OpenAPI document lists them as one generic operation)."""
    return route.method == hdrs.METH_OPTIONS and getattr(route.handler, "__module__", "").startswith("aiohttp_cors")


async def _drop_own_expose_header(request: web.Request, response: web.StreamResponse) -> None:
    if hdrs.ORIGIN in request.headers:
        response.headers.popall(hdrs.ACCESS_CONTROL_EXPOSE_HEADERS, None)


def allow_cors(app: web.Application, origins: Sequence[str]) -> None:
    """Answer preflights and add CORS headers for `origins` (exact `scheme://host[:port]` strings)."""
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(allow_credentials=False, expose_headers=EXPOSED,
                                           allow_headers=ALLOWED_HEADERS, allow_methods="*", max_age=MAX_AGE_S)
    app.on_response_prepare.append(_drop_own_expose_header)  # before aiohttp-cors' own handler
    cors = aiohttp_cors.setup(app, defaults={origin: options for origin in origins})
    for route in list(app.router.routes()):
        if route.method != hdrs.METH_OPTIONS and not realtime.cors_exempt(route):
            cors.add(route)
    table = app.setdefault(rbac.ROUTE_NEEDS, {})
    for route in app.router.routes():
        if route.method == hdrs.METH_OPTIONS and rbac.needs_of(app, route) is None:
            table[route] = rbac.Needs(None)  # the preflight: public, as CORS requires
    rbac.check_routes(app)
