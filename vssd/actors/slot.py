"""One slot actor: a task that alone drives its slot's machine from a bounded mailbox.

Mailbox and overflow policy: commands (enroll, dial, unassign, hang up) and fired timers go through a bounded
queue; when it is full a command is refused at once (`SlotBusy`) and a timer is dropped and counted (a stale timer
is a no-op anyway: the machine checks its epoch). Facts — the slot's current call and its health — are not
queued: the newest value replaces the older one and a wake-up flag is set, so a storm of AMI events or device
polls can never overflow the mailbox, and the actor always acts on the latest truth.

What must survive a crash of the actor task lives in `SlotCore` (machine, current call, facts); the supervisor
makes a fresh `SlotActor` over the same core, which first re-adopts the live call from the PBX.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from vssd.calls.model import Call, DialRequest
from vssd.calls.outcomes import Outcome
from vssd.fsm import Health, SlotMachine, SlotState, Timeout, Timeouts, TransitionNotAllowed

log = logging.getLogger("vssd.actors.slot")

MAILBOX_SIZE = 32


class SlotBusy(Exception):
    """The slot cannot take this command now (not READY, or its mailbox is full)."""


class PbxLine(Protocol):
    """The PBX as a slot's actor sees it (the AMI pump implements it); not the autodialer (actors/dialer.py)."""

    async def originate(self, req: DialRequest) -> Call: ...

    async def hangup(self, channel: str, cause: int = 16) -> None: ...

    def open_calls_for(self, endpoint: str) -> list[Call]: ...

    async def live_channels(self) -> dict[str, Any]: ...


class CallRecords(Protocol):
    def submit_call(self, attempt_id: str, **fields: Any) -> None: ...

    def submit_leg(self, attempt_id: str, uniqueid: str, **fields: Any) -> None: ...


@dataclass(slots=True)
class SlotSpec:
    slot_id: str  # the store's id, as text
    type: str  # AUTO | MF | LS
    endpoint: str  # PJSIP endpoint = internal SIP number
    device_serial: str | None = None
    trunk_id: str | None = None
    device_model: str = ""


@dataclass(slots=True)
class Command:
    name: str  # enroll | dial | unassign | hangup
    args: dict[str, Any] = field(default_factory=dict)
    reply: asyncio.Future[Any] | None = None


class SlotCore:
    """A slot's durable in-process state, shared by successive actor instances."""

    def __init__(self, spec: SlotSpec, machine_factory: Callable[[Callable[[Timeout], None]], SlotMachine]) -> None:
        self.spec = spec
        self.mailbox: asyncio.Queue[Command | Timeout] = asyncio.Queue(MAILBOX_SIZE)
        self.wake = asyncio.Event()
        self.machine = machine_factory(self._deliver_timer)
        self.call: Call | None = None
        self.last_call: Call | None = None
        self.health = Health(sip_reachable=False)
        self.health_dirty = False
        self.call_dirty = False
        self.dropped_timers = 0
        self.last_activity: float | None = None

    def _deliver_timer(self, fired: Timeout) -> None:
        try:
            self.mailbox.put_nowait(fired)
        except asyncio.QueueFull:
            self.dropped_timers += 1
            log.warning("slot %s mailbox full: timer %s dropped", self.spec.slot_id, fired.event)
        self.wake.set()

    def submit(self, command: Command) -> None:
        try:
            self.mailbox.put_nowait(command)
        except asyncio.QueueFull as err:
            raise SlotBusy(f"slot {self.spec.slot_id} mailbox full") from err
        self.wake.set()

    def note_call(self, call: Call) -> None:
        """Newest fact about a call on this slot's leg (coalesced)."""
        if self.call is None or self.call is call or self._adoptable(call):
            self.call = call
            self.call_dirty = True
            self.wake.set()

    def _adoptable(self, call: Call) -> bool:
        current = self.call
        return current is not None and current.outcome is not None and call.outcome is None

    def note_health(self, **facts: Any) -> None:
        """Merge new health facts (e.g. sip_reachable=False) into the snapshot (coalesced)."""
        values = {name: getattr(self.health, name) for name in Health.__dataclass_fields__}
        values.update(facts)
        self.health = Health(**values)
        self.health_dirty = True
        self.wake.set()

    @property
    def state(self) -> SlotState:
        return self.machine.slot_state


