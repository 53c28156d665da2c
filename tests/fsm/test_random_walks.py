"""Random walks over events, health reports, unassignments and timers: every recorded transition is one of
SPEC's (the hand-written table of test_transitions), records chain up, refusals change nothing."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from tests.fsm.rig import AUTO_UP, DOWN, MF_UP, Rig
from tests.fsm.test_transitions import EVENTS, SPEC_TABLE
from vssd.fsm import SlotMachine, SlotType, TransitionNotAllowed

TARGETS: dict[tuple[str, str], set[str]] = {}
for source, event, _kwargs, target, *_rest in SPEC_TABLE:
    TARGETS.setdefault((source, event), set()).add(target)

HEALTHS = [AUTO_UP, DOWN, MF_UP, replace(MF_UP, battery_pct=2.0), replace(MF_UP, adb_state="unauthorized")]


async def step(rng: random.Random, rig: Rig, machine: SlotMachine) -> None:
    choice = rng.random()
    if choice < 0.55:
        allowed = [str(e.id) for e in machine.allowed_events]  # half the time something the state knows
        event = rng.choice(allowed if allowed and rng.random() < 0.5 else EVENTS)
        try:
            await machine.send(event, trunk_id="trunk-1", cause="walk")
        except TransitionNotAllowed:
            pass
    elif choice < 0.8:
        await machine.report_health(rng.choice(HEALTHS))
    elif choice < 0.85:
        try:
            await machine.request_unassign()
        except TransitionNotAllowed:
            pass
    elif choice < 0.9:
        await machine.report_budget_exhausted()
    else:
        rig.clock.advance(rng.choice([1, 15, 60, 3600]))
        fired, rig.fired[:] = list(rig.fired), []
        for timeout in fired:
            await machine.fire(timeout)


@pytest.mark.parametrize("seed", range(20))
async def test_random_walk_stays_inside_spec(seed: int) -> None:
    rng = random.Random(seed)
    rig = Rig()
    machine = await rig.machine(rng.choice([SlotType.AUTO, SlotType.MF, SlotType.LS]))
    for _ in range(120):
        state_before, seen = machine.slot_state, len(rig.sink.records)
        await step(rng, rig, machine)
        new = rig.sink.records[seen:]
        if not new:
            assert machine.slot_state == state_before
        for record in new:
            assert record.to_state in TARGETS[(record.from_state, record.event)], record
        assert len(rig.clock.pending()) <= 1
    records = rig.sink.records
    assert all(a.to_state == b.from_state for a, b in zip(records, records[1:], strict=False))
    assert len({r.to_state for r in records}) >= 3  # the walk went somewhere
