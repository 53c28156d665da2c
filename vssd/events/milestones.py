"""The Smart Call Center API's `call_started` / `call_answered` / `call_ended`, derived from successive call views
(bounded memory: the oldest call ids are forgotten first)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from vssd.events.base import Event
from vssd.events.catalogue import CallAnswered, CallEnded, CallStarted


class CallMilestones:
    def __init__(self, remembered: int) -> None:
        self._seen: OrderedDict[str, bool] = OrderedDict()  # call id → answered already announced
        self._max = remembered

    def derive(self, view: Mapping[str, Any]) -> list[Event]:
        call_id = str(view.get("call_id") or view.get("id") or "")
        if not call_id:
            return []
        out: list[Event] = []
        if call_id not in self._seen:
            out.append(CallStarted(call_id=call_id, channel_id=view.get("channel_id"),
                                   caller_number=view.get("phone_number"), timestamp=view.get("started_at"),
                                   slot_id=view.get("slot_id"), operator_id=view.get("operator_id")))
            self._remember(call_id)
        if view.get("answered_at") and not self._seen.get(call_id):
            out.append(CallAnswered(call_id=call_id, operator_id=view.get("operator_id"),
                                    answer_time=view.get("answered_at")))
            self._seen[call_id] = True
        if view.get("state") == "ENDED" or view.get("ended_at") is not None:
            out.append(CallEnded(call_id=call_id, end_time=view.get("ended_at"), duration=view.get("duration"),
                                 status=view.get("status"), operator_id=view.get("operator_id")))
            self._seen.pop(call_id, None)
        return out

    def _remember(self, call_id: str) -> None:
        self._seen[call_id] = False
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
