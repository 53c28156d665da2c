"""Calls through the whole daemon: slot actors dial via AMI, follow each call to its end and record it.

The PBX simulator's ledger is the oracle: every Originate it received must have exactly one `calls` row with
the outcome the PBX played, and every slot must walk SPEC's states for it.
"""

from __future__ import annotations

import asyncio

import pytest
from daemon_rig import LS, MF, Hub, until

from vssd.actors.slot import SlotBusy
from vssd.fsm import SlotState
from vssd.sim.pbx import HOLD

SCRIPT = {
    "4951000001": "answered",
    "4951000002": "busy",
    "4951000003": "no_answer",
    "4951000004": "congestion",
    "4951000005": "rejected",
    "4951000006": "unavailable",
}
PATH = {
    "answered": [("READY", "CALLING"), ("CALLING", "ACTIVE_CALL"), ("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "READY")],
    "failed": [("READY", "CALLING"), ("CALLING", "POSTCALL"), ("POSTCALL", "READY")],
}
BRINGUP = [("IDLE", "ASSIGNED"), ("ASSIGNED", "REGISTERING"), ("REGISTERING", "READY")]


def script_all(hub: Hub, talk_s: float = 3.0) -> None:
    for number, outcome in SCRIPT.items():
        hub.pbx.script(number, outcome, ring_s=1.0, talk_s=talk_s)


async def test_calls_flow_to_their_scripted_outcomes_and_are_all_recorded(hub: Hub) -> None:
    script_all(hub)
    endpoints = ["6001", "6002", "6003", MF[0], LS[0], "6004"]
    expected: dict[str, tuple[str, str]] = {}  # attempt id → (endpoint, outcome)
    for _round in range(2):
        calls = await asyncio.gather(*(hub.dial(e, n) for e, n in zip(endpoints, SCRIPT, strict=True)))
        for endpoint, number, call in zip(endpoints, SCRIPT, calls, strict=True):
            expected[call.attempt.action_id] = (endpoint, SCRIPT[number])
        await until(lambda calls=calls: all(c.outcome is not None for c in calls))
        await until(lambda: all(hub.state(e) is SlotState.READY for e in endpoints))

    rows = await hub.calls()
    ledger = {o.action_id: o for o in hub.pbx.ledger.originates}
    assert set(rows) == set(ledger) == set(expected)
    for attempt_id, (endpoint, outcome) in expected.items():
        row = rows[attempt_id]
        assert (row["outcome"], row["direction"], row["status"]) == (outcome, "outbound", "ENDED"), attempt_id
        assert row["slot_id"] == int(hub.slot(endpoint))
        assert ledger[attempt_id].endpoint == endpoint
        assert ledger[attempt_id].outcome == outcome
    for endpoint, number in zip(endpoints, SCRIPT, strict=True):
        path = PATH["answered" if SCRIPT[number] == "answered" else "failed"]
        assert await hub.transitions(endpoint) == BRINGUP + path + path, endpoint


async def inbound_call_on(hub: Hub, endpoint: str) -> tuple[str, dict]:
    """Ring a READY slot's leg from outside; the uniqueid of the call and its one `calls` row once it ended."""
    uniqueid = hub.pbx.inbound_call(endpoint, "+74951234567", talk_s=HOLD)
    await until(lambda: hub.state(endpoint) is SlotState.ACTIVE_CALL)
    with pytest.raises(SlotBusy):
        await hub.dial(endpoint, "4951000001")
    assert hub.pbx.settle(uniqueid) == 1  # the caller hangs up
    await until(lambda: hub.core(endpoint).last_call is not None and hub.state(endpoint) is SlotState.READY)
    rows = list((await hub.calls()).values())
    assert len(rows) == 1
    return uniqueid, dict(rows[0])


async def test_inbound_call_on_a_ready_leg_is_followed_and_recorded_as_inbound(hub: Hub) -> None:
    uniqueid, row = await inbound_call_on(hub, "6005")
    assert await hub.transitions("6005") == BRINGUP + [
        ("READY", "ACTIVE_CALL"), ("ACTIVE_CALL", "POSTCALL"), ("POSTCALL", "READY")]
    assert (row["direction"], row["status"], row["channel_id"]) == ("inbound", "ENDED", uniqueid)
    assert row["slot_id"] == int(hub.slot("6005"))
    assert row["outcome"] == "answered"  # the PBX answered it (parked in vssd-inbound)
    assert row["talk_s"] is not None and row["answered_at"] is not None
    assert not hub.pbx.ledger.originates  # nothing was dialled into the busy leg


async def test_stop_with_calls_in_flight_leaves_a_record_of_every_call(hub: Hub) -> None:
    hub.pbx.script("4951000011", "answered", ring_s=1.0, talk_s=HOLD)  # talking when the daemon stops
    hub.pbx.script("4951000012", "answered", ring_s=HOLD)  # still ringing
    hub.pbx.script("4951000013", "busy", ring_s=1.0)  # over before the stop
    await hub.run_call("6003", "4951000013")
    talking = await hub.dial("6001", "4951000011")
    await hub.dial("6002", "4951000012")
    await until(lambda: hub.state("6001") is SlotState.ACTIVE_CALL and hub.state("6002") is SlotState.CALLING)
    assert talking.outcome is None

    hub.daemon.call_grace_s = 0.2  # do not wait for the calls to end on their own
    await hub.daemon.stop()

    rows = {r["attempt_id"]: r for r in await hub.query("SELECT * FROM calls")}
    assert set(rows) == {o.action_id for o in hub.pbx.ledger.originates}
    assert len(rows) == 3
    assert all(r["status"] == "ENDED" and r["outcome"] for r in rows.values())
    assert rows[talking.attempt.action_id]["outcome"] == "answered"
    assert not hub.pbx.live_channels()  # the daemon hung up what it had started
