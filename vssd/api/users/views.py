"""The users resource's response shapes: a user (the `User` component; also inside the login answer), a
deleted user and a user's Smart Call Center API operator record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vssd.users import UserRecord


def user_view(user: UserRecord) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "email": user.email or None,
            "name": user.full_name, "role": user.role, "roles": [user.role], "is_active": user.active}


def deleted_view(user_id: str) -> dict[str, Any]:
    return {"success": True, "id": user_id, "message": "user deleted"}


def operator_view(user: Mapping[str, Any]) -> dict[str, Any]:
    """The Smart Call Center API's Operator of an operator user (vssd keeps no more of it than this)."""
    return {
        "id": user["id"], "user_id": user["id"], "extension": user.get("extension"),
        "group_id": user.get("group_id"), "status": "offline", "skills": [], "max_concurrent_calls": 1,
        "current_calls": 0, "last_activity": user.get("last_login_at"), "created_at": user.get("created_at"),
    }
