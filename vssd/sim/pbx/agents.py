"""Operators' pre-connected lines: an Originate to an agent endpoint answers at once and the channel waits in
vssd-agent (a Wait loop) until vssd hangs it up. The Bridge action puts it into an answered call; when that call
ends the bridge dissolves and the channel goes back to waiting (the Bridge action's after-bridge goto)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from vssd.sim.pbx import channel as evs
from vssd.sim.pbx.calls import Interruptible, OriginateParams, originate_response
from vssd.sim.pbx.channel import SimChannel
from vssd.sim.pbx.config import AGENT_CONTEXT
from vssd.sim.pbx.core import PbxCore
from vssd.sim.pbx.ledger import AgentBridgeRecord, AgentSessionRecord, Ledger

if TYPE_CHECKING:
    from vssd.sim.pbx.clock import SimClock

AGENT_ANSWER_S = 0.05  # INVITE → 200 OK of an auto-answering operator phone, in sim seconds
WAIT_SLICE_S = 3600.0  # the dialplan's Wait() loop; any Hangup interrupts it
UNAVAILABLE_CAUSE = 20


class AgentCall(Interruptible):
    """One operator session. Its outcome is never drawn: a registered agent endpoint always answers."""

    def __init__(self, core: PbxCore, params: OriginateParams, record: AgentSessionRecord, reachable: bool) -> None:
        super().__init__(core)
        self.p = params
        self.rec = record
        self.reachable = reachable
        self.result: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.ch: SimChannel | None = None

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if not self.result.done():
                self.result.set_result(False)

    def _end(self, outcome: str | None, cause: int) -> None:
        if outcome is not None:
            self.rec.outcome = outcome
        self.rec.cause, self.rec.ended_at = cause, self.core.clock.now()

    async def _run(self) -> None:
        p, core = self.p, self.core
        await asyncio.sleep(0)
        if not self.reachable:
            self._end("unavailable", UNAVAILABLE_CAUSE)
            originate_response(core, p, False, 0, None)
            return
        ch = self.ch = core.add_channel(
            f"PJSIP/{p.endpoint}-{core.next_channel_suffix()}", "agent", uniqueid=p.channel_id,
            context=core.config.endpoint_context(p.endpoint), exten=p.number or "s", state=0,
            cid_num=p.cid_num or evs.UNKNOWN, cid_name=p.cid_name or evs.UNKNOWN, accountcode=p.account)
        ch.call = self
        self.rec.channel = ch.name
        core.emit(evs.newchannel(ch))
        core.emit(evs.dial_begin(None, ch, p.endpoint))
        if await self.wait(AGENT_ANSWER_S):
            core.emit(evs.dial_end(None, ch, "CANCEL"))
            core.hangup(ch, self.hangup_cause)
            self._end("cancelled", self.hangup_cause)
            originate_response(core, p, False, 1, None)
            return
        await self._up(ch)

    async def _up(self, ch: SimChannel) -> None:
        p, core = self.p, self.core
        core.set_state(ch, 6)
        core.emit(evs.dial_end(None, ch, "ANSWER"))
        self.rec.outcome, self.rec.up_at = "up", core.clock.now()
        self.result.set_result(True)
        originate_response(core, p, True, 4, ch.uniqueid)
        ch.context, ch.exten, ch.priority = p.context or AGENT_CONTEXT, p.exten or "s", p.priority
        ch.application, ch.app_data = "Wait", "60"
        while not await self.wait(WAIT_SLICE_S):
            pass
        core.hangup(ch, self.hangup_cause)
        self._end(None, self.hangup_cause)

    def vanish(self) -> None:
        """A PBX restart swallowed the operator's line."""
        self.rec.outcome, self.rec.ended_at = "lost_in_restart", self.core.clock.now()
        if not self.result.done():
            self.result.set_result(False)


def record_bridge(ledger: Ledger, clock: SimClock, bridge_id: str, one: SimChannel, two: SimChannel) -> None:
    """Ledger every agent channel the Bridge action put into a call: who, which call, when."""
    now = clock.now()
    for agent, other in ((one, two), (two, one)):
        if agent.kind != "agent":
            continue
        call = other.call
        call_id = call.call_id(other) if isinstance(call, Interruptible) else other.uniqueid
        answered = call.answered_at(other) if isinstance(call, Interruptible) else other.answered_at
        endpoint = agent.name.removeprefix("PJSIP/").rsplit("-", 1)[0]
        ledger.agent_bridge_opened(AgentBridgeRecord(
            bridge_id=bridge_id, call_channel_id=call_id, agent_channel_id=agent.uniqueid, agent_endpoint=endpoint,
            at=now, call_answered_at=answered, answer_to_bridge_s=None if answered is None else now - answered))
