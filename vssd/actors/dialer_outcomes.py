"""The dialer's calls after the dial: an answered attempt bridged to a free operator within the campaign's
connect window (else abandoned), an ended one's outcome stored in batches with its lead's next step
(done, retry, failed, unknown), then settled (lease, gate, pacer, operator, event)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from vssd import failpoints
from vssd.actors.dialer_state import DialerState, Live, Run
from vssd.actors.operators import Operator
from vssd.calls.campaign import AttemptEnd
from vssd.calls.model import Call
from vssd.calls.outcomes import Outcome, next_step
from vssd.events import CampaignCallConnected, CampaignCallEnded

log = logging.getLogger("vssd.dialer")

ABANDON_CONTEXT = "vssd-abandon"
OUTCOME_BATCH = 256  # outcomes stored by one statement (one commit per batch)


class CallOutcomes(DialerState):
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
        customer, line = live.call.connect_channel if live.call else None, op.line_channel()
        if live.call is not None:  # set first: a call.update racing the bridge already names the operator
            live.call.operator_id = op.id
        try:
            if customer is None or line is None:
                raise RuntimeError("no live channel to bridge")
            await self.lines.bridge(customer, line)
        except Exception as err:
            log.warning("bridging %s to operator %s failed: %s", live.attempt_id, op.id, err)
            if live.call is not None:
                live.call.operator_id = None
            self.operators.give_back(op)
            return False
        if self.live.get(live.attempt_id) is not live:  # the call ended and was settled while the bridge was made
            self.operators.give_back(op)  # nobody will end this call for the operator: free them now
            return True
        live.operator, live.connected_at = op, now
        self.counters.connected += 1
        live.run.pacer.observe_connect(now, now - (live.answered_at or now))
        # the Smart Call Center API's call_started/answered/ended reach clients derived from call.update; these
        # are the campaign's own facts: which operator took the call, and the attempt's stored outcome
        self.events.emit(CampaignCallConnected(call_id=live.attempt_id, operator_id=op.id, campaign_id=live.run.id,
                                               answer_time=live.answered_at))
        if live.call is not None:
            self.on_connected(live.call)
        return True

    async def _abandon(self, live: Live, now: float) -> None:
        live.abandoned = True
        self.counters.abandoned += 1
        live.run.pacer.observe_abandon(now)
        channel = live.call.connect_channel if live.call else None
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

    @staticmethod
    def _next_step(live: Live, outcome: Outcome, now: float) -> tuple[str, float | None]:
        """By the one table (calls/outcomes.py OUTCOME_CLASS)."""
        settings = live.run.settings
        return next_step(outcome, attempt_no=live.attempt_no, max_attempts=settings.max_attempts,
                         retry_delay=settings.retry_delay, now=now)

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
        pacer = live.run.pacer
        self.events.emit(CampaignCallEnded(
            call_id=live.attempt_id, campaign_id=live.run.id, lead_id=live.lead_id, outcome=str(outcome),
            duration=call.talk_s or 0, status="completed" if call.answered_at is not None else "failed", end_time=now,
            dial_level=round(pacer.dial_level, 3), abandon_rate=round(pacer.abandon_rate, 5),
            abandon_cap=pacer.abandon_cap))
        self.wake()


def _connect_s(run: Run) -> float:
    return float(getattr(run.policy, "connect_within_s", 2.0) or 2.0)
