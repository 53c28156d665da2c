"""Intake: the dialer starts consuming leads; the daemon's own loops (Prometheus sync, loop lag) and the jobs a
caller adds (the demo's campaign) run, supervised."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from vssd.actors.loops import Loops
from vssd.adapters.ami_calls import CallPump
from vssd.metrics import AMI_EVENTS, Metrics, loop_lag_monitor
from vssd.services.dialing import DialingService
from vssd.services.farm import FarmService

Job = tuple[str, Callable[[], Awaitable[None]]]


class IntakeService:
    name = "intake"

    def __init__(self, dialing: DialingService, farms: FarmService, pump: CallPump, metrics: Metrics,
                 loops: Loops, jobs: Sequence[Job] = ()) -> None:
        self.dialing, self.farms, self.pump, self.metrics, self.loops = dialing, farms, pump, metrics, loops
        self.jobs = list(jobs)
        self._names: list[str] = []

    async def start(self) -> None:
        if self.dialing.dialer is not None:
            await self.dialing.dialer.start()
        for name, body in (("loop-lag", lambda: loop_lag_monitor(self.metrics)),
                           ("metrics-sync", self._sync_metrics), *self.jobs):
            self._names.append(name)
            self.loops.start(name, body)

    async def stop(self) -> None:
        if self.dialing.operators is not None:
            self.dialing.operators.closing = True
        if self.dialing.dialer is not None:
            await self.dialing.dialer.stop()
        for name in reversed(self._names):
            await self.loops.remove(name)

    def health(self) -> bool:
        return not any(name in self.loops.faulted for name in self._names)

    async def _sync_metrics(self) -> None:
        """Counters kept cheaply on hot paths (plain ints) are folded into Prometheus once a second."""
        seen: dict[str, int] = {}
        reconnects = restarts = 0
        while True:
            await asyncio.sleep(1.0)
            link = self.pump.link
            for name, count in list(link.events_by_type.items()):
                delta = count - seen.get(name, 0)
                if delta > 0:
                    self.metrics.ami_events.labels(name if name in AMI_EVENTS else "other").inc(delta)
                    seen[name] = count
            if link.counts["reconnects"] > reconnects:
                self.metrics.ami_reconnects.inc(link.counts["reconnects"] - reconnects)
                reconnects = link.counts["reconnects"]
            self.metrics.ami_link(link.is_up)
            restarts = self._sync_actor_metrics(restarts)

    def _sync_actor_metrics(self, restarts_seen: int) -> int:
        farm, supervisor = self.farms.farm, self.farms.supervisor
        self.metrics.inbox_depth(max((core.mailbox.qsize() for core in farm.cores.values()), default=0))
        restarts = sum(supervisor.restarts(slot_id) for slot_id in farm.cores)
        if restarts > restarts_seen:
            self.metrics.actor_restarts.inc(restarts - restarts_seen)
        return max(restarts, restarts_seen)
