"""The autodialer's in-memory state (vssd/actors/dialer.py): campaigns running (`Run`), attempts between
reservation and stored outcome (`Live`), the counters, and `DialerState`, the base its parts share — lead
intake (dialer_intake.py), the attempt lifecycle (dialer_attempts.py), answered and ended calls
(dialer_outcomes.py), retries and the watchdog (dialer_upkeep.py)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vssd.actors.dialer_ports import CallLines, Campaigns, Delivery, DialSlots, LeadBus, LeadStore
from vssd.actors.loops import Loops
from vssd.actors.operators import Operator, OperatorPool
from vssd.actors.pacing import Pacer
from vssd.actors.ports import Clock, EventSink
from vssd.actors.reservations import ReservationBatcher
from vssd.calls.campaign import CampaignSettings
from vssd.calls.gate import DialGate, Lease
from vssd.calls.model import Call
from vssd.tasks import TaskSet

STALL_AFTER_S = 30.0


@dataclass
class Run:
    """A running (or paused) campaign in memory."""

    id: str
    settings: CampaignSettings
    pacer: Pacer
    policy: Any
    status: str = "running"
    hopper: deque[tuple[Delivery, dict[str, Any]]] = field(default_factory=deque)
    live: int = 0  # attempts between reservation and stored outcome
    calls: int = 0  # of those, the ones whose call is not over (what max_concurrent_calls bounds)
    dispatching: dict[str, float] = field(default_factory=dict)  # slot → when its dispatch began (not live yet)
    confirmed: int = 0  # preview mode: calls operators confirmed and the dialer has not placed yet


@dataclass
class Live:
    """An attempt between reservation and stored outcome."""

    attempt_id: str
    lead_id: int
    run: Run
    slot_id: str
    number: str
    lease: Lease
    attempt_no: int
    started_at: float
    sim_key: str | None = None
    call: Call | None = None
    answered_at: float | None = None
    operator: Operator | None = None
    abandoned: bool = False
    ended: bool = False  # its final call is queued for storing
    connected_at: float | None = None


@dataclass
class Counters:
    attempts: int = 0
    deferred: int = 0
    poison: int = 0
    dropped_duplicates: int = 0
    abandoned: int = 0
    connected: int = 0
    stalls: int = 0
    retries_published: int = 0
    last_attempt_at: float = 0.0


class DialerState:
    """What every part of the dialer reads and writes: its ports, the runs, the live attempts, the queues
    between the AMI callbacks and the loops, and the wake events."""

    def __init__(self, bus: LeadBus, store: LeadStore, campaigns: Campaigns, slots: DialSlots, lines: CallLines,
                 gate: DialGate, operators: OperatorPool, clock: Clock, events: EventSink, *,
                 call_ids: Callable[[], str], policy_for: Callable[[CampaignSettings], Any],
                 tick_s: float = 0.05, loops: Loops | None = None) -> None:
        self.bus, self.store, self.campaigns = bus, store, campaigns
        self.slots, self.lines, self.gate, self.operators = slots, lines, gate, operators
        self.clock, self.events = clock, events
        self.call_ids = call_ids
        self.policy_for = policy_for
        self.tick_s = tick_s
        self.stall_after_s = STALL_AFTER_S
        self.watchdog_every_s = 5.0
        self.runs: dict[str, Run] = {}
        self.live: dict[str, Live] = {}
        self.waiting: deque[Live] = deque()  # answered, no operator yet (bounded by live attempts)
        self.finished: deque[tuple[Live, Call]] = deque()  # outcomes to store (bounded by live attempts)
        self.counters = Counters()
        self.tasks = TaskSet("dialer")
        self.loops = loops or Loops("dialer", clock, events)  # the dialer's rounds, supervised
        self.dispatches = TaskSet("dialer-dispatch")  # one per lead being dispatched (gate, reservation, Originate)
        self.reservations = ReservationBatcher(store, self.dispatches)  # a dispatch round's reservations: one commit
        self._wake = asyncio.Event()
        self._outcome_wake = asyncio.Event()
        self._claimed: set[str] = set()
        self._ready: dict[str | None, list[str]] = {}  # this round's READY slots per slot type
        self._prefetch = -1  # what the broker was last told
        self._prefetch_want = 1  # what the last round asked for (the capacity task tells the broker)
        self._capacity_wake = asyncio.Event()
        operators.on_free = self.wake
        # a call was bridged to its operator (`call.operator_id` set): the composition root records and announces it
        self.on_connected: Callable[[Call], None] = lambda call: None

    def wake(self) -> None:
        self._wake.set()

    def wake_outcomes(self) -> None:
        self._outcome_wake.set()
