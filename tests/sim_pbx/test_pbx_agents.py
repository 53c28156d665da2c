"""Operators' pre-connected lines, the Bridge into answered calls, the abandon message, and the outcome mix changed
at run time — over the wire, with the ledger as the oracle and the cacofonisk transcripts as the reference."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from pbx_testkit import RawAmi, corpus_legs, leg_sequences, make_config, originate_headers, parse_transcript
from test_pbx_corpus_legs import _match

from vssd.sim.pbx import HOLD, PbxSimulator
from vssd.sim.pbx.cli import build_config, build_parser
from vssd.sim.pbx.control import ControlServer

AGENTS = "1001-1003"
NEVER_S = 1e6  # an abandon message this long outlasts any test (5000 s real at 200x)
# BridgeEnter carries SwapUniqueid only when the entering channel replaces another one in the bridge (a Local
# channel optimised away); the Bridge action swaps nobody in, so a corpus leg's SwapUniqueid is not required.
CONDITIONAL_KEYS = frozenset({"SwapUniqueid"})


@pytest.fixture(scope="module")
def known_legs(corpus) -> list:
    """Parsed once, outside the event loop (parsing 52 transcripts would trip the slow-callback guard)."""
    return corpus_legs(corpus)


def match_leg(leg: dict, known: list) -> tuple[str, str, str] | None:
    """(file, channel, how) of a corpus leg of an answered call that this leg matches: strictly, or else with
    the conditional keys not required."""
    hit = _match(leg, "answered", known)
    if hit is not None:
        return (*hit, "strict")
    relaxed = [(f, ch, o, {**c, "keys": {ev: k - CONDITIONAL_KEYS for ev, k in c["keys"].items()}})
               for f, ch, o, c in known]
    hit = _match(leg, "answered", relaxed)
    return None if hit is None else (*hit, "SwapUniqueid not required")


@pytest.fixture
async def asim():
    simulator = PbxSimulator(make_config(agent_endpoints=AGENTS, abandon_message_s=8.0))
    await simulator.start(host="127.0.0.1", port=0)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def ami(asim):
    client = await RawAmi.open(asim.port)
    try:
        yield client
    finally:
        await client.close()


async def login_agent(ami: RawAmi, ext: str, channel_id: str):
    """vssd's operator login, header for header (vssd/adapters/ami_calls.py originate_agent)."""
    ami.send("Originate", ActionID=channel_id, ChannelId=channel_id, Channel=f"PJSIP/{ext}", Context="vssd-agent",
             Exten="wait", Priority="1", Timeout="15000", Async="true", Variable=f"__VSSD_AGENT={ext}")
    return await ami.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == channel_id)


async def answered_call(sim: PbxSimulator, ami: RawAmi, number: str, cid: str, talk_s: float = HOLD):
    """An answered call, talking until settled (or hung up) unless `talk_s` says otherwise."""
    sim.script(number, "answered", ring_s=1.0, talk_s=talk_s)
    ami.send("Originate", **originate_headers(number, "6001", cid, ActionID=cid))
    reply = await ami.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == cid)
    assert reply["Response"] == "Success", reply.headers
    return reply


def hangup_of(uid: str):
    return lambda m: m.event == "Hangup" and m.get("Uniqueid") == uid


def events_of(ami: RawAmi, uid: str) -> list[str]:
    return [m.event for m in ami.messages if m.event and uid in (m.get("Uniqueid"), m.get("DestUniqueid"))]


# ---- operator lines ------------------------------------------------------------------------------------------
async def test_agent_login_answers_at_once_and_waits_in_vssd_agent(asim, ami):
    reply = await login_agent(ami, "1001", "op-1")
    assert (reply["Response"], reply["Reason"], reply["Uniqueid"]) == ("Success", "4", "op-1")
    assert events_of(ami, "op-1") == ["Newchannel", "DialBegin", "Newstate", "DialEnd", "OriginateResponse"]
    up = [m for m in ami.events("Newstate") if m.get("Uniqueid") == "op-1"]
    assert [m["ChannelState"] for m in up] == ["6"]  # no Ringing: the phone answers at once
    _, rows, _ = await ami.list_request("CoreShowChannels", "CoreShowChannelsComplete")
    row = next(r for r in rows if r["Uniqueid"] == "op-1")
    assert (row["Context"], row["Exten"], row["ChannelStateDesc"]) == ("vssd-agent", "wait", "Up")
    assert row["Channel"].startswith("PJSIP/1001-")
    assert asim.ledger.originates == []  # not a customer call
    [session] = asim.ledger.agent_sessions
    assert (session.endpoint, session.outcome, session.ended_at) == ("1001", "up", None)
    assert asim.ledger.channels["op-1"].kind == "agent"


