"""Acceptance 3: the simulator's events satisfy the `ami-events` / `ami-config` conditions that Asterisk's
own testsuite (asterisk/testsuite yamls in the corpus) states, header regexes applied as the testsuite does
(re.match, header names case-insensitive). Only names from the yaml's own test config are substituted where
noted (their dialplan dials `bob`; ours dials `N@E`)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import yaml
from pbx_testkit import Msg, RawAmi, make_config

from vssd.sim.pbx import Endpoint, PbxSimulator

CDR_FIELDS = {"accountcode": "AccountCode", "source": "Source", "destination": "Destination",
              "dcontext": "DestinationContext", "callerid": "CallerID", "channel": "Channel",
              "dchannel": "DestinationChannel", "lastapp": "LastApplication", "disposition": "Disposition",
              "amaflags": "AMAFlags"}


def load(corpus: Path, name: str) -> dict:
    text = (corpus / "ami" / "asterisk-testsuite" / name).read_text()
    return yaml.safe_load("\n".join(line for line in text.split("\n") if not line.startswith("# ")))


def _matches(msg: Msg, patterns: dict, subst: dict[str, str]) -> bool:
    """The testsuite registers for the event by name (exact), then re.match()es the other headers."""
    for key, pattern in patterns.items():
        value = msg.get(key)
        if value is None:
            return False
        if key.lower() == "event":
            if value.lower() != str(pattern).lower():
                return False
        elif not re.match(subst.get(str(pattern), str(pattern)), value):
            return False
    return True


def _count_ok(count: object, n: int) -> bool:
    text = str(count)
    if text.startswith(">"):
        return n >= int(text[1:])
    if text.startswith("<"):
        return n <= int(text[1:])
    return n == int(text)


def check_entry(entry: dict, msgs: list[Msg], subst: dict[str, str] | None = None) -> str:
    """One `ami-events` / `ami-config` entry: events matching the conditions all meet the requirements
    (a list of requirements = ordered, one per matching event), in the stated count."""
    subst = subst or {}
    cond = entry["conditions"]["match"]
    hits = [m for m in msgs if _matches(m, cond, subst)]
    req = entry.get("requirements")
    if isinstance(req, list):
        assert len(hits) >= len(req), f"{cond}: {len(hits)} events, {len(req)} ordered requirements"
        for m, r in zip(hits, req, strict=False):
            assert _matches(m, r["match"], subst), f"{cond}: {m.headers} fails {r['match']}"
    elif req:
        for m in hits:
            assert _matches(m, req["match"], subst), f"{cond}: {m.headers} fails {req['match']}"
    if "count" in entry:
        assert _count_ok(entry["count"], len(hits)), f"{cond}: count {len(hits)} vs {entry['count']}"
    return f"{cond} x{len(hits)} ok"


def ami_event_entries(doc: dict, section: str) -> list[dict]:
    out = []
    for item in doc[section]:
        ev = item.get("ami-events") if "ami-events" in item else item
        if ev is None:
            continue
        out += ev if isinstance(ev, list) else [ev]
    return [e for e in out if "conditions" in e]


async def _started(**kw) -> PbxSimulator:
    sim = PbxSimulator(make_config(**kw))
    await sim.start()
    return sim


def entries_for(corpus: Path, name: str, section: str, events: set[str]) -> list[dict]:
    found = [e for e in ami_event_entries(load(corpus, name), section) if e["conditions"]["match"]["Event"] in events]
    assert found, name
    return found


async def test_async_originate_failure_expectations(corpus):
    """res_pjsip_maintenance / secure calling: an Originate to an endpoint that cannot be reached answers
    Success at once, then OriginateResponse Response: Failure with the caller's ActionID and Channel."""
    sim = await _started(endpoints=[Endpoint("alice", registered=False), Endpoint("pbx-ast2")])
    ami = await RawAmi.open(sim.port)
    try:
        queued = await ami.request("Originate", ActionID="maint-outbound-01", Channel="PJSIP/alice",
                                   Context="default", Exten="s", Priority="1", Async="yes")
        assert (queued["Response"], queued["Message"]) == ("Success", "Originate successfully queued")
        await ami.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == "maint-outbound-01")
        name = "channels__pjsip__maintenance__outbound_blocking.yaml"
        for entry in entries_for(corpus, name, "ami-config", {"OriginateResponse"}):
            print(name, check_entry(entry, ami.messages))

        sim.set_endpoint_state("pbx-ast2", "unreachable")
        mark = len(ami.messages)
        ami.send("Originate", Channel="PJSIP/bob@pbx-ast2", Context="default", Exten="start", Priority="1",
                 Async="True")
        await ami.wait_for(lambda m: m.event == "OriginateResponse" and m.get("Channel") == "PJSIP/bob@pbx-ast2")
        for name in ("channels__pjsip__secure_calling__calls__off-nominal__no_sips_ciphers_in_common.yaml",
                     "channels__pjsip__secure_calling__calls__off-nominal__sips_verify_failure.yaml"):
            for entry in entries_for(corpus, name, "ami-config", {"OriginateResponse"}):
                print(name, check_entry(entry, ami.messages[mark:]))
        failed = ami.events("OriginateResponse")
        assert [(m["Reason"], m["Uniqueid"]) for m in failed] == [("0", "<null>")] * 2
    finally:
        await ami.close()
        await sim.stop()


