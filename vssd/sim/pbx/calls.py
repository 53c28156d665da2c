"""Call flows: an Originate through the simulated dialplan (Local/N@vssd-out → Dial(PJSIP/N@E)) or straight
to a PJSIP endpoint, and inbound calls on a slot's leg. Each runs as one task on the simulated clock. An answered
call may be sent to vssd-abandon (Redirect): the recorded message plays, then every leg hangs up.

A scripted ring or talk time of HOLD lasts until the simulator's settle() releases it (tests that need a call
ringing or talking while they act hold it there and end it themselves, so no real time races them)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from vssd.sim.pbx import channel as evs
from vssd.sim.pbx.channel import SimChannel
from vssd.sim.pbx.core import PbxCore
from vssd.sim.pbx.ledger import AbandonRecord, OriginateRecord
from vssd.sim.pbx.outcomes import SPECS, Plan

SIP_PROGRESS_S = 0.1  # 100 Trying → 180 Ringing on the slot leg, in sim seconds
HOLD = math.inf  # a ring or talk time that lasts until settle() (see Interruptible.release)


def is_hold(sim_s: float) -> bool:
    return math.isinf(sim_s)


@dataclass
class OriginateParams:
    action_id: str
    channel: str  # as given, e.g. "Local/79001112233@vssd-out" or "PJSIP/6001"
    tech: str  # "local" | "pjsip"
    number: str
    endpoint: str
    local_context: str
    context: str
    exten: str
    priority: int
    application: str
    data: str
    cid_num: str
    cid_name: str
    timeout_s: float | None
    channel_id: str
    other_channel_id: str
    async_: bool
    account: str = ""
    variables: dict[str, str] = field(default_factory=dict)


def originate_response(core: PbxCore, p: OriginateParams, success: bool, reason: int, uid: str | None) -> None:
    """The async Originate's outcome event (sync Originates get none, as in Asterisk)."""
    if not p.async_:
        return
    core.emit(evs.ev("OriginateResponse", [
        ("ActionID", p.action_id), ("Response", "Success" if success else "Failure"),
        ("Channel", p.channel), ("Context", p.context), ("Exten", p.exten),
        ("Application", p.application), ("Data", p.data), ("Reason", str(reason)),
        ("Uniqueid", uid or "<null>"), ("CallerIDNum", p.cid_num or evs.UNKNOWN),
        ("CallerIDName", p.cid_name or evs.UNKNOWN),
    ]))


