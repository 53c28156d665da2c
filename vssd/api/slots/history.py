"""`GET /api/slots/{id}/history?limit=&offset=`: the slot's FSM transitions, newest first (the console's slot
panel), from the store's `slot_transitions` — what the batch writer persisted, so the last few hundred
milliseconds of transitions may not be there yet. Bare array with `X-Total-Count`, like every list.

A row: at (ISO-8601 UTC), from_state, to_state, event/trigger, cause, reason (the cause, else the trigger),
call_id (when the slot carried a call). An unknown slot is 404; the permission is GET /api/slots/{id}'s.
"""

from __future__ import annotations

from aiohttp import web

from vssd.api.authn import require
from vssd.api.deps import deps_of
from vssd.api.errors import not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.rbac import needs
from vssd.api.routing import Route

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@needs("vssd.slots.{slot_id}.read")
async def slot_history(request: web.Request) -> web.Response:
    slot_id = request.match_info["slot_id"]
    require(request, f"vssd.slots.{slot_id}.read" if slot_id.isalnum() else "vssd.slots.read")
    page = page_of(request.query, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    deps = deps_of(request)
    if deps.slots.slot_view(slot_id) is None:
        raise not_found(f"slot {slot_id} not found")
    history = port_or_503(deps.slot_history, "slot history")
    rows, total = await port_call(history.slot_history(slot_id, page.limit, page.offset), f"slot {slot_id} history")
    return list_response(rows, total)


ROUTES = (Route("GET", "/slots/{slot_id}/history", slot_history),)
