"""The outcome of a finished call, read off its legs and dials (SPEC: dial status first, refined by the
customer legs' causes, then the Originate's reason, then the root's cause). Pure functions of a `Call`."""

from __future__ import annotations

from vssd.calls.model import Call
from vssd.calls.outcomes import DIAL_STATUS_OUTCOME, ORIGINATE_REASON_OUTCOME, Outcome, outcome_from_cause

INVALID_CAUSES = frozenset({1, 3, 28})
STATUS_RANK = {s: i for i, s in enumerate(("ANSWER", "CANCEL", "NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL"))}


def decide_outcome(call: Call) -> Outcome:
    if call.answered_at is not None:
        return Outcome.ANSWERED
    side = call.customer_side
    status = deciding_dial_status(call, side)
    outcome = DIAL_STATUS_OUTCOME.get(status)
    causes = {leg.cause for leg in call.customer_legs() if leg.cause is not None}
    if causes & INVALID_CAUSES:
        return Outcome.INVALID_NUMBER
    if 21 in causes and outcome in (None, Outcome.BUSY, Outcome.FAILED):
        return Outcome.REJECTED
    if outcome is not None:
        return outcome
    if call.attempt is not None and call.attempt.reason is not None:
        by_reason = ORIGINATE_REASON_OUTCOME.get(call.attempt.reason)
        if by_reason is not None and not causes:
            return by_reason
    for cause in sorted(causes):
        return outcome_from_cause(cause) or Outcome.FAILED
    root = call.legs.get(call.root)
    return outcome_from_cause(root.cause if root else None) or Outcome.FAILED


def deciding_dial_status(call: Call, side: str) -> str:
    """The status of the dials that crossed into the customer side; else of the last one on that side.

    Parallel dials (ring groups) end with several statuses; like Dial's own DIALSTATUS, a timeout or a
    cancel outranks a busy member.
    """
    crossing: list[str] = []
    inside = ""
    for dial in call.dials:
        dest = call.legs.get(dial.dest)
        if dest is None or dest.side != side or not dial.status:
            continue
        src = call.legs.get(dial.source) if dial.source else None
        if src is None or src.side != side:
            crossing.append(dial.status)
        else:
            inside = dial.status
    if crossing:
        return min(crossing, key=lambda st: STATUS_RANK.get(st, len(STATUS_RANK)))
    return inside


def deciding_cause(call: Call) -> tuple[int | None, str]:
    for leg in call.customer_legs():
        if leg.cause is not None:
            return leg.cause, leg.cause_txt
    root = call.legs.get(call.root)
    if root is not None and root.cause is not None:
        return root.cause, root.cause_txt
    return None, ""