class Interruptible:
    """A call that a Hangup action can cut short while it waits on the simulated clock, and that a Redirect to
    vssd-abandon can end with the recorded message once it is answered."""

    def __init__(self, core: PbxCore) -> None:
        self.core = core
        self._interrupt = asyncio.Event()
        self.hangup_leg: SimChannel | None = None
        self.hangup_cause = 16
        self.abandon: AbandonRecord | None = None
        self.abandon_leg: SimChannel | None = None
        self._release = asyncio.Event()

    def request_hangup(self, ch: SimChannel, cause: int) -> None:
        if self.hangup_leg is None:
            self.hangup_leg, self.hangup_cause = ch, cause
        self._interrupt.set()

    def release(self) -> None:
        """End the call's current (or next) HOLD phase: a held ring reaches its outcome, a held talk ends with
        the far end hanging up. Each release ends one held phase."""
        self._release.set()

    def names(self) -> set[str]:
        """What settle() can name this call by (numbers, channel ids, endpoints)."""
        return set()

    def holds(self) -> bool:
        """Has the call a HOLD phase still to come or under way?"""
        return False

    # ---- identity and the abandon message --------------------------------------------------------------
    def call_id(self, ch: SimChannel) -> str:
        """The id the ledger knows this call by."""
        return ch.uniqueid

    def answered_at(self, ch: SimChannel) -> float | None:
        return ch.answered_at

    def can_abandon(self) -> bool:
        """Is the call answered and still up (so the abandon message can be played on it)?"""
        return False

    def request_abandon(self, ch: SimChannel, rec: AbandonRecord) -> bool:
        """Start the message (once per call); False if it is already playing."""
        if self.abandon is not None:
            return False
        self.abandon, self.abandon_leg = rec, ch
        self._interrupt.set()
        return True

    async def talk(self, talk_s: float) -> str:
        """The answered phase: 'far_end' (the caller hung up after talk_s), 'hangup' (a Hangup action) or
        'abandoned' (the abandon message played out; the caller would have stayed longer)."""
        clock = self.core.clock
        far_end_at = clock.now() + talk_s
        while True:
            end = far_end_at if self.abandon is None else min(far_end_at, self.abandon.at + self.abandon.duration_s)
            woke = await self._wait(end - clock.now(), releasable=is_hold(far_end_at))
            if woke == "release":  # a held talk settled (also while the message plays): the far end hangs up now
                far_end_at = clock.now()
                break
            if woke == "timeout":
                break
            if self.hangup_leg is not None:
                self._abandon_over(completed=False)
                return "hangup"
            self._interrupt.clear()  # an abandon request: the end moved
        if self.abandon is not None and self.abandon.at + self.abandon.duration_s <= far_end_at:
            self._abandon_over(completed=True)
            return "abandoned"
        self._abandon_over(completed=False)
        return "far_end"

    def _abandon_over(self, completed: bool) -> None:
        if self.abandon is not None and self.abandon.ended_at is None:
            self.abandon.ended_at, self.abandon.completed = self.core.clock.now(), completed

    async def run(self) -> None:
        raise NotImplementedError

    def vanish(self) -> None:
        """A PBX restart swallowed the call."""

    async def wait(self, sim_s: float) -> bool:
        """Sleep `sim_s` simulated seconds (HOLD: until release()); True if a hangup was requested meanwhile."""
        return await self._wait(sim_s, releasable=is_hold(sim_s)) == "interrupt"

    async def _wait(self, sim_s: float, releasable: bool) -> str:
        """'interrupt' (a hangup or abandon request), 'release' (releasable only; the release is used up) or
        'timeout' after `sim_s` simulated seconds (never, for HOLD)."""
        if self._interrupt.is_set():
            return "interrupt"
        if releasable and self._release.is_set():
            self._release.clear()
            return "release"
        waits = [asyncio.ensure_future(self._interrupt.wait())]
        if releasable:
            waits.append(asyncio.ensure_future(self._release.wait()))
        timeout = None if is_hold(sim_s) else self.core.clock.real_s(sim_s)
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if self._interrupt.is_set():
            return "interrupt"
        if releasable and self._release.is_set():
            self._release.clear()
            return "release"
        return "timeout"


