"""Slot actors crash and are restarted by the supervisor; a spent restart budget faults only that slot.

The crash is real: a command the actor has no handler for (`Command("crash")`) makes `SlotActor._command`
raise AttributeError out of `run()`, exactly as a bug in a handler would. Nothing of the actor is patched.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from daemon_rig import ENROLLED_AUTO, Hub, HubFactory, ready, until

from vssd.actors.slot import Command, SlotBusy
from vssd.actors.supervisor import ActorStatus
from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

LONG, BUSY, NO_ANSWER, SHORT = "4952000001", "4952000002", "4952000003", "4952000004"
OTHERS = {"6002": BUSY, "6003": NO_ANSWER, "6004": SHORT}
ANSWERED_PATH = [("READY", "CALLING"), ("CALLING", "ACTIVE_CALL"), ("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "READY")]


def crash(hub: Hub, endpoint: str) -> None:
    hub.core(endpoint).submit(Command("crash"))


def script(hub: Hub) -> None:
    hub.pbx.script(LONG, "answered", ring_s=1.0, talk_s=HOLD)  # talks until the test settles it
    hub.pbx.script(BUSY, "busy", ring_s=1.0)
    hub.pbx.script(NO_ANSWER, "no_answer", ring_s=2.0)
    hub.pbx.script(SHORT, "answered", ring_s=1.0, talk_s=5.0)


async def round_of_calls(hub: Hub, crash_a: bool) -> tuple[str, Counter[str], int]:
    """A long call on 6001 (crashed mid-call if asked) and one call on each other slot; A's attempt id, the
    others' outcome counts, and A's restarts while its call was live."""
    farm, supervisor = hub.daemon.farm, hub.daemon.supervisor
    slot_a = hub.slot("6001")
    call_a = await hub.dial("6001", LONG)
    others = await asyncio.gather(*(hub.dial(e, n) for e, n in OTHERS.items()))
    await until(lambda: hub.state("6001") is SlotState.ACTIVE_CALL)
    restarts = supervisor.restarts(slot_a)
    if crash_a:
        crash(hub, "6001")
        await until(lambda: supervisor.restarts(slot_a) > restarts and supervisor.status(slot_a) is ActorStatus.RUNNING)
        assert call_a.outcome is None, "the call must still be live after the restart"
        assert farm.cores[slot_a].call is call_a
    live_restarts = supervisor.restarts(slot_a) - restarts
    assert hub.pbx.settle("6001") == 1  # the customer hangs up
    await until(lambda: call_a.outcome is not None and all(c.outcome is not None for c in others))
    await ready(hub, ["6001", *OTHERS])
    return call_a.attempt.action_id, Counter(str(c.outcome) for c in others), live_restarts


async def test_crashed_actor_is_restarted_and_follows_its_live_call_to_the_end(hub: Hub) -> None:
    script(hub)
    finals = hub.count_final_records()
    control_a, control, _ = await round_of_calls(hub, crash_a=False)
    crashed_a, outcomes, restarts = await round_of_calls(hub, crash_a=True)

    assert restarts >= 1
    assert outcomes == control == Counter({"busy": 1, "no_answer": 1, "answered": 1})
    rows = await hub.calls()
    assert set(rows) == {o.action_id for o in hub.pbx.ledger.originates}
    assert rows[crashed_a]["outcome"] == rows[control_a]["outcome"] == "answered"
    assert rows[crashed_a]["talk_s"] is not None
    assert finals[crashed_a] == 1 and all(n == 1 for n in finals.values()), finals
    assert (await hub.transitions("6001"))[3:] == ANSWERED_PATH + ANSWERED_PATH  # the crash moved no state


async def faulted_by_crashes(hub_factory: HubFactory) -> Hub:
    """A hub whose slot 6001 crashed twice with a restart budget of one: its actor was given up on."""
    hub = await hub_factory(VSSD_SLOTS__RESTART_BUDGET_COUNT="1")
    await ready(hub, ENROLLED_AUTO)
    slot_a, supervisor = hub.slot("6001"), hub.daemon.supervisor
    crash(hub, "6001")
    await until(lambda: supervisor.restarts(slot_a) == 1 and supervisor.status(slot_a) is ActorStatus.RUNNING)
    crash(hub, "6001")
    await until(lambda: hub.state("6001") is SlotState.FAULT)
    return hub


async def test_spent_restart_budget_faults_the_slot_and_the_daemon_lives_on(hub_factory: HubFactory) -> None:
    hub = await faulted_by_crashes(hub_factory)
    slot_a = hub.slot("6001")
    assert hub.daemon.supervisor.status(slot_a) is ActorStatus.FAULTED
    hub.pbx.script(SHORT, "answered", ring_s=1.0, talk_s=2.0)
    calls = await asyncio.gather(*(hub.run_call(endpoint, SHORT) for endpoint in ENROLLED_AUTO[1:]))
    assert [str(c.outcome) for c in calls] == ["answered"] * len(ENROLLED_AUTO[1:])
    assert hub.daemon.ready()
    assert hub.state("6001") is SlotState.FAULT
    assert not hub.originates("6001")
    rows = await hub.query("SELECT to_state, cause FROM slot_transitions WHERE slot_id = $1 ORDER BY id", int(slot_a))
    assert rows[-1]["to_state"] == "FAULT" and "restart budget spent" in rows[-1]["cause"]


async def test_dial_on_a_slot_given_up_on_is_refused_at_once(hub_factory: HubFactory) -> None:
    hub = await faulted_by_crashes(hub_factory)
    with pytest.raises(SlotBusy):
        await hub.daemon.farm.command(hub.slot("6001"), "dial", timeout_s=0.5, number=SHORT)


async def test_budget_spent_during_a_call_still_ends_the_call_then_faults(hub_factory: HubFactory) -> None:
    hub = await hub_factory(VSSD_SLOTS__RESTART_BUDGET_COUNT="1")
    await ready(hub, ENROLLED_AUTO)
    hub.pbx.script(SHORT, "answered", ring_s=1.0, talk_s=HOLD)  # talks until the test settles it
    slot_a, supervisor = hub.slot("6001"), hub.daemon.supervisor
    call = await hub.dial("6001", SHORT)
    await until(lambda: hub.state("6001") is SlotState.ACTIVE_CALL)
    crash(hub, "6001")
    await until(lambda: supervisor.restarts(slot_a) == 1 and supervisor.status(slot_a) is ActorStatus.RUNNING)
    crash(hub, "6001")
    await until(lambda: supervisor.status(slot_a) is ActorStatus.FAULTED)
    assert call.outcome is None  # the call outlived its actor's crashes
    hub.pbx.settle("6001")  # the customer hangs up
    await until(lambda: call.outcome is not None)
    await until(lambda: hub.state("6001") is SlotState.FAULT)
    rows = await hub.calls()
    assert rows[call.attempt.action_id]["outcome"] == "answered"
