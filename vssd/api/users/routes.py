"""The users' and roles' routes.

Users: `GET|POST /api/users`, `PATCH|DELETE /api/users/{id}` (the routes reference, the operating manual and the
WORKSPACE API) and the Smart Call Center API's `GET|POST /api/admin/users`, `PUT|DELETE /api/admin/users/{id}`,
`GET /api/admin/users/{id}/operator`.

The Smart Call Center API's validation: username unique, 3–50 characters (USER_001); email valid and unique (USER_002);
password at least 6 characters; extension 3–5 digits, unique (USER_003), optional until the operator takes calls; an
unknown user is 404 USER_004; the last active admin cannot be deleted, demoted or disabled (409 USER_005).
Nobody can give a user a role with rights they do not hold themselves.


Roles: `GET|POST /api/roles`, `POST /api/roles/{id}` (the routes reference, the operating manual and the
WORKSPACE API).

Permissions come in any of the documented forms — canonical dotted strings, aliases (`calls:read`,
`call.start`, `slots:write`) or `{"calls": ["read"], "OTTB": ["read", "write"]}` — and are stored
canonical. A role may not grant anything its creator (or editor) lacks. The builtin roles (admin, manager,
supervisor, operator, seller: `vssd.api.rbac.BUILTIN_ROLES`, synced into the store at start) may have their rights
changed by an admin (`vssd.roles.builtin.update`; the role is then `customized` and the start-up sync leaves it) and
reset to the shipped default (`POST /api/roles/{id}/reset`); the admin role always keeps full rights.

An operator's extension is optional here (the routes reference creates one without); an operator without one
cannot go online (409 OPERATOR_NO_EXTENSION from the operators' status route).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeGuard

from aiohttp import web

from vssd.api.audit_log import note
from vssd.api.authn import authenticate, require
from vssd.api.body import object_body
from vssd.api.deps import ApiDeps, deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found
from vssd.api.paging import list_response, page_of
from vssd.api.passwords import GATE
from vssd.api.ports import UserAdmin
from vssd.api.rbac import BUILTIN_ROLES, FULL_RIGHTS_ROLE, covers, needs, normalize
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.users.views import deleted_view, operator_view
from vssd.log import get_logger

log = get_logger("vssd.api.users")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
EXTENSION = re.compile(r"[0-9]{3,5}\Z")
TEXT_FIELDS = {"username": (3, 50), "email": (3, 254), "name": (0, 200), "group_id": (0, 100),
               "extension": (0, 5), "role": (1, 64)}
CONFLICT_FIELDS = {"USER_001": "username", "USER_002": "email", "USER_003": "extension"}


def _administers(users: object) -> TypeGuard[UserAdmin]:
    """A user directory that also administers users (the store's does)."""
    return hasattr(users, "create_user")


def admin_of(deps: ApiDeps) -> UserAdmin:
    """The users/roles directory, or 503 when this daemon was wired without one."""
    found = deps.user_admin or (deps.users if _administers(deps.users) else None)
    if found is None:
        raise ApiError(503, "SERVICE_UNAVAILABLE", "user administration is not available")
    return found


def refused(err: ValueError) -> ApiError:
    """A store refusal `ValueError(code, message)` in the error format."""
    code, message = (str(err.args[0]), str(err.args[1])) if len(err.args) >= 2 else ("INVALID_PARAMS", str(err))
    field = CONFLICT_FIELDS.get(code)
    status = 422 if code in ("ROLE_002", "INVALID_PARAMS") else 409
    return ApiError(status, code, message or code, details=[detail(["body", field], message)] if field else None,
                    extra={"field": field} if field else None)


def _check_text(data: dict[str, Any], problems: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (low, high) in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if value is None and name in ("email", "group_id", "extension", "name"):
            out[name] = None if name != "name" else ""
        elif not isinstance(value, str) or not low <= len(value.strip()) <= high:
            problems.append(detail(["body", name], f"must be a string of {low}-{high} characters"))
        else:
            out[name] = value.strip() or (None if name in ("email", "group_id", "extension") else "")
    return out


def validate(data: dict[str, Any], *, current: dict[str, Any] | None = None) -> tuple[dict[str, Any], str | None]:
    """(the user fields, the new password or None) for a new user, or changes to `current`; 422 with
    details on any problem."""
    creating = current is None
    problems: list[dict[str, Any]] = []
    if creating:
        problems += [detail(["body", f], "field required") for f in ("username", "password", "email")
                     if data.get(f) in (None, "")]
    fields = _check_text(data, problems)
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            problems.append(detail(["body", "is_active"], "must be a boolean"))
        fields["is_active"] = data["is_active"]
    if fields.get("email") and not EMAIL.match(fields["email"]):
        problems.append(detail(["body", "email"], "must be a valid email address"))
    if fields.get("extension") and not EXTENSION.match(fields["extension"]):
        problems.append(detail(["body", "extension"], "must be 3-5 digits"))
    role = fields.get("role", current["role"] if current else "operator")
    if creating:
        fields.setdefault("role", role)
    password = data.get("password")
    if password is not None and (not isinstance(password, str) or not 6 <= len(password) <= 1024):
        problems.append(detail(["body", "password"], "must be at least 6 characters"))
    if problems:
        raise invalid(problems, "invalid user")
    return fields, password


def _user_id(request: web.Request) -> str:
    raw = request.match_info["user_id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ApiError(404, "USER_004", f"user {raw[:64]} not found") from None


async def _role_allowed(request: web.Request, admin: UserAdmin, role: str) -> None:
    """The role exists and the caller holds every right it grants (no privilege escalation)."""
    found = await admin.get_role(role)
    if found is None:
        raise invalid([detail(["body", "role"], f"no such role {role!r}")], "invalid user")
    who = authenticate(request)
    if not all(covers(who.permissions, p) for p in found["permissions"]):
        raise ApiError(403, "PERMISSION_DENIED", f"role {role!r} grants rights you do not hold")


async def _list(request: web.Request, default_limit: int) -> web.Response:
    page = page_of(request.query, default_limit=default_limit, max_limit=1000)
    items, total = await admin_of(deps_of(request)).list_users(request.query.get("role") or None,
                                                                page.limit, page.offset)
    return list_response(items, total)


async def _create(request: web.Request) -> web.Response:
    admin = admin_of(deps_of(request))
    fields, password = validate(await object_body(request))
    await _role_allowed(request, admin, fields["role"])
    assert password is not None
    password_hash = await request.app[GATE].hash(password)
    try:
        user = await admin.create_user(fields, password_hash)
    except ValueError as err:
        raise refused(err) from None
    log.info("users.created", user_id=user["id"], role=user["role"], by=authenticate(request).user_id)
    return json_response(user, status=201)


async def _update(request: web.Request) -> web.Response:
    admin, user_id = admin_of(deps_of(request)), _user_id(request)
    current = await admin.get_user(user_id)
    if current is None:
        raise ApiError(404, "USER_004", f"user {user_id} not found")
    fields, password = validate(await object_body(request), current=current)
    if "role" in fields and fields["role"] != current["role"]:
        await _role_allowed(request, admin, fields["role"])
        note(request, role_from=current["role"], role_to=fields["role"])
    password_hash = await request.app[GATE].hash(password) if password else None
    try:
        user = await admin.update_user(user_id, fields, password_hash)
    except LookupError:
        raise ApiError(404, "USER_004", f"user {user_id} not found") from None
    except ValueError as err:
        raise refused(err) from None
    return json_response(user)


async def _delete(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    try:
        await admin_of(deps_of(request)).delete_user(user_id)
    except LookupError:
        raise ApiError(404, "USER_004", f"user {user_id} not found") from None
    except ValueError as err:
        raise refused(err) from None
    return json_response(deleted_view(user_id))


@needs("vssd.users.read")
async def list_users(request: web.Request) -> web.Response:
    return await _list(request, 1000)


@needs("vssd.users.create")
async def create_user(request: web.Request) -> web.Response:
    return await _create(request)


@needs("vssd.users.update")
async def update_user(request: web.Request) -> web.Response:
    return await _update(request)


@needs("vssd.users.delete")
async def delete_user(request: web.Request) -> web.Response:
    return await _delete(request)


@needs("vssd.admin.users.read")
async def admin_list_users(request: web.Request) -> web.Response:
    return await _list(request, 100)


@needs("vssd.admin.users.create")
async def admin_create_user(request: web.Request) -> web.Response:
    return await _create(request)


@needs("vssd.admin.users.update")
async def admin_update_user(request: web.Request) -> web.Response:
    return await _update(request)


@needs("vssd.admin.users.delete")
async def admin_delete_user(request: web.Request) -> web.Response:
    return await _delete(request)


@needs("vssd.admin.users.read")
async def admin_operator(request: web.Request) -> web.Response:
    """The Smart Call Center API's Operator of a user, or null when the user is not an operator."""
    user_id = _user_id(request)
    user = await admin_of(deps_of(request)).get_user(user_id)
    if user is None:
        raise ApiError(404, "USER_004", f"user {user_id} not found")
    if user["role"] != "operator":
        return json_response(None)
    return json_response(operator_view(user))


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


def _builtin_editor(request: web.Request) -> None:
    """Changing or resetting a builtin role takes full rights over roles (`vssd.roles.builtin.update`)."""
    require(request, "vssd.roles.builtin.update")


async def _role_or_404(admin: UserAdmin, role_id: str) -> dict[str, Any]:
    current = await admin.get_role(role_id)
    if current is None:
        raise not_found(f"role {role_id[:64]} not found")
    return current


@needs("vssd.roles.update")
async def update_role(request: web.Request) -> web.Response:
    """A custom role, or a builtin one's rights (marked `customized`: the start-up sync leaves them); the admin
    role always keeps full rights (409 ROLE_004)."""
    admin = admin_of(deps_of(request))
    current = await _role_or_404(admin, request.match_info["role_id"])
    data = await object_body(request)
    perms = _permissions(request, data["permissions"]) if "permissions" in data else None
    customized: bool | None = None
    if current["builtin"]:
        _builtin_editor(request)
        if current["name"] == FULL_RIGHTS_ROLE and perms is not None and perms != BUILTIN_ROLES[FULL_RIGHTS_ROLE]:
            raise ApiError(409, "ROLE_004", "the admin role always keeps full rights (#); its permissions are fixed")
        customized = True if perms is not None and current["name"] != FULL_RIGHTS_ROLE else None
    description = _description(data)
    try:
        role = await admin.update_role(str(current["id"]), description, perms, customized=customized)
    except LookupError:
        raise not_found(f"role {current['name']} not found") from None
    note(request, role=current["name"], permissions_before=current["permissions"],
         permissions_after=role["permissions"])
    return json_response(role)


@needs("vssd.roles.update")
async def reset_role(request: web.Request) -> web.Response:
    """A builtin role back to the shipped rights (`vssd.api.rbac.BUILTIN_ROLES`); 409 ROLE_005 for a custom one."""
    admin = admin_of(deps_of(request))
    current = await _role_or_404(admin, request.match_info["role_id"])
    if not current["builtin"] or current["name"] not in BUILTIN_ROLES:
        raise ApiError(409, "ROLE_005", f"role {current['name']} is not builtin: it has no shipped default")
    _builtin_editor(request)
    shipped = list(BUILTIN_ROLES[current["name"]])
    role = await admin.update_role(str(current["id"]), None, shipped, customized=False)
    note(request, role=current["name"], permissions_before=current["permissions"], permissions_after=shipped,
         reset=True)
    return json_response(role)


ROUTES = (
    Route("GET", "/users", list_users),
    Route("POST", "/users", create_user),
    Route("PATCH", "/users/{user_id}", update_user),
    Route("DELETE", "/users/{user_id}", delete_user),
    Route("GET", "/admin/users", admin_list_users),
    Route("POST", "/admin/users", admin_create_user),
    Route("PUT", "/admin/users/{user_id}", admin_update_user),
    Route("DELETE", "/admin/users/{user_id}", admin_delete_user),
    Route("GET", "/admin/users/{user_id}/operator", admin_operator),
    Route("GET", "/roles", list_roles),
    Route("POST", "/roles", create_role),
    Route("POST", "/roles/{role_id}", update_role),
    Route("POST", "/roles/{role_id}/reset", reset_role),
)
