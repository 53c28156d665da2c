"""`GET /openapi.json`: an OpenAPI 3.1 document built once at start-up from the app's router.

Every route (HEAD twins aside) must have an entry in `openapi_schemas.SCHEMAS` under its `/api/...`
spelling; `attach(app)` raises RuntimeError otherwise, so make_app refuses to build such an app (as
rbac.check_routes does for permissions). The `/api/v1/...` twins are listed once, under `/api/...`.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from vssd.api import cors, rbac
from vssd.api.openapi_base import Op, ref
from vssd.api.openapi_schemas import COMPONENTS, SCHEMAS
from vssd.api.rbac import public
from vssd.api.respond import json_response
from vssd.api.routing import Route

V1 = "/api/v1/"
SKIPPED_METHODS = ("HEAD",)
DOCUMENT: web.AppKey[dict[str, Any]] = web.AppKey("vssd_openapi_document", dict)
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
ERROR = {"description": "error (SPEC format)", "content": {"application/json": {"schema": ref("Error")}}}
PREFLIGHT = Op("CORS preflight (aiohttp-cors): headers for the origins in http.cors_allow_origins, 403 for others "
               "(needs Origin and Access-Control-Request-Method)", {}, content_type="text/plain", tag="cors")


def documented_path(path: str) -> str:
    """The document's spelling of a route template: `/api/v1/x` → `/api/x`, regex parts dropped."""
    if path.startswith(V1):
        path = "/api/" + path[len(V1):]
    return _PARAM.sub(r"{\1}", path)


def route_keys(app: web.Application) -> list[tuple[str, str, web.AbstractRoute]]:
    """(METHOD, documented path, route) for every route the document must cover."""
    return [(r.method, documented_path(r.resource.canonical), r) for r in app.router.routes()
            if r.resource is not None and r.method not in SKIPPED_METHODS]


def _permission(app: web.Application, route: web.AbstractRoute) -> str:
    spec = rbac.needs_of(app, route)
    if spec is None or spec.permission is None:
        return "public"
    if spec.permission == rbac.AUTHENTICATED:
        return "any valid token"
    return f"`{spec.permission}`" + (f" (or its own form via `{spec.own}`)" if spec.own else "")


def _operation(op: Op, method: str, path: str, permission: str) -> dict[str, Any]:
    ok_content = {op.content_type: {"schema": op.ok}} if op.ok else {"*/*": {"schema": {}}}
    out: dict[str, Any] = {
        "summary": op.summary, "tags": [op.tag],
        "operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path).rstrip('_')}"
                       + ("_slash" if path.endswith("/") else ""),
        "description": f"Permission: {permission}.",
        "security": [] if permission == "public" else [{"bearer": []}],
        "responses": {str(op.status): {"description": "success", "content": ok_content},
                      "4XX": ERROR, "5XX": ERROR},
    }
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in _PARAM.findall(path)]
    params += [{"name": p.name, "in": "query", "required": p.required, "schema": p.schema} for p in op.query]
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": False, "content": {"application/json": {"schema": op.body}}}
    return out


def _op(method: str, path: str, route: web.AbstractRoute) -> Op | None:
    return SCHEMAS.get((method, path)) or (PREFLIGHT if cors.is_preflight(route) else None)


def build_document(app: web.Application, version: str) -> dict[str, Any]:
    """The document; RuntimeError naming every route without a schema entry."""
    missing = sorted({f"{m} {p}" for m, p, r in route_keys(app) if _op(m, p, r) is None})
    if missing:
        raise RuntimeError(f"routes without an OpenAPI schema entry: {', '.join(missing)}")
    paths: dict[str, dict[str, Any]] = {}
    for method, path, route in route_keys(app):
        op = _op(method, path, route)
        assert op is not None
        paths.setdefault(path, {})[method.lower()] = _operation(op, method, path, _permission(app, route))
    return {
        "openapi": "3.1.0",
        "info": {"title": "VSS API", "version": version,
                 "description": "Every `/api/...` route also answers under `/api/v1/...` (listed once). "
                                "Errors: `{error: true, code, message, details?}`."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": COMPONENTS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


@public
async def openapi_json(request: web.Request) -> web.Response:
    return json_response(request.app[DOCUMENT])


ROUTES = (Route("GET", "/openapi.json", openapi_json, prefixed=False),)


def attach(app: web.Application, version: str) -> None:
    """Build the document from the (complete) router; call after every route is added."""
    app[DOCUMENT] = build_document(app, version)
