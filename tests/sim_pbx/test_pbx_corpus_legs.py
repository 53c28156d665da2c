"""Acceptance 2: every leg the simulator emits has the event-type sequence of SOME real leg with the same
outcome in the cacofonisk (Asterisk 13+, AMI v2) transcripts, with a superset of its header keys."""

from __future__ import annotations

import asyncio

import pytest
from pbx_testkit import (
    CALLER_KEYS,
    RawAmi,
    corpus_legs,
    leg_outcome,
    leg_sequences,
    originate_headers,
    parse_transcript,
)

from vssd.sim.pbx import HOLD

SCRIPTED = {  # outcome → (number, ring_s, talk_s)
    "answered": ("79001110001", 2.0, 3.0),
    "answered_long": ("79001110005", 2.0, HOLD),
    "busy": ("79001110002", 1.5, None),
    "no_answer": ("79001110003", None, None),
    "rejected": ("79001110004", 1.0, None),
}


def _required(c_keys: set[str], sim_keys: set[str], event: str) -> set[str]:
    """An Originate's own Dial* events have no caller channel (the corpus' originate transcripts show the same:
    DialBegin/DialEnd with Dest* keys only); for those, the caller keys of a corpus leg dialled by a phone
    cannot be required. test_callerless_dial_events_match_the_corpus checks their key set on its own."""
    if event.startswith("Dial") and "Channel" not in sim_keys:
        return c_keys - CALLER_KEYS
    return c_keys


def _match(sim_leg: dict, outcome: str, corpus: list) -> tuple[str, str] | None:
    for fname, channel, c_outcome, c_leg in corpus:
        if c_outcome != outcome or c_leg["seq"] != sim_leg["seq"]:
            continue
        if all(_required(c_leg["keys"][ev], sim_leg["keys"][ev], ev) <= sim_leg["keys"][ev] for ev in c_leg["keys"]):
            return fname, channel
    return None


async def _run_call(sim, outcome: str, bridge_operator: bool = False) -> list:
    number, ring_s, talk_s = SCRIPTED["answered_long" if bridge_operator else outcome]
    sim.script(number, outcome, ring_s=ring_s, talk_s=talk_s)
    ami = await RawAmi.open(sim.port)
    try:
        cid = f"leg-{outcome}-{int(bridge_operator)}"
        ami.send("Originate", **originate_headers(number, "6001", cid, Timeout="6000"))
        await ami.wait_for(lambda m: m.event == "OriginateResponse")
        if bridge_operator:
            op = sim.inbound_call("8001", caller="74950001122", talk_s=HOLD)
            await ami.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == op
                               and m.get("ChannelState") == "6")
            reply = await ami.request("Bridge", Channel1=cid, Channel2=op)
            assert reply["Response"] == "Success", reply.headers
            await ami.request("Hangup", Channel=cid)  # vssd ends the call from its side
            await ami.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == cid)
            await ami.request("Hangup", Channel=op)
        await ami.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == cid)
        return [m for m in ami.messages if m.get("Linkedid") == cid or m.get("DestLinkedid") == cid]
    finally:
        await ami.close()


@pytest.fixture(scope="module")
def known_legs(corpus) -> list:
    """Parsed once, outside the event loop (parsing 52 transcripts blocks the loop > 0.5 s on a loaded CPU)."""
    return corpus_legs(corpus)


@pytest.mark.parametrize("outcome,bridged", [("answered", False), ("answered", True), ("busy", False),
                                             ("no_answer", False), ("rejected", False)])
async def test_every_simulated_leg_matches_a_corpus_leg(sim, known_legs, outcome, bridged):
    known = known_legs
    msgs = await _run_call(sim, outcome, bridged)
    legs = leg_sequences(msgs)
    assert len(legs) == 3, f"expected ;1, ;2 and the slot leg, got {[v['channel'] for v in legs.values()]}"
    report = []
    for leg in legs.values():
        assert leg_outcome(leg, reject_scenario=False) == outcome, (leg["channel"], leg["seq"])
        hit = _match(leg, outcome, known)
        line = f"{outcome}{' (bridged)' if bridged else ''} {leg['channel']}: {' '.join(leg['seq'])} -> {hit}"
        print(line)
        report.append(line)
        assert hit is not None, "no corpus leg matches:\n" + "\n".join(report)


def _callerless_dial_keys(corpus) -> dict[str, set[str]]:
    real: dict[str, set[str]] = {}
    for path in (corpus / "ami" / "cacofonisk").glob("originate__*.txt"):
        for m in parse_transcript(path):
            if m.event in ("DialBegin", "DialEnd") and "Channel" not in m:
                real.setdefault(m.event, set()).update(m.keys() - {"Forward"})
    return real


async def test_callerless_dial_events_match_the_corpus(sim, corpus):
    """The Originate's own DialBegin/DialEnd (no caller channel) carry the key set real ones carry."""
    real = await asyncio.to_thread(_callerless_dial_keys, corpus)  # parsing off the loop
    assert set(real) == {"DialBegin", "DialEnd"}
    msgs = await _run_call(sim, "busy")
    ours = [m for m in msgs if m.event in ("DialBegin", "DialEnd") and "Channel" not in m]
    assert {m.event for m in ours} == {"DialBegin", "DialEnd"}
    for m in ours:
        assert real[m.event] <= m.keys(), real[m.event] - m.keys()
        assert not (m.keys() & CALLER_KEYS)