async def test_agent_logins_draw_no_outcome():
    """The same seed and the same customer Originates give the same outcomes with or without operator logins."""
    outcomes = []
    for with_agents in (False, True):
        sim = PbxSimulator(make_config(agent_endpoints=AGENTS, ring_mean_s=1.0, talk_mean_s=1.0))
        await sim.start(host="127.0.0.1", port=0)
        client = await RawAmi.open(sim.port)
        try:
            for i in range(12):
                if with_agents and i % 3 == 0:
                    await login_agent(client, f"100{i % 3 + 1}", f"op-{i}")
                client.send("Originate", **originate_headers(f"7900000{i:04d}", "6001", f"c-{i}", Timeout="5000",
                                                                  ActionID=f"c-{i}"))
                await client.wait_for(lambda m, i=i: m.event == "OriginateResponse" and m.get("ActionID") == f"c-{i}")
            outcomes.append([o.outcome for o in sim.ledger.originates])
            assert len(sim.ledger.agent_sessions) == (4 if with_agents else 0)
        finally:
            await client.close()
            await sim.stop()
    assert outcomes[0] == outcomes[1]
    assert len(set(outcomes[0])) > 1  # the draw really varies


async def test_unregistered_agent_cannot_log_in(asim, ami):
    asim.set_registered("1002", False)
    reply = await login_agent(ami, "1002", "op-x")
    assert (reply["Response"], reply["Reason"], reply["Uniqueid"]) == ("Failure", "0", "<null>")
    assert "op-x" not in asim.ledger.channels
    assert asim.ledger.agent_sessions[0].outcome == "unavailable"
    _, rows, _ = await ami.list_request("PJSIPShowEndpoints", "EndpointListComplete")
    states = {r["ObjectName"]: r["DeviceState"] for r in rows}
    assert states["1002"] == "Unavailable" and states["1001"] == "Not in use"


# ---- bridging ------------------------------------------------------------------------------------------------
async def test_bridge_returns_the_agent_to_waiting_and_ledgers_who_took_which_call(asim, ami):
    await login_agent(ami, "1001", "op-1")
    await answered_call(asim, ami, "79001230001", "call-1")
    reply = await ami.request("Bridge", Channel1="call-1", Channel2="op-1", Tone="no")
    assert reply["Response"] == "Success", reply.headers
    assert asim.settle("call-1") == 1  # the customer hangs up
    await ami.wait_for(hangup_of("call-1"))
    leave = await ami.wait_for(lambda m: m.event == "BridgeLeave" and m.get("Uniqueid") == "op-1")
    destroy = await ami.wait_for(lambda m: m.event == "BridgeDestroy"
                                 and m.get("BridgeUniqueid") == leave["BridgeUniqueid"])
    assert ami.messages.index(leave) < ami.messages.index(destroy)
    assert "Hangup" not in events_of(ami, "op-1")
    live = {c.uniqueid: c for c in asim.core.channels.values()}
    assert live["op-1"].state == 6 and live["op-1"].context == "vssd-agent" and not live["op-1"].bridge_id
    [rec] = asim.ledger.agent_bridges
    call = asim.ledger.originate_by_action("call-1")
    assert (rec.call_channel_id, rec.agent_channel_id, rec.agent_endpoint) == ("call-1", "op-1", "1001")
    assert rec.call_answered_at == call.answered_at and rec.at >= call.answered_at
    assert rec.answer_to_bridge_s == pytest.approx(rec.at - call.answered_at)
    assert rec.left_at is not None and rec.left_at >= rec.at
    reply = await ami.request("Hangup", Channel="op-1")  # vssd logs the operator out
    assert reply["Response"] == "Success"
    hup = await ami.wait_for(hangup_of("op-1"))
    assert hup["Cause"] == "16"
    assert asim.ledger.agent_sessions[0].ended_at is not None


