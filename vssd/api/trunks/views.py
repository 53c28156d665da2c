"""The trunks resource's response shapes. A trunk is the trunk store's view as it is (with `slots_count`); here
the answers only the API gives."""

from __future__ import annotations

from typing import Any


def deleted_view(trunk_id: int) -> dict[str, Any]:
    """`DELETE /api/trunks/{id}`'s answer."""
    return {"status": "deleted", "trunk": trunk_id}
