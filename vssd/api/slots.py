"""`GET /api/slots` (bare array, filters, `limit`/`offset`/`skip`, `X-Total-Count`) and `GET /api/slots/{id}`.

A directory that can say when its views last changed (`views_version()`, e.g. `SlotControl`) lets the list route
keep the serialised body of its last unfiltered page: an unchanged farm answers with the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from vssd.api.authn import require
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid, not_found
from vssd.api.paging import TOTAL_HEADER, Page, list_response, page_of
from vssd.api.rbac import needs
from vssd.api.respond import dumps, json_response
from vssd.api.routing import Route
from vssd.fsm.types import SlotType

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
SLOT_TYPES = tuple(t.value for t in SlotType)
STATUSES = ("free", "busy", "offline", "error")
FSM_STATES = ("IDLE", "ASSIGNED", "REGISTERING", "READY", "CALLING", "ACTIVE_CALL", "POSTCALL", "FAULT")

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(slots=True)
class _Body:
    """The last unfiltered page served: its key (directory, views version, page) and its bytes; and each slot's
    serialised view, kept with the view dict it was made from (a changed slot gets a new dict from the farm's
    cache, so identity says whether the bytes still hold)."""

    key: tuple[int, int, int, int] | None = None
    body: bytes = b""
    total: int = 0
    parts: dict[Any, tuple[dict[str, Any], bytes]] = field(default_factory=dict)

    def page_bytes(self, views: list[dict[str, Any]]) -> bytes:
        """`dumps(views)`, re-serialising only the views that changed since the last page."""
        parts = self.parts
        out = []
        for view in views:
            held = parts.get(view.get("id"))
            if held is None or held[0] is not view:
                held = parts[view.get("id")] = (view, dumps(view))
            out.append(held[1])
        if len(parts) > 2 * len(views) + 100:  # slots removed meanwhile
            alive = {v.get("id") for v in views}
            for slot_id in [k for k in parts if k not in alive]:
                del parts[slot_id]
        return b"[" + b",".join(out) + b"]"


BODY = web.AppKey("slots_body", _Body)


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
    directory = deps_of(request).slots
    if predicates:
        views = [v for v in directory.slot_views() if all(p(v) for p in predicates)]
        return list_response(page.cut(views), len(views))
    return _unfiltered(request.app[BODY], directory, page)


def _unfiltered(cache: _Body, directory: Any, page: Page) -> web.Response:
    """The whole list, paginated: served from the kept bytes while the directory's views are unchanged."""
    version_of = getattr(directory, "views_version", None)
    version = version_of() if version_of is not None else None
    key = (id(directory), version, page.limit, page.offset) if version is not None else None
    if key is None or key != cache.key:
        views = directory.slot_views()
        cache.body, cache.total = cache.page_bytes(page.cut(views)), len(views)
        cache.key = key
    return web.Response(body=cache.body, content_type="application/json",
                        headers={TOTAL_HEADER: str(cache.total), "Access-Control-Expose-Headers": TOTAL_HEADER})


@needs("vssd.slots.{slot_id}.read")
async def get_slot(request: web.Request) -> web.Response:
    slot_id = request.match_info["slot_id"]
    require(request, f"vssd.slots.{slot_id}.read" if slot_id.isalnum() else "vssd.slots.read")
    view = deps_of(request).slots.slot_view(slot_id)
    if view is None:
        raise not_found(f"slot {slot_id} not found")
    return json_response(view)


def setup(app: web.Application) -> None:
    app[BODY] = _Body()


ROUTES = (
    Route("GET", "/slots", list_slots),
    Route("GET", "/slots/{slot_id}", get_slot),
)