async def test_registration_and_qualify_expectations(corpus):
    eps = [Endpoint("alice", registered=False), Endpoint("checked", registered=False),
           Endpoint("user1", registered=False, contact_uri="sip:user1@127.0.0.1:5061",
                    user_agent="SIPP-Test-Registration"),
           Endpoint("q", registered=False, contact_uri="sip:127.0.0.1:5061")]
    sim = await _started(endpoints=eps)
    ami = await RawAmi.open(sim.port)
    wanted = {"ContactStatus", "PeerStatus", "ContactStatusDetail", "ContactStatusDetailComplete"}

    async def scenario(name: str, section: str, act) -> None:
        mark = len(ami.messages)
        await act()
        await ami.request("Ping")  # everything the step caused has reached us
        for entry in entries_for(corpus, name, section, wanted):
            print(name, check_entry(entry, ami.messages[mark:]))

    async def register_user1_and_list() -> None:
        sim.set_registered("user1", True)
        await ami.list_request("PJSIPShowRegistrationInboundContactStatuses", "ContactStatusDetailComplete",
                               ActionID="12345")

    async def alice_comes_and_goes() -> None:
        sim.set_registered("alice", True)
        sim.set_registered("alice", False)

    async def register(name: str) -> None:
        sim.set_registered(name, True)

    async def q_stops_answering() -> None:
        sim.set_endpoint_state("q", "unreachable")

    try:
        await scenario("channels__pjsip__ami__show_registration_inbound_contact_statuses.yaml", "ami-config",
                       register_user1_and_list)
        await scenario("channels__pjsip__registration__inbound__nominal__regcontext.yaml", "ami-config",
                       alice_comes_and_goes)
        await scenario("channels__pjsip__dialplan_functions__chan_is_avail.yaml", "ami-config",
                       lambda: register("checked"))
        await scenario("channels__pjsip__qualify__basic.yaml", "ami-config-13.5", lambda: register("q"))
        await scenario("channels__pjsip__qualify__qualify_timeout.yaml", "ami-config-13.5", q_stops_answering)
    finally:
        await ami.close()
        await sim.stop()


async def test_busy_expectations(corpus):
    """bob_is_busy: four Originates to PJSIP endpoints answering 486 → HangupRequest and Hangup 17."""
    names = ["bob-ipv4-udp", "bob-ipv4-tcp", "bob-ipv6-udp", "bob-ipv6-tcp"]
    sim = await _started(endpoints=[Endpoint(n) for n in names])
    ami = await RawAmi.open(sim.port)
    try:
        for n in names:
            sim.script(n, "busy", ring_s=0.5)
            ami.send("Originate", Channel=f"PJSIP/{n}", Context="default", Exten="playback", Priority="1",
                     Async="True")
        for n in names:
            await ami.wait_for(lambda m, n=n: m.event == "Hangup" and m["Channel"].startswith(f"PJSIP/{n}-"))
        doc = load(corpus, "channels__pjsip__basic_calls__outgoing__off-nominal__bob_is_busy.yaml")
        for entry in doc["ami-config"]:
            print(check_entry(entry, ami.messages))
        assert [m["Reason"] for m in ami.events("OriginateResponse")] == ["5"] * 4
    finally:
        await ami.close()
        await sim.stop()


async def _congested_call(sim: PbxSimulator, ami: RawAmi, number: str, endpoint: str, **extra: str) -> None:
    sim.script(number, "congestion")
    cid = f"cong-{number}-{endpoint}"
    ami.send("Originate", ChannelId=cid, Channel=f"Local/{number}@default", Variable=f"VSSD_SLOT={endpoint}",
             Application="Echo", Async="True", **extra)
    await ami.wait_for(lambda m: m.event == "Cdr" and m["Channel"].startswith(f"Local/{number}@default-"))


async def test_congestion_expectations(corpus):
    """dial_congestion: SIP 503 → cause 34, DialEnd CONGESTION, CDR FAILED (the testsuite's hangup handler
    UserEvent is raised too when `hangup_cause_user_events` is on, as their dialplan does)."""
    sim = await _started(endpoints=[Endpoint("bob"), Endpoint("test")], hangup_cause_user_events=True)
    ami = await RawAmi.open(sim.port)
    try:
        await _congested_call(sim, ami, "s", "bob")
        doc = load(corpus, "apps__dial__dial_congestion.yaml")
        subst = {"bob": "s@bob"}  # their Dial(PJSIP/bob) vs our Dial(PJSIP/${EXTEN}@${VSSD_SLOT})
        for entry in doc["ami-config-12"]:
            print(check_entry(entry, ami.messages, subst))
        cdr_line = doc["cdr-config-12"][0]["lines"][0]
        cdr = ami.events("Cdr")[-1]
        for key, pattern in cdr_line.items():
            assert re.match(pattern, cdr[CDR_FIELDS[key]]), (key, pattern, cdr[CDR_FIELDS[key]])
        hangups = {m["Channel"].split("-")[0]: m["Cause"] for m in ami.events("Hangup")}
        assert hangups["PJSIP/bob"] == "34"
        assert ami.events("OriginateResponse")[-1]["Reason"] == "8"

        await _congested_call(sim, ami, "1", "test", Account="cdrtest_local")
        line = load(corpus, "cdr__console_dial_sip_congestion.yaml")["cdr-config"][0]["lines"][0]
        cdr = ami.events("Cdr")[-1]
        for key, pattern in line.items():
            assert re.match(pattern, cdr[CDR_FIELDS[key]]), (key, pattern, cdr[CDR_FIELDS[key]])
        await asyncio.sleep(0)
    finally:
        await ami.close()
        await sim.stop()
