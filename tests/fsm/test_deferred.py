"""Health and call are separate facts: what happens to the line during a call is applied at POSTCALL."""

from __future__ import annotations

from dataclasses import replace

from tests.fsm.rig import AUTO_UP, DOWN, MF_UP, Rig
from vssd.fsm import SlotState, SlotType

S = SlotState


async def test_contact_lost_mid_call_does_not_end_it(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted(call_id="c_1")
    assert await machine.report_health(DOWN) == []
    assert machine.slot_state == S.CALLING
    await machine.answered()
    assert await machine.report_health(AUTO_UP) == []  # back again: still re-checked after the call
    await machine.hangup()
    await machine.wrapup_done()
    assert machine.slot_state == S.REGISTERING
    assert rig.sink.records[-1].cause == "wrapup_done: contact lost during call"
    assert await machine.report_health(AUTO_UP) == ["bringup_ok"]


async def test_device_fault_that_persists_goes_to_fault(rig: Rig) -> None:
    machine = await rig.machine(SlotType.MF, start=S.READY, health=MF_UP)
    await machine.inbound_call()
    await machine.report_health(replace(MF_UP, temperature_c=70.0))
    assert machine.slot_state == S.ACTIVE_CALL
    await machine.hangup()
    await machine.wrapup_done(cause="wrap-up of 10s over")
    assert machine.slot_state == S.FAULT
    assert rig.sink.records[-1].cause == "wrap-up of 10s over: fault persists: temperature_out_of_range=70.0"
    assert await machine.report_health(MF_UP) == ["recovered", "bringup_ok"]


async def test_device_fault_that_cleared_goes_to_registering(rig: Rig) -> None:
    machine = await rig.machine(SlotType.MF, start=S.READY, health=MF_UP)
    await machine.originate_accepted()
    await machine.report_health(replace(MF_UP, in_service=False))
    await machine.call_failed(cause="cause 34 congestion")
    await machine.report_health(MF_UP)
    await machine.wrapup_done()
    assert machine.slot_state == S.REGISTERING
    assert "health fault during call" in rig.sink.records[-1].cause


async def test_fault_during_wrapup_is_applied_at_its_end(rig: Rig) -> None:
    machine = await rig.machine(SlotType.MF, start=S.POSTCALL, health=MF_UP)
    await machine.report_health(replace(MF_UP, adb_state="offline"))
    assert machine.slot_state == S.POSTCALL
    await machine.wrapup_done()
    assert machine.slot_state == S.FAULT


async def test_unassigned_during_call_goes_idle_after_it(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted()
    assert await machine.request_unassign("admin unassigned") is False
    await machine.answered()
    await machine.hangup()
    assert machine.slot_state == S.POSTCALL
    await machine.wrapup_done()
    assert machine.slot_state == S.IDLE
    assert rig.sink.records[-1].cause == "wrapup_done: unassigned during call"
    assert await machine.request_unassign() is False  # already unassigned: nothing to do


async def test_unassign_outside_a_call_is_immediate(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    assert await machine.request_unassign("admin") is True
    assert machine.slot_state == S.IDLE


async def test_budget_spent_during_call_faults_after_it(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.inbound_call()
    assert await machine.report_budget_exhausted() == []
    await machine.hangup()
    await machine.wrapup_done()
    assert machine.slot_state == S.FAULT
    assert await machine.report_health(AUTO_UP) == []  # healthy line, but the actor is spent: stays FAULT
    await machine.recovered(cause="admin restart")
    assert machine.slot_state == S.REGISTERING


async def test_budget_spent_while_ready_reaches_fault_by_spec_transitions(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    assert await machine.report_budget_exhausted("5 restarts in 60s") == ["health_fault", "budget_exhausted"]
    assert rig.transitions() == [("READY", "REGISTERING", "health_fault"), ("REGISTERING", "FAULT", "budget_exhausted")]
    assert [r.cause for r in rig.sink.records] == ["5 restarts in 60s"] * 2
    assert await machine.report_budget_exhausted() == []


async def test_a_new_call_starts_with_nothing_pending(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY, health=AUTO_UP)
    await machine.originate_accepted()
    await machine.report_health(DOWN)
    await machine.call_failed()
    await machine.report_health(AUTO_UP)
    await machine.wrapup_done()
    await machine.report_health(AUTO_UP)
    await machine.originate_accepted(call_id="c_2")
    await machine.call_failed()
    await machine.wrapup_done()
    assert machine.slot_state == S.READY
