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

The parts, one module each: the state they share (dialer_state.py), lead intake and campaign control
(dialer_intake.py), the attempt lifecycle (dialer_attempts.py), answered and ended calls
(dialer_outcomes.py), retries and the watchdog (dialer_upkeep.py); the ports in dialer_ports.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from vssd.actors.dialer_attempts import AttemptLifecycle
from vssd.actors.dialer_state import Live
from vssd.actors.dialer_upkeep import Upkeep
from vssd.calls.model import Call

log = logging.getLogger("vssd.dialer")


class Dialer(AttemptLifecycle, Upkeep):
    """The autodialer: its loops started and stopped, attempts adopted at reconcile, its figures."""

    async def start(self) -> None:
        self.counters.last_attempt_at = self.clock.now()  # the stall clock starts now, not at the epoch
        await self.bus.consume_dead_letters(self._on_dead_letter)
        await self.bus.consume_leads(self._on_lead, prefetch=1)
        for name, body in (("dial-loop", self._dial_loop), ("outcomes", self._outcome_loop),
                           ("prefetch", self._capacity_loop), ("retries", self._retry_loop),
                           ("stall-watchdog", self._watchdog)):
            self.loops.start(name, body)
        for run in self.runs.values():
            if run.status == "running":
                await self._republish_queued(run.id)
                await self._publish_or_later(run.id)

    async def stop(self, dispatch_grace_s: float = 5.0) -> None:
        """No new round; dispatches under way may finish (a reservation cut off mid-way would turn `unknown` at
        the next start), then whatever is left is cancelled."""
        await self.loops.stop()
        await self.tasks.cancel_all()
        await self.dispatches.settle(dispatch_grace_s)

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
