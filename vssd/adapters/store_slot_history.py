"""`vssd.api.ports.SlotHistory` on `slot_transitions` (written by the batch writer): newest first, each
transition with the call the slot carried then.

`slot_transitions` has no call column; a transition into, within or out of a call state (CALLING, ACTIVE_CALL,
POSTCALL) is matched to the slot's newest call originated no later than a second after it — the Originate is
recorded around the READY→CALLING step, and the next call starts only after POSTCALL→READY. The lookup is one
index probe per row (`calls_slot_originated_idx`).
"""

from __future__ import annotations

from typing import Any

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["StoreSlotHistory"]

CALL_STATES = ("CALLING", "ACTIVE_CALL", "POSTCALL")
_PAGE = """
SELECT t.id, t.slot_id, t.at, t.from_state, t.to_state, t.event, t.cause, c.call_id
FROM slot_transitions AS t
LEFT JOIN LATERAL (
    SELECT calls.call_id FROM calls
    WHERE calls.slot_id = t.slot_id AND calls.originated_at <= t.at + interval '1 second'
      AND (t.from_state = ANY($4::text[]) OR t.to_state = ANY($4::text[]))
    ORDER BY calls.originated_at DESC LIMIT 1
) AS c ON true
WHERE t.slot_id = $1
ORDER BY t.at DESC, t.id DESC
LIMIT $2 OFFSET $3
"""


class StoreSlotHistory:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def slot_history(self, slot_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        if not slot_id.isdigit() or len(slot_id) > 18:
            return [], 0  # slot ids of the store are numbers; another spelling has no history
        try:
            rows = await self.store.pool.fetch(_PAGE, int(slot_id), limit, offset, list(CALL_STATES))
            total = await self.store.pool.fetchval("SELECT count(*) FROM slot_transitions WHERE slot_id = $1",
                                                   int(slot_id))
        except Exception as err:
            raise translate(err, "slot history query") from err
        return [_view(r) for r in rows], int(total)


def _view(row: Any) -> dict[str, Any]:
    cause = row["cause"] or None
    return {"id": row["id"], "slot_id": row["slot_id"], "at": row["at"].isoformat(),
            "from_state": row["from_state"], "to_state": row["to_state"], "event": row["event"],
            "trigger": row["event"], "cause": cause, "reason": cause or row["event"], "call_id": row["call_id"]}
