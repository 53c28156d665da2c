"""PBX routes (the WORKSPACE API's "SIP / PBX API"): `GET /api/pbx/status` (trunk and endpoint states from the AMI link,
queried live), `POST /api/pbx/dial` (`{"from": "slot_12", "to": "+380…", "trunk": "trunk-1"}`: a manual call
through the same dial gate as `/api/call/start`), `POST /api/pbx/route` (`{"call_id", "exten", "context"}`:
AMI Redirect of a live call's connect side) and `GET /api/pbx/cdr/{id}` (one stored call with its legs).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.api.authn import authenticate
from vssd.api.body import object_body, text_field
from vssd.api.calls.routes import MAX_NUMBER, call_id_of, desk_of, refused, visible
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found
from vssd.api.pbx.views import dialed_view
from vssd.api.ports import PbxDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.calls.gate import DialRefused

DEFAULT_CONTEXT = "vssd-connect"


def pbx_of(request: web.Request) -> PbxDesk:
    pbx = deps_of(request).pbx
    if pbx is None:
        raise ApiError(503, "AST_001", "the PBX link is not available on this daemon")
    return pbx


@needs("vssd.pbx.read")
async def status(request: web.Request) -> web.Response:
    return json_response(await pbx_of(request).pbx_status())


@needs("vssd.pbx.create")
async def dial(request: web.Request) -> web.Response:
    desk = desk_of(request)
    data = await object_body(request)
    problems: list[dict[str, Any]] = []
    source = data.get("from", data.get("slot", data.get("slot_id")))
    if isinstance(source, bool) or not isinstance(source, str | int) or not str(source).strip():
        problems.append(detail(["body", "from"], "a slot (slot_<id>, an id or a type) is required"))
    to = text_field(data, "to", problems, max_len=MAX_NUMBER)
    trunk = data.get("trunk")
    if trunk is not None and not isinstance(trunk, str | int):
        problems.append(detail(["body", "trunk"], "must be a trunk id or name"))
    if problems:
        raise invalid(problems, "invalid dial request")
    who = authenticate(request)
    try:
        view = await desk.start_call(to.strip(), str(source).strip(), user_id=who.user_id or None,
                                     trunk=str(trunk) if trunk not in (None, "") else None)
    except DialRefused as err:
        raise refused(err) from None
    return json_response(dialed_view(view, source, trunk))


@needs("vssd.pbx.update")
async def route(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    data = await object_body(request)
    problems: list[dict[str, Any]] = []
    call_id = call_id_of(data.get("call_id"))
    if call_id is None:
        problems.append(detail(["body", "call_id"], "a call id is required"))
    exten = data.get("exten", data.get("to"))
    if not isinstance(exten, str | int) or isinstance(exten, bool) or not str(exten).strip() or len(str(exten)) > 64:
        problems.append(detail(["body", "exten"], "an extension (or `to`) is required"))
    context = data.get("context", DEFAULT_CONTEXT)
    if not isinstance(context, str) or not context.strip() or len(context) > 80:
        problems.append(detail(["body", "context"], "must be a dialplan context name"))
    if problems:
        raise invalid(problems, "invalid route request")
    assert call_id is not None
    try:
        view = await pbx.route_call(call_id, str(exten).strip(), context.strip())
    except DialRefused as err:
        raise refused(err) from None
    return json_response(view)


@needs("vssd.cdr.read")
async def cdr(request: web.Request) -> web.Response:
    call_id = request.match_info["call_id"]
    record = await desk_of(request).cdr(call_id_of(call_id) or call_id)
    if record is None or not visible(authenticate(request), record):
        raise not_found(f"no CDR for call {call_id}")
    return json_response(record)


ROUTES = (
    Route("GET", "/pbx/status", status),
    Route("POST", "/pbx/dial", dial),
    Route("POST", "/pbx/route", route),
    Route("GET", "/pbx/cdr/{call_id}", cdr),
)