class SlotActor:
    """Runs until cancelled; any exception is a crash the supervisor restarts."""

    def __init__(
        self, core: SlotCore, dialer: PbxLine, records: CallRecords, call_ids: Callable[[], str], timeouts: Timeouts
    ) -> None:
        self.core = core
        self.dialer = dialer
        self.records = records
        self._call_ids = call_ids
        self._timeouts = timeouts

    async def on_restart(self) -> None:
        """Re-adopt the live call the dead instance was following, checked against the PBX (`Status`)."""
        live = await self.dialer.live_channels()
        for call in self.dialer.open_calls_for(self.core.spec.endpoint):
            if any(uid in live for uid in call.legs) or call.root in live:
                self.core.call = call
                self.core.call_dirty = True
                log.info("slot %s re-adopted live call %s", self.core.spec.slot_id, call.call_id)
        self.core.wake.set()

    async def run(self) -> None:
        core = self.core
        while True:
            await core.wake.wait()
            core.wake.clear()
            await self.step()

    async def step(self) -> None:
        core = self.core
        while not core.mailbox.empty():
            item = core.mailbox.get_nowait()
            if isinstance(item, Timeout):
                await self._fire(item)
            else:
                await self._command(item)
        if core.call_dirty:
            core.call_dirty = False
            await self._follow_call()
        if core.health_dirty:
            core.health_dirty = False
            await core.machine.report_health(core.health)

    async def _fire(self, fired: Timeout) -> None:
        if not await self.core.machine.fire(fired):
            return
        call = self.core.call
        if fired.event in ("ring_timeout", "max_duration") and call is not None and call.outcome is None:
            await self._hang_up(call)

    async def _hang_up(self, call: Call) -> None:
        if (channel := call.hangup_channel) is not None:
            await self.dialer.hangup(channel)

    # ---- commands ------------------------------------------------------------------------------------------
    async def _command(self, cmd: Command) -> None:
        try:
            result = await getattr(self, f"_cmd_{cmd.name}")(**cmd.args)
        except Exception as err:
            if cmd.reply is not None and not cmd.reply.done():
                cmd.reply.set_exception(err)
            if isinstance(err, SlotBusy | TransitionNotAllowed | ValueError):
                return
            raise
        if cmd.reply is not None and not cmd.reply.done():
            cmd.reply.set_result(result)

    async def _cmd_enroll(self, trunk_id: str, operator: str | None = None, cause: str = "enrolled") -> str:
        machine = self.core.machine
        await machine.enroll(trunk_id=trunk_id, operator=operator, cause=cause)
        await machine.start_bringup(cause="bring-up")
        await machine.report_health(self.core.health)
        return self.core.state.value

    async def _cmd_unassign(self, cause: str = "unassigned") -> bool:
        call = self.core.call
        if call is not None and call.outcome is None:
            await self._hang_up(call)
        return await self.core.machine.request_unassign(cause)

    async def _cmd_hangup(self) -> bool:
        call = self.core.call
        if call is None or call.outcome is not None:
            return False
        await self._hang_up(call)
        return True

    async def _cmd_dial(self, number: str, ring_timeout_s: float | None = None, caller_id: str = "",
                        attempt_id: str | None = None, tags: dict[str, Any] | None = None) -> Call:
        """Originate through this slot's leg. `attempt_id` (the dialer's, already committed to the store) is the
        ActionID and call id; else a fresh `c_<n>`. `tags` (campaign_id, lead_id) go to the call record."""
        core = self.core
        if core.state is not SlotState.READY or (core.call is not None and core.call.outcome is None):
            raise SlotBusy(f"slot {core.spec.slot_id} is {core.state.value}")
        ring_timeout_s = self._timeouts.ring_for(ring_timeout_s)
        req = DialRequest(number=number, endpoint=core.spec.endpoint, ring_timeout_s=ring_timeout_s,
                          caller_id=caller_id, action_id=attempt_id or self._call_ids())
        call = await self.dialer.originate(req)
        if call.attempt is not None:
            self.records.submit_call(call.call_id, slot_id=core.spec.slot_id, call_id=call.call_id, number=number,
                                     status="CALLING", channel_id=call.attempt.channel_id,
                                     originated_at=call.attempt.sent_at, **(tags or {}))
        core.call = call
        await core.machine.originate_accepted(call_id=call.call_id, ring_timeout_s=ring_timeout_s,
                                              cause=f"originate {call.call_id}")
        core.call_dirty = True
        return call

    # ---- following the call --------------------------------------------------------------------------------
    async def _follow_call(self) -> None:
        core, machine = self.core, self.core.machine
        call = core.call
        if call is None:
            return
        core.last_activity = call.ended_at or call.answered_at or call.started_at
        if core.state is SlotState.READY and call.attempt is None and call.outcome is None:
            await machine.inbound_call(call_id=call.call_id, cause="inbound call on the slot leg")
        if core.state is SlotState.CALLING and call.answered_at is not None:
            await machine.answered(cause=call.answer_evidence or "answered")
        if call.outcome is None:
            return
        if core.state is SlotState.CALLING:
            await machine.call_failed(cause=str(call.outcome))
        elif core.state is SlotState.ACTIVE_CALL:
            await machine.hangup(cause=f"hangup cause {call.cause}")
        self._record(call)
        core.last_call, core.call = call, None

    def _record(self, call: Call) -> None:
        attempt_id = call.attempt.action_id if call.attempt else call.call_id
        self.records.submit_call(attempt_id, **call_row(call, self.core.spec.slot_id))
        for leg in call.legs.values():
            self.records.submit_leg(attempt_id, leg.uniqueid, channel=leg.channel, linkedid=leg.linkedid or None,
                                    role=leg_role(call, leg), created_at=leg.created_at, answered_at=leg.answered_at,
                                    ended_at=leg.ended_at, cause=leg.cause, cause_text=leg.cause_txt or None)


def leg_role(call: Call, leg: Any) -> str:
    if leg.is_local:
        return "local"
    return "customer" if leg.side == call.customer_side else "operator"


def call_row(call: Call, slot_id: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "slot_id": slot_id,
        "call_id": call.call_id if call.call_id.startswith("c_") else None,
        "number": call.as_dict()["number"] or "",
        "direction": "outbound" if call.attempt else "inbound",
        "status": "ENDED",
        "outcome": str(call.outcome or Outcome.UNKNOWN),
        "hangup_cause": call.cause,
        "hangup_cause_text": call.cause_txt or None,
        "answer_evidence": call.answer_evidence or None,
        "channel_id": call.attempt.channel_id if call.attempt else call.root,
        "linkedid": call.legs[call.root].linkedid if call.root in call.legs else None,
        "ring_s": call.ring_s,
        "talk_s": call.talk_s,
        "originated_at": call.started_at or (call.attempt.sent_at if call.attempt else None),
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "notes": call.note or None,
        "user_id": call.operator_id,  # the operator a campaign call was bridged to (calls.user_id)
    }
    return {k: v for k, v in fields.items() if v is not None}
