"""What the tracker knows about a call attempt: its legs, timeline and outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from vssd.calls.outcomes import Outcome

SIDE_A = "a"  # the party that started the call (a phone, or the channel an Originate reached first)
SIDE_B = "b"  # the party dialled from side A (the callee)


@dataclass(slots=True)
class Leg:
    uniqueid: str
    channel: str = ""
    linkedid: str = ""
    side: str = ""
    dialed_by: str | None = None  # uniqueid of the channel whose Dial created this leg ("" = an Originate)
    partner: str | None = None  # the other half of a Local channel pair
    created_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    cause: int | None = None
    cause_txt: str = ""
    dial_status: str = ""
    caller_num: str = ""
    caller_name: str = ""
    exten: str = ""

    @property
    def is_local(self) -> bool:
        return self.channel.startswith("Local/")

    @property
    def local_half(self) -> int:
        if self.is_local and self.channel[-2:-1] == ";":
            return int(self.channel[-1]) if self.channel[-1] in "12" else 0
        return 0

    @property
    def live(self) -> bool:
        return self.ended_at is None


@dataclass(slots=True)
class Attempt:
    """What vssd itself asked for: an Originate with pre-assigned ids."""

    action_id: str
    channel_id: str
    other_channel_id: str = ""
    number: str = ""
    endpoint: str = ""
    customer_side: str = SIDE_A
    response: str = ""  # "", "Success" or "Failure" (OriginateResponse)
    reason: int | None = None
    queued: bool = False  # the PBX acknowledged the action ("Originate successfully queued")
    sent_at: float = 0.0  # our clock; event times come from the PBX (Timestamp header) when it sends them


@dataclass(slots=True)
class DialRequest:
    """One call vssd wants dialled through a slot's SIP leg."""

    number: str
    endpoint: str
    ring_timeout_s: float = 30.0
    caller_id: str = ""
    action_id: str = ""
    context: str = "vssd-connect"
    exten: str = "s"


@dataclass(slots=True)
class Dial:
    source: str  # "" when the Originate itself dialled
    dest: str
    status: str = ""


@dataclass(slots=True)
class Call:
    call_id: str
    root: str
    legs: dict[str, Leg] = field(default_factory=dict)
    dials: list[Dial] = field(default_factory=list)
    attempt: Attempt | None = None
    started_at: float | None = None
    ringing_at: float | None = None
    answered_at: float | None = None
    bridged_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None
    cause: int | None = None
    cause_txt: str = ""
    answer_evidence: str = ""
    note: str = ""
    cdr: dict[str, str] = field(default_factory=dict)
    inbound: bool = False  # a call that arrived on one of vssd's own slot legs: its caller is the customer
    operator_id: str | None = None  # the operator (user id) a campaign call is bridged to, set by the dialer

    @property
    def customer_side(self) -> str:
        if self.attempt is not None:
            return self.attempt.customer_side
        return SIDE_A if self.inbound else SIDE_B

    @property
    def live_legs(self) -> int:
        return sum(1 for leg in self.legs.values() if leg.ended_at is None)

    @property
    def hangup_channel(self) -> str | None:
        """The channel to hang up to end the call: its first live leg (the PBX tears the rest down with it);
        None when no leg is live."""
        return next((leg.channel for leg in self.legs.values() if leg.live), None)

    @property
    def connect_channel(self) -> str | None:
        """The channel running the connect dialplan — what Bridge (to an operator) and Redirect (to the abandon
        message or another extension) move: for an Originate, the ;1 half of its Local channel (`ChannelId`; the
        ;2 half runs `vssd-out`'s Dial, bridged to the customer's slot leg); for a call vssd did not originate,
        its first live leg. None when that channel is gone."""
        if self.attempt is not None:
            leg = self.legs.get(self.attempt.channel_id)
            return leg.channel if leg is not None and leg.live else None
        return self.hangup_channel

    @property
    def ring_s(self) -> float | None:
        start = self.started_at
        end = self.answered_at if self.answered_at is not None else self.ended_at
        if start is None or end is None:
            return None
        return round(max(0.0, end - start), 3)

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return round(max(0.0, self.ended_at - self.answered_at), 3)

    def customer_legs(self) -> list[Leg]:
        side = self.customer_side
        return [leg for leg in self.legs.values() if leg.side == side and not leg.is_local]

    @property
    def phone_number(self) -> str:
        """The number dialled (outbound) or the extension the first leg reached."""
        return self._number()

    def _number(self) -> str:
        if self.attempt is not None:
            return self.attempt.number
        root = self.legs.get(self.root)
        return root.exten if root else ""

    def as_dict(self) -> dict[str, object]:
        cust = self.customer_legs()
        first = cust[0] if cust else self.legs.get(self.root)
        return {
            "call_id": self.call_id,
            "action_id": self.attempt.action_id if self.attempt else None,
            "uniqueids": list(self.legs),
            "linkedid": self.legs[self.root].linkedid if self.root in self.legs else "",
            "channel": first.channel if first else "",
            "caller": self.legs[self.root].caller_num if self.root in self.legs else "",
            "number": self._number(),
            "endpoint": self.attempt.endpoint if self.attempt else "",
            "outcome": str(self.outcome) if self.outcome else None,
            "cause": self.cause,
            "cause_txt": self.cause_txt,
            "answer_evidence": self.answer_evidence or None,
            "started_at": self.started_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "ring_s": self.ring_s,
            "talk_s": self.talk_s,
            "note": self.note or None,
        }
