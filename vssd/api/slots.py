"""`GET /api/slots` (bare array, filters, `limit`/`offset`/`skip`, `X-Total-Count`) and `GET /api/slots/{id}`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from vssd.api.authn import require
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid, not_found
from vssd.api.paging import list_response, page_of
from vssd.api.rbac import needs
from vssd.api.respond import json_response

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
SLOT_TYPES = ("AUTO", "MF", "LS")
STATUSES = ("free", "busy", "offline", "error")
FSM_STATES = ("IDLE", "ASSIGNED", "REGISTERING", "READY", "CALLING", "ACTIVE_CALL", "POSTCALL", "FAULT")

Predicate = Callable[[Mapping[str, Any]], bool]


def _choice(query: Mapping[str, str], name: str, choices: tuple[str, ...], field: str,
            problems: list[dict[str, Any]]) -> Predicate | None:
    """A case-insensitive filter on one of a fixed set of words."""
    raw = query.get(name)
    if raw in (None, ""):
        return None
    by_fold = {c.casefold(): c for c in choices}
    wanted = by_fold.get(raw.casefold())
    if wanted is None:
        problems.append(detail(["query", name], f"must be one of {', '.join(choices)}"))
        return None
    return lambda view: str(view.get(field, "")).casefold() == wanted.casefold()


def filters_of(query: Mapping[str, str]) -> list[Predicate]:
    problems: list[dict[str, Any]] = []
    found = [
        _choice(query, "type", SLOT_TYPES, "type", problems),
        _choice(query, "status", STATUSES, "status", problems),
        _choice(query, "fsm_state", FSM_STATES, "fsm_state", problems),
    ]
    trunk = query.get("trunk_id")
    if trunk not in (None, ""):
        found.append(lambda view: str(view.get("trunk_id")) == trunk)
    if problems:
        raise invalid(problems, "invalid slot filter")
    return [f for f in found if f is not None]


@needs("vssd.slots.read")
async def list_slots(request: web.Request) -> web.Response:
    require(request, "vssd.slots.read")
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    predicates = filters_of(request.query)
    views = [v for v in deps_of(request).slots.slot_views() if all(p(v) for p in predicates)]
    return list_response(page.cut(views), len(views))


@needs("vssd.slots.{slot_id}.read")
async def get_slot(request: web.Request) -> web.Response:
    slot_id = request.match_info["slot_id"]
    require(request, f"vssd.slots.{slot_id}.read" if slot_id.isalnum() else "vssd.slots.read")
    view = deps_of(request).slots.slot_view(slot_id)
    if view is None:
        raise not_found(f"slot {slot_id} not found")
    return json_response(view)


def add_routes(app: web.Application) -> None:
    for prefix in ("/api", "/api/v1"):
        app.router.add_get(f"{prefix}/slots", list_slots)
        app.router.add_get(f"{prefix}/slots/{{slot_id}}", get_slot)
