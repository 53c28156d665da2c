"""Acceptance 4: ledger and fault controls, inbound calls, list actions."""

from __future__ import annotations

from pbx_testkit import RawAmi, eventually, originate_headers

from vssd.sim.pbx import HOLD


async def _answered_call(sim, ami: RawAmi, cid: str, number: str, talk_s: float = HOLD) -> None:
    sim.script(number, "answered", ring_s=1, talk_s=talk_s)
    ami.send("Originate", **originate_headers(number, "6001", cid))
    await ami.wait_for(lambda m: m.event == "BridgeEnter" and m["Linkedid"] == cid)


async def test_drop_links_keeps_calls_and_a_new_client_sees_them(sim):
    ami = await RawAmi.open(sim.port)
    await _answered_call(sim, ami, "cid-drop", "79001230001")
    await sim.drop_links()
    await ami.wait_closed()
    assert sim.ledger.originates[-1].outcome is None  # still live in the PBX
    await ami.close()
    again = await RawAmi.open(sim.port)
    try:
        _, chans, done = await again.list_request("CoreShowChannels", "CoreShowChannelsComplete")
        assert {c["Linkedid"] for c in chans} == {"cid-drop"} and done["ListItems"] == "3"
        assert {c["Channel"].rsplit("-", 1)[0] for c in chans} == {"Local/79001230001@vssd-out", "PJSIP/6001"}
        start, status, complete = await again.list_request("Status", "StatusComplete")
        assert start["EventList"] == "start" and complete["ListItems"] == "3"
        one = next(s for s in status if s["Uniqueid"] == "cid-drop")
        assert one["ChannelState"] == "6" and one["Linkedid"] == "cid-drop" and int(one["Seconds"]) >= 0
        reply = await again.request("Hangup", Channel="cid-drop", Cause="16")
        assert reply["Message"] == "Channel Hungup"
        await again.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == "cid-drop")
        assert sim.ledger.originates[-1].outcome == "answered" and not sim.live_channels()
    finally:
        await again.close()


async def test_silent_pbx_answers_nothing(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.go_silent(True)
        aid = ami.send("Ping")
        await eventually(lambda: sim.ledger.actions[-1].action_id == aid)  # read, and dealt with
        assert sim.ledger.actions[-1].name == "Ping" and sim.ledger.actions[-1].ignored
        sim.go_silent(False)
        assert (await ami.request("Ping"))["Ping"] == "Pong"  # replies keep their order on the link:
        assert not [m for m in ami.messages if m.get("ActionID") == aid]  # the silent Ping's never came
        assert not ami.closed  # the socket stayed open
    finally:
        await ami.close()


async def test_restart_forgets_channels_without_hangups(sim):
    ami = await RawAmi.open(sim.port)
    before = await ami.request("CoreStatus")
    await _answered_call(sim, ami, "cid-restart", "79001230002")
    await sim.restart()
    await ami.wait_closed()
    assert not ami.events("Hangup")
    await ami.close()
    fresh = await RawAmi.open(sim.port)
    try:
        after = await fresh.request("CoreStatus")
        assert (after["CoreStartupDate"], after["CoreStartupTime"]) != (before["CoreStartupDate"],
                                                                       before["CoreStartupTime"])
        assert after["CoreCurrentCalls"] == "0"
        _, chans, done = await fresh.list_request("CoreShowChannels", "CoreShowChannelsComplete")
        assert chans == [] and done["ListItems"] == "0"
        rec = sim.ledger.originates[-1]
        assert rec.outcome == "lost_in_restart" and rec.ended_at is not None
        assert not fresh.events("Hangup") and not sim.live_channels()
    finally:
        await fresh.close()


async def test_inbound_call_rings_parks_and_is_hung_up_by_vssd(sim):
    ami = await RawAmi.open(sim.port)
    try:
        uid = sim.inbound_call("6001", caller="79005556677", talk_s=HOLD)
        up = await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == uid)
        new = ami.events("Newchannel")[-1]
        assert new["Channel"].startswith("PJSIP/6001-") and new["Context"] == "from-slot"
        assert (new["CallerIDNum"], new["ChannelState"], new["ChannelStateDesc"]) == ("79005556677", "4", "Ring")
        assert (up["ChannelState"], up["Context"]) == ("6", "vssd-inbound")
        await ami.request("Hangup", Channel=new["Channel"], Cause="21")
        gone = await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == uid)
        assert gone["Cause"] == "21" and (uid, 21) in sim.ledger.hangups
        assert sim.ledger.channels[uid].kind == "inbound"
    finally:
        await ami.close()


async def test_list_actions_are_proper_event_lists(sim):
    ami = await RawAmi.open(sim.port)
    try:
        start, items, done = await ami.list_request("PJSIPShowEndpoints", "EndpointListComplete")
        assert (start["Response"], start["EventList"]) == ("Success", "start")
        assert [i["ObjectName"] for i in items] == ["6001", "7001", "8001"]
        states = {i["ObjectName"]: i["DeviceState"] for i in items}
        assert states == {"6001": "Not in use", "7001": "Unavailable", "8001": "Not in use"}
        assert (done["EventList"], done["ListItems"]) == ("Complete", "3")
        start, items, done = await ami.list_request("PJSIPShowEndpoint", "EndpointDetailComplete", Endpoint="6001")
        assert [i.event for i in items] == ["EndpointDetail", "AuthDetail", "AorDetail", "ContactStatusDetail"]
        assert done["ListItems"] == "4" and items[-1]["EndpointName"] == "6001"
        missing = await ami.request("PJSIPShowEndpoint", Endpoint="9999")
        assert missing["Response"] == "Error"
    finally:
        await ami.close()


async def test_registration_change_reaches_clients(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.set_registered("7001", True)
        peer = await ami.wait_for(lambda m: m.event == "PeerStatus")
        assert (peer["ChannelType"], peer["Peer"], peer["PeerStatus"]) == ("PJSIP", "PJSIP/7001", "Reachable")
        statuses = [m["ContactStatus"] for m in ami.events("ContactStatus")]
        assert statuses == ["Created", "Reachable"]
        sim.set_registered("7001", False)
        await ami.wait_for(lambda m: m.event == "PeerStatus" and m["PeerStatus"] == "Unreachable")
        assert ami.events("ContactStatus")[-1]["ContactStatus"] == "Removed"
        assert [m["State"] for m in ami.events("DeviceStateChange")] == ["NOT_INUSE", "UNAVAILABLE"]
    finally:
        await ami.close()


async def test_slow_links_still_answer(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.set_read_delay(0.05)
        sim.set_write_delay(0.05)
        assert (await ami.request("Ping"))["Ping"] == "Pong"
        sim.set_read_delay(0)
        sim.set_write_delay(0)
    finally:
        await ami.close()
