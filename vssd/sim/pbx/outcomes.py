"""Outcome table (cause, DialStatus, OriginateResponse Reason, CDR disposition) and the seeded picker."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from vssd.sim.pbx.config import OUTCOMES, PbxConfig


@dataclass(frozen=True)
class OutcomeSpec:
    cause: int
    dial_status: str
    reason: int
    disposition: str
    rings: bool  # does the slot leg reach Ringing before the outcome
    tech_cause: str  # SIP response the slot leg's far end answered with


SPECS: dict[str, OutcomeSpec] = {
    "answered": OutcomeSpec(16, "ANSWER", 4, "ANSWERED", True, "SIP 200 OK"),
    "busy": OutcomeSpec(17, "BUSY", 5, "BUSY", True, "SIP 486 Busy Here"),
    "no_answer": OutcomeSpec(19, "NOANSWER", 3, "NO ANSWER", True, "SIP 480 Temporarily Unavailable"),
    "rejected": OutcomeSpec(21, "BUSY", 5, "BUSY", True, "SIP 603 Decline"),
    "congestion": OutcomeSpec(34, "CONGESTION", 8, "FAILED", False, "SIP 503 Service Unavailable"),
    "unavailable": OutcomeSpec(20, "CHANUNAVAIL", 0, "FAILED", False, ""),
}


@dataclass
class Plan:
    outcome: str
    ring_s: float
    talk_s: float


@dataclass
class Script:
    outcome: str
    ring_s: float | None = None
    talk_s: float | None = None


class OutcomePicker:
    """Deterministic per seed: draws happen in the order Originates arrive."""

    def __init__(self, config: PbxConfig) -> None:
        self._rng = random.Random(config.seed)
        self._cfg = config
        self.scripts: dict[str, Script] = {}

    def script(self, number: str, outcome: str | None, ring_s: float | None = None,
               talk_s: float | None = None) -> None:
        if outcome is None:
            self.scripts.pop(number, None)
            return
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        self.scripts[number] = Script(outcome, ring_s, talk_s)

    def _lognormal(self, mean: float, sigma: float = 0.5) -> float:
        mu = math.log(max(mean, 0.01)) - sigma * sigma / 2
        return self._rng.lognormvariate(mu, sigma)

    def _weighted(self) -> str:
        weights = [max(0.0, float(self._cfg.outcome_weights.get(o, 0))) for o in OUTCOMES]
        if sum(weights) <= 0:
            return "answered"
        return self._rng.choices(OUTCOMES, weights=weights)[0]

    def plan(self, number: str, timeout_s: float | None, reachable: bool) -> Plan:
        ring = self._lognormal(self._cfg.ring_mean_s)
        talk = self._lognormal(self._cfg.talk_mean_s)
        scripted = self.scripts.get(number)
        outcome = scripted.outcome if scripted else self._weighted()
        if scripted and scripted.ring_s is not None:
            ring = scripted.ring_s
        if scripted and scripted.talk_s is not None:
            talk = scripted.talk_s
        if not reachable:
            return Plan("unavailable", 0.0, 0.0)
        if outcome == "no_answer" and timeout_s is not None and (not scripted or scripted.ring_s is None):
            ring = timeout_s
        elif timeout_s is not None and ring >= timeout_s and not math.isinf(ring):  # HOLD rings until settle()
            # A random answer that would come after the ring timeout is, in reality, a no-answer.
            outcome = outcome if scripted or outcome != "answered" else "no_answer"
            ring = timeout_s if outcome == "no_answer" else timeout_s * 0.9
        if outcome == "congestion" and not math.isinf(ring):
            ring = min(ring, 0.2)
        return Plan(outcome, ring, talk)
