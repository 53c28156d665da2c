"""The slot farm service: one supervised actor per slot, fed by the PBX link; slot transitions counted, emitted
as `slot.update` (a slot entering FAULT also raises a warning `system.alert`, the Dashboard's to-do list) and
passed to whoever follows READY slots (the dialer)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from vssd.actors.farm import SlotFarm
from vssd.actors.supervisor import Supervisor
from vssd.adapters.ami_calls import CallPump
from vssd.config.models import SlotsConfig
from vssd.events import EventDispatcher, SlotUpdate, SystemAlert
from vssd.fsm import LoopClock, SlotEnv, Timeouts, TransitionRecorder
from vssd.metrics import Metrics
from vssd.services.calls import CallRouter
from vssd.services.reconcile import Reconciler
from vssd.services.store import StoreService
from vssd.tasks import TaskSet


class SlotTransitions:
    """The FSM's transition listener: counted, emitted as the slot's view with the transition (`slot.update`),
    and handed to `on_state` (slot id, new state) — the dialer's READY set. Entering FAULT is also a
    `system.alert` (warning, `slot_fault`): a phone gone, a spent restart budget — a person must look."""

    def __init__(self, metrics: Metrics, events: EventDispatcher, now: Callable[[], float] = time.time) -> None:
        self.on_state: Callable[[str, str], None] | None = None
        self.view_of: Callable[[str], dict[str, Any] | None] = lambda _slot_id: None
        self._metrics, self._events, self._now = metrics, events, now

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        to_state = str(payload.get("to_state", ""))
        self._metrics.slot_transition(to_state)
        view = self.view_of(str(payload.get("slot_id", "")))
        data = {**payload, **view, "slot_id": view.get("id")} if view is not None else dict(payload)
        self._events.emit(SlotUpdate({**data, "fsm_state": to_state}))  # type: ignore[typeddict-item]
        if to_state == "FAULT" and payload.get("from_state") != "FAULT":
            self._alert_fault(str(payload.get("slot_id", "")), payload)
        if self.on_state is not None:
            self.on_state(str(payload.get("slot_id", "")), to_state)


    def _alert_fault(self, slot_id: str, payload: Mapping[str, Any]) -> None:
        cause = payload.get("cause") or payload.get("event") or "fault"
        self._events.emit(SystemAlert(
            type="slot_fault", severity="warning", message=f"slot {slot_id} is in FAULT ({cause})",
            timestamp=self._now(), details={"slot_id": slot_id, "from_state": payload.get("from_state"),
                                            "cause": cause}))


class FarmService:
    name = "actors"

    def __init__(self, slots: SlotsConfig, clock: LoopClock, metrics: Metrics, events: EventDispatcher,
                 stores: StoreService, pump: CallPump, router: CallRouter, reconciled: Reconciler, tasks: TaskSet,
                 *, call_ids: Callable[[], str], call_grace_s: float, hub_id: str | None = None) -> None:
        self.slots, self.clock, self.metrics = slots, clock, metrics
        self.hub_id = hub_id
        self.call_ids = call_ids
        self.stores, self.pump, self.router, self.reconciled, self.tasks = stores, pump, router, reconciled, tasks
        self.call_grace_s = call_grace_s
        self.transitions = SlotTransitions(metrics, events, clock.now)
        self.supervisor = Supervisor(clock, random.Random(),
                                     budget=(slots.restart_budget_count, slots.restart_budget_window_s),
                                     on_fault=self._on_fault)
        self._farm: SlotFarm | None = None

    @property
    def current(self) -> SlotFarm | None:
        return self._farm

    @property
    def farm(self) -> SlotFarm:
        if self._farm is None:
            raise RuntimeError("the farm has not started")
        return self._farm

    async def start(self) -> None:
        store, slots, result = self.stores.store, self.slots, self.reconciled.result
        recorder = TransitionRecorder(self.clock, sink=store.writer, listener=self.transitions)
        timeouts = Timeouts(registration_s=slots.registration_timeout_s, ring_s=slots.ring_timeout_s,
                            max_call_s=slots.max_call_duration_s, wrapup_s=slots.wrapup_s,
                            min_ring_s=min(15.0, slots.ring_timeout_s))
        farm = SlotFarm(self.supervisor, SlotEnv(self.clock, recorder=recorder, timeouts=timeouts), self.pump,
                        store.writer, self.call_ids, hub_id=self.hub_id)
        self.transitions.view_of = farm.slot_view
        for spec, _ in result.specs:
            await farm.add(spec)
        farm.on_endpoint_list(result.endpoint_rows)
        self._farm = self.router.farm = farm
        self.metrics.bind_slots(farm.slot_views)
        self.metrics.bind_writer_backlog(lambda: float(store.writer.backlog))
        for spec, plan in result.specs:
            if plan.enroll_trunk:
                await farm.command(spec.slot_id, "enroll", trunk_id=plan.enroll_trunk, cause="enrolled at start")

    async def stop(self) -> None:
        """Let calls end, hang up what is left after the grace period, record every outcome, stop the actors."""
        if self._farm is None:
            return
        await self._calls_drained(self.call_grace_s)
        for call in self.pump.tracker.open_calls():
            if (channel := call.hangup_channel) is not None:
                with contextlib.suppress(Exception):
                    await self.pump.hangup(channel)
        await self._calls_drained(3.0)
        await asyncio.sleep(0.1)  # let actors record the last outcomes
        await self.supervisor.stop()

    def health(self) -> bool:
        return self._farm is not None

    async def _calls_drained(self, timeout_s: float) -> None:
        """Wait until the PBX has ended every open call, or the timeout. Polls: calls end on AMI events."""
        deadline = time.monotonic() + timeout_s
        while self.pump.tracker.open_calls() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    async def _on_fault(self, slot_id: str, reason: str) -> None:
        """The restart budget of a slot is spent: end its call (no actor follows it any more), then FAULT."""
        if self._farm is None or slot_id not in self._farm.cores:
            return
        await self._farm.cores[slot_id].machine.report_budget_exhausted(reason)
        if self._farm.cores[slot_id].call is not None:
            self.tasks.spawn(self._finish_then_fault(slot_id, reason), f"finish-call-{slot_id}")

    async def _finish_then_fault(self, slot_id: str, reason: str) -> None:
        await self.farm.finish_call(slot_id)
        await self.farm.cores[slot_id].machine.report_budget_exhausted(reason)
