"""Per-state timers run by the timeout listener on the hand-advanced clock."""

from __future__ import annotations

import pytest

from tests.fsm.rig import AUTO_UP, Rig
from vssd.fsm import SlotMachine, SlotState, SlotType, Timeouts

S = SlotState


async def deliver_all(rig: Rig, machine: SlotMachine) -> list[bool]:
    fired, rig.fired[:] = list(rig.fired), []
    return [await machine.fire(t) for t in fired]


async def test_registration_timeout_faults_the_slot(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.ASSIGNED)
    await machine.start_bringup()
    rig.clock.advance(59.9)
    assert rig.fired == []
    rig.clock.advance(0.1)
    assert [t.event for t in rig.fired] == ["bringup_timeout"]
    assert await deliver_all(rig, machine) == [True]
    assert machine.slot_state == S.FAULT
    assert rig.sink.records[-1].cause == "registration timeout after 60s"


async def test_ring_timeout_is_never_under_15s(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted(call_id="c_1", ring_timeout_s=5)
    assert rig.clock.next_delay() == 15.0
    rig.clock.advance(14.9)
    assert rig.fired == []
    rig.clock.advance(0.1)
    assert await deliver_all(rig, machine) == [True]
    assert rig.transitions()[-1] == ("CALLING", "POSTCALL", "ring_timeout")


async def test_ring_timeout_defaults_and_longer_requests() -> None:
    rig = Rig()
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted()
    assert rig.clock.next_delay() == Timeouts().ring_s
    await machine.call_failed()
    await machine.wrapup_done()
    await machine.originate_accepted(ring_timeout_s=90)
    assert rig.clock.next_delay() == 90


async def test_a_shorter_ring_floor_only_by_configuration() -> None:
    rig = Rig(Timeouts(ring_s=8.0, min_ring_s=5.0))
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted(ring_timeout_s=5)
    assert rig.clock.next_delay() == 5.0
    with pytest.raises(ValueError):
        Timeouts(ring_s=10.0)


async def test_max_call_duration_and_wrapup(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.inbound_call(call_id="c_2")
    rig.clock.advance(3600)
    await deliver_all(rig, machine)
    assert machine.slot_state == S.POSTCALL
    rig.clock.advance(10)
    await deliver_all(rig, machine)
    assert rig.transitions()[-2:] == [("ACTIVE_CALL", "POSTCALL", "max_duration"), ("POSTCALL", "READY", "wrapup_done")]


async def test_leaving_a_state_disarms_its_timer(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted()
    await machine.answered()
    rig.clock.advance(100)
    assert rig.fired == []
    assert rig.clock.pending() == [rig.clock.now() - 100 + 3600]


async def test_a_timer_that_fired_after_the_state_changed_is_dropped(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted()
    rig.clock.advance(45)
    assert [t.event for t in rig.fired] == ["ring_timeout"]
    await machine.answered()  # the answer was already in the actor's inbox ahead of the timer
    assert await deliver_all(rig, machine) == [False]
    assert machine.slot_state == S.ACTIVE_CALL


async def test_untimed_states_arm_nothing(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO)
    await machine.enroll(trunk_id="t")
    assert rig.clock.pending() == []
    await machine.start_bringup()
    await machine.report_health(AUTO_UP)
    assert rig.clock.pending() == []
