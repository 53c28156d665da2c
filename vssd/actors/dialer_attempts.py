"""The dialer's attempt lifecycle: dial rounds (pacers ask, READY slots are picked), each lead dispatched
through the gate (pass, defer or finish), its reservation committed, its Originate written and its message
acked; the broker's prefetch following the dialing capacity."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from vssd import failpoints
from vssd.actors.dialer_intake import parse_lead
from vssd.actors.dialer_outcomes import CallOutcomes
from vssd.actors.dialer_ports import Delivery
from vssd.actors.dialer_state import Live, Run
from vssd.calls.campaign import ReserveAsk
from vssd.calls.gate import DialRefused, Lease
from vssd.calls.model import Call
from vssd.calls.outcomes import Outcome
from vssd.events import CampaignCallStarted
from vssd.tasks import wait_event

log = logging.getLogger("vssd.dialer")

NUMBER_BUSY_RETRY_S = 30.0
MIN_ROUND_S = 0.002  # dial rounds at most this often
ROUND_SPACING = 4.0  # and spaced by 4× what the last one cost (see _dial_loop)
CAPACITY_RETRY_S = 1.0  # a prefetch change the broker refused is tried again after this


class AttemptLifecycle(CallOutcomes):
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
                run.hopper.appendleft((delivery, parse_lead(delivery.body)))  # not recorded: tried again later
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


def _not_placed(attempt_id: str) -> Call:
    call = Call(call_id=attempt_id, root=attempt_id)
    call.outcome = Outcome.UNAVAILABLE
    call.note = "the slot did not take the dial"
    return call


def _shares(free: int, campaigns: int) -> list[int]:
    """Free operators split between the campaigns that have leads to dial (campaigns share operators: each
    pacer must not count the same operator)."""
    if campaigns == 0:
        return []
    base, extra = divmod(free, campaigns)
    return [base + (1 if i < extra else 0) for i in range(campaigns)]
