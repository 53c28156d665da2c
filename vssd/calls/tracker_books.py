"""The call tracker's books: which call each Uniqueid and ActionID belongs to, how legs are attached, merged,
paired (Local ;1/;2) and sided, and how a call is finalised exactly once. `CallTracker` (tracker.py) adds the AMI
event handlers on top."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

from vssd.calls.call_outcome import decide_outcome, deciding_cause
from vssd.calls.model import Call, Leg
from vssd.calls.outcomes import Outcome

Event = Mapping[str, str]
CallHook = Callable[[Call], None]
UpdateHook = Callable[[Call, str], None]


class CallBooks:
    """Every open call, indexed by its legs' Uniqueids and its Originate's ActionID."""

    def __init__(
        self,
        on_final: CallHook | None = None,
        on_update: UpdateHook | None = None,
        clock: Callable[[], float] = time.time,
        is_inbound_leg: Callable[[str], bool] | None = None,
    ) -> None:
        """``is_inbound_leg(channel)``: true for a channel of one of vssd's own slot legs; a call that starts on
        one is an inbound call, answered when that leg goes Up (the PBX or an operator picked it up)."""
        self._is_inbound_leg = is_inbound_leg
        self._on_final = on_final
        self._on_update = on_update
        self._clock = clock
        self._by_uid: dict[str, Call] = {}
        self._by_action: dict[str, Call] = {}
        self._local_ones: dict[str, str] = {}  # Local channel base name → uniqueid of its ;1 half
        self._open: dict[str, Call] = {}
        self.counts: Counter[str] = Counter()
        self._dispatch: dict[str, Callable[[Event, float], None] | None] = {}  # AMI event spelling → handler

    def _attach(self, call: Call, leg: Leg) -> None:
        call.legs[leg.uniqueid] = leg
        self._by_uid[leg.uniqueid] = call
        if call.started_at is None:
            call.started_at = leg.created_at

    def _merge(self, into: Call, other: Call) -> None:
        for uid, leg in other.legs.items():
            into.legs[uid] = leg
            self._by_uid[uid] = into
        into.dials.extend(other.dials)
        if into.attempt is None and other.attempt is not None:
            into.attempt = other.attempt
            self._by_action[other.attempt.action_id] = into
        if other.started_at is not None and (into.started_at is None or other.started_at < into.started_at):
            into.started_at = other.started_at
        self._open.pop(other.call_id, None)

    def _maybe_finalize(self, call: Call, ts: float) -> None:
        if call.live_legs:
            return
        if call.attempt is not None and not call.attempt.response and call.answered_at is None:
            return  # a Hangup can precede the failed OriginateResponse: wait for it
        self._finalize(call, ts, None, "")

    def _end_legs(self, call: Call, now: float, live: Mapping[str, Event]) -> None:
        for uid, leg in call.legs.items():
            if leg.ended_at is None and uid not in live:
                leg.ended_at = now

    def _finalize(self, call: Call, ts: float, outcome: Outcome | None, note: str) -> None:
        if self._open.pop(call.call_id, None) is None:
            return
        ended = [leg.ended_at for leg in call.legs.values() if leg.ended_at is not None]
        call.ended_at = max(ended) if ended else ts
        call.outcome = outcome or decide_outcome(call)
        call.cause, call.cause_txt = deciding_cause(call)
        call.note = note or call.note
        for uid in call.legs:
            self._by_uid.pop(uid, None)
        if call.attempt is not None:
            self._by_action.pop(call.attempt.action_id, None)
            self._by_uid.pop(call.attempt.channel_id, None)
            self._by_uid.pop(call.attempt.other_channel_id, None)
        self.counts[f"outcome:{call.outcome}"] += 1
        self._notify(call, "ended")
        if self._on_final is not None:
            self._on_final(call)

    def _notify(self, call: Call, what: str) -> None:
        if self._on_update is not None:
            self._on_update(call, what)

    def _ringing(self, call: Call, ts: float) -> None:
        if call.ringing_at is None:
            call.ringing_at = ts
            self._notify(call, "ringing")

    def _answered(self, call: Call, leg: Leg, ts: float, evidence: str) -> None:
        leg.answered_at = leg.answered_at or ts
        if call.answered_at is None:
            call.answered_at = ts
            call.answer_evidence = evidence
            self._notify(call, "answered")

    def _set_side(self, call: Call, leg: Leg, side: str) -> None:
        if not side:
            return
        leg.side = side
        if leg.partner and leg.partner in call.legs and not call.legs[leg.partner].side:
            call.legs[leg.partner].side = side

    def _link_partners(self, call: Call, one: Leg, two: Leg) -> None:
        one.partner, two.partner = two.uniqueid, one.uniqueid
        side = one.side or two.side
        if side:
            self._set_side(call, one, side)

    def _pair_local(self, call: Call, leg: Leg) -> None:
        if leg.local_half == 1:
            self._local_ones[leg.channel[:-2]] = leg.uniqueid
        elif leg.local_half == 2:
            one = self._local_ones.pop(leg.channel[:-2], None)
            if one is not None and one in call.legs:
                self._link_partners(call, call.legs[one], leg)

    def _call_by_link(self, leg: Leg) -> Call | None:
        if leg.linkedid and leg.linkedid != leg.uniqueid and leg.linkedid in self._by_uid:
            return self._by_uid[leg.linkedid]
        if leg.local_half == 2:
            one = self._local_ones.get(leg.channel[:-2])
            if one is not None:
                return self._by_uid.get(one)
        return None

    def expire_unconfirmed(self, max_age_s: float) -> int:
        """Attempts the PBX never acknowledged nor showed a channel for: outcome ``unknown``, never redialled."""
        now = self._clock()
        stale = [
            c for c in self._open.values()
            if c.attempt is not None and not c.attempt.queued and not c.legs and not c.attempt.response
            and now - c.attempt.sent_at > max_age_s
        ]
        for call in stale:
            self._finalize(call, now, Outcome.UNKNOWN, call.note or "Originate written, never acknowledged")
        return len(stale)

    def finish_all(self, note: str) -> None:
        """Close every open call from what is known (end of a transcript)."""
        now = self._clock()
        for call in list(self._open.values()):
            self._end_legs(call, now, live={})
            self._finalize(call, now, None, note)

    def _close_after_cut(self, call: Call, now: float) -> None:
        attempt = call.attempt
        if call.answered_at is not None:
            self._finalize(call, now, Outcome.ANSWERED, "ended while the AMI link was down")
        elif attempt is not None and not attempt.queued and not call.legs and not attempt.response:
            self._finalize(call, now, Outcome.UNKNOWN, call.note or "Originate written, never acknowledged")
        elif attempt is not None and attempt.response:
            self._finalize(call, now, None, "")
        else:
            self._finalize(call, now, Outcome.LOST, "the PBX no longer knows the call after a link loss")
