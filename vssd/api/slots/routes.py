"""The slots' routes.

Reads: `GET /api/slots` (bare array, filters, `limit`/`offset`/`skip`, `X-Total-Count`) and `GET /api/slots/{id}`.

A directory that can say when its views last changed (`views_version()`, e.g. `SlotControl`) lets the list route
keep the serialised body of its last unfiltered page: an unchanged farm answers with the same bytes.

Administration: `POST /api/slots`, `PATCH|DELETE /api/slots/{id}`, enroll/disable, restart,
reboot-device and adb-command (the routes reference, the operating manual, the WORKSPACE API and the DEMIURGE
API reference).

The ports answer `LookupError` (404), `ValueError(code, message)` (409 for conflicts with the slot's state or
other rows, 422 for bad values), `ConnectionError`/`TimeoutError` (503: the device or adb is unreachable);
`port_call` maps them, and a missing port is a 503 too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from vssd.api.audit_log import AUDIT
from vssd.api.authn import authenticate, require
from vssd.api.body import object_body, optional_body
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import TOTAL_HEADER, Page, list_response, page_of
from vssd.api.rbac import needs
from vssd.api.respond import dumps, json_response
from vssd.api.routing import Route
from vssd.api.slots.adb_command import Refused, allowed_argv
from vssd.api.slots.views import deleted_view
from vssd.fsm.types import SlotType
from vssd.log import get_logger

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


log = get_logger("vssd.api.slot_admin")
_SIP_NUMBER = re.compile(r"[0-9]{3,6}\Z")
TEXT_FIELDS = {"device_id": 128, "name": 100, "device_model": 100}


def _slot_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    problems: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    kind = data.get("type", data.get("device_type"))
    if creating or kind is not None:
        if not isinstance(kind, str) or kind.upper() not in {t.value for t in SlotType}:
            problems.append(detail(["body", "type"], "must be one of auto, mf, ls"))
        else:
            out["type"] = kind.upper()
    if data.get("trunk_id") is not None:
        trunk = data["trunk_id"]
        if isinstance(trunk, bool) or not (isinstance(trunk, int) or (isinstance(trunk, str) and trunk.isdigit())):
            problems.append(detail(["body", "trunk_id"], "must be an integer"))
        else:
            out["trunk_id"] = int(trunk)
    for name, max_len in TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > max_len:
            problems.append(detail(["body", name], f"must be a string of at most {max_len} characters"))
        else:
            out[name] = value
    number = data.get("internal_sip_number")
    if number is not None:
        if not isinstance(number, str | int) or not _SIP_NUMBER.match(str(number)):
            problems.append(detail(["body", "internal_sip_number"], "must be 3 to 6 digits"))
        else:
            out["internal_sip_number"] = str(number)
    if problems:
        raise invalid(problems, "invalid slot fields")
    return out


def _slot_id(request: web.Request) -> str:
    return request.match_info["slot_id"]


@needs("vssd.slots.create")
async def create_slot(request: web.Request) -> web.Response:
    fields = _slot_fields(await object_body(request), creating=True)
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    view = await port_call(admin.create_slot(fields), "trunk")
    return json_response(view, status=201)


@needs("vssd.slots.{slot_id}.update")
async def patch_slot(request: web.Request) -> web.Response:
    data = await object_body(request)
    fields = _slot_fields(data, creating=False)
    refused = sorted(set(fields) - {"name", "device_model", "trunk_id"})
    if refused:
        raise invalid([detail(["body", k], "cannot be changed; delete and create the slot") for k in refused])
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    return json_response(await port_call(admin.patch_slot(_slot_id(request), fields), "slot"))


@needs("vssd.slots.{slot_id}.delete")
async def delete_slot(request: web.Request) -> web.Response:
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    slot_id = _slot_id(request)
    await port_call(admin.delete_slot(slot_id), f"slot {slot_id}")
    return json_response(deleted_view(slot_id))


@needs("vssd.slots.{slot_id}.update")
async def enroll_slot(request: web.Request) -> web.Response:
    data = await optional_body(request)
    fields = _slot_fields({k: v for k, v in data.items() if k == "trunk_id"}, creating=False)
    operator = data.get("operator", data.get("user"))
    if operator is not None and (not isinstance(operator, str) or len(operator) > 64):
        raise invalid([detail(["body", "operator"], "must be a string of at most 64 characters")])
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    trunk = str(fields["trunk_id"]) if "trunk_id" in fields else None
    return json_response(await port_call(admin.enroll(_slot_id(request), trunk, operator), "slot"))


@needs("vssd.slots.{slot_id}.update")
async def disable_slot(request: web.Request) -> web.Response:
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    return json_response(await port_call(admin.disable(_slot_id(request)), "slot"))


@needs("vssd.slots.{slot_id}.update")
async def restart_slot(request: web.Request) -> web.Response:
    admin = port_or_503(deps_of(request).slot_admin, "slot administration")
    return json_response(await port_call(admin.restart(_slot_id(request)), "slot"))


@needs("vssd.slots.{slot_id}.reboot")
async def reboot_device(request: web.Request) -> web.Response:
    devices = port_or_503(deps_of(request).devices, "device control")
    return json_response(await port_call(devices.reboot_device(_slot_id(request)), "slot"))


async def _audit_command(request: web.Request, outcome: str, details: dict[str, Any]) -> None:
    """The adb-command's own audit row (the middleware's row has no body: this one says what was asked)."""
    who = authenticate(request)
    entry = {
        "at": datetime.fromtimestamp(deps_of(request).clock(), UTC).isoformat(), "user_id": who.user_id,
        "username": who.username, "role": who.role, "action": "slots.adb_command",
        "resource": f"slot_id={_slot_id(request)}", "outcome": outcome, "ip": request.remote, "details": details,
    }
    try:
        await request.app[AUDIT].record(entry)
    except Exception as err:
        log.warning("audit.adb_command_unrecorded", error=repr(err), outcome=outcome)


def _shown(data: dict[str, Any]) -> Any:
    """What was asked, bounded, for the audit row."""
    asked = data.get("command", data.get("argv"))
    return asked[:300] if isinstance(asked, str) else [str(a)[:100] for a in asked[:30]] \
        if isinstance(asked, list) else repr(asked)[:300]


@needs("vssd.admin.slots.{slot_id}.shell")
async def adb_command(request: web.Request) -> web.Response:
    """Code execution on a phone: admins only, allowlisted argv, audited whatever the result."""
    who = authenticate(request)
    if who.role != "admin":
        raise ApiError(403, "PERMISSION_DENIED", "adb commands are for administrators only")
    deps = deps_of(request)
    data = await object_body(request)
    try:
        argv = allowed_argv(data)
    except Refused as refused:
        await _audit_command(request, "denied", {"asked": _shown(data), "reason": refused.reason})
        log.warning("slots.adb_command_refused", user=who.username, slot=_slot_id(request), reason=refused.reason)
        raise ApiError(400, "INVALID_PARAMS", f"command refused: {refused.reason}",
                       details=[detail(["body", "command"], refused.reason)]) from None
    devices = port_or_503(deps.devices, "device control")
    try:
        result = await port_call(devices.device_shell(_slot_id(request), argv, deps.adb_command_timeout_s,
                                                      deps.adb_command_max_output), "slot")
    except ApiError as err:
        await _audit_command(request, "failed", {"argv": argv, "error": err.code, "message": err.message})
        raise
    await _audit_command(request, "ok", {"argv": argv, "exit_code": result.get("exit_code"),
                                         "truncated": result.get("truncated")})
    return json_response(result)


ROUTES = (
    Route("GET", "/slots", list_slots),
    Route("GET", "/slots/{slot_id}", get_slot),
    Route("POST", "/slots", create_slot),
    Route("PATCH", "/slots/{slot_id}", patch_slot),
    Route("DELETE", "/slots/{slot_id}", delete_slot),
    Route("POST", "/slots/{slot_id}/enroll", enroll_slot),
    Route("POST", "/slots/{slot_id}/disable", disable_slot),
    Route("POST", "/slots/{slot_id}/restart", restart_slot),
    Route("POST", "/slots/{slot_id}/reboot-device", reboot_device),
    Route("POST", "/slots/{slot_id}/adb-command", adb_command),
)