class OriginateCall(Interruptible):
    def __init__(self, core: PbxCore, params: OriginateParams, plan: Plan, record: OriginateRecord) -> None:
        super().__init__(core)
        self.p = params
        self.plan = plan
        self.rec = record
        self.result: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.l1: SimChannel | None = None
        self.l2: SimChannel | None = None
        self.slot: SimChannel | None = None
        self.started_at = core.clock.now()

    # ---- helpers -------------------------------------------------------------------------------------
    def _new(self, name: str, kind: str, uid: str, linkedid: str, **kw) -> SimChannel:
        ch = self.core.add_channel(name, kind, uniqueid=uid, linkedid=linkedid, **kw)
        ch.call = self
        self.core.emit(evs.newchannel(ch))
        return ch

    def _finish(self, outcome: str, cause: int, success: bool) -> None:
        self.rec.outcome, self.rec.cause, self.rec.ended_at = outcome, cause, self.core.clock.now()
        if not self.result.done():
            self.result.set_result(success)

    def _originate_response(self, success: bool, reason: int, uid: str | None) -> None:
        originate_response(self.core, self.p, success, reason, uid)

    def call_id(self, ch: SimChannel) -> str:
        return self.rec.channel_id

    def names(self) -> set[str]:
        return {k for k in (self.p.number, self.p.endpoint, self.p.channel_id, self.p.action_id) if k}

    def holds(self) -> bool:
        return is_hold(self.plan.ring_s) or (self.plan.outcome == "answered" and is_hold(self.plan.talk_s))

    def answered_at(self, ch: SimChannel) -> float | None:
        return self.rec.answered_at

    def can_abandon(self) -> bool:
        return self.rec.answered_at is not None and self.rec.ended_at is None

    def _cdr(self, disposition: str) -> None:
        src = self.l2 or self.slot
        if src is None:
            return
        now = self.core.clock.now()
        answered = self.slot.answered_at if self.slot is not None else None
        fmt = self.core.clock.fmt
        cid = f'"{self.p.cid_name}" <{self.p.cid_num}>'
        self.core.emit(evs.ev("Cdr", [
            ("AccountCode", self.p.account), ("Source", self.p.cid_num), ("Destination", self.p.number),
            ("DestinationContext", self.p.local_context or src.context), ("CallerID", cid),
            ("Channel", src.name), ("DestinationChannel", self.slot.name if self.slot and src is not self.slot else ""),
            ("LastApplication", "Dial" if self.l2 else "AppDial"),
            ("LastData", f"PJSIP/{self.p.number}@{self.p.endpoint}" if self.l2 else "(Outgoing Line)"),
            ("StartTime", fmt(self.started_at)), ("AnswerTime", fmt(answered)), ("EndTime", fmt(now)),
            ("Duration", str(int(now - self.started_at))),
            ("BillableSeconds", str(int(now - answered)) if answered else "0"),
            ("Disposition", disposition), ("AMAFlags", "DOCUMENTATION"), ("UniqueID", src.uniqueid),
            ("UserField", ""),
        ], category="cdr"))

    # ---- flow ----------------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            if self.p.tech == "local":
                await self._run_local()
            else:
                await self._run_direct()
        finally:
            if not self.result.done():
                self.result.set_result(False)

    async def _run_local(self) -> None:
        p, core = self.p, self.core
        sfx = core.next_local_suffix()
        base = f"Local/{p.number}@{p.local_context}-{sfx}"
        cid = {"cid_num": p.cid_num or evs.UNKNOWN, "cid_name": p.cid_name or evs.UNKNOWN, "accountcode": p.account}
        self.l1 = self._new(f"{base};1", "local1", p.channel_id, p.channel_id,
                            context=p.local_context, exten=p.number, state=0, accountcode=p.account)
        self.l2 = self._new(f"{base};2", "local2", p.other_channel_id, p.channel_id,
                            context=p.local_context, exten=p.number, state=4, **cid)
        self.rec.channel = self.l1.name
        if p.cid_num:
            self.l1.cid_num, self.l1.cid_name = cid["cid_num"], cid["cid_name"]
            core.emit(evs.newcallerid(self.l1))
        core.emit(evs.local_bridge(self.l1, self.l2))
        core.emit(evs.dial_begin(None, self.l1, f"{p.number}@{p.local_context}"))
        await self.wait(0.02)
        if self.plan.outcome == "unavailable":
            await self._unavailable_local()
            return
        self.slot = self._new(f"PJSIP/{p.endpoint}-{core.next_channel_suffix()}", "slot", "", p.channel_id,
                              context=core.config.endpoint_context(p.endpoint), exten=p.number, state=0,
                              cid_num=p.number, cid_name=evs.UNKNOWN, conn_num=cid["cid_num"],
                              conn_name=cid["cid_name"], accountcode=p.account)
        core.emit(evs.dial_begin(self.l2, self.slot, f"{p.number}@{p.endpoint}"))
        self.l2.conn_num = p.number  # the callee's identity arrives with its first response
        await self._ring_and_settle()

    async def _unavailable_local(self) -> None:
        cause = SPECS["unavailable"].cause
        assert self.l1 is not None and self.l2 is not None
        self._hangup_cause_event(self.l2, None, cause)
        self.core.hangup(self.l2, cause)
        self.core.emit(evs.dial_end(None, self.l1, "CHANUNAVAIL"))
        self.core.hangup(self.l1, cause)
        self._finish("unavailable", cause, False)
        self._originate_response(False, SPECS["unavailable"].reason, None)
        self._cdr("FAILED")

    async def _run_direct(self) -> None:
        p, core = self.p, self.core
        await asyncio.sleep(0)
        if self.plan.outcome == "unavailable":
            self._finish("unavailable", SPECS["unavailable"].cause, False)
            self._originate_response(False, SPECS["unavailable"].reason, None)
            return
        self.slot = self._new(f"PJSIP/{p.endpoint}-{core.next_channel_suffix()}", "slot", p.channel_id, "",
                              context=core.config.endpoint_context(p.endpoint), exten=p.number or "s", state=0,
                              cid_num=p.cid_num or evs.UNKNOWN, cid_name=p.cid_name or evs.UNKNOWN,
                              accountcode=p.account)
        self.rec.channel = self.slot.name
        dialstring = f"{p.number}@{p.endpoint}" if p.number else p.endpoint
        core.emit(evs.dial_begin(None, self.slot, dialstring))
        await self._ring_and_settle()

    @property
    def _caller(self) -> SimChannel | None:
        """The channel running Dial(): ;2 of the Local pair, or nobody for a direct PJSIP Originate."""
        return self.l2

    async def _ring_and_settle(self) -> None:
        spec = SPECS[self.plan.outcome]
        slot, core = self.slot, self.core
        assert slot is not None
        ring_left = self.plan.ring_s
        if spec.rings:
            if await self.wait(min(SIP_PROGRESS_S, ring_left)):
                return self._cancel()
            ring_left = max(0.0, ring_left - SIP_PROGRESS_S)
            core.set_state(slot, 5)
            core.emit(evs.dial_state(self._caller, slot, "RINGING"))
            if self.l1 is not None:
                core.set_state(self.l1, 5)
        if await self.wait(ring_left):
            return self._cancel()
        if self.plan.outcome == "answered":
            await self._answered()
        else:
            self._failed(self.plan.outcome)

    def _failed(self, outcome: str) -> None:
        spec, core, slot = SPECS[outcome], self.core, self.slot
        assert slot is not None
        if outcome != "no_answer":
            core.emit(evs.hangup_request(slot, spec.cause))
        core.emit(evs.dial_end(self._caller, slot, spec.dial_status))
        core.hangup(slot, spec.cause)
        if self.l2 is not None and self.l1 is not None:
            self._hangup_cause_event(self.l2, slot, spec.cause, spec.tech_cause)
            core.hangup(self.l2, spec.cause)
            core.emit(evs.dial_end(None, self.l1, spec.dial_status))
            core.hangup(self.l1, spec.cause)
        self._finish(outcome, spec.cause, False)
        self._originate_response(False, spec.reason, None)
        self._cdr(spec.disposition)

    def _hangup_cause_event(self, ch: SimChannel, dest: SimChannel | None, cause: int, tech: str = "") -> None:
        if not self.core.config.hangup_cause_user_events:
            return
        self.core.emit(evs.user_event(ch, "HangupCause", [
            ("HangupChannel", dest.name if dest else ""), ("TechCause", tech),
            ("AsteriskCause", evs.CAUSE_TXT.get(cause, "Unknown")),
        ]))

    def _cancel(self) -> None:
        """vssd hung up a leg while the slot leg was still ringing: the Dial is cancelled."""
        core, slot, cause = self.core, self.slot, self.hangup_cause
        assert slot is not None
        if self.hangup_leg is slot:
            core.emit(evs.dial_end(self._caller, slot, "NOANSWER"))
            core.hangup(slot, cause)
        else:
            core.emit(evs.dial_end(self._caller, slot, "CANCEL"))
            core.hangup(slot, 16)
        for leg in (self.l2, self.l1):
            if leg is not None:
                if leg is self.l1:
                    core.emit(evs.dial_end(None, leg, "CANCEL"))
                core.hangup(leg, cause)
        self._finish("cancelled", cause, False)
        self._originate_response(False, 1, None)
        self._cdr("NO ANSWER")

    async def _answered(self) -> None:
        core, slot, p = self.core, self.slot, self.p
        assert slot is not None
        core.set_state(slot, 6)
        core.emit(evs.dial_end(self._caller, slot, "ANSWER"))
        self.rec.answered_at = core.clock.now()
        top = slot
        if self.l1 is not None and self.l2 is not None:
            core.set_state(self.l2, 6)
            core.set_state(self.l1, 6)
            core.emit(evs.dial_end(None, self.l1, "ANSWER"))
            top = self.l1
        if not self.result.done():
            self.result.set_result(True)
        self._originate_response(True, SPECS["answered"].reason, top.uniqueid)
        top.context, top.exten, top.priority = p.context, p.exten or "s", p.priority
        top.application, top.app_data = p.application, p.data
        if self.l2 is not None:
            core.bridge([slot, self.l2])
        how = await self.talk(self.plan.talk_s)
        first, cause = slot, 16  # the customer hangs up
        if how == "hangup" and self.hangup_leg is not None:
            first, cause = self.hangup_leg, self.hangup_cause
        elif how == "abandoned" and self.abandon_leg is not None:
            first = self.abandon_leg  # vssd-abandon: Playback, then Hangup()
        self._teardown(first, cause)
        self._finish("answered", cause, True)
        self._cdr("ANSWERED")

    def _teardown(self, first: SimChannel, cause: int) -> None:
        order = [first] + [c for c in (self.slot, self.l2, self.l1) if c is not None and c is not first]
        for i, ch in enumerate(order):
            self.core.hangup(ch, cause if i == 0 else 16)

    def vanish(self) -> None:
        """A PBX restart swallowed the call: no events, the ledger says so."""
        self.rec.outcome, self.rec.ended_at = "lost_in_restart", self.core.clock.now()
        if not self.result.done():
            self.result.set_result(False)


