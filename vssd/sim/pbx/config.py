"""Configuration of the PBX simulator: endpoints, credentials, clock and the seeded outcome mix."""

from __future__ import annotations

from dataclasses import dataclass, field

OUTCOMES = ("answered", "busy", "no_answer", "rejected", "congestion", "unavailable")

DEFAULT_WEIGHTS = {"answered": 5, "busy": 2, "no_answer": 2, "rejected": 1, "congestion": 1, "unavailable": 0}


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


@dataclass
class PbxConfig:
    username: str = "vssd"
    secret: str = "vssd-sim-secret"
    seed: int = 0
    time_scale: float = 50.0
    endpoints: list[Endpoint] = field(default_factory=list)
    outcome_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    ring_mean_s: float = 8.0
    talk_mean_s: float = 30.0
    system_name: str = "vssd-sim"
    version: str = "20.5.0-vssd-sim"
    ami_version: str = "7.0.3"
    # The simulated vssd-out dialplan runs a hangup handler that raises UserEvent HangupCause on a failed
    # dial, as the Asterisk testsuite's dialplans do; off by default (real vssd dialplans need not do it).
    hangup_cause_user_events: bool = False
    # Per-client outgoing buffer in messages; a client that falls this far behind is disconnected.
    client_queue_limit: int = 200_000

    def __post_init__(self) -> None:
        unknown = set(self.outcome_weights) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"unknown outcomes in outcome_weights: {sorted(unknown)}")
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")

    def endpoint(self, name: str) -> Endpoint | None:
        for ep in self.endpoints:
            if ep.name == name:
                return ep
        return None

    def endpoint_context(self, name: str) -> str:
        ep = self.endpoint(name)
        return ep.context if ep else "from-slot"
