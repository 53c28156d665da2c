"""Test rig for the slot FSM: a hand-advanced clock, a recording sink/bus, a machine factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vssd.fsm import (
    Health,
    ManualClock,
    SlotEnv,
    SlotMachine,
    SlotState,
    SlotType,
    Timeout,
    Timeouts,
    TransitionRecord,
    TransitionRecorder,
)

AUTO_UP = Health(sip_reachable=True)
MF_UP = Health(
    sip_reachable=True, adb_state="device", sim_ready=True, in_service=True, battery_pct=80.0, temperature_c=30.0
)
DOWN = Health(sip_reachable=False)


class RecordingSink:
    def __init__(self) -> None:
        self.records: list[TransitionRecord] = []

    def submit_transition(self, record: TransitionRecord) -> None:
        self.records.append(record)


class RecordingBus:
    def __init__(self) -> None:
        self.published: list[tuple[str, Mapping[str, Any]]] = []

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.published.append((topic, payload))


class Rig:
    """One clock, sink, bus and timer inbox shared by the machines a test makes."""

    def __init__(self, timeouts: Timeouts | None = None) -> None:
        self.clock = ManualClock()
        self.sink = RecordingSink()
        self.bus = RecordingBus()
        self.fired: list[Timeout] = []
        self.env = SlotEnv(self.clock, TransitionRecorder(self.clock, self.sink, self.bus), timeouts=timeouts)

    async def machine(
        self, slot_type: SlotType = SlotType.AUTO, start: SlotState | None = None, health: Health | None = None
    ) -> SlotMachine:
        machine = SlotMachine("slot-1", slot_type, self.env, self.fired.append, start_state=start)
        await machine.activate_initial_state()
        if health is not None:
            machine.observe(health)
        return machine

    def transitions(self) -> list[tuple[str, str, str]]:
        return [(r.from_state, r.to_state, r.event) for r in self.sink.records]


