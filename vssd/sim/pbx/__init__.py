"""Protocol-faithful Asterisk AMI peer (Asterisk 18/20 with PJSIP) for vssd's tests, demo and benchmarks."""

from vssd.sim.pbx.calls import HOLD
from vssd.sim.pbx.config import OUTCOMES, Endpoint, PbxConfig
from vssd.sim.pbx.ledger import (
    AbandonRecord,
    ActionRecord,
    AgentBridgeRecord,
    AgentSessionRecord,
    ChannelRecord,
    Ledger,
    OriginateRecord,
)
from vssd.sim.pbx.simulator import PbxSimulator

__all__ = ["HOLD", "OUTCOMES", "AbandonRecord", "ActionRecord", "AgentBridgeRecord", "AgentSessionRecord",
           "ChannelRecord", "Endpoint", "Ledger", "OriginateRecord", "PbxConfig", "PbxSimulator"]
