"""The autodialer: leads from the broker, through the dial gate and a READY slot, to an operator.

One dial path per lead message, in this order (the crash-safety argument is the order):

1. the message enters the hopper (unacked; the broker's prefetch follows dialing capacity);
2. the pacer says how many calls to place now; the best READY slots are picked;
3. the gate (per-number lock, DNC, window, caps) passes the number or says when it may pass (→ `defer`);
4. `reserve` commits lead → dialing + an attempt row (failpoint `after_reservation_commit`);
5. the slot actor writes the Originate with the attempt id as ActionID/ChannelId (`after_originate_write`);
6. the message is acked (`before_ack` sits just before);
7. the outcome is stored with the lead's next state (`after_outcome_stored`).

A crash anywhere from 4 on leaves the lead `dialing` with its attempt `reserved`; at start `reconcile` adopts
the attempts the PBX still has and marks the rest `unknown` — never redialled automatically. A redelivered
message finds its lead no longer `queued` and is dropped. So a number is dialled at most once per reservation.

Answered calls are bridged to a free operator's pre-connected line at once; if none is free within the
campaign's connect window (2 s) the call hears the abandon message and is hung up (`abandoned`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from vssd import failpoints
from vssd.actors.dialer_ports import DeadLetter, Delivery, LeadBus, LeadStore
from vssd.actors.operators import Operator, OperatorPool
from vssd.actors.pacing import Pacer
from vssd.actors.ports import Clock, EventSink
from vssd.actors.reservations import ReservationBatcher
from vssd.calls.campaign import AttemptEnd, CampaignSettings, ReserveAsk, abandon_cap
from vssd.calls.gate import DialGate, DialRefused, Lease
from vssd.calls.model import Call
from vssd.calls.outcomes import Outcome
from vssd.events import (
    CampaignCallConnected,
    CampaignCallEnded,
    CampaignCallStarted,
    CampaignUpdate,
    SystemAlert,
)
from vssd.tasks import TaskSet, wait_event

log = logging.getLogger("vssd.dialer")

CALLEE = {Outcome.BUSY, Outcome.NO_ANSWER, Outcome.REJECTED, Outcome.CANCELLED, Outcome.ABANDONED}
ROUTE = {Outcome.CONGESTION, Outcome.UNAVAILABLE, Outcome.FAILED}
ABANDON_CONTEXT = "vssd-abandon"
STALL_AFTER_S = 30.0
NUMBER_BUSY_RETRY_S = 30.0
RETRY_POLL_S = 0.25
MIN_ROUND_S = 0.002  # dial rounds at most this often
ROUND_SPACING = 4.0  # and spaced by 4× what the last one cost (see _dial_loop)
OUTCOME_BATCH = 256  # outcomes stored by one statement (one commit per batch)
CAPACITY_RETRY_S = 1.0  # a prefetch change the broker refused is tried again after this
PENDING_SWEEP_S = 5.0


class DialSlots(Protocol):
    """The slot farm as the dialer sees it (built in vssd/app.py over `SlotFarm`)."""

    def ready_slots(self, slot_type: str | None) -> list[str]: ...

    def sim_key(self, slot_id: str) -> str | None: ...

    async def dial(self, slot_id: str, number: str, attempt_id: str, ring_timeout_s: float, caller_id: str,
                   tags: Mapping[str, Any]) -> Call: ...


class CallLines(Protocol):
    """The PBX actions the dialer takes on answered calls (`CallPump`)."""

    async def bridge(self, channel1: str, channel2: str) -> None: ...

    async def redirect(self, channel: str, context: str, exten: str = "s") -> None: ...


class Campaigns(Protocol):
    """Campaign rows and lead publishing support (`StoreLeads` implements it)."""

    async def get_campaign(self, campaign_id: str) -> Mapping[str, Any] | None: ...

    async def running_campaigns(self) -> list[Mapping[str, Any]]: ...

    async def take_pending(self, campaign_id: str, limit: int) -> list[Mapping[str, Any]]: ...

    async def unqueue(self, lead_ids: Sequence[int]) -> None: ...

    async def add_dead_letter(self, letter: DeadLetter, lead_id: int | None) -> None: ...

    async def lead_rows(self, lead_ids: Sequence[int]) -> list[Mapping[str, Any]]: ...

    async def queued_for(self, campaign_id: str, limit: int, after_id: int = 0) -> list[Mapping[str, Any]]: ...

    async def pending_count(self, campaign_id: str) -> int: ...

    async def dialable_count(self, campaign_id: str) -> int: ...

    async def current_period(self, campaign_id: str, period_days: float = 30) -> Mapping[str, Any] | None: ...

    async def complete(self, campaign_id: str) -> None: ...


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


class Dialer:
    def __init__(self, bus: LeadBus, store: LeadStore, campaigns: Campaigns, slots: DialSlots, lines: CallLines,
                 gate: DialGate, operators: OperatorPool, clock: Clock, events: EventSink, *,
                 call_ids: Callable[[], str], policy_for: Callable[[CampaignSettings], Any],
                 tick_s: float = 0.05) -> None:
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

    # ---- lifecycle -----------------------------------------------------------------------------------------
    async def load_campaigns(self) -> None:
        for row in await self.campaigns.running_campaigns():
            await self._restore_period(self._load(row))

    async def _restore_period(self, run: Run) -> None:
        """The abandon cap is per campaign and 30-day period: a restarted daemon continues the period's counts."""
        period = await self.campaigns.current_period(run.id, float(run.policy.period_days))
        if period is not None:
            run.pacer.set_period(self.clock.now(), started_at=float(period["started_at"]),
                                 answered=int(period["answered"]), abandoned=int(period["abandoned"]))

    async def start(self) -> None:
        self.counters.last_attempt_at = self.clock.now()  # the stall clock starts now, not at the epoch
        await self.bus.consume_dead_letters(self._on_dead_letter)
        await self.bus.consume_leads(self._on_lead, prefetch=1)
        self.tasks.spawn(self._dial_loop(), "dial-loop")
        self.tasks.spawn(self._outcome_loop(), "outcomes")
        self.tasks.spawn(self._capacity_loop(), "prefetch")
        self.tasks.spawn(self._retry_loop(), "retries")
        self.tasks.spawn(self._watchdog(), "stall-watchdog")
        for run in self.runs.values():
            if run.status == "running":
                await self._republish_queued(run.id)
                await self._publish_or_later(run.id)

    async def _republish_queued(self, campaign_id: str, batch: int = 200) -> None:
        """Leads the store says are queued are published again at start: the in-process broker lost its messages
        with the last process, and a crash between `take_pending` and the broker's confirm leaves queued leads
        RabbitMQ never got. A duplicate message is dropped at reservation (its lead is no longer queued); at worst
        a duplicate that outlives its lead's next `retry → queued` brings that retry forward — never a second
        live call (the gate's per-number lock) and never past the lead's attempts."""
        after = 0
        while rows := await self.campaigns.queued_for(campaign_id, batch, after):
            await self.bus.publish_leads([(str(r["id"]), _lead_body(r, campaign_id)) for r in rows])
            after = int(rows[-1]["id"])

    async def stop(self, dispatch_grace_s: float = 5.0) -> None:
        """No new round; dispatches under way may finish (a reservation cut off mid-way would turn `unknown` at
        the next start), then whatever is left is cancelled."""
        await self.tasks.cancel_all()
        await self.dispatches.settle(dispatch_grace_s)

    def wake(self) -> None:
        self._wake.set()

    def _load(self, row: Mapping[str, Any]) -> Run:
        settings = CampaignSettings.model_validate(row.get("settings") or {})
        policy = self.policy_for(settings)
        run = self.runs.get(str(row["id"]))
        if run is None or (run.settings.mode, run.settings.ratio, run.policy) != (settings.mode, settings.ratio,
                                                                                   policy):
            pacer = Pacer(settings.mode, ratio=settings.ratio, abandon_cap=abandon_cap(policy),
                          connect_within_s=policy.connect_within_s)
            if run is None:
                run = self.runs[str(row["id"])] = Run(str(row["id"]), settings, pacer, policy)
            run.pacer = pacer
        run.settings, run.policy = settings, policy
        run.status = str(row.get("status") or "running")
        return run

    # ---- campaign control (the API calls these) ------------------------------------------------------------
    async def campaign_changed(self, campaign_id: str) -> None:
        """The campaign's row changed (run, pause, resume, stop): follow it, publish what became dialable."""
        row = await self.campaigns.get_campaign(campaign_id)
        if row is None:
            self.runs.pop(campaign_id, None)
            return
        fresh = campaign_id not in self.runs
        run = self._load(row)
        if fresh:
            await self._restore_period(run)
        if run.status == "running":
            await self._publish_or_later(campaign_id)
        else:
            await self._drain_hopper(run)
        self.events.emit(CampaignUpdate(campaign_id=campaign_id, status=run.status))
        self.wake()

    async def publish_pending(self, campaign_id: str, batch: int = 200) -> int:
        """Pending leads → queued, published with confirms. A failed publish puts its batch back to pending."""
        sent = 0
        while True:
            rows = await self.campaigns.take_pending(campaign_id, batch)
            if not rows:
                return sent
            messages = [(str(r["id"]), _lead_body(r, campaign_id)) for r in rows]
            try:
                await self.bus.publish_leads(messages)
            except Exception:
                await self.campaigns.unqueue([int(r["id"]) for r in rows])
                raise
            sent += len(rows)

    async def _publish_or_later(self, campaign_id: str) -> None:
        """Publish what is pending; a broker that is down now leaves the leads pending for the retry loop's
        periodic sweep (`PENDING_SWEEP_S`), so a run is never refused for it."""
        try:
            await self.publish_pending(campaign_id)
        except Exception as err:
            log.warning("campaign %s: leads stay pending until the broker takes them (%s)", campaign_id, err)

    def preview(self, campaign_id: str) -> list[dict[str, Any]]:
        """Preview mode: the leads held for dialing, next first, for an operator to look at before confirming."""
        run = self.runs.get(campaign_id)
        return [] if run is None else [dict(msg) for _, msg in run.hopper]

    def confirm_preview(self, campaign_id: str, count: int = 1) -> int:
        """Preview mode: an operator confirms the next call(s); returns the confirmations waiting."""
        run = self.runs.get(campaign_id)
        if run is None or run.status != "running":
            raise LookupError(campaign_id)
        if run.settings.mode != "preview":
            raise ValueError("CONFLICT", f"campaign {campaign_id} dials in {run.settings.mode} mode, not preview")
        run.confirmed = min(run.confirmed + count, len(run.hopper))
        self.wake()
        return run.confirmed

    async def publish_requeued(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Leads an admin requeued (already `queued` in the store) onto the broker."""
        await self.bus.publish_leads([(str(r["id"]), _lead_body(r, str(r["campaign_id"]))) for r in rows])

    async def _drain_hopper(self, run: Run) -> None:
        """A paused/stopped campaign: its held messages go back to pending (and are acked)."""
        while run.hopper:
            delivery, msg = run.hopper.popleft()
            await self.campaigns.unqueue([int(msg["lead_id"])])
            await delivery.ack()

    # ---- intake ----------------------------------------------------------------------------------------------
    async def _on_lead(self, delivery: Delivery) -> None:
        try:
            msg = _parse_lead(delivery.body)
        except ValueError as err:
            self.counters.poison += 1
            log.warning("poison lead message %s: %s", delivery.message_id, err)
            await delivery.dead_letter(f"poison: {err}")
            return
        run = self.runs.get(msg["campaign_id"])
        if run is None:
            row = await self.campaigns.get_campaign(msg["campaign_id"])
            run = self._load(row) if row is not None else None
        if run is None or run.status != "running":
            await self.campaigns.unqueue([msg["lead_id"]])
            await delivery.ack()
            return
        run.hopper.append((delivery, msg))
        self.wake()

    async def _on_dead_letter(self, letter: DeadLetter) -> None:
        lead_id = None
        with contextlib.suppress(ValueError):
            lead_id = _parse_lead(letter.body)["lead_id"]
        await self.campaigns.add_dead_letter(letter, lead_id)
        log.info("dead letter from %s: %s (lead %s)", letter.queue, letter.reason, lead_id)

    # ---- the dial loop ---------------------------------------------------------------------------------------
    async def _dial_loop(self) -> None:
        """Rounds follow wakes (a lead, a free slot or operator). A round scores every READY slot (`pick_slots`),
        and at hundreds of attempts/s there are thousands of wakes a second, so rounds are spaced by
        ROUND_SPACING × what the last one cost (rounds take at most ~1/ROUND_SPACING of the loop), never closer
        than MIN_ROUND_S. A cheap round (a lone lead, few READY slots) is followed at once by the next."""
        loop = asyncio.get_running_loop()
        next_at = 0.0
        while True:
            await wait_event(self._wake, self.tick_s * 4)
            if (gap := next_at - loop.time()) > 0:
                await asyncio.sleep(gap)
            self._wake.clear()
            began = time.perf_counter()
            self._ready = {}
            try:
                await self._connect_waiting()
                await self._dial_round()
                self._follow_capacity()
            except Exception:
                log.exception("dial round failed")
                await asyncio.sleep(self.tick_s)
            next_at = loop.time() + max(MIN_ROUND_S, ROUND_SPACING * (time.perf_counter() - began))

    def _ready_slots(self, slot_type: str | None) -> list[str]:
        """READY slots, walked once per round and type (the round's own dials are not subtracted: `_claimed`)."""
        if slot_type not in self._ready:
            self._ready[slot_type] = self.slots.ready_slots(slot_type)
        return self._ready[slot_type]

    async def _dial_round(self) -> None:
        """Start dispatches for what the pacers ask; they run on their own (a reservation commit and an Originate
        each), so the next round does not wait for this one's slowest. Slots being dispatched count as claimed,
        as in flight for the pacer and against `max_concurrent_calls`."""
        now = self.clock.now()
        active = [r for r in self.runs.values() if r.status == "running" and r.hopper]
        shares = _shares(self.operators.free_count(), len(active))
        busy_since = [a.connected_at for a in self.live.values() if a.connected_at is not None]
        for run, free_operators in zip(active, shares, strict=True):
            ready = [s for s in self._ready_slots(run.settings.slot_type) if s not in self._claimed]
            in_flight = [(a.slot_id, a.started_at) for a in self.live.values()  # ringing: not answered, not over
                         if a.run is run and a.answered_at is None and not a.ended] + list(run.dispatching.items())
            n = run.pacer.to_dial(now, free_operators=free_operators, in_flight=in_flight,
                                  ready_slots=ready, busy_since=busy_since, preview_confirmed=run.confirmed)
            n = min(n, len(run.hopper), run.settings.max_concurrent_calls - run.calls - len(run.dispatching))
            if run.settings.mode == "preview":
                run.confirmed -= max(n, 0)
            for slot_id in run.pacer.pick_slots(ready, max(n, 0)):
                delivery, msg = run.hopper.popleft()
                self._claimed.add(slot_id)
                run.dispatching[slot_id] = now
                self.dispatches.spawn(self._dispatch(run, delivery, msg, slot_id), f"lead-{msg.get('lead_id')}")

    async def _dispatch(self, run: Run, delivery: Delivery, msg: dict[str, Any], slot_id: str) -> None:
        try:
            await self._dispatch_one(run, delivery, msg, slot_id)
        except Exception:
            log.exception("dispatch of lead %s failed", msg.get("lead_id"))
        finally:
            self._claimed.discard(slot_id)
            run.dispatching.pop(slot_id, None)

    async def _dispatch_one(self, run: Run, delivery: Delivery, msg: dict[str, Any], slot_id: str) -> None:
        lead_id, number = int(msg["lead_id"]), str(msg["phone"])
        sim_key = self.slots.sim_key(slot_id)
        lease = await self._pass_gate(run, delivery, lead_id, number, sim_key, slot_id, msg.get("tz"))
        if lease is None:
            return
        attempt_id = self.call_ids()
        try:
            reservation = await self.reservations.reserve(ReserveAsk(lead_id, attempt_id, slot_id, lease.number,
                                                                     sim_key))
        except Exception:
            lease.release()  # not dialled: undo the reservation if it committed, the message goes back
            await self._withdraw(attempt_id)
            run.hopper.appendleft((delivery, msg))
            raise
        if reservation is None:
            lease.release()
            self.counters.dropped_duplicates += 1
            await delivery.ack()
            return
        failpoints.hit("after_reservation_commit")
        live = Live(attempt_id, lead_id, run, slot_id, lease.number, lease, reservation.attempt_no,
                    self.clock.now(), sim_key)
        self.live[attempt_id] = live
        run.live += 1
        run.calls += 1
        run.dispatching.pop(slot_id, None)  # counted as live from here
        await self._originate(live)
        failpoints.hit("before_ack")
        await delivery.ack()

    async def _withdraw(self, attempt_id: str, tries: int = 5) -> None:
        """The store failed to answer a reservation (e.g. its connection died after the commit): the lead may be
        `dialing` with nothing dialled. Undo it, a few times over a short outage; past that the lead stays
        `dialing` and becomes `unknown` at the next start (never dialled twice either way)."""
        for n in range(tries):
            try:
                await self.store.withdraw(attempt_id)
                return
            except Exception as err:
                log.warning("withdrawing reservation %s failed (%s); try %d/%d", attempt_id, err, n + 1, tries)
                await asyncio.sleep(0.5)

    async def _pass_gate(self, run: Run, delivery: Delivery, lead_id: int, number: str, sim_key: str | None,
                         slot_id: str, tz: str | None) -> Lease | None:
        try:
            return self.gate.acquire(number, policy=run.policy, now=self.clock.now(), sim_key=sim_key,
                                     slot_id=slot_id, tz=tz or run.settings.default_tz, owner=lead_id)
        except DialRefused as refused:
            try:
                await self._refused(lead_id, refused)
            except Exception:
                run.hopper.appendleft((delivery, _parse_lead(delivery.body)))  # not recorded: tried again later
                raise
            await delivery.ack()
            return None

    async def _refused(self, lead_id: int, refused: DialRefused) -> None:
        self.counters.deferred += 1
        retry_at = getattr(refused, "retry_at", None)
        if refused.reason == "number_busy" and retry_at is None:
            retry_at = self.clock.now() + NUMBER_BUSY_RETRY_S
        if retry_at is None:
            status = "dnc" if refused.reason == "dnc" else "failed"
            await self.store.finish_lead(lead_id, status, refused.reason)
        else:
            await self.store.defer(lead_id, float(retry_at), refused.reason)

    async def _originate(self, live: Live) -> None:
        run = live.run
        ring_s = max(15.0, run.settings.ring_timeout_s)
        self.counters.attempts += 1
        self.counters.last_attempt_at = self.clock.now()
        run.pacer.observe_originate(live.slot_id, live.started_at)
        try:
            live.call = await self.slots.dial(live.slot_id, live.number, live.attempt_id, ring_s,
                                              run.settings.caller_id,
                                              {"campaign_id": run.id, "lead_id": live.lead_id})
        except TimeoutError:
            log.warning("slot %s did not take attempt %s in time; the PBX decides", live.slot_id, live.attempt_id)
            return
        except Exception as err:
            log.info("slot %s refused attempt %s: %s", live.slot_id, live.attempt_id, err)
            self._ended(live, _not_placed(live.attempt_id))
            return
        failpoints.hit("after_originate_write")
        self.events.emit(CampaignCallStarted(call_id=live.attempt_id, campaign_id=run.id, lead_id=live.lead_id,
                                             slot_id=live.slot_id))
        if live.call.outcome is not None:
            self.on_call_final(live.call)

    def _follow_capacity(self) -> None:
        """Prefetch follows the dialing capacity: twice the slots the dialer could have busy (READY now, or on
        one of its attempts), at least 1, at most 2,000. Not the READY count alone: under load that swings with
        every call and each change is a re-subscription (RabbitMQ cannot change a live consumer's prefetch),
        whose gap starved the hopper; a change of less than a quarter is not made at all. Telling the broker is a
        round trip, so the round only notes the wish and the capacity task tells it, the latest wish only."""
        capacity = len(self._ready_slots(None)) + len(self.live) + sum(len(r.dispatching) for r in self.runs.values())
        held = sum(len(r.hopper) for r in self.runs.values())
        want = max(1, min(2 * capacity, 2000))
        current = self._prefetch_want
        if abs(want - current) >= max(1, current // 4) and (held < want or want < current):  # not for jitter
            self._prefetch_want = want
            self._capacity_wake.set()

    async def _capacity_loop(self) -> None:
        while True:
            await self._capacity_wake.wait()
            self._capacity_wake.clear()
            want = self._prefetch_want
            if want == self._prefetch:
                continue
            try:
                await self.bus.set_prefetch(want)
            except Exception as err:  # the broker is away: tried again (the latest wish) a second later
                log.warning("changing the lead prefetch to %d failed: %s", want, err)
                await asyncio.sleep(CAPACITY_RETRY_S)
                self._capacity_wake.set()
                continue
            self._prefetch = want

    # ---- calls: answered → operator, ended → outcome ---------------------------------------------------------
    def on_call_update(self, call: Call, what: str) -> None:
        """AMI callback (synchronous): an attempt was answered."""
        live = self.live.get(call.call_id)
        if live is None or call.answered_at is None or live.answered_at is not None:
            return
        live.call = call
        live.answered_at = self.clock.now()
        live.run.pacer.observe_answer(live.slot_id, live.answered_at, live.answered_at - live.started_at)
        self.waiting.append(live)
        self.clock.call_later(_connect_s(live.run), self.wake)
        self.wake()

    async def _connect_waiting(self) -> None:
        now = self.clock.now()
        while self.waiting:
            live = self.waiting[0]
            if live.call is not None and live.call.outcome is not None:
                self.waiting.popleft()
                continue
            late = now - (live.answered_at or now) >= _connect_s(live.run)
            op = None if late else self.operators.take(live.attempt_id)
            if op is not None:
                self.waiting.popleft()
                if await self._bridge(live, op, now):
                    continue
                self.waiting.appendleft(live)  # stays first; tried again next round, its deadline still running
                break
            if late:
                self.waiting.popleft()
                await self._abandon(live, now)
                continue
            break

    async def _bridge(self, live: Live, op: Operator, now: float) -> bool:
        """True once the call is bridged to `op`; False gives the operator back (the caller retries later)."""
        customer, line = _connect_channel(live.call), op.line_channel()
        try:
            if customer is None or line is None:
                raise RuntimeError("no live channel to bridge")
            await self.lines.bridge(customer, line)
        except Exception as err:
            log.warning("bridging %s to operator %s failed: %s", live.attempt_id, op.id, err)
            self.operators.give_back(op)
            return False
        if self.live.get(live.attempt_id) is not live:  # the call ended and was settled while the bridge was made
            self.operators.give_back(op)  # nobody will end this call for the operator: free them now
            return True
        live.operator, live.connected_at = op, now
        self.counters.connected += 1
        live.run.pacer.observe_connect(now, now - (live.answered_at or now))
        # seed 004's call_started/answered/ended reach clients derived from call.update (realtime); these are
        # the campaign's own facts: which operator took the call, and the attempt's stored outcome
        self.events.emit(CampaignCallConnected(call_id=live.attempt_id, operator_id=op.id, campaign_id=live.run.id,
                                               answer_time=live.answered_at))
        return True

    async def _abandon(self, live: Live, now: float) -> None:
        live.abandoned = True
        self.counters.abandoned += 1
        live.run.pacer.observe_abandon(now)
        channel = _connect_channel(live.call)
        with contextlib.suppress(Exception):
            if channel is not None:
                await self.lines.redirect(channel, ABANDON_CONTEXT)
        log.info("attempt %s abandoned: no operator within %.1fs", live.attempt_id, _connect_s(live.run))

    def on_call_final(self, call: Call) -> None:
        """AMI callback (synchronous): an attempt ended. Stored by the outcome loop, in order."""
        live = self.live.get(call.call_id)
        if live is not None and not live.ended:
            self._ended(live, call)

    def _ended(self, live: Live, call: Call) -> None:
        live.ended = True  # once: a repeated final (or a refused dial's own outcome) is not stored twice
        live.run.calls -= 1  # the call is over; its outcome is stored next (it stays in `live` until then)
        self.finished.append((live, call))
        self.wake_outcomes()

    def wake_outcomes(self) -> None:
        self._outcome_wake.set()

    async def _outcome_loop(self) -> None:
        """Outcomes are stored up to OUTCOME_BATCH at a time, oldest first, by one statement (one commit): one
        commit per outcome fell behind at a few hundred attempts/s and held slots' capacity (bench/dialer.py).
        A failed batch goes back to the front, in its order, and is tried again."""
        while True:
            await self._outcome_wake.wait()
            self._outcome_wake.clear()
            while self.finished:
                batch = [self.finished.popleft() for _ in range(min(OUTCOME_BATCH, len(self.finished)))]
                try:
                    await self._store_outcomes(batch)
                except Exception:
                    log.exception("storing %d outcome(s) failed; retrying", len(batch))
                    self.finished.extendleft(reversed(batch))
                    await asyncio.sleep(0.5)

    async def _store_outcomes(self, batch: list[tuple[Live, Call]]) -> None:
        now = self.clock.now()
        ends, settled = [], []
        for live, call in batch:
            outcome = Outcome.ABANDONED if live.abandoned else (call.outcome or Outcome.UNKNOWN)
            lead_status, retry_at = self._next_step(live, outcome, now)
            ends.append(AttemptEnd(live.attempt_id, str(outcome), answered=call.answered_at is not None,
                                   abandoned=live.abandoned, operator_id=live.operator.id if live.operator else None,
                                   talk_s=call.talk_s if call.answered_at is not None else None,
                                   lead_status=lead_status, retry_at=retry_at))
            settled.append((live, call, outcome))
        await self.store.finish_attempts(ends)
        failpoints.hit("after_outcome_stored")
        for live, call, outcome in settled:
            self._settle(live, call, outcome, now)

    def _next_step(self, live: Live, outcome: Outcome, now: float) -> tuple[str, float | None]:
        settings = live.run.settings
        if outcome is Outcome.ANSWERED:
            return "done", None
        if outcome in (Outcome.UNKNOWN, Outcome.LOST):
            return "unknown", None
        if outcome is Outcome.INVALID_NUMBER or live.attempt_no >= settings.max_attempts:
            return "failed", None
        if outcome in ROUTE:
            return "retry", now
        return "retry", now + settings.retry_delay

    def _settle(self, live: Live, call: Call, outcome: Outcome, now: float) -> None:
        self.live.pop(live.attempt_id, None)
        live.run.live -= 1
        live.lease.release()
        with contextlib.suppress(Exception):
            self.gate.record_outcome(sim_key=live.sim_key, slot_id=live.slot_id, outcome=str(outcome),
                                     talk_s=call.talk_s or 0.0)
        if call.answered_at is None:
            live.run.pacer.observe_end(live.slot_id, now, answered=False, ring_s=call.ring_s or 0.0)
        if live.operator is not None:  # connect → free again, wrap-up included (what `busy_since` spans)
            live.run.pacer.observe_release(now, now - (live.connected_at or now) + self.operators.wrapup_s)
            self.operators.call_ended(live.operator)
        self.events.emit(CampaignCallEnded(
            call_id=live.attempt_id, campaign_id=live.run.id, lead_id=live.lead_id, outcome=str(outcome),
            duration=call.talk_s or 0, status="completed" if call.answered_at is not None else "failed", end_time=now))
        self.wake()

    # ---- retries, watchdog -----------------------------------------------------------------------------------
    async def _retry_loop(self) -> None:
        """Due retries back to the queue, on time: PostgreSQL holds the schedule (`next_attempt_at`); the loop
        sleeps until the next due time, at most `RETRY_POLL_S` (a retry scheduled meanwhile by another path)."""
        swept = self.clock.now()
        while True:
            delay = RETRY_POLL_S
            try:
                if self.clock.now() - swept >= PENDING_SWEEP_S:
                    swept = self.clock.now()
                    for run in [r for r in self.runs.values() if r.status == "running"]:
                        await self.publish_pending(run.id)
                due = await self.store.claim_due(self.clock.now(), 500)
                if due:
                    rows = await self.campaigns.lead_rows([lead_id for lead_id, _ in due])
                    await self.bus.publish_leads([(str(r["id"]), _lead_body(r, str(r["campaign_id"])))
                                                  for r in rows])
                    self.counters.retries_published += len(rows)
                    continue
                nxt = await self.store.next_due()
                if nxt is not None:
                    delay = min(RETRY_POLL_S, max(0.0, nxt - self.clock.now()))
            except Exception as err:  # the broker or the store is away: the schedule waits in PostgreSQL
                log.warning("publishing due retries failed: %s", err)
                delay = 1.0
            await asyncio.sleep(delay)

    async def _watchdog(self) -> None:
        """Every `watchdog_every_s`: complete finished campaigns, and raise one alert per stall episode."""
        stalled = False
        while True:
            await asyncio.sleep(self.watchdog_every_s)
            try:
                await self._complete_finished()
                stuck = await self._stalled()
            except Exception:
                log.exception("dialer watchdog round failed")
                continue
            if stuck and not stalled:
                self._alert_stall()
            stalled = stuck

    async def _stalled(self) -> bool:
        """Dialable leads (held, or pending/queued in the store) + READY slots + free operators, and no attempt
        for `stall_after_s`. Leads waiting for a retry time are not dialable yet and do not count."""
        if self.clock.now() - self.counters.last_attempt_at < self.stall_after_s:
            return False
        if not (self.slots.ready_slots(None) and self.operators.free_count()):
            return False
        running = [r for r in self.runs.values() if r.status == "running"]
        if any(r.hopper for r in running):
            return True
        for run in running:
            if await self.campaigns.dialable_count(run.id) > 0:
                return True
        return False

    def _alert_stall(self) -> None:
        self.counters.stalls += 1
        message = (f"pending leads, READY slots and free operators but no attempt for {self.stall_after_s:.0f} s")
        log.error("dialer stalled: %s", message)
        self.events.emit(SystemAlert(type="dialer_stalled", severity="critical", message=message,
                                     timestamp=self.clock.now()))

    async def _complete_finished(self) -> None:
        """A running campaign with nothing held, nothing live and no lead left to dial is `completed`."""
        for run in list(self.runs.values()):
            if run.status != "running" or run.hopper or run.live:
                continue
            if await self.campaigns.pending_count(run.id) == 0:
                await self.campaigns.complete(run.id)
                run.status = "completed"
                log.info("campaign %s completed", run.id)
                self.events.emit(CampaignUpdate(campaign_id=run.id, status="completed"))

    # ---- reconcile -------------------------------------------------------------------------------------------
    def adopt(self, attempts: Sequence[tuple[Mapping[str, Any], Call]]) -> int:
        """Attempts a previous run left `reserved` whose call the PBX still has (the composition root found them
        at reconcile; the rest are `unknown` already): followed to their end, their number held by the gate."""
        adopted = 0
        for row, call in attempts:
            run = self.runs.get(str(row.get("campaign_id")))
            if run is None or row.get("lead_id") is None:
                continue
            lease = self.gate.hold(str(row["number"]), owner=row.get("lead_id"))  # lock only: counted already
            live = Live(str(row["attempt_id"]), int(row["lead_id"]), run, str(row["slot_id"]), lease.number, lease,
                        int(row.get("attempt_no") or 1), self.clock.now(), call=call)
            if call.answered_at is not None:
                live.answered_at = self.clock.now()
                self.waiting.append(live)
            self.live[live.attempt_id] = live
            run.live += 1
            run.calls += 1
            adopted += 1
            if call.outcome is not None:  # it ended while the daemon was still starting (campaigns loading)
                self._ended(live, call)
        log.info("dialer: %d live attempt(s) adopted from a previous run", adopted)
        return adopted

    def figures(self) -> dict[str, Any]:
        """The flat counters and gauges /metrics reads (cheap: no per-slot detail)."""
        c = self.counters
        return {"attempts": c.attempts, "deferred": c.deferred, "poison": c.poison, "abandoned": c.abandoned,
                "connected": c.connected, "stalls": c.stalls, "live": len(self.live),
                "hopper": sum(len(r.hopper) for r in self.runs.values()), "waiting_for_operator": len(self.waiting),
                "operators_free": self.operators.free_count()}

    def stats(self) -> dict[str, Any]:
        """The figures plus, per campaign, its status, live calls and the pacer's view (no per-slot detail)."""
        return {**self.figures(),
                "campaigns": {r.id: {"status": r.status, "live": r.live,
                                     **{k: v for k, v in r.pacer.stats().items() if k != "slots"}}
                              for r in self.runs.values()}}


def _connect_s(run: Run) -> float:
    return float(getattr(run.policy, "connect_within_s", 2.0) or 2.0)


def _connect_channel(call: Call | None) -> str | None:
    """The connect side of an answered attempt: the ;1 half of its Local channel (what Bridge/Redirect move)."""
    if call is None or call.attempt is None:
        return None
    leg = call.legs.get(call.attempt.channel_id)
    return leg.channel if leg is not None and leg.live else None


def _not_placed(attempt_id: str) -> Call:
    call = Call(call_id=attempt_id, root=attempt_id)
    call.outcome = Outcome.UNAVAILABLE
    call.note = "the slot did not take the dial"
    return call


def _lead_body(row: Mapping[str, Any], campaign_id: str) -> bytes:
    body = {"lead_id": int(row["id"]), "campaign_id": campaign_id}
    for key in ("phone", "name", "tz"):
        if row.get(key) is not None:
            body[key] = row[key]
    return orjson.dumps(body)


def _parse_lead(body: bytes) -> dict[str, Any]:
    try:
        msg = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err}") from err
    if not isinstance(msg, dict):
        raise ValueError("not a JSON object")
    lead_id, campaign_id = msg.get("lead_id"), msg.get("campaign_id")
    if not isinstance(lead_id, int) or isinstance(lead_id, bool) or not isinstance(campaign_id, str):
        raise ValueError("lead_id (integer) and campaign_id (string) are required")
    msg.setdefault("phone", "")
    return msg


def _shares(free: int, campaigns: int) -> list[int]:
    """Free operators split between the campaigns that have leads to dial (campaigns share operators: each
    pacer must not count the same operator)."""
    if campaigns == 0:
        return []
    base, extra = divmod(free, campaigns)
    return [base + (1 if i < extra else 0) for i in range(campaigns)]
