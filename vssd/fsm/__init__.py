"""The slot state machine and the small types it shares with actors (pure domain: no I/O)."""

from vssd.fsm.clock import LoopClock, ManualClock, sleep
from vssd.fsm.health import device_problems, unmet_requirements
from vssd.fsm.listeners import TimeoutListener, TransitionRecorder
from vssd.fsm.slot import SlotEnv, SlotFacts, SlotMachine, TransitionNotAllowed
from vssd.fsm.types import (
    TRANSITION_TOPIC,
    Clock,
    DeviceLimits,
    Health,
    SlotState,
    SlotType,
    StateEntryHook,
    Timeout,
    Timeouts,
    TimerHandle,
    TransitionListener,
    TransitionRecord,
    TransitionSink,
)

__all__ = [
    "TRANSITION_TOPIC",
    "Clock",
    "DeviceLimits",
    "TransitionListener",
    "Health",
    "LoopClock",
    "ManualClock",
    "SlotEnv",
    "SlotFacts",
    "SlotMachine",
    "SlotState",
    "SlotType",
    "StateEntryHook",
    "TimeoutListener",
    "Timeout",
    "Timeouts",
    "TimerHandle",
    "TransitionNotAllowed",
    "TransitionRecord",
    "TransitionRecorder",
    "TransitionSink",
    "device_problems",
    "sleep",
    "unmet_requirements",
]
