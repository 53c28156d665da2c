"""The dialer's upkeep: due retries published on time (PostgreSQL holds the schedule), pending leads swept
to the broker, finished campaigns completed, and one alert per stall."""

from __future__ import annotations

import asyncio
import logging

from vssd.actors.dialer_intake import LeadIntake, lead_body
from vssd.events import CampaignUpdate, SystemAlert

log = logging.getLogger("vssd.dialer")

RETRY_POLL_S = 0.25
PENDING_SWEEP_S = 5.0


class Upkeep(LeadIntake):
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
                    await self.bus.publish_leads([(str(r["id"]), lead_body(r, str(r["campaign_id"])))
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
