"""Simulated channels and the AMI event bodies built from their snapshots (Asterisk 13+ header sets)."""

from __future__ import annotations

from dataclasses import dataclass

from vssd.sim.pbx.wire import Headers

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
CAUSE_TXT = {
    0: "Unknown",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "No answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    127: "Interworking, unspecified",
}
UNKNOWN = "<unknown>"


@dataclass
class SimChannel:
    name: str
    uniqueid: str
    linkedid: str
    kind: str
    context: str
    exten: str
    priority: int = 1
    state: int = 0
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    language: str = "en"
    accountcode: str = ""
    created_at: float = 0.0
    answered_at: float | None = None
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    call: object = None

    def snapshot(self, prefix: str = "") -> Headers:
        p = prefix
        return [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.cid_num),
            (f"{p}CallerIDName", self.cid_name),
            (f"{p}ConnectedLineNum", self.conn_num),
            (f"{p}ConnectedLineName", self.conn_name),
            (f"{p}Language", self.language),
            (f"{p}AccountCode", self.accountcode),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
        ]


@dataclass
class Event:
    """One AMI event: its class (for Events masks) and its ordered headers, Event/Privilege first."""

    name: str
    category: str
    headers: Headers

    def wire_headers(self, system_name: str) -> Headers:
        head: Headers = [("Event", self.name), ("Privilege", f"{self.category},all")]
        if system_name:
            head.append(("SystemName", system_name))
        return head + self.headers


def ev(name: str, headers: Headers, category: str = "call") -> Event:
    return Event(name, category, headers)


def newchannel(ch: SimChannel) -> Event:
    return ev("Newchannel", ch.snapshot())


def newstate(ch: SimChannel) -> Event:
    return ev("Newstate", ch.snapshot())


def newcallerid(ch: SimChannel) -> Event:
    return ev("NewCallerid", [*ch.snapshot(), ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])


def dial_begin(caller: SimChannel | None, dest: SimChannel, dialstring: str) -> Event:
    head = caller.snapshot() if caller else []
    return ev("DialBegin", [*head, *dest.snapshot("Dest"), ("DialString", dialstring)])


def dial_state(caller: SimChannel | None, dest: SimChannel, status: str) -> Event:
    head = caller.snapshot() if caller else []
    return ev("DialState", [*head, *dest.snapshot("Dest"), ("DialStatus", status)])


def dial_end(caller: SimChannel | None, dest: SimChannel, status: str) -> Event:
    head = caller.snapshot() if caller else []
    return ev("DialEnd", [*head, *dest.snapshot("Dest"), ("DialStatus", status)])


def hangup_request(ch: SimChannel, cause: int) -> Event:
    return ev("HangupRequest", [*ch.snapshot(), ("Cause", str(cause))])


def hangup(ch: SimChannel, cause: int) -> Event:
    return ev("Hangup", [*ch.snapshot(), ("Cause", str(cause)), ("Cause-txt", CAUSE_TXT.get(cause, "Unknown"))])


def local_bridge(one: SimChannel, two: SimChannel) -> Event:
    return ev(
        "LocalBridge",
        [*one.snapshot("LocalOne"), *two.snapshot("LocalTwo"), ("Context", one.context), ("Exten", one.exten),
         ("LocalOptimization", "No")],
    )


def bridge_headers(bridge_id: str, members: int) -> Headers:
    return [
        ("BridgeUniqueid", bridge_id),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(members)),
        ("BridgeVideoSourceMode", "none"),
    ]


def bridge_event(name: str, bridge_id: str, members: int, ch: SimChannel | None = None) -> Event:
    return ev(name, [*bridge_headers(bridge_id, members), *(ch.snapshot() if ch else [])])


def user_event(ch: SimChannel, user_event_name: str, extra: Headers) -> Event:
    return ev("UserEvent", [*ch.snapshot(), ("UserEvent", user_event_name), *extra], category="user")
