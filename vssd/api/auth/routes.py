"""`POST /api/auth/login|refresh|logout`, `GET /api/auth/me`, `GET /api/point/rolecheck` (SPEC login reply).

Login answers an access token and a refresh token of a new family. Refresh with `refresh_token` in the
body rotates it (single use: presenting a rotated one again ends the whole family, access tokens
included); refresh with only a valid access token in the header (the WORKSPACE API) answers a new access token.
Logout revokes the access token (denylist until its expiry) and ends its family.

argon2 verification is CPU-heavy and blocking, so it runs on the password gate (`vssd.api.passwords`: a small
private thread pool with a bounded number of waiting requests); beyond that the login answers 429 RATE_LIMITED
at once (overflow policy). Unknown users are verified against a dummy hash so timing does not reveal which
logins exist. Attempts are limited per client address (`ApiDeps.auth_per_minute`, SPEC/seeds: 5 a minute)
before any of that.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.api import tokens
from vssd.api.acl import allowed
from vssd.api.audit_log import ACTOR, name_object
from vssd.api.auth.views import access_view, logged_out_view, me_view, rolecheck_view, tokens_view
from vssd.api.authn import STATE, authenticate, bearer, resolve
from vssd.api.body import object_body, text_field
from vssd.api.deps import ApiDeps, deps_of
from vssd.api.errors import ApiError, auth_fail, detail, invalid
from vssd.api.passwords import GATE
from vssd.api.rbac import AUTHENTICATED, needs, public, required_for
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.log import get_logger
from vssd.users import UserRecord

log = get_logger("vssd.api.auth")

# argon2id hash of a random string nobody knows: verified when the login names no user.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$p5cXfxYlVcaOLvlSY5lQiw$o8x10K3ojToDQh8YqXTTK5yf5ND7Gv0mwjroez9lPWc"


def _credentials(data: dict[str, Any]) -> tuple[str, str]:
    problems: list[dict[str, Any]] = []
    field = "username" if data.get("username") not in (None, "") or data.get("email") in (None, "") else "email"
    login = text_field(data, field, problems)
    password = text_field(data, "password", problems, max_len=1024)
    if problems:
        raise invalid(problems, "username or email, and password, are required")
    return login, password


async def login_reply(request: web.Request, user: UserRecord, family: str | None = None) -> dict[str, Any]:
    """Tokens and the user; a new refresh family unless `family` (a rotation) is given."""
    deps = deps_of(request)
    jti = tokens.new_id()
    until = deps.clock() + deps.refresh_ttl_s
    if family is None:
        family = tokens.new_id()
        await request.app[STATE].start_family(family, jti, until)
    access = tokens.access_token(deps, user, family)
    return tokens_view(access, tokens.refresh_token(deps, user, family, jti), deps.access_ttl_s, user)


async def _find(deps: ApiDeps, name: str) -> UserRecord | None:
    """The user, or 503 DB_001 when the directory (the database) cannot answer now."""
    try:
        return await deps.users.find_user(name)
    except Exception as err:
        log.warning("auth.user_directory_failed", error=repr(err))
        raise ApiError(503, "DB_001", "user directory unavailable", headers={"Retry-After": "5"}) from None


async def _throttle(request: web.Request) -> None:
    """SPEC's auth rate limit (per client address), checked before any work is done."""
    limit = deps_of(request).auth_per_minute
    if limit is None:
        return
    retry_after = await request.app[STATE].hit("auth", request.remote or "?", limit, 60.0)
    if retry_after is not None:
        raise ApiError(429, "RATE_LIMITED", "too many login attempts; retry later",
                       headers={"Retry-After": str(retry_after)})


