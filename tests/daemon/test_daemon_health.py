"""Line and device health through the whole daemon: SIP registration from AMI events, MF phones from adb polls.

SPEC: health and call are separate facts — a fault during a call never ends the call, it is applied at
POSTCALL; an unhealthy, unenrolled or unknown slot is never dialled.
"""

from __future__ import annotations

import asyncio

import pytest
from daemon_rig import ENROLLED_AUTO, LS, MF, NOT_ENROLLED, NOT_PLANNED, Hub, until

from vssd.actors.slot import SlotBusy
from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

LONG, SHORT = "4953000001", "4953000002"
PLANNED_ENROLLED = {*ENROLLED_AUTO, *MF, *LS}


def script(hub: Hub) -> None:
    hub.pbx.script(LONG, "answered", ring_s=1.0, talk_s=HOLD)  # talks until the test settles it
    hub.pbx.script(SHORT, "answered", ring_s=1.0, talk_s=2.0)


FAULTS = {
    # name: (break the phone, what the daemon's poll then knows, mend the phone)
    "unplugged": (lambda adb, s: adb.unplug(s), lambda h: h.adb_state == "absent", lambda adb, s: adb.plug(s)),
    "sim_removed": (lambda adb, s: adb.set_sim(s, "ABSENT"), lambda h: h.sim_ready is False,
                    lambda adb, s: adb.set_sim(s, "READY")),
}


async def test_phone_faults_mid_call_are_applied_after_the_call(hub: Hub) -> None:
    script(hub)
    await asyncio.gather(*(phone_fault_mid_call(hub, MF[i], hub.serials[i], fault)
                           for i, fault in enumerate(sorted(FAULTS))))


async def phone_fault_mid_call(hub: Hub, endpoint: str, serial: str, fault: str) -> None:
    breaks, seen, mends = FAULTS[fault]
    call = await hub.dial(endpoint, LONG)
    await until(lambda: hub.state(endpoint) is SlotState.ACTIVE_CALL)
    breaks(hub.adb, serial)
    await until(lambda: seen(hub.core(endpoint).health))
    assert call.outcome is None and hub.state(endpoint) is SlotState.ACTIVE_CALL  # the call goes on
    with pytest.raises(SlotBusy):
        await hub.dial(endpoint, SHORT)
    assert hub.pbx.settle(endpoint) == 1  # the customer hangs up

    await until(lambda: call.outcome is not None and hub.state(endpoint) in (SlotState.FAULT, SlotState.REGISTERING))
    with pytest.raises(SlotBusy):
        await hub.dial(endpoint, SHORT)
    rows = await hub.calls()
    assert rows[call.attempt.action_id]["outcome"] == "answered"
    assert hub.pbx.ledger.originate_by_action(call.attempt.action_id).outcome == "answered"
    transitions = await hub.transitions(endpoint)
    assert transitions[-3:-1] == [("CALLING", "ACTIVE_CALL"), ("ACTIVE_CALL", "POSTCALL")]
    assert transitions[-1][0] == "POSTCALL" and transitions[-1][1] in ("FAULT", "REGISTERING")

    mends(hub.adb, serial)
    await until(lambda: hub.state(endpoint) is SlotState.READY)
    assert str((await hub.run_call(endpoint, SHORT)).outcome) == "answered"
    assert len(hub.originates(endpoint)) == 2  # nothing was dialled while the phone was unfit


async def test_devices_and_endpoints_outside_the_enrolled_plan_are_never_dialled(hub: Hub) -> None:
    script(hub)
    farm = hub.daemon.farm
    unplanned = hub.serials[2:]
    hub.adb.unplug(unplanned[-1])
    polls = sum(1 for e in hub.adb.ledger if e.serial is None and "devices" in e.command)
    hub.adb.plug(unplanned[-1])  # a phone newly plugged into the hub
    await until(lambda: sum(1 for e in hub.adb.ledger if e.serial is None and "devices" in e.command) >= polls + 2)

    for slot_type in ("MF", "AUTO", "LS", "MF"):
        call = await farm.dial(SHORT, slot_type)
        await until(lambda call=call: call.outcome is not None)
    assert len(farm.cores) == len(PLANNED_ENROLLED) + 1
    assert not set(unplanned) & set(farm.device_serials())
    assert {o.endpoint for o in hub.originates()} <= PLANNED_ENROLLED
    assert len(hub.originates()) == 4

    assert hub.state(NOT_ENROLLED) is SlotState.IDLE
    for how in (lambda: hub.dial(NOT_ENROLLED, SHORT), lambda: farm.dial(SHORT, hub.slot(NOT_ENROLLED))):
        with pytest.raises(SlotBusy):
            await how()
    assert await hub.transitions(NOT_ENROLLED) == []
    assert not hub.originates(NOT_ENROLLED) and not hub.originates(NOT_PLANNED)


async def test_registration_lost_and_back_on_a_ready_slot_and_mid_call(hub: Hub) -> None:
    script(hub)
    await asyncio.gather(registration_lost_when_ready(hub, "6005"), registration_lost_mid_call(hub, "6006"))


async def registration_lost_when_ready(hub: Hub, endpoint: str) -> None:
    hub.pbx.set_registered(endpoint, False)
    await until(lambda: hub.state(endpoint) is SlotState.REGISTERING)
    with pytest.raises(SlotBusy):
        await hub.dial(endpoint, SHORT)
    hub.pbx.set_registered(endpoint, True)
    await until(lambda: hub.state(endpoint) is SlotState.READY)
    assert str((await hub.run_call(endpoint, SHORT)).outcome) == "answered"
    assert (await hub.transitions(endpoint))[3:5] == [("READY", "REGISTERING"), ("REGISTERING", "READY")]
    assert len(hub.originates(endpoint)) == 1


async def registration_lost_mid_call(hub: Hub, endpoint: str) -> None:
    call = await hub.dial(endpoint, LONG)
    await until(lambda: hub.state(endpoint) is SlotState.ACTIVE_CALL)
    hub.pbx.set_registered(endpoint, False)
    await until(lambda: not hub.core(endpoint).health.sip_reachable)
    assert call.outcome is None and hub.state(endpoint) is SlotState.ACTIVE_CALL
    assert hub.pbx.settle(endpoint) == 1  # the customer hangs up
    await until(lambda: call.outcome is not None and hub.state(endpoint) is SlotState.REGISTERING)
    hub.pbx.set_registered(endpoint, True)
    await until(lambda: hub.state(endpoint) is SlotState.READY)
    assert str(call.outcome) == "answered"
    assert (await hub.transitions(endpoint))[4:] == [
        ("CALLING", "ACTIVE_CALL"), ("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "REGISTERING"), ("REGISTERING", "READY")]
