"""Call tracking: AMI events in, one outcome per call attempt out.

The one piece of code both the live pump and ``vssd replay`` use. Pure and synchronous: no I/O, no awaits, so an
AMI handler can feed it straight from ``data_received``.

Correlation (SPEC): legs are routed by Uniqueid. vssd pre-assigns the Originate's ``ChannelId`` and learns the
other legs from ``DialBegin``'s ``DestUniqueid``, Local channel pairs and, for grouping only, ``Linkedid``.
Asterisk 11 streams (no Linkedid, ``Event: Dial`` with ``SubEvent``) are grouped by Uniqueid and Dial links.

Sides: the channel that starts a call (a phone's leg, or the channel an Originate reaches) and whatever its Local
chain dials is side A; what side A dials from outside that chain is side B. A third-party call is "answered" when
side B shows answer evidence; a vssd attempt names its customer side explicitly (side A: vssd originates towards
the customer, then connects an operator).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from vssd.calls.model import SIDE_A, SIDE_B, Attempt, Call, Dial, Leg
from vssd.calls.outcomes import Outcome, parse_cause
from vssd.calls.tracker_books import CallBooks, CallHook, Event, UpdateHook

STATE_RINGING = "5"
STATE_UP = "6"


def _event_time(ev: Event, clock: Callable[[], float]) -> float:
    ts = ev.get("timestamp")
    if ts:
        try:
            return float(ts)
        except ValueError:
            pass
    return clock()


class CallTracker(CallBooks):
    """Keeps every open call; hands each finished one to ``on_final`` exactly once."""

    # AMI event (lower-cased) → the method that handles it; `feed` resolves each spelling once (`_dispatch`).
    HANDLERS: ClassVar[dict[str, str]] = {
        "newchannel": "_newchannel", "newstate": "_newstate", "localbridge": "_localbridge",
        "dialbegin": "_dialbegin", "dialstate": "_dialstate", "dialend": "_dialend", "dial": "_dial_v1",
        "hangup": "_hangup", "originateresponse": "_originate_response", "bridgeenter": "_bridged",
        "bridge": "_bridged", "rename": "_rename", "cdr": "_cdr",
    }

    # ---- public -------------------------------------------------------------------------------------------
    def expect_originate(self, attempt: Attempt) -> Call:
        """Register an Originate about to be written, before any of its events can arrive."""
        call = Call(call_id=attempt.action_id, root=attempt.channel_id, attempt=attempt)
        attempt.sent_at = attempt.sent_at or self._clock()
        self._by_action[attempt.action_id] = call
        self._by_uid[attempt.channel_id] = call
        if attempt.other_channel_id:
            self._by_uid[attempt.other_channel_id] = call
        self._open[call.call_id] = call
        return call

    def feed(self, ev: Event) -> None:
        name = ev.get("event", "")
        try:
            handler = self._dispatch[name]
        except KeyError:  # first sight of this spelling: resolve it case-insensitively once
            method = self.HANDLERS.get(name.lower())
            handler = self._dispatch[name] = getattr(self, method) if method else None
        if handler is not None:
            handler(ev, _event_time(ev, self._clock))

    def call_for(self, uniqueid: str) -> Call | None:
        return self._by_uid.get(uniqueid)

    def attempt(self, action_id: str) -> Call | None:
        return self._by_action.get(action_id)

    def open_calls(self) -> list[Call]:
        return list(self._open.values())

    def originate_acknowledged(self, action_id: str) -> None:
        call = self._by_action.get(action_id)
        if call is not None and call.attempt is not None:
            call.attempt.queued = True

    def originate_refused(self, action_id: str, message: str) -> None:
        """The PBX answered the Originate action itself with an error: nothing was dialled."""
        call = self._by_action.get(action_id)
        if call is not None and not call.legs:
            self._finalize(call, self._clock(), Outcome.FAILED, f"originate refused: {message}")

    def originate_unconfirmed(self, action_id: str, note: str) -> None:
        """The Originate was written but the link died before the PBX acknowledged it."""
        call = self._by_action.get(action_id)
        if call is not None and call.attempt is not None and not call.legs:
            call.note = note

    def resync(self, live: Mapping[str, Event], restarted: bool) -> None:
        """After a link loss: ``live`` maps Uniqueid → CoreShowChannel event of every channel the PBX has now.

        AMI never replays missed events, so what happened during the cut is read off the PBX's current state.
        """
        now = self._clock()
        if not restarted:
            for uid, row in live.items():
                if uid not in self._by_uid and row.get("linkedid", "") in self._by_uid:
                    self._newchannel(row, now)
        for call in list(self._open.values()):
            if restarted:
                self._end_legs(call, now, live={})
                self._finalize(call, now, Outcome.LOST, "PBX restarted: the call is gone")
                continue
            self._adopt_live(call, live, now)
            if call.attempt is not None and call.attempt.queued and not call.attempt.response:
                call.attempt.response = "Unobserved"  # its OriginateResponse may have been lost in the cut
            self._end_legs(call, now, live)
            if call.live_legs == 0:
                self._close_after_cut(call, now)



    # ---- event handlers -----------------------------------------------------------------------------------
    def _newchannel(self, ev: Event, ts: float) -> None:
        uid = ev.get("uniqueid", "")
        if not uid or (uid in self._by_uid and uid in self._by_uid[uid].legs):
            return
        leg = Leg(
            uniqueid=uid,
            channel=ev.get("channel", ""),
            linkedid=ev.get("linkedid", ""),
            created_at=ts,
            caller_num=ev.get("calleridnum", ""),
            caller_name=ev.get("calleridname", ""),
            exten=ev.get("exten", ""),
        )
        call = self._by_uid.get(uid) or self._call_by_link(leg)
        if call is None:
            call = Call(call_id=uid, root=uid, started_at=ts)
            call.inbound = self._is_inbound_leg is not None and self._is_inbound_leg(leg.channel)
            self._open[call.call_id] = call
            leg.side = SIDE_A
        self._attach(call, leg)
        self._pair_local(call, leg)
        if call.attempt is not None and uid == call.attempt.channel_id:
            leg.side = SIDE_A
            leg.dialed_by = ""
        self._notify(call, "leg")




    def _localbridge(self, ev: Event, ts: float) -> None:
        u1 = ev.get("localoneuniqueid") or ev.get("uniqueid1", "")
        u2 = ev.get("localtwouniqueid") or ev.get("uniqueid2", "")
        c1, c2 = self._by_uid.get(u1), self._by_uid.get(u2)
        if c1 is None or c2 is None:
            return
        if c1 is not c2:
            self._merge(c1, c2)
        if u1 in c1.legs and u2 in c1.legs:
            self._link_partners(c1, c1.legs[u1], c1.legs[u2])

    def _dialbegin(self, ev: Event, ts: float) -> None:
        src_uid = ev.get("uniqueid", "")
        dst_uid = ev.get("destuniqueid", "")
        if not dst_uid:
            return
        src_call = self._by_uid.get(src_uid) if src_uid else None
        dst_call = self._by_uid.get(dst_uid)
        if dst_call is None:
            dst_call = src_call
            if dst_call is None:
                return
            self._attach(dst_call, Leg(uniqueid=dst_uid, channel=ev.get("destchannel", ""), created_at=ts))
        if src_call is not None and src_call is not dst_call:
            self._merge(src_call, dst_call)
            dst_call = src_call
        call = dst_call
        dst = call.legs.get(dst_uid)
        if dst is None:
            return
        src = call.legs.get(src_uid)
        dst.dialed_by = src_uid
        self._set_side(call, dst, self._side_of_dialed(src))
        call.dials.append(Dial(source=src_uid, dest=dst_uid))

    @staticmethod
    def _side_of_dialed(src: Leg | None) -> str:
        if src is None:
            return SIDE_A  # an Originate's own dial reaches the first party
        if src.side == SIDE_A and src.local_half == 2:
            return SIDE_A  # still inside side A's Local chain
        return SIDE_B if src.side else ""


    def _dialstate(self, ev: Event, ts: float) -> None:
        call = self._by_uid.get(ev.get("destuniqueid", ""))
        if call is None:
            return
        leg = call.legs.get(ev.get("destuniqueid", ""))
        if leg is not None and leg.side == call.customer_side and ev.get("dialstatus") == "RINGING":
            self._ringing(call, ts)

    def _dialend(self, ev: Event, ts: float) -> None:
        dst_uid = ev.get("destuniqueid", "")
        call = self._by_uid.get(dst_uid)
        if call is None:
            return
        status = ev.get("dialstatus", "")
        for dial in reversed(call.dials):
            if dial.dest == dst_uid and not dial.status:
                dial.status = status
                break
        self._dial_result(call, dst_uid, status, ts)

    def _dial_v1(self, ev: Event, ts: float) -> None:
        sub = ev.get("subevent", "").lower()
        if sub == "begin":
            self._dialbegin(ev, ts)
            return
        if sub != "end":
            return
        src_uid = ev.get("uniqueid", "")
        call = self._by_uid.get(src_uid)
        if call is None:
            return
        for dial in reversed(call.dials):
            if dial.source == src_uid and not dial.status:
                dial.status = ev.get("dialstatus", "")
                self._dial_result(call, dial.dest, dial.status, ts)
                return

    def _dial_result(self, call: Call, dst_uid: str, status: str, ts: float) -> None:
        leg = call.legs.get(dst_uid)
        if leg is None:
            return
        leg.dial_status = status
        if status == "ANSWER" and leg.side == call.customer_side:
            self._answered(call, leg, ts, f"DialEnd ANSWER on {leg.channel or leg.uniqueid}")

    def _newstate(self, ev: Event, ts: float) -> None:
        uid = ev.get("uniqueid", "")
        call = self._by_uid.get(uid)
        leg = call.legs.get(uid) if call else None
        if call is None or leg is None:
            return
        state = ev.get("channelstate", "")
        dialled = leg.dialed_by is not None or (call.inbound and uid == call.root)
        if leg.side != call.customer_side or not dialled:
            return
        if state == STATE_RINGING:
            self._ringing(call, ts)
        elif state == STATE_UP and not leg.is_local:
            self._answered(call, leg, ts, f"Newstate Up on {leg.channel}")



    def _bridged(self, ev: Event, ts: float) -> None:
        call = self._by_uid.get(ev.get("uniqueid", "") or ev.get("uniqueid1", ""))
        if call is not None and call.answered_at is not None and call.bridged_at is None:
            call.bridged_at = ts
            self._notify(call, "bridged")

    def _rename(self, ev: Event, ts: float) -> None:
        call = self._by_uid.get(ev.get("uniqueid", ""))
        leg = call.legs.get(ev.get("uniqueid", "")) if call else None
        if leg is not None and ev.get("newname"):
            leg.channel = ev["newname"]

    def _cdr(self, ev: Event, ts: float) -> None:
        call = self._by_uid.get(ev.get("uniqueid", ""))
        if call is not None:
            call.cdr = {k: ev[k] for k in ("disposition", "duration", "billableseconds") if k in ev}

    def _hangup(self, ev: Event, ts: float) -> None:
        uid = ev.get("uniqueid", "")
        call = self._by_uid.get(uid)
        leg = call.legs.get(uid) if call else None
        if call is None or leg is None or leg.ended_at is not None:
            return
        leg.ended_at = ts
        leg.cause = parse_cause(ev.get("cause"))
        leg.cause_txt = ev.get("cause-txt", "")
        self._maybe_finalize(call, ts)

    def _originate_response(self, ev: Event, ts: float) -> None:
        call = self._by_action.get(ev.get("actionid", ""))
        if call is None or call.attempt is None:
            return
        call.attempt.response = ev.get("response", "")
        reason = ev.get("reason", "")
        call.attempt.reason = int(reason) if reason.isdigit() else None
        self._maybe_finalize(call, ts)

    # ---- bookkeeping ----------------------------------------------------------------------------------------



    def _adopt_live(self, call: Call, live: Mapping[str, Event], now: float) -> None:
        attempt = call.attempt
        for uid in (call.root, attempt.other_channel_id if attempt else ""):
            if uid and uid in live and uid not in call.legs:
                self._newchannel(live[uid], now)
        for uid, leg in call.legs.items():
            if attempt and not leg.side and attempt.endpoint and leg.channel.startswith(f"PJSIP/{attempt.endpoint}-"):
                leg.side, leg.dialed_by = attempt.customer_side, attempt.other_channel_id  # its DialBegin was missed
            row = live.get(uid)
            customer = leg.side == call.customer_side and leg.dialed_by is not None and not leg.is_local
            if row is not None and customer and row.get("channelstate") == STATE_UP:
                self._answered(call, leg, now, f"CoreShowChannel Up on {leg.channel}")





    # ---- outcome rules --------------------------------------------------------------------------------------




__all__ = ["SIDE_A", "SIDE_B", "Attempt", "Call", "CallHook", "CallTracker", "Event", "UpdateHook"]
