"""The small Protocols actors talk through. The FSM's own Protocols are re-exported from `vssd.fsm.types`, so
actors, adapters and the API name one set of types; the ones only actors need are defined here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from vssd.events import Event
from vssd.fsm.types import (
    TRANSITION_TOPIC,
    Clock,
    TimerHandle,
    TransitionRecord,
    TransitionSink,
)

__all__ = [
    "TRANSITION_TOPIC",
    "Clock",
    "EventSink",
    "FaultCallback",
    "Rng",
    "SupervisedActor",
    "TimerHandle",
    "TransitionRecord",
    "TransitionSink",
]


class EventSink(Protocol):
    """Where actors emit catalogued events (`vssd.events.EventDispatcher`). Must not block."""

    def emit(self, event: Event) -> None: ...


class SupervisedActor(Protocol):
    """What the supervisor runs: one per slot, made fresh by a factory for every (re)start."""

    async def run(self) -> None:
        """The actor loop. Returning ends supervision of the slot; raising is a crash (restart with backoff);
        cancellation is a stop, so clean up in `finally`."""

    async def on_restart(self) -> None:
        """Called on a new instance after a crash, before `run`: re-adopt what the dead one left behind
        (its live call, its slot state) instead of starting from scratch."""


class Rng(Protocol):
    """The randomness the supervisor's jitter needs (`random.Random` fits)."""

    def uniform(self, a: float, b: float) -> float: ...


FaultCallback = Callable[[str, str], Awaitable[None] | None]
"""`on_fault(slot_id, reason)`: the restart budget of the slot is spent; put the slot to FAULT."""
