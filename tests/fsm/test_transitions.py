"""Every transition of SPEC's slot FSM table, every refused (state, event) pair, and the guards.

The table below is written by hand from SPEC "The slot FSM" ("leaves to"), not read from the machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.fsm.rig import AUTO_UP, DOWN, MF_UP, Rig
from vssd.fsm import SlotMachine, SlotState, SlotType, TransitionNotAllowed

S = SlotState
Arrange = Callable[[SlotMachine], Awaitable[None]]


async def nothing(machine: SlotMachine) -> None:
    return None


async def line_down(machine: SlotMachine) -> None:
    machine.observe(DOWN)


async def unassigned_during_call(machine: SlotMachine) -> None:
    await machine.request_unassign("admin")
    await machine.hangup()


async def battery_died_during_call(machine: SlotMachine) -> None:
    await machine.report_health(replace(MF_UP, battery_pct=3.0))
    await machine.hangup()


# (source, event, event kwargs, target, start state, slot type, arrange) — start state is where the machine
# is restored to; `arrange` then brings it to `source` with the facts the row needs.
SPEC_TABLE: list[tuple[S, str, dict[str, Any], S, S, SlotType, Arrange]] = [
    (S.IDLE, "enroll", {"trunk_id": "trunk-1"}, S.ASSIGNED, S.IDLE, SlotType.AUTO, nothing),
    (S.ASSIGNED, "start_bringup", {}, S.REGISTERING, S.ASSIGNED, SlotType.AUTO, nothing),
    (S.REGISTERING, "bringup_ok", {}, S.READY, S.REGISTERING, SlotType.AUTO, nothing),
    (S.REGISTERING, "bringup_timeout", {}, S.FAULT, S.REGISTERING, SlotType.AUTO, nothing),
    (S.READY, "originate_accepted", {"call_id": "c_1"}, S.CALLING, S.READY, SlotType.AUTO, nothing),
    (S.READY, "inbound_call", {"call_id": "c_2"}, S.ACTIVE_CALL, S.READY, SlotType.AUTO, nothing),
    (S.READY, "contact_lost", {}, S.REGISTERING, S.READY, SlotType.AUTO, nothing),
    (S.READY, "health_fault", {}, S.REGISTERING, S.READY, SlotType.MF, nothing),
    (S.READY, "unassign", {}, S.IDLE, S.READY, SlotType.AUTO, nothing),
    (S.CALLING, "answered", {"agent": "op-7"}, S.ACTIVE_CALL, S.CALLING, SlotType.AUTO, nothing),
    (S.CALLING, "call_failed", {"cause": "17 busy"}, S.POSTCALL, S.CALLING, SlotType.AUTO, nothing),
    (S.CALLING, "ring_timeout", {}, S.POSTCALL, S.CALLING, SlotType.AUTO, nothing),
    (S.ACTIVE_CALL, "hangup", {}, S.POSTCALL, S.ACTIVE_CALL, SlotType.AUTO, nothing),
    (S.ACTIVE_CALL, "max_duration", {}, S.POSTCALL, S.ACTIVE_CALL, SlotType.AUTO, nothing),
    (S.POSTCALL, "wrapup_done", {}, S.READY, S.POSTCALL, SlotType.AUTO, nothing),
    (S.POSTCALL, "wrapup_done", {}, S.REGISTERING, S.POSTCALL, SlotType.AUTO, line_down),
    (S.POSTCALL, "wrapup_done", {}, S.IDLE, S.ACTIVE_CALL, SlotType.AUTO, unassigned_during_call),
    (S.POSTCALL, "wrapup_done", {}, S.FAULT, S.ACTIVE_CALL, SlotType.MF, battery_died_during_call),
    (S.POSTCALL, "unassign", {}, S.IDLE, S.POSTCALL, SlotType.AUTO, nothing),
    (S.POSTCALL, "budget_exhausted", {}, S.FAULT, S.POSTCALL, SlotType.AUTO, nothing),
    (S.REGISTERING, "budget_exhausted", {}, S.FAULT, S.REGISTERING, SlotType.AUTO, nothing),
    (S.FAULT, "recovered", {}, S.REGISTERING, S.FAULT, SlotType.AUTO, nothing),
    (S.FAULT, "unassign", {}, S.IDLE, S.FAULT, SlotType.AUTO, nothing),
]

EVENTS = sorted({row[1] for row in SPEC_TABLE})
VALID = {(row[0], row[1]) for row in SPEC_TABLE}
INVALID = [(state, event) for state in S for event in EVENTS if (state, event) not in VALID]


def row_id(row: tuple[Any, ...]) -> str:
    return f"{row[0]}-{row[1]}->{row[3]}"


@pytest.mark.parametrize("row", SPEC_TABLE, ids=row_id)
async def test_spec_transition(rig: Rig, row: tuple[S, str, dict[str, Any], S, S, SlotType, Arrange]) -> None:
    source, event, kwargs, target, start, slot_type, arrange = row
    health = MF_UP if slot_type is SlotType.MF else AUTO_UP
    machine = await rig.machine(slot_type, start=start, health=health)
    await arrange(machine)
    assert machine.slot_state == source
    await machine.send(event, **kwargs)
    assert machine.slot_state == target
    last = rig.sink.records[-1]
    assert (last.from_state, last.to_state, last.event) == (source, target, event)


def test_the_table_names_every_event_the_machine_has() -> None:
    assert sorted(str(e.id) for e in SlotMachine.events) == EVENTS


@pytest.mark.parametrize(("state", "event"), INVALID, ids=[f"{s}-{e}" for s, e in INVALID])
async def test_everything_else_is_refused(rig: Rig, state: S, event: str) -> None:
    machine = await rig.machine(SlotType.AUTO, start=state, health=AUTO_UP)
    with pytest.raises(TransitionNotAllowed):
        await machine.send(event, trunk_id="trunk-1")
    assert machine.slot_state == state
    assert rig.sink.records == []


async def test_enrollment_needs_a_trunk(rig: Rig) -> None:
    machine = await rig.machine()
    with pytest.raises(TransitionNotAllowed):
        await machine.enroll()
    await machine.enroll(trunk_id="trunk-1", operator="op-1", campaign="camp-1")
    assert (machine.facts.trunk_id, machine.facts.operator, machine.facts.campaign) == ("trunk-1", "op-1", "camp-1")
    await machine.start_bringup()
    await machine.report_health(AUTO_UP)
    await machine.unassign()
    assert machine.facts.trunk_id is None


@pytest.mark.parametrize("slot_type", [SlotType.AUTO, SlotType.LS, SlotType.MF])
async def test_bringup_needs_a_reachable_contact(rig: Rig, slot_type: SlotType) -> None:
    machine = await rig.machine(slot_type, start=S.REGISTERING, health=DOWN)
    with pytest.raises(TransitionNotAllowed):
        await machine.bringup_ok()
    assert await machine.report_health(DOWN) == []
    assert machine.slot_state == S.REGISTERING


async def test_auto_and_ls_need_only_the_contact(rig: Rig) -> None:
    for slot_type in (SlotType.AUTO, SlotType.LS):
        machine = await rig.machine(slot_type, start=S.REGISTERING)
        assert await machine.report_health(AUTO_UP) == ["bringup_ok"]


@pytest.mark.parametrize(
    ("problem", "unmet"),
    [
        ({"adb_state": "offline"}, "adb_state=offline"),
        ({"adb_state": None}, "adb_state=absent"),
        ({"sim_ready": False}, "sim_not_ready"),
        ({"in_service": False}, "no_network_service"),
        ({"battery_pct": 5.0}, "battery_low=5.0"),
        ({"temperature_c": 52.0}, "temperature_out_of_range=52.0"),
    ],
)
async def test_mf_bringup_needs_the_device_checks(rig: Rig, problem: dict[str, Any], unmet: str) -> None:
    machine = await rig.machine(SlotType.MF, start=S.REGISTERING, health=replace(MF_UP, **problem))
    assert machine.unmet() == (unmet,)
    with pytest.raises(TransitionNotAllowed):
        await machine.bringup_ok()
    assert machine.slot_state == S.REGISTERING
    assert await machine.report_health(MF_UP) == ["bringup_ok"]
    assert machine.slot_state == S.READY


async def test_ready_dials_only_while_healthy(rig: Rig) -> None:
    machine = await rig.machine(SlotType.MF, start=S.READY, health=replace(MF_UP, temperature_c=60.0))
    with pytest.raises(TransitionNotAllowed):
        await machine.originate_accepted(call_id="c_1")
    assert machine.slot_state == S.READY


async def test_postcall_goes_ready_only_when_healthy_and_registered(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.POSTCALL, health=DOWN)
    await machine.wrapup_done()
    assert machine.slot_state == S.REGISTERING
    machine = await rig.machine(SlotType.AUTO, start=S.POSTCALL, health=AUTO_UP)
    await machine.wrapup_done()
    assert machine.slot_state == S.READY


async def test_health_drives_ready_and_fault(rig: Rig) -> None:
    machine = await rig.machine(SlotType.MF, start=S.READY, health=MF_UP)
    assert await machine.report_health(replace(MF_UP, sim_ready=False)) == ["health_fault"]
    assert machine.slot_state == S.REGISTERING
    await machine.bringup_timeout()
    assert await machine.report_health(MF_UP) == ["recovered", "bringup_ok"]
    assert machine.slot_state == S.READY
    assert await machine.report_health(DOWN) == ["contact_lost"]
    assert rig.transitions()[-1] == ("READY", "REGISTERING", "contact_lost")
    assert rig.sink.records[-1].cause.startswith("health: sip_unreachable")


async def test_active_call_carries_its_agent(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.inbound_call(call_id="c_9")
    assert (machine.facts.call_id, machine.facts.agent) == ("c_9", None)
    machine.set_agent("op-3")
    assert machine.facts.agent == "op-3"
    await machine.hangup()
    with pytest.raises(ValueError):
        machine.set_agent("op-4")
