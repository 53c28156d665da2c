"""The simulator's ledger: every Originate, channel, action and hangup — the oracle tests assert on."""

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
    kind: str  # local1 | local2 | slot | inbound
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
class Ledger:
    originates: list[OriginateRecord] = field(default_factory=list)
    channels: dict[str, ChannelRecord] = field(default_factory=dict)
    actions: list[ActionRecord] = field(default_factory=list)
    hangups: list[tuple[str, int]] = field(default_factory=list)
    bridges: list[tuple[str, str, str]] = field(default_factory=list)
    redirects: list[tuple[str, str, str, str]] = field(default_factory=list)

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
        }