async def test_agent_hangup_mid_call_puts_the_call_out_of_the_bridge(asim, ami):
    await login_agent(ami, "1001", "op-1")
    await answered_call(asim, ami, "79001230002", "call-2")
    await ami.request("Bridge", Channel1="call-2", Channel2="op-1")
    await ami.request("Hangup", Channel="op-1")
    await ami.wait_for(hangup_of("op-1"))
    await ami.wait_for(lambda m: m.event == "BridgeLeave" and m.get("Uniqueid") == "call-2")
    assert "call-2" in asim.core.channels and not asim.core.channels["call-2"].bridge_id
    assert asim.ledger.agent_bridges[0].left_at is not None
    await ami.request("Hangup", Channel="call-2")
    await ami.wait_for(hangup_of("call-2"))


@pytest.mark.parametrize("calls", [1, 2])
async def test_agent_and_call_legs_match_corpus_legs(asim, ami, known_legs, calls):
    """The operator's leg (answered at once, then bridged into `calls` existing calls one after another, then
    logged out) and every leg of a call it took have the event-type sequence and header keys of a real leg."""
    await login_agent(ami, "1001", "op-1")
    for i in range(calls):
        cid = f"call-{i}"
        await answered_call(asim, ami, f"7900123010{i}", cid)
        await ami.request("Bridge", Channel1=cid, Channel2="op-1")
        assert asim.settle(cid) == 1
        await ami.wait_for(hangup_of(cid))  # the agent's BridgeLeave comes before ;1's Hangup
    await ami.request("Hangup", Channel="op-1")
    await ami.wait_for(hangup_of("op-1"))
    legs = leg_sequences(ami.messages)
    report = []
    for uid in ["op-1", *(u for u, leg in legs.items() if leg["channel"] and u != "op-1")]:
        hit = match_leg(legs[uid], known_legs)
        report.append(f"{legs[uid]['channel']}: {' '.join(legs[uid]['seq'])} -> {hit}")
        print(report[-1])
        assert hit is not None, "no corpus leg matches:\n" + "\n".join(report)
    assert legs["op-1"]["seq"].count("BridgeEnter") == calls


def _bridge_event_keys(corpus) -> dict[str, set[str]]:
    real: dict[str, set[str]] = {}
    for path in sorted((corpus / "ami" / "cacofonisk").glob("*.txt"))[:20]:
        for m in parse_transcript(path):
            if m.event in ("BridgeCreate", "BridgeDestroy"):
                real.setdefault(m.event, set()).update(m.keys())
    return real


async def test_bridge_create_and_destroy_carry_the_corpus_keys(asim, ami, corpus):
    real = await asyncio.to_thread(_bridge_event_keys, corpus)  # parsing off the loop (slow on a loaded CPU)
    await login_agent(ami, "1001", "op-1")
    await answered_call(asim, ami, "79001230003", "call-3")
    await ami.request("Bridge", Channel1="call-3", Channel2="op-1")
    assert asim.settle("call-3") == 1
    await ami.wait_for(hangup_of("call-3"))
    ours = {m.event: m.keys() for m in ami.messages if m.event in ("BridgeCreate", "BridgeDestroy")}
    assert set(ours) == set(real) == {"BridgeCreate", "BridgeDestroy"}
    for event, keys in real.items():
        assert keys <= ours[event], keys - ours[event]


