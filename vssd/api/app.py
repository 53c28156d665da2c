"""The aiohttp application of the VSS API: one app, every area's routes, the error/observe middlewares.

    app = make_app(ApiDeps(slots=..., calls=..., users=..., readiness=..., verify_password=verify_password,
                           jwt_secret=secret, metrics=metrics, demo=True))
    server = ApiServer(app, [("127.0.0.1", 3000), ("127.0.0.1", 8083)])
    await server.start() … await server.stop()
"""

from __future__ import annotations

from aiohttp import web

from vssd.api import auth, calls, health, metrics_route, realtime, slots
from vssd.api.deps import DEPS, ApiDeps
from vssd.api.middleware import errors, observe
from vssd.api.server import ApiServer

__all__ = ["ApiDeps", "ApiServer", "make_app"]

AREAS = (health, metrics_route, auth, slots, calls)


def make_app(deps: ApiDeps) -> web.Application:
    app = web.Application(middlewares=[observe, errors], client_max_size=deps.max_body_bytes)
    app[DEPS] = deps
    for area in AREAS:
        area.add_routes(app)
    realtime.attach(app)  # /ws/events and Socket.IO (/socket.io/); keep aiohttp-cors off the latter
    return app
