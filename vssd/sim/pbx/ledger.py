"""The simulator's ledger: every Originate, channel, action and hangup, operator sessions, their bridges and the
abandon messages played — the oracle tests assert on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class OriginateRecord:
    action_id: str
    channel_id: str
    other_channel_id: str
    endpoint: str
    number: str
    async_: bool
    received_at: float
    client_id: int
    outcome: str | None = None
    cause: int | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    channel: str = ""


@dataclass
class ChannelRecord:
    uniqueid: str
    name: str
    linkedid: str
    created_at: float
    kind: str  # local1 | local2 | slot | inbound | agent
    hungup_at: float | None = None
    cause: int | None = None


@dataclass
class ActionRecord:
    client_id: int
    name: str
    action_id: str
    headers: dict[str, str]
    at: float
    ignored: bool = False


@dataclass
class AgentSessionRecord:
    """An operator's pre-connected line (Originate to an agent endpoint). Never in `originates`: it draws no
    outcome. outcome: up (answered, waiting or talking) | unavailable (not registered) | lost_in_restart."""

    channel_id: str
    endpoint: str
    action_id: str
    requested_at: float
    client_id: int
    channel: str = ""
    outcome: str | None = None
    up_at: float | None = None
    ended_at: float | None = None
    cause: int | None = None


@dataclass
class AgentBridgeRecord:
    """An operator bridged to a call by the Bridge action. `call_channel_id` is the call's id (its Originate's
    ChannelId, or an inbound channel's Uniqueid); `answer_to_bridge_s` = at − the call's answer time."""

    bridge_id: str
    call_channel_id: str
    agent_channel_id: str
    agent_endpoint: str
    at: float
    call_answered_at: float | None
    answer_to_bridge_s: float | None
    left_at: float | None = None


@dataclass
class AbandonRecord:
    """The abandon message played on an answered call (Redirect to vssd-abandon). `completed` is False when the
    caller or a Hangup action ended the call before the message did."""

    channel_id: str
    redirected_channel: str
    at: float
    duration_s: float
    ended_at: float | None = None
    completed: bool = False


@dataclass
class Ledger:
    originates: list[OriginateRecord] = field(default_factory=list)
    channels: dict[str, ChannelRecord] = field(default_factory=dict)
    actions: list[ActionRecord] = field(default_factory=list)
    hangups: list[tuple[str, int]] = field(default_factory=list)
    bridges: list[tuple[str, str, str]] = field(default_factory=list)
    redirects: list[tuple[str, str, str, str]] = field(default_factory=list)
    agent_sessions: list[AgentSessionRecord] = field(default_factory=list)
    agent_bridges: list[AgentBridgeRecord] = field(default_factory=list)
    abandons: list[AbandonRecord] = field(default_factory=list)
    weight_changes: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    open_agent_bridges: dict[str, list[AgentBridgeRecord]] = field(default_factory=dict, repr=False)

    def agent_bridge_opened(self, rec: AgentBridgeRecord) -> None:
        self.agent_bridges.append(rec)
        self.open_agent_bridges.setdefault(rec.bridge_id, []).append(rec)

    def bridge_closed(self, bridge_id: str, at: float) -> None:
        for rec in self.open_agent_bridges.pop(bridge_id, []):
            rec.left_at = at

    def originate_by_action(self, action_id: str) -> OriginateRecord | None:
        for rec in reversed(self.originates):
            if rec.action_id == action_id:
                return rec
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "originates": [asdict(o) for o in self.originates],
            "channels": [asdict(c) for c in self.channels.values()],
            "actions": [asdict(a) for a in self.actions],
            "hangups": [list(h) for h in self.hangups],
            "bridges": [list(b) for b in self.bridges],
            "redirects": [list(r) for r in self.redirects],
            "agent_sessions": [asdict(a) for a in self.agent_sessions],
            "agent_bridges": [asdict(b) for b in self.agent_bridges],
            "abandons": [asdict(a) for a in self.abandons],
            "weight_changes": [[at, w] for at, w in self.weight_changes],
        }