# ---- the abandon message -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bridged", [False, True])
async def test_abandon_message_plays_then_every_leg_hangs_up(asim, ami, known_legs, bridged):
    """Redirect of ;1 to vssd-abandon (also out of an operator's bridge: the Redirect's BridgeLeave, the operator
    back to waiting); every leg of the call, and the operator's, still has the shape of a real leg."""
    await answered_call(asim, ami, "79001230004", "call-4")
    if bridged:
        await login_agent(ami, "1001", "op-1")
        await ami.request("Bridge", Channel1="call-4", Channel2="op-1")
    reply = await ami.request("Redirect", Channel="call-4", Context="vssd-abandon", Exten="s", Priority="1")
    assert reply["Response"] == "Success", reply.headers
    await ami.wait_for(hangup_of("call-4"))
    [rec] = asim.ledger.abandons
    assert (rec.channel_id, rec.redirected_channel, rec.duration_s, rec.completed) == ("call-4", "call-4", 8.0, True)
    legs = [c for c in asim.ledger.channels.values() if c.linkedid == "call-4"]
    assert len(legs) == 3 and all(c.cause == 16 for c in legs)
    assert all(c.hungup_at >= rec.at + 8.0 - 0.5 for c in legs)  # 0.5 sim s = 2.5 ms real at 200x
    assert rec.ended_at >= rec.at + 8.0
    hangups = [m for m in ami.events("Hangup") if m.get("Linkedid") == "call-4"]
    assert {m["Cause"] for m in hangups} == {"16"} and len(hangups) == 3
    assert asim.ledger.originate_by_action("call-4").outcome == "answered"
    mine = {"call-4", *(["op-1"] if bridged else [])}
    if bridged:
        assert asim.core.channels["op-1"].state == 6  # back to waiting, then logged out
        assert asim.ledger.agent_bridges[0].left_at == pytest.approx(rec.at, abs=0.5)
        await ami.request("Hangup", Channel="op-1")
        await ami.wait_for(hangup_of("op-1"))
    report = []
    for leg in leg_sequences([m for m in ami.messages if m.get("Linkedid") in mine
                              or m.get("DestLinkedid") in mine]).values():
        hit = match_leg(leg, known_legs)
        report.append(f"abandoned{' (bridged)' if bridged else ''} {leg['channel']}: {' '.join(leg['seq'])} -> {hit}")
        print(report[-1])
        assert hit is not None, "no corpus leg matches:\n" + "\n".join(report)


async def test_abandon_message_length_is_configurable_and_a_caller_may_hang_up_first():
    sim = PbxSimulator(make_config(abandon_message_s=NEVER_S))
    await sim.start(host="127.0.0.1", port=0)
    client = await RawAmi.open(sim.port)
    try:
        await answered_call(sim, client, "79001230005", "call-5")
        reply = await client.request("Redirect", Channel="call-5", Context="vssd-abandon", Exten="s", Priority="1")
        assert reply["Response"] == "Success", reply.headers
        assert sim.settle("call-5") == 1  # the caller hangs up while the message plays
        assert (await client.wait_for(hangup_of("call-5")))["Cause"] == "16"
        [rec] = sim.ledger.abandons
        assert rec.duration_s == NEVER_S and rec.completed is False
        assert rec.ended_at < rec.at + NEVER_S
    finally:
        await client.close()
        await sim.stop()


async def test_abandon_cut_short_by_vssd():
    sim = PbxSimulator(make_config(abandon_message_s=NEVER_S))  # the Hangup comes first
    await sim.start(host="127.0.0.1", port=0)
    client = await RawAmi.open(sim.port)
    try:
        await answered_call(sim, client, "79001230008", "call-8")
        await client.request("Redirect", Channel="call-8", Context="vssd-abandon", Exten="s", Priority="1")
        await client.request("Hangup", Channel="call-8", Cause="19")
        assert (await client.wait_for(hangup_of("call-8")))["Cause"] == "19"
        [cut] = sim.ledger.abandons
        assert (cut.channel_id, cut.completed) == ("call-8", False) and cut.ended_at < cut.at + NEVER_S
    finally:
        await client.close()
        await sim.stop()


async def test_abandon_message_on_an_inbound_call(asim, ami):
    inbound = asim.inbound_call("8001", caller="79005556677", talk_s=HOLD)
    await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == inbound and m["ChannelState"] == "6")
    reply = await ami.request("Redirect", Channel=inbound, Context="vssd-abandon", Exten="s", Priority="1")
    assert reply["Response"] == "Success"
    assert (await ami.wait_for(hangup_of(inbound)))["Cause"] == "16"
    [played] = asim.ledger.abandons
    assert (played.channel_id, played.completed) == (inbound, True)
    assert asim.ledger.channels[inbound].hungup_at >= played.at + 8.0


async def test_abandon_refused_for_a_call_not_answered(asim, ami):
    asim.script("79001230006", "answered", ring_s=HOLD)
    ami.send("Originate", **originate_headers("79001230006", "6001", "call-6", Timeout="7200000", ActionID="call-6"))
    await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == "call-6"
                       and m.get("ChannelState") == "5")
    reply = await ami.request("Redirect", Channel="call-6", Context="vssd-abandon", Exten="s", Priority="1")
    assert reply["Response"] == "Error" and reply["Message"] == "Redirect failed, channel not up."
    await login_agent(ami, "1001", "op-1")
    reply = await ami.request("Redirect", Channel="op-1", Context="vssd-abandon", Exten="s", Priority="1")
    assert reply["Response"] == "Error"  # an operator's line is not a customer call
    assert asim.ledger.abandons == [] and asim.ledger.redirects == []
    assert "call-6" in asim.core.channels  # still ringing, untouched
    await ami.request("Hangup", Channel="call-6")
    await ami.wait_for(hangup_of("call-6"))


