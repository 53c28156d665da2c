"""The calls feed: live calls from the slots and recently finished ones, shaped as the seeds show them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.calls.model import Call
from vssd.calls.outcomes import Outcome

FILTERS = ("status", "state", "outcome", "slot_id", "phone_number", "direction")


def _iso(ts: float | None) -> str | None:
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
        "started_at": _iso(call.started_at or (call.attempt.sent_at if call.attempt else None)),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at if call.outcome else None),
        "ring_s": call.ring_s,
        "talk_s": call.talk_s,
        "duration": call.talk_s or 0,
    }


class CallFeedView:
    """Implements the API's CallFeed port over in-memory state (newest first)."""

    def __init__(
        self, live: Callable[[], Iterable[tuple[Call, str]]], recent: Callable[[], Iterable[tuple[Call, str]]]
    ) -> None:
        self._live = live
        self._recent = recent

    async def recent_calls(self, limit: int, offset: int, filters: Mapping[str, str]) -> tuple[list[dict], int]:
        rows = [call_view(c, s) for c, s in self._live()] + [call_view(c, s) for c, s in self._recent()]
        wanted = {k: v for k, v in filters.items() if k in FILTERS and v}
        if wanted:
            rows = [r for r in rows if all(str(r.get(k)) == v for k, v in wanted.items())]
        return rows[offset: offset + limit], len(rows)
