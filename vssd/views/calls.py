"""The call shapes: a live or finished `Call` (`call_view`; `vssd.events.catalogue.CallView` types the same
payload), a stored `calls` row (`row_view`), and either with the source documents' other field names
(`seed_view`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.calls.model import Call
from vssd.calls.outcomes import ANSWERED_OUTCOMES, Outcome


def _iso_ts(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def call_view(call: Call, slot_id: str | None) -> dict[str, Any]:
    """SPEC: status words initiated/ringing/connected/completed(/failed); state CALLING/ACTIVE_CALL/POSTCALL."""
    if call.outcome is None:
        status = "connected" if call.answered_at else ("ringing" if call.ringing_at else "initiated")
        state = "ACTIVE_CALL" if call.answered_at else "CALLING"
    else:
        status = "completed" if call.outcome in (Outcome.ANSWERED, Outcome.ABANDONED) else "failed"
        state = "ENDED"
    data = call.as_dict()
    slot = int(slot_id) if slot_id and slot_id.isdigit() else slot_id
    return {
        "call_id": call.call_id,
        "id": call.call_id,
        "slot_id": slot,
        "slot": slot,
        "phone_number": data["number"],
        "direction": "outbound" if call.attempt else "inbound",
        "channel_id": call.attempt.channel_id if call.attempt else call.root,
        "status": status,
        "state": state,
        "outcome": str(call.outcome) if call.outcome else None,
        "cause": call.cause,
        "answer_evidence": call.answer_evidence or None,
        "started_at": _iso_ts(call.started_at or (call.attempt.sent_at if call.attempt else None)),
        "answered_at": _iso_ts(call.answered_at),
        "ended_at": _iso_ts(call.ended_at if call.outcome else None),
        "ring_s": call.ring_s,
        "talk_s": call.talk_s,
        "duration": call.talk_s or 0,
        "operator_id": call.operator_id,
    }


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def seed_view(view: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """A call view with the source documents' other names: the WORKSPACE API's (number, start_time, end_time)
    and the Smart Call Center API's (caller/called number, operator_id, answer_time)."""
    out = dict(view)
    out.update(number=view.get("phone_number"), called_number=view.get("phone_number"),
               start_time=view.get("started_at"), answer_time=view.get("answered_at"),
               end_time=view.get("ended_at"), operator_id=owner or view.get("operator_id"),
               user_id=owner or view.get("operator_id"))
    out.setdefault("caller_number", view.get("caller_id"))
    return out


def row_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored `calls` row as a call view (the same fields as `call_view`)."""
    state, outcome = row.get("status") or "CALLING", row.get("outcome")
    if state == "ENDED":
        status = "completed" if outcome in ANSWERED_OUTCOMES else "failed"
    else:
        status = "connected" if state == "ACTIVE_CALL" or row.get("answered_at") else "initiated"
    slot = row.get("slot_id")
    call_id = row.get("call_id") or row.get("attempt_id")
    return {
        "call_id": call_id, "id": call_id, "attempt_id": row.get("attempt_id"), "slot_id": slot, "slot": slot,
        "phone_number": row.get("number"), "caller_id": row.get("caller_id"), "direction": row.get("direction"),
        "status": status, "state": state, "outcome": outcome, "cause": row.get("hangup_cause"),
        "cause_text": row.get("hangup_cause_text"), "answer_evidence": row.get("answer_evidence"),
        "channel_id": row.get("channel_id"), "started_at": iso(row.get("originated_at")),
        "answered_at": iso(row.get("answered_at")), "ended_at": iso(row.get("ended_at")),
        "ring_s": row.get("ring_s"), "talk_s": row.get("talk_s"), "duration": row.get("talk_s") or 0,
        "campaign_id": row.get("campaign_id"), "recording_url": row.get("recording_url"), "notes": row.get("notes"),
    }
