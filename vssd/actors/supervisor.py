"""The supervisor: owns every slot actor task, restarts crashed actors with capped, jittered backoff, and
gives up on a slot (→ FAULT through `on_fault`) when its restart budget is spent. Other actors live on."""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import structlog

from vssd.actors.ports import Clock, FaultCallback, Rng, SupervisedActor
from vssd.fsm.clock import sleep
from vssd.tasks import TaskSet

log = structlog.get_logger("vssd.supervisor")

ActorFactory = Callable[[], SupervisedActor]


class ActorStatus(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    BACKOFF = "backoff"
    FAULTED = "faulted"
    FINISHED = "finished"


@dataclass(eq=False)
class _Supervised:
    slot_id: str
    factory: ActorFactory
    status: ActorStatus = ActorStatus.STARTING
    restarts: int = 0
    crashes: deque[float] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class Supervisor:
    """One task per slot (through `TaskSet`), each running its actor and restarting it after a crash.

    `budget=(n, window_s)`: up to n restarts within window_s seconds; the crash after that is not
    restarted and `on_fault(slot_id, reason)` is called. Backoff before restart k (k crashes in the
    window) is uniform in [0, min(cap, base · 2^(k-1))] ("full jitter"), so a farm of actors crashing on
    the same cause does not restart in lockstep.
    """

    def __init__(
        self,
        clock: Clock,
        rng: Rng,
        budget: tuple[int, float] = (5, 60.0),
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        *,
        on_fault: FaultCallback | None = None,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._max_restarts, self._window_s = budget
        self._base_s = backoff_base_s
        self._cap_s = backoff_cap_s
        self._on_fault = on_fault
        self._tasks = TaskSet("supervisor")
        self._slots: dict[str, _Supervised] = {}
        self._stopped = False

    # -- owning actors -------------------------------------------------------------------------------------

    def add(self, slot_id: str, factory: ActorFactory) -> None:
        """Start supervising a slot. A slot already supervised is refused unless it was given up on."""
        if self._stopped:
            raise RuntimeError("supervisor is stopped")
        current = self._slots.get(slot_id)
        if current is not None and current.status not in (ActorStatus.FAULTED, ActorStatus.FINISHED):
            raise ValueError(f"slot {slot_id} is already supervised")
        entry = _Supervised(slot_id, factory)
        self._slots[slot_id] = entry
        entry.task = self._tasks.spawn(self._supervise(entry), f"slot:{slot_id}")

    async def remove(self, slot_id: str, timeout_s: float = 10.0) -> None:
        """Stop a slot's actor (cancel, wait for its cleanup) and forget the slot."""
        entry = self._slots.pop(slot_id, None)
        if entry is not None and entry.task is not None:
            await self._cancel([entry.task], timeout_s)

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop every actor; no slot can be added afterwards."""
        self._stopped = True
        tasks = [e.task for e in self._slots.values() if e.task is not None]
        self._slots.clear()
        await self._cancel(tasks, timeout_s)

    async def _cancel(self, tasks: list[asyncio.Task[None]], timeout_s: float) -> None:
        live = [t for t in tasks if not t.done()]
        for task in live:
            task.cancel()
        if live:
            _, pending = await asyncio.wait(live, timeout=timeout_s)
            for task in pending:
                log.error("slot actor ignored cancellation", task=task.get_name())

    # -- reading -------------------------------------------------------------------------------------------

    def __contains__(self, slot_id: object) -> bool:
        return slot_id in self._slots

    def __len__(self) -> int:
        return len(self._tasks)

    def status(self, slot_id: str) -> ActorStatus | None:
        entry = self._slots.get(slot_id)
        return entry.status if entry is not None else None

    def restarts(self, slot_id: str) -> int:
        entry = self._slots.get(slot_id)
        return entry.restarts if entry is not None else 0

    def backoff_ceiling_s(self, crashes_in_window: int) -> float:
        """The upper bound of the jittered delay before the restart that follows this many crashes."""
        return min(self._cap_s, self._base_s * 2 ** max(crashes_in_window - 1, 0))

    # -- the loop ------------------------------------------------------------------------------------------

    async def _supervise(self, entry: _Supervised) -> None:
        slot_log = log.bind(slot_id=entry.slot_id)
        restarting = False
        while True:
            try:
                await self._run_once(entry, restarting)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                slot_log.error("slot actor crashed", reason=reason, restarts=entry.restarts, exc_info=exc)
                if not self._within_budget(entry):
                    await self._give_up(entry, reason, slot_log)
                    return
                delay_s = self._rng.uniform(0.0, self.backoff_ceiling_s(len(entry.crashes)))
                entry.status = ActorStatus.BACKOFF
                slot_log.warning("restarting slot actor", delay_s=round(delay_s, 3), restart=entry.restarts + 1)
                await sleep(self._clock, delay_s)
                entry.restarts += 1
                restarting = True
            else:
                entry.status = ActorStatus.FINISHED
                slot_log.info("slot actor finished")
                return

    async def _run_once(self, entry: _Supervised, restarting: bool) -> None:
        actor = entry.factory()
        if restarting:
            await actor.on_restart()
        entry.status = ActorStatus.RUNNING
        await actor.run()

    def _within_budget(self, entry: _Supervised) -> bool:
        now = self._clock.now()
        entry.crashes.append(now)
        while entry.crashes and entry.crashes[0] <= now - self._window_s:
            entry.crashes.popleft()
        return len(entry.crashes) <= self._max_restarts

    async def _give_up(self, entry: _Supervised, reason: str, slot_log: structlog.typing.FilteringBoundLogger) -> None:
        entry.status = ActorStatus.FAULTED
        why = f"restart budget spent ({len(entry.crashes)} crashes in {self._window_s:g}s): {reason}"
        slot_log.error("slot actor not restarted", reason=why)
        if self._on_fault is None:
            return
        try:
            result = self._on_fault(entry.slot_id, why)
            if inspect.isawaitable(result):
                await result
        except Exception:
            slot_log.exception("on_fault callback failed")
