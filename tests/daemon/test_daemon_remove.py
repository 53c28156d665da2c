"""Deleting a slot at run time (`SlotFarm.remove`) with a live call: the call is hung up first and recorded."""

from __future__ import annotations

from daemon_rig import Hub, until

from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

LONG, SHORT = "4955000001", "4955000002"


async def remove_mid_call(hub: Hub, endpoint: str):
    """Dial a long call on `endpoint`, delete the slot while it talks; the call once the PBX has ended it."""
    hub.pbx.script(LONG, "answered", ring_s=1.0, talk_s=HOLD)
    call = await hub.dial(endpoint, LONG)
    await until(lambda: hub.state(endpoint) is SlotState.ACTIVE_CALL)
    await hub.daemon.farm.remove(hub.slot(endpoint))
    await until(lambda: call.outcome is not None)
    return call


async def test_removing_a_slot_hangs_its_live_call_up_first(hub: Hub) -> None:
    call = await remove_mid_call(hub, "6004")
    channels = {leg.channel for leg in call.legs.values()}
    hangups = [a.headers.get("Channel") for a in hub.hangup_actions()]
    assert len(hangups) == 1 and hangups[0] in channels
    assert not [c for c in hub.pbx.live_channels() if c.name in channels]
    assert str(call.outcome) == "answered"
    row = (await hub.calls())[call.attempt.action_id]  # remove() returns once the outcome is recorded
    assert (row["status"], row["outcome"]) == ("ENDED", "answered")
    assert hub.slot("6004") not in hub.daemon.farm.cores
    assert hub.slot("6004") not in hub.daemon.supervisor
    hub.pbx.script(SHORT, "busy", ring_s=1.0)
    assert str((await hub.run_call("6005", SHORT)).outcome) == "busy"  # the rest of the farm dials on
