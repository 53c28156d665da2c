"""Who may read: a valid bearer token with the permission, or — in demo mode only — anyone, read-only
(SPEC: the demo allows anonymous read-only clients so the seeds' examples work as written)."""

from __future__ import annotations

from aiohttp import web

from vssd.api.acl import allowed
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, auth_fail
from vssd.api.tokens import ANONYMOUS, Principal, principal
from vssd.log import get_logger

log = get_logger("vssd.api.authn")


def bearer(request: web.Request) -> str | None:
    """The bearer token of the Authorization header; None when there is no header; 401 when malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise auth_fail("Authorization must be 'Bearer <token>'")
    return token.strip()


def authenticate(request: web.Request) -> Principal:
    """The caller. A valid token is always honoured (with its own rights). In demo mode a read without a
    usable token is anonymous — the seeds' lines carry placeholders (`Bearer TOKEN`, `Bearer <token>`) and
    must run verbatim — which grants nothing beyond what no token at all gets."""
    deps = deps_of(request)
    anonymous_ok = deps.demo and request.method in ("GET", "HEAD")
    try:
        token = bearer(request)
        if token is not None:
            return principal(deps, token)
    except ApiError as err:
        if not anonymous_ok:
            raise
        log.debug("auth.demo_token_ignored", reason=err.message)
        return ANONYMOUS
    if anonymous_ok:
        return ANONYMOUS
    raise auth_fail()


def require(request: web.Request, permission: str) -> Principal:
    """Authenticate and check one canonical permission (403 PERMISSION_DENIED when missing)."""
    who = authenticate(request)
    if not allowed(who.permissions, permission):
        raise ApiError(403, "PERMISSION_DENIED", f"missing permission {permission}")
    return who
