"""Every transition reaches the sink and the bus, in order, with its cause; a failing sink harms nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fsm.rig import AUTO_UP, Rig
from vssd.fsm import TRANSITION_TOPIC, SlotEnv, SlotMachine, SlotState, SlotType, TransitionRecord, TransitionRecorder

S = SlotState


async def test_a_call_lifecycle_is_recorded_in_order_with_causes(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO)
    await machine.enroll(trunk_id="trunk-1", cause="admin enrolled")
    await machine.start_bringup()
    await machine.report_health(AUTO_UP)
    await machine.originate_accepted(call_id="c_1", cause="lead 42")
    rig.clock.advance(3)
    await machine.answered(cause="DialEnd ANSWER")
    await machine.hangup(cause="16 normal clearing")
    await machine.wrapup_done()
    assert [(r.from_state, r.to_state, r.event, r.cause) for r in rig.sink.records] == [
        ("IDLE", "ASSIGNED", "enroll", "admin enrolled"),
        ("ASSIGNED", "REGISTERING", "start_bringup", "start_bringup"),
        ("REGISTERING", "READY", "bringup_ok", "health: line up"),
        ("READY", "CALLING", "originate_accepted", "lead 42"),
        ("CALLING", "ACTIVE_CALL", "answered", "DialEnd ANSWER"),
        ("ACTIVE_CALL", "POSTCALL", "hangup", "16 normal clearing"),
        ("POSTCALL", "READY", "wrapup_done", "wrapup_done: healthy and registered"),
    ]
    assert {r.slot_id for r in rig.sink.records} == {"slot-1"}
    assert rig.sink.records[3].at == datetime.fromtimestamp(1_700_000_000.0, UTC)
    assert rig.sink.records[4].at == datetime.fromtimestamp(1_700_000_003.0, UTC)
    assert [topic for topic, _ in rig.bus.published] == [TRANSITION_TOPIC] * 7
    assert rig.bus.published[4][1] == {
        "slot_id": "slot-1",
        "from_state": "CALLING",
        "to_state": "ACTIVE_CALL",
        "event": "answered",
        "cause": "DialEnd ANSWER",
        "at": "2023-11-14T22:13:23+00:00",
    }


async def test_refused_events_and_activation_record_nothing(rig: Rig) -> None:
    machine = await rig.machine(SlotType.AUTO, start=S.READY)
    try:
        await machine.hangup()
    except machine.TransitionNotAllowed:
        pass
    assert rig.sink.records == [] and rig.bus.published == []


class BrokenSink:
    def __init__(self) -> None:
        self.calls = 0

    def submit_transition(self, record: TransitionRecord) -> None:
        self.calls += 1
        raise RuntimeError("queue full")


async def test_a_failing_sink_does_not_undo_or_block_transitions(rig: Rig, caplog) -> None:
    sink = BrokenSink()
    env = SlotEnv(rig.clock, TransitionRecorder(rig.clock, sink, rig.bus))
    machine = SlotMachine("slot-9", SlotType.AUTO, env, rig.fired.append)
    await machine.activate_initial_state()
    await machine.enroll(trunk_id="t")
    await machine.start_bringup()
    assert machine.slot_state == S.REGISTERING
    assert sink.calls == 2 and len(rig.bus.published) == 2
    assert "transition sink failed for slot slot-9" in caplog.text


async def test_machines_share_one_recorder_but_keep_their_slot_ids(rig: Rig) -> None:
    a = SlotMachine("a", SlotType.AUTO, rig.env, rig.fired.append)
    b = SlotMachine("b", SlotType.MF, rig.env, rig.fired.append)
    for machine in (a, b):
        await machine.activate_initial_state()
    await b.enroll(trunk_id="t2")
    await a.enroll(trunk_id="t1")
    assert [r.slot_id for r in rig.sink.records] == ["b", "a"]