# ---- runtime control -----------------------------------------------------------------------------------------
async def test_weights_and_agent_registration_change_at_run_time(asim, ami):
    control = ControlServer(asim)
    await control.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{control.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/weights", json={"busy": 1}) as r:
                assert r.status == 200 and (await r.json())["weights"] == {"busy": 1.0}
            ami.send("Originate", **originate_headers("79005550001", "6001", "w-1", ActionID="w-1"))
            ami.send("Originate", **originate_headers("79005550002", "6001", "w-2", ActionID="w-2"))
            for cid in ("w-1", "w-2"):
                await ami.wait_for(lambda m, c=cid: m.event == "OriginateResponse" and m.get("ActionID") == c)
            assert {o.outcome for o in asim.ledger.originates} == {"busy"}
            asim.set_weights({"congestion": 2, "answered": 0})
            ami.send("Originate", **originate_headers("79005550003", "6001", "w-3", ActionID="w-3"))
            await ami.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == "w-3")
            assert asim.ledger.originate_by_action("w-3").outcome == "congestion"
            assert [w for _, w in asim.ledger.weight_changes] == [{"busy": 1.0}, {"congestion": 2.0, "answered": 0.0}]
            for bad in ({"ringing": 1}, {"busy": -1}, {"busy": "x"}):
                async with http.post(f"{base}/weights", json=bad) as r:
                    assert r.status == 400, bad
            async with http.post(f"{base}/agents/1003", json={"registered": False}) as r:
                assert r.status == 200 and (await r.json())["state"] == "unregistered"
            async with http.post(f"{base}/agents/6001", json={"registered": False}) as r:
                assert r.status == 404  # a slot, not an operator
            async with http.get(f"{base}/ledger") as r:
                ledger = await r.json()
            assert {"agent_sessions", "agent_bridges", "abandons", "weight_changes"} <= set(ledger)
        reply = await login_agent(ami, "1003", "op-3")
        assert reply["Response"] == "Failure"
    finally:
        await control.stop()


def test_cli_agents_and_abandon_message_flags():
    args = build_parser().parse_args(["--endpoints", "6001-6002", "--agents", "1001-1003", "--unregistered", "1002",
                                      "--abandon-message-s", "12"])
    cfg = build_config(args)
    assert [(e.name, e.registered) for e in cfg.agents] == [("1001", True), ("1002", False), ("1003", True)]
    assert cfg.abandon_message_s == 12.0 and cfg.is_agent("1001") and not cfg.is_agent("6001")
    with pytest.raises(ValueError):
        make_config(agent_endpoints="6001")  # an endpoint cannot be both a slot and an operator


async def test_linkedid_propagation_when_asked_for(corpus):
    """With propagate_linkedid the newer channel of a Bridge takes the older one's linkedid, as in the corpus."""
    changed = []
    for m in parse_transcript(corpus / "ami" / "cacofonisk" / "queue__queue_attn_xfer.txt"):
        if m.event == "BridgeEnter":
            changed.append(m.get("Linkedid") != m.get("Uniqueid"))
    assert any(changed)  # the capture: a channel enters a bridge under another channel's linkedid
    sim = PbxSimulator(make_config(agent_endpoints=AGENTS, propagate_linkedid=True))
    await sim.start(host="127.0.0.1", port=0)
    client = await RawAmi.open(sim.port)
    try:
        await login_agent(client, "1001", "op-1")
        await answered_call(sim, client, "79001230007", "call-7")
        await client.request("Bridge", Channel1="call-7", Channel2="op-1")
        assert sim.settle("call-7") == 1
        hup = await client.wait_for(hangup_of("call-7"))
        leave = next(m for m in client.events("BridgeLeave") if m.get("Uniqueid") == "call-7"
                     and m["BridgeUniqueid"] == sim.ledger.agent_bridges[0].bridge_id)
        assert leave["Linkedid"] == hup["Linkedid"] == "op-1"  # the operator's line is the older channel
        assert {m["Linkedid"] for m in client.events("Hangup")} == {"op-1", "call-7"}  # ;2 and the slot keep theirs
    finally:
        await client.close()
        await sim.stop()
