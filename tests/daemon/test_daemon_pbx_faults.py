"""The AMI link drops, or the PBX restarts, while slots are in calls (SPEC "Calls": AMI never replays events).

A cut link with the PBX still up: the call is found again (CoreShowChannels) and followed to its real end.
A PBX restart: every old channel is gone, the call ends as `lost`, and the slot is usable again.
"""

from __future__ import annotations

from daemon_rig import Hub, until

from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

LONG, SHORT = "4956000001", "4956000002"


async def talking(hub: Hub, endpoint: str):
    hub.pbx.script(LONG, "answered", ring_s=1.0, talk_s=HOLD)  # talks until the test settles it
    hub.pbx.script(SHORT, "busy", ring_s=1.0)
    call = await hub.dial(endpoint, LONG)
    await until(lambda: hub.state(endpoint) is SlotState.ACTIVE_CALL)
    return call


async def test_link_cut_mid_call_the_call_is_followed_to_its_real_end(hub: Hub) -> None:
    call = await talking(hub, "6002")
    resyncs = hub.daemon.pump.resyncs
    await hub.pbx.drop_links()
    await until(lambda: hub.daemon.pump.resyncs > resyncs)
    assert call.outcome is None and hub.state("6002") is SlotState.ACTIVE_CALL
    assert hub.pbx.settle("6002") == 1  # the customer hangs up
    await until(lambda: call.outcome is not None and hub.state("6002") is SlotState.READY)

    row = (await hub.calls())[call.attempt.action_id]
    assert (row["outcome"], row["status"]) == ("answered", "ENDED")
    assert hub.pbx.ledger.originate_by_action(call.attempt.action_id).outcome == "answered"
    assert str((await hub.run_call("6002", SHORT)).outcome) == "busy"


async def test_pbx_restart_mid_call_ends_it_as_lost_and_the_slot_recovers(hub: Hub) -> None:
    call = await talking(hub, "6003")
    await hub.pbx.restart()
    await until(lambda: call.outcome is not None and hub.state("6003") is SlotState.READY)

    row = (await hub.calls())[call.attempt.action_id]
    assert (row["outcome"], row["status"]) == ("lost", "ENDED")
    assert str((await hub.run_call("6003", SHORT)).outcome) == "busy"
    assert (await hub.transitions("6003"))[-5:-3] == [("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "READY")]
