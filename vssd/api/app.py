"""The aiohttp application of the VSS API: one app, every area's routes, the error/observe middlewares.

    app = make_app(ApiDeps(slots=..., calls=..., users=..., readiness=..., verify_password=verify_password,
                           jwt_secret=secret, metrics=metrics, demo=True))
    server = ApiServer(app, [("127.0.0.1", 3000), ("127.0.0.1", 8083)])
    await server.start() … await server.stop()
"""

from __future__ import annotations

from aiohttp import web

from vssd.api import (
    audit,
    auth,
    calls,
    docs_ui,
    health,
    metrics_route,
    monitor,
    openapi,
    pbx,
    rbac,
    realtime,
    roles,
    slot_admin,
    slots,
    trunks,
    users,
)
from vssd.api.authn import STATE, GuardedState, authorize
from vssd.api.deps import DEPS, ApiDeps
from vssd.api.middleware import errors, observe
from vssd.api.ratelimit import LocalAuthState
from vssd.api.server import ApiServer

__all__ = ["ApiDeps", "ApiServer", "make_app"]

AREAS = (health, metrics_route, audit, auth, users, roles, slots, calls, pbx, slot_admin, trunks, monitor, openapi,
         docs_ui)
# Routes that authenticate on their own (SPEC: token in the auth payload, query or first message).
SELF_AUTHENTICATED = ("/ws/", "/socket.io")


def make_app(deps: ApiDeps) -> web.Application:
    app = web.Application(middlewares=[observe, errors, audit.audit, authorize], client_max_size=deps.max_body_bytes)
    app[DEPS] = deps
    app[STATE] = GuardedState(deps.auth_state or LocalAuthState(deps.clock))
    for area in AREAS:
        area.add_routes(app)
    realtime.attach(app)  # /ws/events and Socket.IO (/socket.io/); keep aiohttp-cors off the latter
    rbac.declare_prefixes(app, SELF_AUTHENTICATED, rbac.Needs(None))
    rbac.check_routes(app)  # deny by default: an undeclared route fails start-up
    openapi.attach(app, deps.version)  # likewise a route without an OpenAPI schema entry
    return app
