"""Roles: `GET|POST /api/roles`, `POST /api/roles/{id}` (the routes reference, the operating manual and the
WORKSPACE API).

Permissions come in any of the documented forms — canonical dotted strings, aliases (`calls:read`,
`call.start`, `slots:write`) or `{"calls": ["read"], "OTTB": ["read", "write"]}` — and are stored
canonical. A role may not grant anything its creator (or editor) lacks; the builtin roles (admin, manager,
supervisor, operator, seller: `vssd.api.rbac.BUILTIN_ROLES`, synced into the store at start) are fixed.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from vssd.api.authn import authenticate
from vssd.api.body import object_body
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found
from vssd.api.paging import list_response, page_of
from vssd.api.rbac import covers, needs, normalize
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.users import admin_of, refused

NAME = re.compile(r"[a-z][a-z0-9_-]{1,49}\Z")


def _permissions(request: web.Request, raw: Any) -> list[str]:
    try:
        perms = normalize(raw)
    except ValueError as err:
        raise invalid([detail(["body", "permissions"], str(err))], "invalid role") from None
    who = authenticate(request)
    beyond = [p for p in perms if not covers(who.permissions, p)]
    if beyond:
        raise ApiError(403, "PERMISSION_DENIED", f"a role cannot grant what you lack: {', '.join(beyond)}")
    return perms


def _description(data: dict[str, Any]) -> str | None:
    value = data.get("description")
    if value is not None and (not isinstance(value, str) or len(value) > 500):
        raise invalid([detail(["body", "description"], "must be a string of at most 500 characters")])
    return value


@needs("vssd.roles.read")
async def list_roles(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=500, max_limit=500)
    roles = await admin_of(deps_of(request)).list_roles()
    return list_response(page.cut(roles), len(roles))


@needs("vssd.roles.create")
async def create_role(request: web.Request) -> web.Response:
    data = await object_body(request)
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise invalid([detail(["body", "name"], "2-50 of a-z, 0-9, _ and -, starting with a letter")])
    if "permissions" not in data:
        raise invalid([detail(["body", "permissions"], "field required")])
    perms = _permissions(request, data["permissions"])
    try:
        role = await admin_of(deps_of(request)).create_role(name, _description(data) or "", perms)
    except ValueError as err:
        raise refused(err) from None
    return json_response(role, status=201)


@needs("vssd.roles.update")
async def update_role(request: web.Request) -> web.Response:
    admin = admin_of(deps_of(request))
    role_id = request.match_info["role_id"]
    current = await admin.get_role(role_id)
    if current is None:
        raise not_found(f"role {role_id[:64]} not found")
    if current["builtin"]:
        raise ApiError(409, "ROLE_003", f"role {current['name']} is builtin (the documented rights) and fixed")
    data = await object_body(request)
    perms = _permissions(request, data["permissions"]) if "permissions" in data else None
    try:
        role = await admin.update_role(str(current["id"]), _description(data), perms)
    except LookupError:
        raise not_found(f"role {role_id[:64]} not found") from None
    return json_response(role)


ROUTES = (
    Route("GET", "/roles", list_roles),
    Route("POST", "/roles", create_role),
    Route("POST", "/roles/{role_id}", update_role),
)
