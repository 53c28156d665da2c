"""Configuration of the PBX simulator: slot and operator endpoints, credentials, clock and the seeded outcome mix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict, Unpack

OUTCOMES = ("answered", "busy", "no_answer", "rejected", "congestion", "unavailable")

DEFAULT_WEIGHTS = {"answered": 5, "busy": 2, "no_answer": 2, "rejected": 1, "congestion": 1, "unavailable": 0}
AGENT_CONTEXT = "vssd-agent"  # where operators' pre-connected channels wait to be bridged
ABANDON_CONTEXT = "vssd-abandon"  # plays the campaign's recorded message, then hangs the call up


@dataclass
class Endpoint:
    """A PJSIP endpoint (one slot's SIP leg). `state` is registered / unregistered / unreachable."""

    name: str
    registered: bool = True
    contact_uri: str | None = None
    context: str = "from-slot"
    user_agent: str = "VSSD-Slot"

    @property
    def uri(self) -> str:
        return self.contact_uri or f"sip:{self.name}@127.0.0.1:5060"


class EndpointFields(TypedDict, total=False):
    """The `Endpoint` fields other than its name, as `parse_endpoints` passes them on."""

    registered: bool
    contact_uri: str | None
    context: str
    user_agent: str


def parse_endpoints(spec: str, **fields: Unpack[EndpointFields]) -> list[Endpoint]:
    """'6001-6008,7001' → Endpoint objects; ranges are inclusive and keep the width of their start."""
    out: list[Endpoint] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, sep, hi = part.partition("-")
        if sep and lo.isdigit() and hi.isdigit():
            out += [Endpoint(str(n).zfill(len(lo)), **fields) for n in range(int(lo), int(hi) + 1)]
        else:
            out.append(Endpoint(part, **fields))
    return out


def validate_weights(weights: dict[str, float]) -> dict[str, float]:
    """Outcome weights as given (non-negative numbers for known outcomes); ValueError otherwise."""
    unknown = set(weights) - set(OUTCOMES)
    if unknown:
        raise ValueError(f"unknown outcomes in outcome_weights: {sorted(unknown)}")
    out: dict[str, float] = {}
    for name, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"weight of {name!r} must be a number >= 0, not {value!r}")
        out[name] = float(value)
    return out


@dataclass
class PbxConfig:
    username: str = "vssd"
    secret: str = "vssd-sim-secret"
    seed: int = 0
    time_scale: float = 50.0
    endpoints: list[Endpoint] = field(default_factory=list)
    # Operator phones: PJSIP endpoints that answer at once. A spec string ("1001-1020") is accepted too.
    agent_endpoints: list[Endpoint] | str = field(default_factory=list)
    outcome_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    ring_mean_s: float = 8.0
    talk_mean_s: float = 30.0
    abandon_message_s: float = 8.0  # simulated length of the recorded message played in vssd-abandon
    system_name: str = "vssd-sim"
    version: str = "20.5.0-vssd-sim"
    ami_version: str = "7.0.3"
    # The simulated vssd-out dialplan runs a hangup handler that raises UserEvent HangupCause on a failed
    # dial, as the Asterisk testsuite's dialplans do; off by default (real vssd dialplans need not do it).
    hangup_cause_user_events: bool = False
    # Asterisk 12+ gives the channels of a bridge the oldest linkedid among them. Off by default: vssd's call
    # tracking and these tests key calls by the Originate's ChannelId; on, an operator bridged to a call passes
    # its (older) linkedid to the call's ;1 — as a real PBX does.
    propagate_linkedid: bool = False
    # Per-client outgoing buffer in messages; a client that falls this far behind is disconnected.
    client_queue_limit: int = 200_000

    def __post_init__(self) -> None:
        validate_weights(self.outcome_weights)
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if self.abandon_message_s < 0:
            raise ValueError("abandon_message_s must be >= 0")
        if isinstance(self.agent_endpoints, str):
            self.agent_endpoints = parse_endpoints(self.agent_endpoints, context="from-agent",
                                                   user_agent="VSSD-Operator")
        clash = {e.name for e in self.endpoints} & {e.name for e in self.agents}
        if clash:
            raise ValueError(f"endpoints both slot and agent: {sorted(clash)}")

    @property
    def agents(self) -> list[Endpoint]:
        return self.agent_endpoints if isinstance(self.agent_endpoints, list) else []

    def all_endpoints(self) -> list[Endpoint]:
        """Slot endpoints, then operator endpoints (listings show both, as Asterisk would)."""
        return [*self.endpoints, *self.agents]

    def is_agent(self, name: str) -> bool:
        return any(ep.name == name for ep in self.agents)

    def endpoint(self, name: str) -> Endpoint | None:
        for ep in self.all_endpoints():
            if ep.name == name:
                return ep
        return None

    def endpoint_context(self, name: str) -> str:
        ep = self.endpoint(name)
        return ep.context if ep else "from-slot"
