"""The dialing service: the dial gate rebuilt from the store, the operators' pool, the autodialer and its
campaign desk (the API's `autodialer` port). Built before the API, so nothing waits for it to appear."""

from __future__ import annotations

import contextlib

from vssd.actors.campaign_desk import CampaignDesk
from vssd.actors.dial_slots import FarmSlots
from vssd.actors.dialer import Dialer
from vssd.actors.loops import Loops
from vssd.actors.operators import OperatorPool
from vssd.adapters.ami_calls import CallPump
from vssd.adapters.store_dialer_records import DialerRecords
from vssd.adapters.store_dnc import StoreDnc
from vssd.calls.campaign import policy_for
from vssd.calls.gate import DialGate
from vssd.calls.model import Call
from vssd.config.models import SlotsConfig
from vssd.events import EventDispatcher
from vssd.fsm import LoopClock
from vssd.metrics import Metrics
from vssd.services.broker import BrokerService
from vssd.services.calls import CallRouter
from vssd.services.farm import FarmService
from vssd.services.reconcile import Reconciler
from vssd.services.store import StoreService
from vssd.tasks import TaskSet


class DialingService:
    """Starts nothing that consumes leads (that is the intake stage): loads, restores and wires."""

    name = "dialing"

    def __init__(self, slots: SlotsConfig, clock: LoopClock, events: EventDispatcher, metrics: Metrics,
                 tasks: TaskSet, gate: DialGate, stores: StoreService, pump: CallPump, broker: BrokerService,
                 farms: FarmService, router: CallRouter, reconciled: Reconciler) -> None:
        self.slots, self.clock, self.events, self.metrics, self.tasks = slots, clock, events, metrics, tasks
        self.gate, self.stores, self.pump, self.broker = gate, stores, pump, broker
        self.farms, self.router, self.reconciled = farms, router, reconciled
        self.loops = Loops("dialer", clock, events)
        self.records: DialerRecords | None = None
        self.operators: OperatorPool | None = None
        self.dial_slots: FarmSlots | None = None
        self.dialer: Dialer | None = None
        self.desk: CampaignDesk | None = None

    async def start(self) -> None:
        store, farm = self.stores.store, self.farms.farm
        self.records = records = DialerRecords(store)
        dnc, attempts = await records.gate_history()
        self.gate.load_dnc(dnc)
        self.gate.restore(attempts)
        self.operators = operators = OperatorPool(self.pump, self.clock, self.events, self.tasks,
                                                  wrapup_s=self.slots.wrapup_s)
        self.router.operators = operators
        await self._restore_operators(records, operators)
        self.dial_slots = FarmSlots(farm)
        self.dialer = dialer = Dialer(self.broker.bus, records, records, self.dial_slots, self.pump, self.gate,
                                      operators, self.clock, self.events, call_ids=farm.next_call_id,
                                      policy_for=policy_for, loops=self.loops)
        self.farms.transitions.on_state = self._slot_state_changed
        dialer.on_connected = self._connected
        await dialer.load_campaigns()
        self.metrics.bind_dialer(dialer.figures)
        dialer.adopt(list(self.reconciled.result.adopted.values()))
        self.router.follow(dialer)
        self.desk = CampaignDesk(dialer, operators, self.gate, records.campaigns, records, StoreDnc(store),
                                 records.dead, records)

    async def _restore_operators(self, records: DialerRecords, operators: OperatorPool) -> None:
        """Operators logged in when the last run ended stay logged in (a fresh line each)."""
        rows = await records.operator_rows()
        operators.load(rows)
        for row in rows:
            if row.get("status") in ("online", "busy", "wrapup"):
                with contextlib.suppress(Exception):
                    await operators.set_status(str(row["id"]), "online")

    async def stop(self) -> None:
        return None  # the intake stage stops the dialer's loops; the pool's lines end with the farm's calls

    def health(self) -> bool:
        return self.dialer is not None and self.loops.health()

    def _connected(self, call: Call) -> None:
        """A campaign call reached its operator: the call record names them now (their own calls, their notes on
        it) and clients learn it at once (`call.update` "bridged" with `operator_id`)."""
        attempt_id = call.attempt.action_id if call.attempt else call.call_id
        self.stores.store.writer.submit_call(attempt_id, user_id=call.operator_id)
        self.router.announce(call, "bridged")

    def _slot_state_changed(self, slot_id: str, state: str) -> None:
        """Every slot transition: the dialer's READY set follows, and a slot that can take a call wakes it."""
        if self.dial_slots is not None:
            self.dial_slots.note_state(slot_id, state)
        if state == "READY" and self.dialer is not None:
            self.dialer.wake()
