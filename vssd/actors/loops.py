"""Long-running loops (the dialer's rounds, the device poller, the store probe, the metrics sync) supervised as
slot actors are: a crash is logged with the loop's name and restarted with capped, jittered backoff; past the
restart budget the loop stays down, a critical `system.alert` says which, its owner's `health()` turns false
(`/health/ready` names it) and the daemon lives on."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import structlog

from vssd.actors.ports import Clock, EventSink, Rng
from vssd.actors.supervisor import ActorStatus, Supervisor
from vssd.events import SystemAlert

log = structlog.get_logger("vssd.loops")
LoopBody = Callable[[], Awaitable[None]]


class _Loop:
    """One run of a loop, as the supervisor runs an actor: made fresh for every (re)start."""

    def __init__(self, body: LoopBody) -> None:
        self._body = body

    async def run(self) -> None:
        await self._body()

    async def on_restart(self) -> None:
        return None


class Loops:
    """The supervised loops of one owner (`owner` prefixes their names in logs and alerts)."""

    def __init__(self, owner: str, clock: Clock, events: EventSink, *, rng: Rng | None = None,
                 budget: tuple[int, float] = (5, 300.0), backoff_base_s: float = 0.5,
                 backoff_cap_s: float = 30.0) -> None:
        self.owner = owner
        self._clock = clock
        self._events = events
        self._supervisor = Supervisor(clock, rng or random.Random(), budget, backoff_base_s, backoff_cap_s,
                                      on_fault=self._faulted)
        self.faulted: dict[str, str] = {}  # loop name → why it is down for good

    def start(self, name: str, body: LoopBody) -> None:
        self._supervisor.add(name, lambda: _Loop(body))

    async def stop(self, timeout_s: float = 10.0) -> None:
        await self._supervisor.stop(timeout_s)

    async def remove(self, name: str, timeout_s: float = 10.0) -> None:
        """Stop one loop (its owner stops before the others)."""
        await self._supervisor.remove(name, timeout_s)

    def restarts(self, name: str) -> int:
        return self._supervisor.restarts(name)

    def running(self, name: str) -> bool:
        return self._supervisor.status(name) in (ActorStatus.RUNNING, ActorStatus.BACKOFF, ActorStatus.STARTING)

    def health(self) -> bool:
        return not self.faulted

    def _faulted(self, name: str, reason: str) -> None:
        self.faulted[name] = reason
        log.error("loop not restarted", owner=self.owner, loop=name, reason=reason)
        self._events.emit(SystemAlert(type="loop_faulted", severity="critical",
                                      message=f"{self.owner}: the {name} loop stopped for good ({reason})",
                                      timestamp=self._clock.now(), details={"owner": self.owner, "loop": name}))
