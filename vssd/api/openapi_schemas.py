"""The OpenAPI table: one `Op` per (method, route template) of the app, keyed by the `/api/...` spelling
(the `/api/v1/...` twin of a route shares its entry). `vssd.api.openapi.build_document` refuses an app with
a route missing here, so a new route cannot ship undocumented.

Schemas state what the handlers really send: bare arrays for lists (`X-Total-Count` beside them), the SPEC
error shape for every 4xx/5xx. Objects stay open (`additionalProperties` allowed): the seeds' shapes carry
aliases (`id`/`call_id`, `skip`/`offset`) that clients may rely on without the schema listing each.
"""

from __future__ import annotations

from vssd.api.alerts import schema as alerts
from vssd.api.audit import schema as audit
from vssd.api.auth import schema as auth
from vssd.api.autodialer import schema as autodialer
from vssd.api.calls import schema as calls
from vssd.api.console import schema as console
from vssd.api.crm import schema as crm
from vssd.api.dashboard import schema as dashboard
from vssd.api.dci import schema as dci
from vssd.api.monitor import schema as monitor
from vssd.api.notifier import schema as notifier
from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    STR,
    Op,
    Schema,
    array,
    obj,
)
from vssd.api.pbx import schema as pbx
from vssd.api.settings import schema as settings
from vssd.api.slots import schema as slots
from vssd.api.trunks import schema as trunks
from vssd.api.users import schema as users

COMPONENTS: dict[str, Schema] = {
    "Error": obj(("error", "code", "message"), error={"const": True}, code=STR, message=STR,
                 details=array(obj(("loc", "msg"), loc=array({"type": ["string", "integer"]}), msg=STR))),
    **users.COMPONENTS,
    **auth.COMPONENTS,
    **slots.COMPONENTS,
    **calls.COMPONENTS,
    **trunks.COMPONENTS,
    **audit.COMPONENTS,
    "Deleted": obj(("status",), status=STR),
    **monitor.COMPONENTS,
    **alerts.COMPONENTS,
    **crm.COMPONENTS,
    **dashboard.COMPONENTS,
    **settings.COMPONENTS,
    **notifier.COMPONENTS,
    **dci.COMPONENTS,
}

HEALTH = Op("Liveness, version and dependency checks", obj(("status", "service", "version"), status=STR,
                                                          service=STR, version=STR, checks=ANY_OBJ), tag="health")
REALTIME = Op("Real-time endpoint (WebSocket / Engine.IO handshake, not REST)", {}, tag="realtime")

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): HEALTH,
    ("GET", "/api/health"): HEALTH,
    ("GET", "/health/live"): Op("The process serves HTTP", obj(("status",), status=STR), tag="health"),
    ("GET", "/health/ready"): Op("Readiness (503 NOT_READY with checks)", obj(("ready", "checks"), ready=BOOL,
                                                                              checks=ANY_OBJ), tag="health"),
    ("GET", "/metrics"): Op("Prometheus text format", STR, content_type="text/plain", tag="health"),
    ("GET", "/openapi.json"): Op("This document", ANY_OBJ, tag="docs"),
    ("GET", "/docs"): Op("Swagger UI (served locally)", STR, content_type="text/html", tag="docs"),
    ("GET", "/docs/"): Op("Swagger UI (served locally)", STR, content_type="text/html", tag="docs"),
    ("GET", "/docs/{name}"): Op("Swagger UI's static files", STR, content_type="*/*", tag="docs"),
    ("GET", "/ws/events"): REALTIME,
    ("GET", "/socket.io/"): REALTIME,
    ("POST", "/socket.io/"): REALTIME,
    ("OPTIONS", "/socket.io/"): REALTIME,
    **audit.SCHEMAS,
    **auth.SCHEMAS,
    **users.SCHEMAS,
    **slots.SCHEMAS,
    **calls.SCHEMAS,
    **trunks.SCHEMAS,
    **monitor.SCHEMAS,
    **pbx.SCHEMAS,
    **autodialer.SCHEMAS,
    **console.SCHEMAS,
    **alerts.SCHEMAS,
    **crm.SCHEMAS,
    **dashboard.SCHEMAS,
    **settings.SCHEMAS,
    **notifier.SCHEMAS,
    **dci.SCHEMAS,
}
