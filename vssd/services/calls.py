"""Where the AMI pump's synchronous callbacks go: the operators' lines, the slot farm (and `call.update`), the
dialer, the call desk. The router exists before the PBX link starts (the pump needs its callbacks); each part
registers with it when its own service starts, and until then its share of the calls is kept or skipped as
stated per callback. Handlers are synchronous and never block (AMI rule)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Protocol, cast

from vssd.actors.farm import SlotFarm
from vssd.actors.operators import OperatorPool
from vssd.calls.model import Call
from vssd.events import CallUpdate, EventDispatcher
from vssd.events.catalogue import CallView
from vssd.metrics import Metrics
from vssd.views.calls import call_view


class CallFollower(Protocol):
    """The dialer as the router sees it."""

    def on_call_update(self, call: Call, what: str) -> None: ...

    def on_call_final(self, call: Call) -> None: ...


class FinalListener(Protocol):
    def on_final(self, call: Call) -> None: ...


class CallRouter:
    """The AMI callbacks, and the last 2000 finished calls (the feed's `recent`)."""

    def __init__(self, events: EventDispatcher, metrics: Metrics, *, recent: int = 2000) -> None:
        self.events, self.metrics = events, metrics
        self.recent: deque[tuple[Call, str]] = deque(maxlen=recent)
        self.finished_calls = 0
        self.farm: SlotFarm | None = None
        self.operators: OperatorPool | None = None
        self.dialer: CallFollower | None = None
        self.call_desk: FinalListener | None = None
        self.adopted: set[str] = set()  # reconciled attempts still live: their end waits for the dialer
        self.early_finals: list[Call] = []

    def follow(self, dialer: CallFollower) -> None:
        """The dialer takes over; calls of adopted attempts that ended before it existed are handed to it."""
        self.dialer = dialer
        early, self.early_finals = self.early_finals, []
        for call in early:
            dialer.on_call_final(call)

    # ---- the pump's callbacks ------------------------------------------------------------------------------
    def on_update(self, call: Call, what: str) -> None:
        if self.operators is not None and self.operators.is_line(call):
            self.operators.on_line_update(call)
            return
        if self.farm is not None:
            self.farm.on_call(call, what)
            self.announce(call, what)
        if self.dialer is not None:
            self.dialer.on_call_update(call, what)

    def announce(self, call: Call, what: str) -> None:
        """A call.update with the call's whole view (also for facts vssd adds itself: the operator it was bridged
        to)."""
        core = self.farm.core_for_call(call) if self.farm is not None else None
        view = cast("CallView", call_view(call, core.spec.slot_id if core else None))  # the feed's own shape
        self.events.emit(CallUpdate(view, what))

    def on_final(self, call: Call) -> None:
        if self.operators is not None and self.operators.is_line(call):
            self.operators.on_line_final(call)
            return
        if self.dialer is not None:
            self.dialer.on_call_final(call)
        elif call.call_id in self.adopted:
            self.early_finals.append(call)
        self.finished_calls += 1
        self.metrics.call_outcome(str(call.outcome))
        core = self.farm.core_for_call(call) if self.farm is not None else None
        self.recent.appendleft((call, core.spec.slot_id if core else ""))
        if self.call_desk is not None:
            self.call_desk.on_final(call)

    def is_slot_leg(self, channel: str) -> bool:
        return self.farm is not None and self.farm.endpoint_of(channel) is not None

    def on_registration(self, frame: Mapping[str, str]) -> None:
        if self.farm is not None:
            self.farm.on_registration(frame)
