"""Slot commands through the farm (hangup, unassign, enroll) and the slot timers, on the whole daemon."""

from __future__ import annotations

import pytest
from daemon_rig import ENROLLED_AUTO, Hub, HubFactory, ready, until

from vssd.actors.slot import SlotBusy
from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

LONG, SHORT = "4957000001", "4957000002"


def script(hub: Hub) -> None:
    hub.pbx.script(LONG, "answered", ring_s=1.0, talk_s=HOLD)  # ends only when someone hangs up
    hub.pbx.script(SHORT, "busy", ring_s=1.0)


def hung_up_channels(hub: Hub) -> list[str]:
    return [a.headers.get("Channel", "") for a in hub.hangup_actions()]


async def test_hangup_command_ends_the_live_call(hub: Hub) -> None:
    script(hub)
    farm, slot = hub.daemon.farm, hub.slot("6001")
    assert await farm.command(slot, "hangup") is False  # nothing to hang up
    call = await hub.dial("6001", LONG)
    await until(lambda: hub.state("6001") is SlotState.ACTIVE_CALL)
    assert await farm.command(slot, "hangup") is True
    await until(lambda: call.outcome is not None and hub.state("6001") is SlotState.READY)
    assert hung_up_channels(hub) and set(hung_up_channels(hub)) <= {leg.channel for leg in call.legs.values()}
    assert (await hub.calls())[call.attempt.action_id]["outcome"] == "answered"


async def test_unassign_mid_call_then_enroll_again(hub: Hub) -> None:
    script(hub)
    farm, slot = hub.daemon.farm, hub.slot("6002")
    call = await hub.dial("6002", LONG)
    await until(lambda: hub.state("6002") is SlotState.ACTIVE_CALL)
    assert await farm.command(slot, "unassign") is False  # deferred to POSTCALL
    await until(lambda: call.outcome is not None and hub.state("6002") is SlotState.IDLE)
    assert hub.core("6002").machine.facts.trunk_id is None
    with pytest.raises(SlotBusy):
        await hub.dial("6002", SHORT)

    assert await farm.command(slot, "enroll", trunk_id="t-again") in ("REGISTERING", "READY")
    await ready(hub, ["6002"])
    assert str((await hub.run_call("6002", SHORT)).outcome) == "busy"
    assert (await hub.transitions("6002"))[-8:-4] == [
        ("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "IDLE"), ("IDLE", "ASSIGNED"), ("ASSIGNED", "REGISTERING")]
    assert (await hub.calls())[call.attempt.action_id]["outcome"] == "answered"


async def test_max_call_duration_hangs_the_call_up(hub_factory: HubFactory) -> None:
    hub = await hub_factory(VSSD_SLOTS__MAX_CALL_DURATION_S="0.3")
    await ready(hub, ENROLLED_AUTO)
    script(hub)
    call = await hub.dial("6003", LONG)
    await until(lambda: call.outcome is not None and hub.state("6003") is SlotState.READY)
    assert set(hung_up_channels(hub)) <= {leg.channel for leg in call.legs.values()} and hung_up_channels(hub)
    rows = await hub.query("SELECT event, cause FROM slot_transitions WHERE slot_id = $1 AND to_state = 'POSTCALL'",
                           int(hub.slot("6003")))
    assert [r["event"] for r in rows] == ["max_duration"]
    assert (await hub.calls())[call.attempt.action_id]["outcome"] == "answered"


async def test_configured_ring_timeout_reaches_the_originate(hub_factory: HubFactory) -> None:
    hub = await hub_factory(VSSD_SLOTS__RING_TIMEOUT_S="20")
    await ready(hub, ENROLLED_AUTO)
    script(hub)
    await hub.run_call("6004", SHORT)
    originates = [a for a in hub.pbx.ledger.actions if a.name.lower() == "originate"]
    assert [a.headers.get("Timeout") for a in originates] == ["20000"]
