"""Small shared types of the slot FSM: states, facts, timeouts, records and the Protocols it talks through.

Everything here is plain data or a Protocol, so actors, adapters and the API can import it without pulling in
the state machine itself (`vssd.actors.ports` re-exports the Protocols).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class SlotType(StrEnum):
    AUTO = "AUTO"  # a GSM-gateway port
    MF = "MF"  # an Android phone on a USB hub, audio bridged to its SIP endpoint
    LS = "LS"  # a desktop running a scripted softphone


class SlotState(StrEnum):
    IDLE = "IDLE"
    ASSIGNED = "ASSIGNED"
    REGISTERING = "REGISTERING"
    READY = "READY"
    CALLING = "CALLING"
    ACTIVE_CALL = "ACTIVE_CALL"
    POSTCALL = "POSTCALL"
    FAULT = "FAULT"


@dataclass(frozen=True, slots=True)
class Health:
    """One snapshot of what the actor knows about the slot's line and device.

    `None` means "not known / not applicable" (AUTO and LS slots have no adb facts).
    """

    sip_reachable: bool = False
    adb_state: str | None = None
    sim_ready: bool | None = None
    in_service: bool | None = None
    battery_pct: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True, slots=True)
class DeviceLimits:
    """Bounds an MF phone must be within to be brought up or to stay READY."""

    min_battery_pct: float = 15.0
    max_temperature_c: float = 45.0


MIN_RING_S = 15.0
"""A ring timeout below this cuts calls before most phones could be answered; only configuration lowers it."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-state timers, in seconds. `min_ring_s` is the floor applied to a per-call ring timeout."""

    registration_s: float = 60.0
    ring_s: float = 45.0
    min_ring_s: float = MIN_RING_S
    max_call_s: float = 3600.0
    wrapup_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("registration_s", "ring_s", "min_ring_s", "max_call_s", "wrapup_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.ring_s < self.min_ring_s:
            raise ValueError(f"ring_s {self.ring_s} is under min_ring_s {self.min_ring_s}")

    def ring_for(self, requested_s: float | None) -> float:
        """The ring timeout for one call: the request (or the default), never under the configured floor."""
        return max(self.ring_s if requested_s is None else requested_s, self.min_ring_s)


@dataclass(frozen=True, slots=True)
class Timeout:
    """A timer that fired. `epoch` names the state visit that armed it; a later visit makes it stale."""

    slot_id: str
    event: str
    cause: str
    epoch: int


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """One state change of one slot, as persisted and published."""

    slot_id: str
    from_state: str
    to_state: str
    event: str
    cause: str
    at: datetime

    def as_payload(self) -> dict[str, Any]:
        return {
            "slot_id": self.slot_id,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "event": self.event,
            "cause": self.cause,
            "at": self.at.isoformat(),
        }


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Time for everything time-based: `now()` is wall-clock seconds since the epoch."""

    def now(self) -> float: ...

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> TimerHandle: ...


class TransitionSink(Protocol):
    """Persists transitions. Must not block: implementations enqueue (bounded) and write elsewhere."""

    def submit_transition(self, record: TransitionRecord) -> None: ...


class TransitionListener(Protocol):
    """Told of every recorded transition (the daemon counts it and emits `slot.update`). Must not block."""

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...


class StateEntryHook(Protocol):
    """What `SlotHooks` calls last on every state entry: the env's `TransitionRecorder`, or a stand-in that
    wraps it (the farm's `TransitionTap`)."""

    def on_enter_state(
        self, event: Any, source: Any, target: Any, machine: Any, cause: str | None = None
    ) -> None: ...


TRANSITION_TOPIC = "slot.transition"
