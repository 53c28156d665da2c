"""JWTs (pyjwt, HMAC): access tokens carry the user, role and permissions; refresh tokens only the user.
Both carry `fam`, the login's refresh family: rotating a refresh token keeps the family, presenting an
already-rotated one ends it (reuse detection), and an ended family's access tokens stop working too.

The algorithm is pinned on decode (a token signed otherwise, or `alg: none`, is refused), and expiry is
checked against the injected clock, not the host's, so tests can move time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt

from vssd.api.deps import ApiDeps
from vssd.api.errors import auth_fail
from vssd.users import UserRecord

ISSUER = "vssd"
AUDIENCE = "vssd-api"  # a token minted for another audience (another service on the same secret) is refused
LEEWAY_S = 30
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ", "iss", "aud", "jti"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking. `anonymous` is the demo's read-only visitor (no token)."""

    user_id: str
    username: str
    role: str
    permissions: tuple[str, ...] = field(default_factory=tuple)
    anonymous: bool = False
    jti: str = ""
    family: str | None = None
    expires: float = 0.0


# The demo's visitor reads what the seeds' curl lines read, never who the users are or what they did.
ANONYMOUS = Principal("", "anonymous", "anonymous", ("vssd.#.read", "!vssd.users.#", "!vssd.roles.#",
                                                     "!vssd.admin.#", "!vssd.audit.#"), anonymous=True)


def new_id() -> str:
    return secrets.token_urlsafe(12)


def _encode(deps: ApiDeps, claims: dict[str, Any], ttl_s: int, jti: str | None = None) -> str:
    now = int(deps.clock())
    body = {**claims, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_s, "jti": jti or new_id()}
    return jwt.encode(body, deps.jwt_secret, algorithm=deps.jwt_algorithm)


def access_token(deps: ApiDeps, user: UserRecord, family: str | None = None) -> str:
    claims = {"sub": str(user.id), "typ": "access", "username": user.username, "role": user.role,
              "perms": list(user.permissions)}
    if family is not None:
        claims["fam"] = family
    return _encode(deps, claims, deps.access_ttl_s)


def refresh_token(deps: ApiDeps, user: UserRecord, family: str | None = None, jti: str | None = None) -> str:
    claims: dict[str, Any] = {"sub": str(user.id), "typ": "refresh", "username": user.username}
    if family is not None:
        claims["fam"] = family
    return _encode(deps, claims, deps.refresh_ttl_s, jti)


def decode(deps: ApiDeps, token: str, typ: str = "access") -> dict[str, Any]:
    """The verified claims, or 401 (AUTH_FAIL; AUTH_002 when only expired)."""
    try:
        claims = jwt.decode(
            token, deps.jwt_secret, algorithms=[deps.jwt_algorithm], issuer=ISSUER, audience=AUDIENCE,
            options={"verify_exp": False, "require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as err:
        raise auth_fail(f"invalid token: {err}") from None
    if claims.get("typ") != typ:
        raise auth_fail(f"not an {typ} token")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + LEEWAY_S < deps.clock():
        raise auth_fail("token expired", code="AUTH_002")
    return claims


def principal(deps: ApiDeps, token: str) -> Principal:
    claims = decode(deps, token)
    perms = claims.get("perms")
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise auth_fail("invalid token: perms")
    family = claims.get("fam")
    return Principal(str(claims["sub"]), str(claims.get("username", "")), str(claims.get("role", "")),
                     tuple(perms), jti=str(claims["jti"]), family=family if isinstance(family, str) else None,
                     expires=float(claims["exp"]))
