"""The auth resource's response shapes: the login answer (the `Tokens` component: the SPEC login reply), a
renewed access token, the logout answer, the caller (`GET /api/auth/me`) and a role check. A user inside them is
`vssd.api.users.views.user_view`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vssd.api.users.views import user_view
from vssd.users import UserRecord


def tokens_view(access: str, refresh: str, expires_in: int, user: UserRecord) -> dict[str, Any]:
    """The login (and rotation) answer: both tokens, their lifetime and the user."""
    return {
        "token": access, "access_token": access, "refresh_token": refresh,
        "token_type": "bearer", "expires": expires_in, "expires_in": expires_in,
        "role": user.role, "permissions": list(user.permissions), "user": user_view(user),
    }


def access_view(access: str, expires_in: int) -> dict[str, Any]:
    """`POST /api/auth/refresh`'s answer to an access token alone: a new access token."""
    return {"token": access, "access_token": access, "token_type": "bearer",
            "expires": expires_in, "expires_in": expires_in}


def logged_out_view() -> dict[str, Any]:
    """`POST /api/auth/logout`'s answer."""
    return {"success": True, "message": "Successfully logged out"}


def me_view(user: UserRecord) -> dict[str, Any]:
    """`GET /api/auth/me`'s answer: the user and their permissions."""
    return {**user_view(user), "permissions": list(user.permissions)}


def rolecheck_view(allowed: bool, action: str, required: list[str], role: str,
                   permissions: Sequence[str]) -> dict[str, Any]:
    """`GET /api/point/rolecheck`'s answer."""
    return {"allowed": allowed, "action": action, "required": required, "role": role,
            "permissions": list(permissions)}
