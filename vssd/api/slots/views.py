"""The slots resource's response shapes. A slot itself is `vssd.views.slots.slot_view` (the farm builds and
caches it; the real-time `slot.*` events carry the same shape); here the answers only the API gives."""

from __future__ import annotations

from typing import Any

from vssd.views.slots import number, slot_view

__all__ = ["deleted_view", "slot_view"]


def deleted_view(slot_id: str) -> dict[str, Any]:
    """`DELETE /api/slots/{id}`'s answer."""
    return {"status": "deleted", "slot": number(slot_id)}
