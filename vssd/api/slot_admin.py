"""Slot administration: `POST /api/slots`, `PATCH|DELETE /api/slots/{id}`, enroll/disable, restart,
reboot-device and adb-command (the routes reference, the operating manual, the WORKSPACE API and the DEMIURGE
API reference). Reads stay in `slots.py`.

The ports answer `LookupError` (404), `ValueError(code, message)` (409 for conflicts with the slot's state or
other rows, 422 for bad values), `ConnectionError`/`TimeoutError` (503: the device or adb is unreachable);
`port_call` maps them, and a missing port is a 503 too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from vssd.api.adb_command import Refused, allowed_argv
from vssd.api.audit import AUDIT
from vssd.api.authn import authenticate
from vssd.api.body import object_body
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.fsm.types import SlotType
from vssd.log import get_logger

log = get_logger("vssd.api.slot_admin")
T = TypeVar("T")
CONFLICTS = frozenset({"SLOT_BUSY", "SLOT_STATE", "SLOT_001", "SLOT_002", "TRUNK_001", "TRUNK_002", "NO_DEVICE",
                       "CONFLICT"})
_SIP_NUMBER = re.compile(r"[0-9]{3,6}\Z")
TEXT_FIELDS = {"device_id": 128, "name": 100, "device_model": 100}


def port_or_503(port: T | None, what: str) -> T:
    if port is None:
        raise ApiError(503, "SERVICE_UNAVAILABLE", f"{what} is not available in this process")
    return port


async def port_call(call: Awaitable[T], what: str) -> T:
    """Await a port call and turn its documented errors into API errors."""
    try:
        return await call
    except LookupError:
        raise not_found(f"{what} not found") from None
    except ValueError as err:
        code, message = (err.args[0], err.args[1]) if len(err.args) >= 2 else ("INVALID_PARAMS", str(err))
        status = 409 if code in CONFLICTS else 422
        raise ApiError(status, str(code), str(message)) from None
    except TimeoutError:
        raise ApiError(503, "DEVICE_TIMEOUT", f"{what}: the device did not answer in time") from None
    except ConnectionError as err:  # a device, the database or the broker; adapters name their code
        raise ApiError(503, getattr(err, "api_code", "DEVICE_UNAVAILABLE"), str(err) or f"{what} is unreachable") \
            from None


async def optional_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body, or {} when there is none (enroll/disable/restart may be sent bare)."""
    if not request.can_read_body or (request.content_length == 0):
        return {}
    return await object_body(request)


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
    return json_response({"status": "deleted", "slot": int(slot_id) if slot_id.isdigit() else slot_id})


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
    Route("POST", "/slots", create_slot),
    Route("PATCH", "/slots/{slot_id}", patch_slot),
    Route("DELETE", "/slots/{slot_id}", delete_slot),
    Route("POST", "/slots/{slot_id}/enroll", enroll_slot),
    Route("POST", "/slots/{slot_id}/disable", disable_slot),
    Route("POST", "/slots/{slot_id}/restart", restart_slot),
    Route("POST", "/slots/{slot_id}/reboot-device", reboot_device),
    Route("POST", "/slots/{slot_id}/adb-command", adb_command),
)
