"""AMI protocol details: errors, masks, information actions, outcomes, sync Originate, determinism, blast."""

from __future__ import annotations

import pytest
from pbx_testkit import RawAmi, eventually, make_config, originate_headers

from vssd.sim.pbx import HOLD, PbxSimulator


async def test_errors_before_and_after_login(sim):
    ami = await RawAmi.open(sim.port, login=False)
    try:
        assert ami.banner == "Asterisk Call Manager/7.0.3\r\n"
        denied = await ami.request("CoreSettings")
        assert (denied["Response"], denied["Message"]) == ("Error", "Permission denied")
        await ami.request("Login", Username="vssd", Secret="vssd-sim-secret")
        booted = await ami.wait_for(lambda m: m.event == "FullyBooted")
        assert booted["Privilege"] == "system,all"
        unknown = await ami.request("FrobnicateAll")
        assert (unknown["Response"], unknown["Message"]) == ("Error", "Invalid/unknown command")
        lower = await ami.request("ping")  # action names are case-insensitive
        assert lower["Ping"] == "Pong"
    finally:
        await ami.close()


async def test_information_actions(sim):
    ami = await RawAmi.open(sim.port)
    try:
        settings = await ami.request("CoreSettings")
        assert settings["AsteriskVersion"] == "20.5.0-vssd-sim" and settings["SystemName"] == "vssd-sim"
        status = await ami.request("CoreStatus")
        assert status["CoreStartupTime"].count(":") == 2 and status["CoreCurrentCalls"] == "0"
        version = await ami.request("Command", Command="core show version")
        assert version["Response"] == "Success" and version["Output"].startswith("Asterisk 20.5.0-vssd-sim")
        bad = await ami.request("Command", Command="frob nicate")
        assert bad["Response"] == "Error" and "No such command" in bad["Output"]
        filt = await ami.request("Filter", Operation="Add", Filter="Event: Newchannel")
        assert filt["Message"] == "Filter Added Successfully"
        bye = await ami.request("Logoff")
        assert (bye["Response"], bye["Message"]) == ("Goodbye", "Thanks for all the fish.")
        await ami.wait_closed()
    finally:
        await ami.close()


async def test_event_masks_per_client(sim):
    everything = await RawAmi.open(sim.port)
    system_only = await RawAmi.open(sim.port, events="system")
    muted = await RawAmi.open(sim.port)
    try:
        reply = await muted.request("Events", EventMask="off")
        assert reply["Events"] == "Off"
        sim.script("79001239999", "busy", ring_s=0.5)
        everything.send("Originate", **originate_headers("79001239999", "6001", "cid-mask"))
        sim.set_registered("7001", True)
        await everything.wait_for(lambda m: m.event == "Cdr")
        await system_only.wait_for(lambda m: m.event == "PeerStatus")
        await muted.request("Ping")
        assert everything.events("Newchannel") and everything.events("PeerStatus")
        assert not system_only.events("Newchannel") and system_only.events("ContactStatus")
        assert not muted.events("Newchannel") and not muted.events("PeerStatus")
        assert all(m["Privilege"].endswith(",all") for m in everything.events())
    finally:
        for c in (everything, system_only, muted):
            await c.close()