class InboundCall(Interruptible):
    """A call arriving on a slot's leg: rings in `from-slot`, parked (answered) in `vssd-inbound`."""

    def __init__(self, core: PbxCore, endpoint: str, caller: str, talk_s: float) -> None:
        super().__init__(core)
        self.talk_s = talk_s
        self.endpoint, self.caller = endpoint, caller
        self.ch = core.add_channel(
            f"PJSIP/{endpoint}-{core.next_channel_suffix()}", "inbound",
            context=core.config.endpoint_context(endpoint), exten=endpoint, state=4, cid_num=caller,
            cid_name=caller, conn_num=evs.UNKNOWN)
        self.ch.call = self
        core.emit(evs.newchannel(self.ch))
        core.device_changed(self.ch)

    async def run(self) -> None:
        core, ch = self.core, self.ch
        if await self.wait(0.2):
            core.hangup(ch, self.hangup_cause)
            return
        ch.context, ch.exten, ch.priority = "vssd-inbound", "s", 1
        ch.application, ch.app_data = "Wait", "3600"
        core.set_state(ch, 6)
        how = await self.talk(self.talk_s)
        core.hangup(ch, self.hangup_cause if how == "hangup" else 16)

    def can_abandon(self) -> bool:
        return self.ch.state == 6 and self.ch.uniqueid in self.core.channels

    def names(self) -> set[str]:
        return {k for k in (self.ch.uniqueid, self.endpoint, self.caller) if k}

    def holds(self) -> bool:
        return is_hold(self.talk_s)