@public
async def login(request: web.Request) -> web.Response:
    deps = deps_of(request)
    await _throttle(request)
    name, password = _credentials(await object_body(request))
    user = await _find(deps, name)
    ok = await request.app[GATE].check(user.password_hash if user else DUMMY_HASH, password)
    request[ACTOR] = tokens.Principal(str(user.id) if user else "", name[:64], user.role if user else "")
    name_object(request, "users", str(user.id) if user else None)
    if user is None or not ok:
        log.info("auth.login_failed", login=name[:64], known=user is not None)
        raise auth_fail("invalid username or password")
    if not user.active:
        raise ApiError(403, "AUTH_004", "user is inactive")
    log.info("auth.login", user_id=str(user.id), username=user.username, role=user.role)
    return json_response(await login_reply(request, user))


async def _current_user(request: web.Request, user_id: str, username: str) -> UserRecord:
    """The stored user behind a token, still active (a deleted or disabled user cannot refresh)."""
    user = await _find(deps_of(request), username)
    if user is None or str(user.id) != user_id:
        raise auth_fail("user no longer exists")
    if not user.active:
        raise ApiError(403, "AUTH_004", "user is inactive")
    return user


async def _rotate(request: web.Request, refresh: str) -> dict[str, Any]:
    deps = deps_of(request)
    claims = tokens.decode(deps, refresh, typ="refresh")
    family = claims.get("fam")
    if not isinstance(family, str):
        raise auth_fail("refresh token without a family")
    user = await _current_user(request, str(claims["sub"]), str(claims.get("username", "")))
    request[ACTOR] = tokens.Principal(str(user.id), user.username, user.role)
    reply = await login_reply(request, user, family)
    new_jti = tokens.decode(deps, reply["refresh_token"], typ="refresh")["jti"]
    verdict = await request.app[STATE].rotate(family, str(claims["jti"]), new_jti,
                                              deps.clock() + deps.refresh_ttl_s)
    if verdict == "reused":
        log.warning("auth.refresh_reused", user_id=str(user.id), family=family)
        raise auth_fail("refresh token reused: the session is revoked")
    if verdict != "ok":
        raise auth_fail("refresh token revoked or expired")
    return reply


@public
async def refresh(request: web.Request) -> web.Response:
    """Body `refresh_token` → rotated pair; else a valid access token in the header → new access token."""
    await _throttle(request)
    data = await object_body(request) if request.can_read_body else {}
    given = data.get("refresh_token")
    if given is not None and not isinstance(given, str):
        raise invalid([detail(["body", "refresh_token"], "must be a string")])
    if given:
        return json_response(await _rotate(request, given))
    if bearer(request) is None:
        raise invalid([detail(["body", "refresh_token"], "field required (or an access token in the header)")])
    who = await resolve(request)
    deps = deps_of(request)
    user = await _current_user(request, who.user_id, who.username)
    access = tokens.access_token(deps, user, who.family)
    return json_response(access_view(access, deps.access_ttl_s))


@needs(AUTHENTICATED)
async def logout(request: web.Request) -> web.Response:
    who = authenticate(request)
    state = request.app[STATE]
    await state.revoke(who.jti, who.expires + tokens.LEEWAY_S)
    if who.family is not None:
        await state.end_family(who.family)
    log.info("auth.logout", user_id=who.user_id)
    return json_response(logged_out_view())


@needs(AUTHENTICATED)
async def me(request: web.Request) -> web.Response:
    who = authenticate(request)
    user = await _current_user(request, who.user_id, who.username)
    return json_response(me_view(user))


@needs(AUTHENTICATED)
async def rolecheck(request: web.Request) -> web.Response:
    """The WORKSPACE API's `?action=call.start` (any alias spelling) → allowed, and the caller's permissions."""
    action = request.query.get("action", "").strip()
    if not action:
        raise invalid([detail(["query", "action"], "field required")])
    who = authenticate(request)
    wanted = required_for(action)
    ok = bool(wanted) and all(allowed(who.permissions, p) for p in wanted)
    return json_response(rolecheck_view(ok, action, wanted, who.role, who.permissions))


ROUTES = (
    Route("POST", "/auth/login", login),
    Route("POST", "/auth/refresh", refresh),
    Route("POST", "/auth/logout", logout),
    Route("GET", "/auth/me", me),
    Route("GET", "/point/rolecheck", rolecheck),
)
