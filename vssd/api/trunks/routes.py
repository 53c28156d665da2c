"""Trunks (the operating manual's "Создание транка"): `GET|POST /api/trunks`, `GET|PATCH|DELETE /api/trunks/{id}`.

A trunk is a hub of one slot type (auto/mf/ls) with a capacity; views add `slots_count`. Deleting a trunk
leaves its slots in place, bound to no trunk.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.api.body import object_body
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.ports import TrunkAdmin
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.trunks.views import deleted_view

TYPES = ("auto", "mf", "ls")
MAX_CAPACITY = 10_000


def _trunks(request: web.Request) -> TrunkAdmin:
    return port_or_503(deps_of(request).trunks, "trunk administration")


def _trunk_id(request: web.Request) -> int:
    raw = request.match_info["trunk_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise not_found(f"trunk {raw} not found")
    return int(raw)


def _fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    problems: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    name = data.get("name")
    if creating or name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append(detail(["body", "name"], "required: a string of 1 to 100 characters"))
        else:
            out["name"] = name.strip()
    kind = data.get("type")
    if creating or kind is not None:
        if not isinstance(kind, str) or kind.lower() not in TYPES:
            problems.append(detail(["body", "type"], f"must be one of {', '.join(TYPES)}"))
        else:
            out["type"] = kind.upper()
    capacity = data.get("capacity")
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
            problems.append(detail(["body", "capacity"], f"must be an integer from 0 to {MAX_CAPACITY}"))
        else:
            out["capacity"] = capacity
    description = data.get("description")
    if description is not None:
        if not isinstance(description, str) or len(description) > 500:
            problems.append(detail(["body", "description"], "must be a string of at most 500 characters"))
        else:
            out["description"] = description
    config = data.get("config")
    if config is not None:
        if not isinstance(config, dict):
            problems.append(detail(["body", "config"], "must be an object"))
        else:
            out["config"] = config
    if problems:
        raise invalid(problems, "invalid trunk fields")
    return out


@needs("vssd.trunks.read")
async def list_trunks(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=1000, max_limit=5000)
    items = await port_call(_trunks(request).list_trunks(), "trunks")
    kind = request.query.get("type")
    if kind:
        items = [t for t in items if str(t.get("type", "")).lower() == kind.lower()]
    return list_response(page.cut(items), len(items))


@needs("vssd.trunks.create")
async def create_trunk(request: web.Request) -> web.Response:
    fields = _fields(await object_body(request), creating=True)
    return json_response(await port_call(_trunks(request).create_trunk(fields), "trunk"), status=201)


@needs("vssd.trunks.{trunk_id}.read")
async def get_trunk(request: web.Request) -> web.Response:
    trunk_id = _trunk_id(request)
    view = await port_call(_trunks(request).get_trunk(trunk_id), "trunk")
    if view is None:
        raise not_found(f"trunk {trunk_id} not found")
    return json_response(view)


@needs("vssd.trunks.{trunk_id}.update")
async def patch_trunk(request: web.Request) -> web.Response:
    trunk_id = _trunk_id(request)
    fields = _fields(await object_body(request), creating=False)
    return json_response(await port_call(_trunks(request).update_trunk(trunk_id, fields), f"trunk {trunk_id}"))


@needs("vssd.trunks.{trunk_id}.delete")
async def delete_trunk(request: web.Request) -> web.Response:
    trunk_id = _trunk_id(request)
    await port_call(_trunks(request).delete_trunk(trunk_id), f"trunk {trunk_id}")
    return json_response(deleted_view(trunk_id))


ROUTES = (
    Route("GET", "/trunks", list_trunks),
    Route("POST", "/trunks", create_trunk),
    Route("GET", "/trunks/{trunk_id}", get_trunk),
    Route("PATCH", "/trunks/{trunk_id}", patch_trunk),
    Route("DELETE", "/trunks/{trunk_id}", delete_trunk),
)
