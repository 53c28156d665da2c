"""Who is asking, and may they: the `authorize` middleware (every route's declared permission, deny by
default, the API rate limits) and the helpers handlers use.

A valid bearer token, not revoked and of a live refresh family, is the caller. A presented token that fails
verification (bad signature, `alg: none`, another algorithm, expired, revoked, wrong audience) is 401
AUTH_FAIL in every mode; in demo mode only, a read that presents no credentials at all is anonymous and
read-only (SPEC: the documents' examples work as written).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from vssd.api.acl import allowed
from vssd.api.deps import DEPS, ApiDeps, deps_of
from vssd.api.errors import ApiError, auth_fail
from vssd.api.ports import AuthState
from vssd.api.rbac import AUTHENTICATED, needs_of
from vssd.api.tokens import ANONYMOUS, Principal, principal
from vssd.log import get_logger

log = get_logger("vssd.api.authn")
STATE: web.AppKey[AuthState] = web.AppKey("vssd_auth_state", AuthState)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("vssd_principal", Principal)
DASHBOARD_PREFIXES = ("/api/dashboard", "/api/v1/dashboard")


class GuardedState:
    """The auth state as the routes use it: when it cannot answer (Redis down), token checks and session
    changes fail closed (503, never a 500 and never a revoked token let through) and rate limits fail
    open (a warning in the log: an outage of the counters must not lock every user out)."""

    def __init__(self, inner: AuthState) -> None:
        self.inner = inner

    async def _call(self, what: str, coro: Any) -> Any:
        try:
            return await coro
        except Exception as err:
            log.warning("auth.state_failed", op=what, error=repr(err))
            raise ApiError(503, "SERVICE_UNAVAILABLE", "session store unavailable",
                           headers={"Retry-After": "5"}) from None

    async def revoke(self, jti: str, until: float) -> None:
        await self._call("revoke", self.inner.revoke(jti, until))

    async def token_ok(self, jti: str, family: str | None) -> bool:
        return bool(await self._call("token_ok", self.inner.token_ok(jti, family)))

    async def start_family(self, family: str, jti: str, until: float) -> None:
        await self._call("start_family", self.inner.start_family(family, jti, until))

    async def rotate(self, family: str, old_jti: str, new_jti: str, until: float) -> str:
        return str(await self._call("rotate", self.inner.rotate(family, old_jti, new_jti, until)))

    async def end_family(self, family: str) -> None:
        await self._call("end_family", self.inner.end_family(family))

    async def hit(self, bucket: str, key: str, limit: int, window_s: float) -> int | None:
        try:
            return await self.inner.hit(bucket, key, limit, window_s)
        except Exception as err:
            log.warning("auth.rate_limit_unavailable", bucket=bucket, error=repr(err))
            return None


def bearer(request: web.Request) -> str | None:
    """The bearer token of the Authorization header; None when there is no header; 401 when malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise auth_fail("Authorization must be 'Bearer <token>'")
    return token.strip()


def _decoded(request: web.Request) -> Principal:
    """The caller by the token alone (signature, algorithm, audience, expiry); see `resolve` for revocation.
    No credentials: anonymous for a demo read, else 401. Presented credentials that fail: 401, always."""
    deps = deps_of(request)
    token = bearer(request)
    if token is not None:
        return principal(deps, token)
    if deps.demo and request.method in ("GET", "HEAD"):
        return ANONYMOUS
    raise auth_fail()


async def verified(app: web.Application, token: str) -> Principal:
    """The principal of a presented token, checked against the denylist and the refresh families too (the
    real-time handshake and first-message auth use it); 401 AUTH_FAIL when it fails."""
    who = principal(app[DEPS], token)
    if not await app[STATE].token_ok(who.jti, who.family):
        raise auth_fail("token revoked")
    return who


async def resolve(request: web.Request) -> Principal:
    """The caller, also checked against the denylist and the refresh families; cached on the request."""
    cached = request.get(PRINCIPAL)
    if cached is not None:
        return cached
    who = _decoded(request)
    if not who.anonymous and not await request.app[STATE].token_ok(who.jti, who.family):
        raise auth_fail("token revoked")
    request[PRINCIPAL] = who
    return who


def authenticate(request: web.Request) -> Principal:
    """The caller as the `authorize` middleware resolved it (or by the token alone outside it)."""
    cached = request.get(PRINCIPAL)
    return cached if cached is not None else _decoded(request)


def require(request: web.Request, permission: str) -> Principal:
    """Authenticate and check one canonical permission (403 PERMISSION_DENIED when missing)."""
    who = authenticate(request)
    if not allowed(who.permissions, permission):
        raise ApiError(403, "PERMISSION_DENIED", f"missing permission {permission}")
    return who


async def _throttle(request: web.Request, deps: ApiDeps, who: Principal) -> None:
    dashboard = request.path.startswith(DASHBOARD_PREFIXES)
    bucket, limit = ("dashboard", deps.dashboard_per_minute) if dashboard else ("api", deps.api_per_minute)
    if limit is None:
        return
    key = who.user_id if not who.anonymous else f"ip:{request.remote or '?'}"
    retry_after = await request.app[STATE].hit(bucket, key, limit, 60.0)
    if retry_after is not None:
        raise ApiError(429, "RATE_LIMITED", f"more than {limit} requests a minute; retry later",
                       headers={"Retry-After": str(retry_after)})


@web.middleware
async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Deny by default: the matched handler's declared permission decides before it runs."""
    if request.match_info.http_exception is not None:
        return await handler(request)
    spec = needs_of(request.app, request.match_info.route)
    if spec is None:
        raise ApiError(403, "PERMISSION_DENIED", "route declares no permission")
    if spec.permission is None:
        return await handler(request)
    who = await resolve(request)
    if spec.permission != AUTHENTICATED:
        wanted, own = spec.required(request.match_info)
        mine = own is not None and not who.anonymous and request.match_info.get(spec.own or "") == who.user_id
        if not allowed(who.permissions, wanted) and not (mine and own is not None and allowed(who.permissions, own)):
            raise ApiError(403, "PERMISSION_DENIED", f"missing permission {wanted}")
    elif who.anonymous:
        raise auth_fail()
    await _throttle(request, deps_of(request), who)
    return await handler(request)
