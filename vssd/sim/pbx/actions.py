"""AMI action handlers (Asterisk 13+ replies). Each takes the simulator, the session and the action."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from vssd.sim.pbx import listings
from vssd.sim.pbx.agents import record_bridge
from vssd.sim.pbx.calls import Interruptible
from vssd.sim.pbx.config import ABANDON_CONTEXT
from vssd.sim.pbx.ledger import AbandonRecord
from vssd.sim.pbx.originate import originate
from vssd.sim.pbx.wire import Action, Headers

if TYPE_CHECKING:
    from vssd.sim.pbx.channel import SimChannel
    from vssd.sim.pbx.session import AmiSession
    from vssd.sim.pbx.simulator import PbxSimulator

Handler = Callable[["PbxSimulator", "AmiSession", Action], Awaitable[None]]
EVENT_CLASSES = {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf",
                 "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security",
                 "message"}


def resp(a: Action, status: str = "Success", message: str | None = None, extra: Headers | None = None) -> Headers:
    out: Headers = [("Response", status)]
    if a.action_id:
        out.append(("ActionID", a.action_id))
    if message is not None:
        out.append(("Message", message))
    return out + (extra or [])


def parse_mask(value: str) -> set[str] | None:
    v = value.strip().lower()
    if v in ("on", "yes", "true", "all", "1"):
        return None
    if v in ("off", "no", "false", "0", ""):
        return set()
    return {c.strip() for c in v.split(",") if c.strip() in EVENT_CLASSES}


async def login(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    cfg = sim.config
    ok = a.get("Username") == cfg.username
    if a.get("AuthType").lower() == "md5":
        expected = hashlib.md5((s.challenge + cfg.secret).encode()).hexdigest()
        ok = ok and bool(s.challenge) and a.get("Key").lower() == expected
    else:
        ok = ok and secrets.compare_digest(a.get("Secret"), cfg.secret)
    if not ok:
        s.send(resp(a, "Error", "Authentication failed"))
        await s.close_after_flush()
        return
    s.authenticated, s.username = True, a.get("Username")
    if a.get("Events"):
        s.event_classes = parse_mask(a.get("Events"))
    s.send(resp(a, "Success", "Authentication accepted"))
    if s.accepts("system"):
        uptime = int(sim.clock.now() - sim.core.startup_at)
        s.send([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", str(uptime)),
                ("LastReload", str(uptime)), ("Status", "Fully Booted")])


async def challenge(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    if a.get("AuthType").lower() != "md5":
        s.send(resp(a, "Error", "Must specify AuthType"))
        return
    s.challenge = str(sim.rng_challenge())
    s.send(resp(a, extra=[("Challenge", s.challenge)]))


async def logoff(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    s.send(resp(a, "Goodbye", "Thanks for all the fish."))
    await s.close_after_flush()


async def ping(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    s.send(resp(a, extra=[("Ping", "Pong"), ("Timestamp", f"{sim.clock.now():.6f}")]))


async def events(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    s.event_classes = parse_mask(a.get("EventMask"))
    s.send(resp(a, extra=[("Events", "Off" if s.event_classes == set() else "On")]))


async def filter_(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    expr = a.get("Filter")
    if not expr:
        s.send(resp(a, "Error", "Filter Must Be Specified"))
        return
    try:
        re.compile(expr.lstrip("!"))
    except re.error:
        s.send(resp(a, "Error", "Filter Not Added"))
        return
    s.filters.append(expr)
    s.send(resp(a, "Success", "Filter Added Successfully"))


async def core_settings(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    cfg = sim.config
    s.send(resp(a, extra=[
        ("AMIversion", cfg.ami_version), ("AsteriskVersion", cfg.version), ("SystemName", cfg.system_name),
        ("CoreMaxCalls", "0"), ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", "asterisk"),
        ("CoreRunGroup", "asterisk"), ("CoreMaxFilehandles", "0"), ("CoreRealTimeEnabled", "No"),
        ("CoreCDRenabled", "Yes"), ("CoreHTTPenabled", "No"),
    ]))


async def core_status(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    start, reload = sim.core.startup_at, sim.core.reload_at
    fmt = sim.clock.fmt
    s.send(resp(a, extra=[
        ("CoreStartupDate", fmt(start)[:10]), ("CoreStartupTime", fmt(start)[11:]),
        ("CoreReloadDate", fmt(reload)[:10]), ("CoreReloadTime", fmt(reload)[11:]),
        ("CoreCurrentCalls", str(listings.current_calls(sim))),
    ]))


async def command(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    lines = listings.cli_command(sim, a.get("Command").strip())
    if lines is None:
        cmd = a.get("Command")
        s.send(resp(a, "Error", "Command output follows", [
            ("Output", f"No such command '{cmd}' (type 'core show help {cmd}' for other possible commands)")]))
        return
    s.send(resp(a, "Success", "Command output follows", [("Output", line) for line in lines]))


async def hangup(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    target = a.get("Channel")
    if not target:
        s.send(resp(a, "Error", "No channel specified"))
        return
    cause = int(a.get("Cause") or 16) if (a.get("Cause") or "16").isdigit() else 16
    if len(target) > 2 and target.startswith("/") and target.endswith("/"):
        try:
            rx = re.compile(target[1:-1])
        except re.error:
            s.send(resp(a, "Error", "Invalid regex"))
            return
        hits = [ch for ch in list(sim.core.channels.values()) if rx.search(ch.name)]
        for hit in hits:
            sim.request_hangup(hit, cause)
        s.send(resp(a, "Success", f"{len(hits)} channels hung up."))
        return
    ch = sim.core.find(target)
    if ch is None:
        s.send(resp(a, "Error", "No such channel"))
        return
    sim.request_hangup(ch, cause)
    s.send(resp(a, "Success", "Channel Hungup"))


async def redirect(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    ch = sim.core.find(a.get("Channel"))
    if ch is None:
        s.send(resp(a, "Error", "Channel does not exist: " + a.get("Channel")))
        return
    context, exten = a.get("Context") or ch.context, a.get("Exten")
    if not exten:
        s.send(resp(a, "Error", "Exten not specified"))
        return
    call = ch.call if isinstance(ch.call, Interruptible) else None
    abandon = context == ABANDON_CONTEXT
    if abandon and (call is None or not call.can_abandon()):
        # Only an answered call can hear the message; the simulated dialplan refuses the rest (see the docs).
        s.send(resp(a, "Error", "Redirect failed, channel not up."))
        return
    ch.context, ch.exten = context, exten
    ch.priority = int(a.get("Priority") or 1) if (a.get("Priority") or "1").isdigit() else 1
    if ch.bridge_id:
        sim.core.leave_bridge(ch)
    sim.ledger.redirects.append((ch.uniqueid, context, exten, str(ch.priority)))
    if abandon and call is not None:
        _start_abandon(sim, call, ch)
    s.send(resp(a, "Success", "Redirect successful"))


def _start_abandon(sim: PbxSimulator, call: Interruptible, ch: SimChannel) -> None:
    """vssd-abandon: Playback(<campaign message>) for abandon_message_s, then Hangup() (cause 16, all legs)."""
    rec = AbandonRecord(channel_id=call.call_id(ch), redirected_channel=ch.uniqueid, at=sim.clock.now(),
                        duration_s=sim.config.abandon_message_s)
    if call.request_abandon(ch, rec):
        sim.ledger.abandons.append(rec)
    ch.application, ch.app_data = "Playback", "vssd/abandon-message"


async def bridge(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    one, two = sim.core.find(a.get("Channel1")), sim.core.find(a.get("Channel2"))
    if one is None or two is None:
        missing = a.get("Channel1") if one is None else a.get("Channel2")
        s.send(resp(a, "Error", f"Channel1 does not exist: {missing}"))
        return
    if one is two:
        s.send(resp(a, "Error", "Unable to bridge a channel to itself"))
        return
    bridge_id = sim.core.bridge([one, two], dissolve=True)
    sim.ledger.bridges.append((bridge_id, one.uniqueid, two.uniqueid))
    record_bridge(sim.ledger, sim.clock, bridge_id, one, two)
    s.send(resp(a, "Success", "Channels have been bridged"))


HANDLERS: dict[str, Handler] = {
    "login": login,
    "challenge": challenge,
    "logoff": logoff,
    "ping": ping,
    "events": events,
    "filter": filter_,
    "coresettings": core_settings,
    "corestatus": core_status,
    "command": command,
    "hangup": hangup,
    "redirect": redirect,
    "bridge": bridge,
    "originate": originate,
    "status": listings.status,
    "coreshowchannels": listings.core_show_channels,
    "pjsipshowendpoints": listings.pjsip_show_endpoints,
    "pjsipshowendpoint": listings.pjsip_show_endpoint,
    "pjsipshowregistrationinboundcontactstatuses": listings.pjsip_show_registration_inbound_contact_statuses,
}
UNAUTHENTICATED = {"login", "challenge", "logoff"}
