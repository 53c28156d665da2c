"""The CRM notes resource's response shapes. A note is the store's view as it is (see `CrmNotes`)."""

from __future__ import annotations

from typing import Any


def notes_view(call_id: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """`GET /api/crm/notes/{call_id}`: the WORKSPACE API's `{"notes": [...]}`, with the call and the count."""
    return {"call_id": call_id, "notes": notes, "total": len(notes)}
