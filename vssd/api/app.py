"""The aiohttp application of the VSS API: one app, every area's routes, the error/observe middlewares.

    app = make_app(ApiDeps(slots=..., calls=..., users=..., readiness=..., verify_password=verify_password,
                           jwt_secret=secret, metrics=metrics, demo=True))
    server = ApiServer(app, [("127.0.0.1", 3000), ("127.0.0.1", 8083)])
    await server.start() … await server.stop()
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from vssd.api import (
    audit_log,
    docs_ui,
    health,
    metrics_route,
    openapi,
    passwords,
    rbac,
    realtime,
)
from vssd.api.alerts import routes as alerts
from vssd.api.audit import routes as audit
from vssd.api.auth import routes as auth
from vssd.api.authn import STATE, GuardedState, authorize
from vssd.api.autodialer import routes as autodialer
from vssd.api.calls import routes as calls
from vssd.api.console import routes as console
from vssd.api.cors import allow_cors
from vssd.api.crm import routes as crm
from vssd.api.dashboard import routes as dashboard
from vssd.api.dci import routes as dci
from vssd.api.deps import DEPS, ApiDeps
from vssd.api.middleware import errors, observe
from vssd.api.monitor import routes as monitor
from vssd.api.notifier import routes as notifier
from vssd.api.pbx import routes as pbx
from vssd.api.ratelimit import LocalAuthState
from vssd.api.routing import Route, register
from vssd.api.server import ApiServer
from vssd.api.settings import routes as settings
from vssd.api.slots import history as slot_history
from vssd.api.slots import routes as slots
from vssd.api.trunks import routes as trunks
from vssd.api.users import routes as users
from vssd.config.models import DEMO_CORS_ORIGINS

__all__ = ["ApiDeps", "ApiServer", "make_app"]

AREAS = (health, metrics_route, audit, auth, users, slots, slot_history, calls, pbx, trunks, monitor, autodialer,
         dashboard, alerts, crm, settings, notifier, dci, openapi, docs_ui, console)
# The one route table: every area's rows, registered under `/api` and `/api/v1` (see `routing`).
ROUTES: tuple[Route, ...] = tuple(row for area in AREAS for row in area.ROUTES)
SETUPS = (health.setup, audit_log.setup, passwords.setup, slots.setup, settings.setup, docs_ui.setup, console.setup)
# Routes that authenticate on their own (SPEC: token in the auth payload, query or first message).
SELF_AUTHENTICATED = ("/ws/", "/socket.io")


def make_app(deps: ApiDeps, cors_origins: Sequence[str] | None = None) -> web.Application:
    """`cors_origins`: the browser origins allowed (`http.cors_allow_origins`); None → the demo front-ends."""
    app = web.Application(middlewares=[observe, errors, audit_log.audit, authorize],
                          client_max_size=deps.max_body_bytes)
    app[DEPS] = deps
    app[STATE] = GuardedState(deps.auth_state or LocalAuthState(deps.clock))
    origins = tuple(DEMO_CORS_ORIGINS if cors_origins is None else cors_origins)
    app[realtime.CORS_ORIGINS] = origins
    for setup in SETUPS:
        setup(app)
    register(app, ROUTES)
    realtime.attach(app)  # /ws/events and Socket.IO (/socket.io/); keep aiohttp-cors off the latter
    rbac.declare_prefixes(app, SELF_AUTHENTICATED, rbac.Needs(None))
    rbac.check_routes(app)  # deny by default: an undeclared route fails start-up
    allow_cors(app, origins)  # every route exists now (the preflights are documented too)
    openapi.attach(app, deps.version)  # likewise a route without an OpenAPI schema entry
    return app