@pytest.mark.parametrize("outcome,cause,status,reason,disposition", [
    ("busy", "17", "BUSY", "5", "BUSY"),
    ("rejected", "21", "BUSY", "5", "BUSY"),
    ("no_answer", "19", "NOANSWER", "3", "NO ANSWER"),
    ("congestion", "34", "CONGESTION", "8", "FAILED"),
])
async def test_failed_outcomes(sim, outcome, cause, status, reason, disposition):
    ami = await RawAmi.open(sim.port)
    try:
        number = f"7900100{len(outcome):04d}"
        sim.script(number, outcome)
        ami.send("Originate", **originate_headers(number, "6001", f"cid-{outcome}", Timeout="3000"))
        resp = await ami.wait_for(lambda m: m.event == "OriginateResponse")
        cdr = await ami.wait_for(lambda m: m.event == "Cdr")
        assert (resp["Response"], resp["Reason"], resp["Uniqueid"]) == ("Failure", reason, "<null>")
        ends = [m for m in ami.events("DialEnd") if m["DestChannel"].startswith("PJSIP/6001-")]
        assert [m["DialStatus"] for m in ends] == [status]
        hangups = ami.events("Hangup")
        assert [h["Channel"][:5] for h in hangups] == ["PJSIP", "Local", "Local"]  # slot leg first
        assert {h["Cause"] for h in hangups} == {cause}
        assert ami.messages.index(hangups[-1]) < ami.messages.index(resp)  # Hangup precedes the failure
        assert cdr["Disposition"] == disposition and cdr["Privilege"] == "cdr,all"
        rec = sim.ledger.originates[-1]
        assert (rec.outcome, rec.cause, rec.answered_at) == (outcome, int(cause), None)
    finally:
        await ami.close()


async def test_unregistered_slot_is_unavailable(sim):
    ami = await RawAmi.open(sim.port)
    try:
        ami.send("Originate", **originate_headers("79001110000", "7001", "cid-unav"))
        resp = await ami.wait_for(lambda m: m.event == "OriginateResponse")
        assert (resp["Response"], resp["Reason"]) == ("Failure", "0")
        assert not [m for m in ami.events("Newchannel") if m["Channel"].startswith("PJSIP/")]
        end = ami.events("DialEnd")[-1]
        assert (end["DestUniqueid"], end["DialStatus"]) == ("cid-unav", "CHANUNAVAIL")
        assert {h["Cause"] for h in ami.events("Hangup")} == {"20"}
        assert sim.ledger.originates[-1].outcome == "unavailable"
    finally:
        await ami.close()


