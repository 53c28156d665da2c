"""Listing actions (Status, CoreShowChannels, PJSIPShowEndpoint[s]) and the few CLI commands answered."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from vssd.sim.pbx.channel import SimChannel
from vssd.sim.pbx.wire import Action, Headers

if TYPE_CHECKING:
    from vssd.sim.pbx.session import AmiSession
    from vssd.sim.pbx.simulator import PbxSimulator


def _resp(a: Action, message: str) -> Headers:
    from vssd.sim.pbx.actions import resp

    return resp(a, "Success", message, [("EventList", "start")])


def _item(a: Action, event: str, headers: Headers) -> Headers:
    head: Headers = [("Event", event)]
    if a.action_id:
        head.append(("ActionID", a.action_id))
    return head + headers


def _complete(a: Action, event: str, count: int, extra: Headers | None = None) -> Headers:
    return _item(a, event, [("EventList", "Complete"), ("ListItems", str(count)), *(extra or [])])


def current_calls(sim: PbxSimulator) -> int:
    return len({ch.linkedid for ch in sim.core.channels.values()})


def _duration(sim: PbxSimulator, ch: SimChannel) -> int:
    return max(0, int(sim.clock.now() - ch.created_at))


async def status(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    wanted = a.get("Channel")
    chans = [c for c in sim.core.channels.values() if not wanted or wanted in (c.name, c.uniqueid)]
    if wanted and not chans:
        from vssd.sim.pbx.actions import resp

        s.send(resp(a, "Error", "No such channel"))
        return
    s.send(_resp(a, "Channel status will follow"))
    for ch in chans:
        s.send(_item(a, "Status", [
            *ch.snapshot(), ("Type", "Local" if ch.name.startswith("Local/") else "PJSIP"), ("DNID", ""),
            ("EffectiveConnectedLineNum", ch.conn_num), ("EffectiveConnectedLineName", ch.conn_name),
            ("TimeToHangup", "0"), ("BridgeID", ch.bridge_id), ("Application", ch.application or "AppDial"),
            ("Data", ch.app_data or "(Outgoing Line)"), ("Nativeformats", "(alaw)"), ("Readformat", "alaw"),
            ("Readtrans", ""), ("Writeformat", "alaw"), ("Writetrans", ""), ("Callgroup", "0"),
            ("Pickupgroup", "0"), ("Seconds", str(_duration(sim, ch))),
        ]))
    s.send(_complete(a, "StatusComplete", len(chans), [("Items", str(len(chans)))]))


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


async def core_show_channels(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    chans = list(sim.core.channels.values())
    s.send(_resp(a, "Channels will follow"))
    for ch in chans:
        s.send(_item(a, "CoreShowChannel", [
            *ch.snapshot(), ("BridgeId", ch.bridge_id), ("Application", ch.application or "AppDial"),
            ("ApplicationData", ch.app_data or "(Outgoing Line)"), ("Duration", _hms(_duration(sim, ch))),
        ]))
    s.send(_complete(a, "CoreShowChannelsComplete", len(chans)))


def _device_state(sim: PbxSimulator, name: str) -> str:
    ep = sim.config.endpoint(name)
    if ep is None or sim.endpoint_state(name) != "registered":
        return "Unavailable"
    legs = [c for c in sim.core.channels.values() if c.name.startswith(f"PJSIP/{name}-")]
    if any(c.state == 6 for c in legs):
        return "In use"
    return "Ringing" if legs else "Not in use"


async def pjsip_show_endpoints(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    eps = sim.config.all_endpoints()
    s.send(_resp(a, "A listing of Endpoints follows, presence information not available"))
    for ep in eps:
        contacts = f"{ep.name}/{ep.uri}," if sim.endpoint_state(ep.name) != "unregistered" else ""
        active = sum(1 for c in sim.core.channels.values() if c.name.startswith(f"PJSIP/{ep.name}-"))
        s.send(_item(a, "EndpointList", [
            ("ObjectType", "endpoint"), ("ObjectName", ep.name), ("Transport", "transport-udp"),
            ("Aor", ep.name), ("Auths", ep.name), ("OutboundAuths", ""), ("Contacts", contacts),
            ("DeviceState", _device_state(sim, ep.name)), ("ActiveChannels", str(active)),
        ]))
    s.send(_complete(a, "EndpointListComplete", len(eps)))


async def pjsip_show_endpoint(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    from vssd.sim.pbx.actions import resp

    name = a.get("Endpoint")
    ep = sim.config.endpoint(name)
    if ep is None:
        s.send(resp(a, "Error", f"Unable to retrieve endpoint {name}"))
        return
    s.send(_resp(a, "Following are Events for each object associated with the the Endpoint"))
    state = sim.endpoint_state(name)
    registered = state != "unregistered"
    items = [
        _item(a, "EndpointDetail", [
            ("ObjectType", "endpoint"), ("ObjectName", name), ("Context", ep.context), ("Aors", name),
            ("Auth", name), ("Transport", "transport-udp"), ("Allow", "(alaw|ulaw)"), ("DtmfMode", "rfc4733"),
            ("Callerid", f"<{name}>"), ("DeviceState", _device_state(sim, name)), ("ActiveChannels", ""),
        ]),
        _item(a, "AuthDetail", [("ObjectType", "auth"), ("ObjectName", name), ("Username", name),
                                ("AuthType", "userpass"), ("Realm", "asterisk"), ("EndpointName", name)]),
        _item(a, "AorDetail", [
            ("ObjectType", "aor"), ("ObjectName", name), ("QualifyFrequency", "60"), ("MaxContacts", "1"),
            ("Contacts", f"{name}/{ep.uri}" if registered else ""), ("TotalContacts", str(int(registered))),
            ("ContactsRegistered", str(int(registered))), ("EndpointName", name),
        ]),
    ]
    if registered:
        status_word = "Reachable" if state == "registered" else "Unreachable"
        items.append(_item(a, "ContactStatusDetail", [
            ("AOR", name), ("URI", ep.uri), ("Status", status_word),
            ("RoundtripUsec", "1500" if status_word == "Reachable" else "N/A"), ("EndpointName", name)]))
    for item in items:
        s.send(item)
    s.send(_complete(a, "EndpointDetailComplete", len(items)))


async def pjsip_show_registration_inbound_contact_statuses(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    s.send(_resp(a, "Following are ContactStatusEvents for each Inbound registration"))
    items = 0
    for ep in sim.config.all_endpoints():
        if sim.endpoint_state(ep.name) == "unregistered":
            continue
        host = ep.uri.split("@", 1)[-1].removeprefix("sip:").split(";")[0]
        reachable = sim.endpoint_state(ep.name) == "registered"
        s.send(_item(a, "ContactStatusDetail", [
            ("AOR", ep.name), ("URI", ep.uri), ("UserAgent", ep.user_agent),
            ("RegExpire", str(int(sim.clock.now()) + 3600)),
            ("ViaAddress", host), ("CallID", f"{ep.name}-{int(sim.core.startup_at)}@vssd-sim"),
            ("Status", "Reachable" if reachable else "Unreachable"), ("RoundtripUsec", "1500" if reachable else "N/A"),
            ("EndpointName", ep.name), ("ID", f"{ep.name};@{hashlib.md5(ep.uri.encode()).hexdigest()[:32]}"),
            ("AuthenticateQualify", "0"), ("OutboundProxy", ""), ("Path", ""), ("QualifyFrequency", "60"),
            ("QualifyTimeout", "3.000"),
        ]))
        items += 1
    s.send(_complete(a, "ContactStatusDetailComplete", items))


def cli_command(sim: PbxSimulator, cmd: str) -> list[str] | None:
    cfg = sim.config
    words = cmd.lower().split()
    if words == ["core", "show", "version"]:
        built = sim.clock.fmt(sim.core.startup_at)
        return [f"Asterisk {cfg.version} built by vssd @ {cfg.system_name} on a x86_64 running Linux on {built} UTC"]
    if words == ["core", "show", "channels", "count"] or words == ["core", "show", "calls"]:
        return [f"{len(sim.core.channels)} active channels", f"{current_calls(sim)} active calls"]
    if words == ["core", "show", "uptime"]:
        up = int(sim.clock.now() - sim.core.startup_at)
        return [f"System uptime: {up} seconds", f"Last reload: {up} seconds"]
    return None
