"""The calls feed: live calls from the slots and recently finished ones, shaped as the seeds show them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from vssd.calls.model import Call
from vssd.views.calls import call_view

FILTERS = ("status", "state", "outcome", "slot_id", "phone_number", "direction")


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
