"""The CRM notes resource's response shapes. A note is the store's view as it is (see `CrmNotes`)."""

from __future__ import annotations

from typing import Any


def notes_view(call_id: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """`GET /api/crm/notes/{call_id}`: the WORKSPACE API's `{"notes": [...]}`, with the call and the count."""
    return {"call_id": call_id, "notes": notes, "total": len(notes)}


def lead_notes_view(lead_id: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """A lead's notes, oldest first (the shape of a call's)."""
    return {"lead_id": lead_id, "notes": notes, "total": len(notes)}


def history_view(lead: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    """A lead's status history, oldest first, with the lead's current status and last call."""
    return {"lead_id": lead["id"], "status": lead["status"], "last_call_id": lead["last_call_id"],
            "last_outcome": lead["last_outcome"], "history": history, "total": len(history)}


def pushed_view(result: dict[str, Any]) -> dict[str, Any]:
    """What a push did: the CRM leads imported into the campaign (with their autodialer lead ids) and the ones the
    import refused, each with the reason."""
    return {"campaign_id": result["campaign_id"], "pushed": len(result["imported"]), "imported": result["imported"],
            "rejected": result["rejected"]}