async def test_sync_originate_answers_after_the_call_is_up(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79002220001", "answered", ring_s=2, talk_s=HOLD)
        reply = await ami.request("Originate", **originate_headers("79002220001", "6001", "cid-sync", Async="false"))
        assert (reply["Response"], reply["Message"]) == ("Success", "Originate successfully queued")
        assert ami.messages.index(reply) > ami.messages.index(ami.events("DialEnd")[-1])
        assert not ami.events("OriginateResponse")
        sim.script("79002220002", "busy", ring_s=1)
        failed = await ami.request("Originate", **originate_headers("79002220002", "6001", "cid-sync2",
                                                                    Async="false"))
        assert (failed["Response"], failed["Message"]) == ("Error", "Originate failed")
    finally:
        await ami.close()


async def test_hangup_redirect_bridge_actions(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79003330001", "answered", ring_s=1, talk_s=HOLD)
        ami.send("Originate", **originate_headers("79003330001", "6001", "cid-act",
                                                  Variable=["__VSSD_SLOT=6001", "FOO=bar,BAZ=1"]))
        await ami.wait_for(lambda m: m.event == "BridgeEnter" and m["Linkedid"] == "cid-act")
        op = sim.inbound_call("8001", caller="74951112233", talk_s=HOLD)
        await ami.wait_for(lambda m: m.event == "Newstate" and m["Uniqueid"] == op)
        moved = await ami.request("Redirect", Channel="cid-act", Context="vssd-hold", Exten="s", Priority="1")
        assert moved["Message"] == "Redirect successful" and sim.ledger.redirects[-1][:2] == ("cid-act", "vssd-hold")
        bridged = await ami.request("Bridge", Channel1="cid-act", Channel2=op)
        assert bridged["Message"] == "Channels have been bridged"
        assert sim.ledger.bridges[-1][1:] == ("cid-act", op)
        none = await ami.request("Hangup", Channel="PJSIP/nope-00000001")
        assert (none["Response"], none["Message"]) == ("Error", "No such channel")
        many = await ami.request("Hangup", Channel="/^(Local|PJSIP)//", Cause="16")
        assert many["Message"] == "4 channels hung up."
        await eventually(lambda: not sim.live_channels())
        assert sim.ledger.originates[-1].outcome == "answered"
    finally:
        await ami.close()


async def test_vssd_hangup_while_ringing_cancels(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79004440001", "answered", ring_s=HOLD)  # rings until vssd hangs up
        ami.send("Originate", **originate_headers("79004440001", "6001", "cid-cancel"))
        await ami.wait_for(lambda m: m.event == "Newstate" and m["ChannelState"] == "5")
        await ami.request("Hangup", Channel="cid-cancel")
        resp = await ami.wait_for(lambda m: m.event == "OriginateResponse")
        assert (resp["Response"], resp["Reason"]) == ("Failure", "1")
        assert [m["DialStatus"] for m in ami.events("DialEnd")] == ["CANCEL", "CANCEL"]
        assert sim.ledger.originates[-1].outcome == "cancelled"
    finally:
        await ami.close()


async def _random_run(seed: int) -> list[tuple[str | None, int | None]]:
    sim = PbxSimulator(make_config(seed=seed, time_scale=2000.0))
    await sim.start()
    ami = await RawAmi.open(sim.port)
    try:
        for i in range(12):
            ami.send("Originate", **originate_headers(f"7900555{i:04d}", "6001", f"r-{i}"))
        await eventually(lambda: len(ami.events("Cdr")) >= 12)
        return [(r.outcome, r.cause) for r in sim.ledger.originates]
    finally:
        await ami.close()
        await sim.stop()


async def test_outcome_mix_is_deterministic_per_seed():
    first, again, other = await _random_run(7), await _random_run(7), await _random_run(8)
    assert first == again
    assert len({o for o, _ in first}) >= 2 and first != other


async def test_blast_streams_complete_call_sets(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sent = await sim.blast(2000)
        assert sent >= 2000
        # counted by polling, not per message (a count per message is quadratic: seconds on a loaded CPU)
        await eventually(lambda: len(ami.events()) >= sent + 1)  # + FullyBooted
        hangups = ami.events("Hangup")
        calls = len(hangups) // 3
        assert len(hangups) == 3 * calls and sent % calls == 0 and len(ami.events("Newchannel")) == len(hangups)
        assert len({m["Uniqueid"] for m in hangups}) == len(hangups)
        assert len(ami.events("BridgeDestroy")) == calls and len(ami.events("DialEnd")) == 2 * calls
    finally:
        await ami.close()


async def test_device_state_follows_the_slot_leg_and_secrets_stay_out_of_the_ledger(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79007770001", "answered", ring_s=1, talk_s=1)
        ami.send("Originate", **originate_headers("79007770001", "6001", "cid-dev"))
        await ami.wait_for(lambda m: m.event == "Cdr")
        states = [(m["Device"], m["State"]) for m in ami.events("DeviceStateChange")]
        assert states == [("PJSIP/6001", "RINGING"), ("PJSIP/6001", "INUSE"), ("PJSIP/6001", "NOT_INUSE")]
        login = next(a for a in sim.ledger.actions if a.name == "Login")
        assert login.headers["Secret"] == "***"
        ami.writer.write(b"ActionID: no-action\r\nFoo: bar\r\n\r\n")
        missing = await ami.wait_for(lambda m: m.get("ActionID") == "no-action")
        assert (missing["Response"], missing["Message"]) == ("Error", "Missing action in request")
    finally:
        await ami.close()


async def test_held_calls_ring_and_talk_until_settled(sim):
    """A HOLD ring or talk time lasts until settle(): past the Originate's Timeout, and one phase per settle."""
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79008880001", "answered", ring_s=HOLD, talk_s=HOLD)
        sim.script("79008880002", "busy", ring_s=HOLD)
        ami.send("Originate", **originate_headers("79008880001", "6001", "cid-hold-1", Timeout="1000"))
        ami.send("Originate", **originate_headers("79008880002", "8001", "cid-hold-2", Timeout="1000"))
        await ami.wait_for(lambda m: len(ami.events("DialState")) == 2)  # both slot legs ringing
        assert sim.held_calls() == 2 and sim.held_calls("79008880002") == 1 and sim.held_calls("nobody") == 0

        assert sim.settle("79008880002") == 1
        busy = await ami.wait_for(lambda m: m.event == "OriginateResponse")
        assert (busy["Response"], busy["Reason"], busy["Channel"]) == ("Failure", "5", "Local/79008880002@vssd-out")
        first = sim.ledger.originates[0]
        assert first.answered_at is None and first.outcome is None  # still ringing

        assert sim.settle("6001") == 1  # named by its slot endpoint: answered, and now talking
        await ami.wait_for(lambda m: m.event == "BridgeEnter" and m["Linkedid"] == "cid-hold-1")
        assert first.answered_at is not None and first.outcome is None
        assert sim.settle() == 1  # the far end hangs up
        hup = await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == "cid-hold-1")
        assert hup["Cause"] == "16" and first.outcome == "answered"
        await eventually(lambda: not sim.live_channels())
        assert sim.held_calls() == 0 and sim.settle() == 0
    finally:
        await ami.close()


async def test_a_settle_before_the_held_phase_ends_it_on_arrival_and_a_hangup_still_cuts_it(sim):
    ami = await RawAmi.open(sim.port)
    try:
        sim.script("79008880003", "answered", ring_s=1, talk_s=HOLD)
        ami.send("Originate", **originate_headers("79008880003", "6001", "cid-hold-3"))
        await eventually(lambda: sim.held_calls("cid-hold-3") == 1)
        assert sim.settle("cid-hold-3") == 1  # still ringing: the talk ends as soon as it starts
        hup = await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == "cid-hold-3")
        assert hup["Cause"] == "16" and sim.ledger.originates[-1].outcome == "answered"

        uid = sim.inbound_call("8001", caller="74950001100", talk_s=HOLD)
        await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == uid and m["ChannelState"] == "6")
        await ami.request("Hangup", Channel=uid, Cause="21")
        gone = await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == uid)
        assert gone["Cause"] == "21" and sim.held_calls() == 0
    finally:
        await ami.close()


async def test_control_api_holds_and_settles(sim):
    from aiohttp.test_utils import TestClient, TestServer

    from vssd.sim.pbx.control import build_app

    ami = await RawAmi.open(sim.port)
    http = TestClient(TestServer(build_app(sim)))
    await http.start_server()
    try:
        r = await http.post("/script", json={"number": "79008880004", "outcome": "answered", "ring_s": 1,
                                             "talk_s": "hold"})
        assert r.status == 200
        r = await http.post("/script", json={"number": "79008880004", "outcome": "answered", "talk_s": "soon"})
        assert r.status == 400
        ami.send("Originate", **originate_headers("79008880004", "6001", "cid-hold-4"))
        await ami.wait_for(lambda m: m.event == "BridgeEnter" and m["Linkedid"] == "cid-hold-4")
        r = await http.post("/inbound", json={"endpoint": "8001", "caller": "74950001101", "talk_s": "hold"})
        uid = (await r.json())["uniqueid"]
        await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == uid and m["ChannelState"] == "6")
        assert sim.held_calls() == 2
        r = await http.post("/settle", json={"key": "74950001101"})  # the inbound call, by its caller
        assert await r.json() == {"ok": True, "released": 1}
        await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == uid)
        r = await http.post("/settle")
        assert (await r.json())["released"] == 1
        await ami.wait_for(lambda m: m.event == "Hangup" and m["Uniqueid"] == "cid-hold-4")
        assert sim.ledger.originates[-1].outcome == "answered"
    finally:
        await http.close()
        await ami.close()
