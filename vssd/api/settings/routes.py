"""System settings and info (the Smart Call Center API): `GET|PUT /api/admin/settings`,
`POST /api/admin/settings/asterisk/test`, `GET /api/admin/system/info`; admin only.

Settings never saved read as the defaults the daemon runs with (`ApiDeps.settings_defaults`: its config). A PUT
may send the whole object or only what changes; it is validated whole (422 with a detail per field, unknown
fields refused), stored (the AMI password encrypted at rest, never answered), applied to the live daemon
(`ApiDeps.settings_applied`: wrap-up time, API rate limit) and audited with the names of the changed fields.

The Asterisk test connects only to loopback and to the configured AMI hosts (the SSRF rule, enforced by the
probe before any packet: 422 HOST_NOT_ALLOWED otherwise); it answers 200 with `success` and what happened.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from vssd.api.audit_log import note
from vssd.api.authn import authenticate
from vssd.api.body import object_body
from vssd.api.deps import DEPS, ApiDeps, deps_of
from vssd.api.errors import ApiError, detail, invalid, port_or_503
from vssd.api.ports import SettingsStore
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.settings.model import AsteriskTest, SystemSettings, merged
from vssd.api.settings.views import info_view, settings_view, test_view

SECRET_FIELDS = ("asterisk_config.password",)


def _store(deps: ApiDeps) -> SettingsStore:
    return port_or_503(deps.settings, "system settings")


def _validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise invalid([detail(["body", *e["loc"]], e["msg"]) for e in err.errors()], "invalid settings") from None


async def current_settings(deps: ApiDeps) -> dict[str, Any]:
    """The defaults under what is stored (a field the store lacks, e.g. one added by a later release, reads
    as its default)."""
    base = SystemSettings.model_validate(merged(SystemSettings().model_dump(), dict(deps.settings_defaults)))
    stored = await _store(deps).load() or {}
    values = merged(base.model_dump(), {k: v for k, v in stored.items() if k in SystemSettings.model_fields})
    if isinstance(stored.get("asterisk_config"), dict):
        values["asterisk_config"]["password"] = stored["asterisk_config"].get("password")
    return {**values, "updated_by": stored.get("updated_by"), "updated_at": stored.get("updated_at")}


def _changes(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in after.items():
        if isinstance(value, dict) and isinstance(before.get(key), dict):
            out += _changes(before[key], value, f"{prefix}{key}.")
        elif before.get(key) != value:
            out.append(f"{prefix}{key}")
    return out


@needs("vssd.admin.settings.read")
async def get_settings(request: web.Request) -> web.Response:
    return json_response(settings_view(await current_settings(deps_of(request))))


@needs("vssd.admin.settings.update")
async def put_settings(request: web.Request) -> web.Response:
    deps = deps_of(request)
    data = await object_body(request)
    current = await current_settings(deps)
    before = {k: v for k, v in current.items() if k not in ("updated_by", "updated_at")}
    model: SystemSettings = _validated(SystemSettings, merged(before, data))
    values = model.model_dump()
    saved = await _store(deps).save(values, authenticate(request).user_id)
    if deps.settings_applied is not None:
        deps.settings_applied(values)
    changed = _changes(before, values)
    note(request, changed=[c for c in changed if c not in SECRET_FIELDS],
         secret_changed=any(c in SECRET_FIELDS for c in changed))
    return json_response(settings_view(saved))


@needs("vssd.admin.settings.update")
async def test_asterisk(request: web.Request) -> web.Response:
    deps = deps_of(request)
    probe = port_or_503(deps.ami_probe, "the Asterisk connection test")
    spec: AsteriskTest = _validated(AsteriskTest, await object_body(request))
    password = spec.password
    if password is None:  # the form's masked field: the stored password
        password = (await current_settings(deps))["asterisk_config"].get("password")
    try:
        outcome = await probe.test(spec.host, spec.port, spec.username, password, spec.timeout)
    except PermissionError as err:
        raise ApiError(422, "HOST_NOT_ALLOWED", str(err),
                       details=[detail(["body", "host"], "only loopback and the configured AMI hosts")]) from None
    note(request, host=spec.host, port=spec.port, result=outcome["result"])
    return json_response(test_view(spec.host, spec.port, spec.protocol, outcome))


@needs("vssd.admin.system.read")
async def system_info(request: web.Request) -> web.Response:
    deps = deps_of(request)
    checks = deps.readiness.checks()
    try:
        counts = await _store(deps).counts()
    except ConnectionError:
        counts, checks = {"users": 0, "operators": 0, "calls_today": 0}, {**checks, "store": False}
    started = deps.started_at if deps.started_at is not None else request.app[STARTED]
    return json_response(info_view(counts, checks, deps.clock() - started))


STARTED: web.AppKey[float] = web.AppKey("vssd_settings_started", float)


def setup(app: web.Application) -> None:
    """The uptime's origin when the daemon did not say when it started (`ApiDeps.started_at`)."""
    app[STARTED] = app[DEPS].clock()


ROUTES = (
    Route("GET", "/admin/settings", get_settings),
    Route("PUT", "/admin/settings", put_settings),
    Route("POST", "/admin/settings/asterisk/test", test_asterisk),
    Route("GET", "/admin/system/info", system_info),
)
