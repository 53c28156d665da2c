"""Call outcomes (SPEC "Calls: correlation and outcomes") and how PBX facts map onto them."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    CONGESTION = "congestion"
    UNAVAILABLE = "unavailable"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"
    ABANDONED = "abandoned"
    LOST = "lost"
    UNKNOWN = "unknown"


class OutcomeClass(StrEnum):
    """What an outcome means for retries."""

    SUCCESS = "success"
    CALLEE = "callee"  # retry the lead by its rule
    ROUTE = "route"  # retry now on another slot, penalise the slot
    FINAL = "final"  # never retried
    HELD = "held"  # never redialled automatically; an admin may requeue


OUTCOME_CLASS: dict[Outcome, OutcomeClass] = {
    Outcome.ANSWERED: OutcomeClass.SUCCESS,
    Outcome.ABANDONED: OutcomeClass.CALLEE,  # answered, nobody took it: the lead is retried (docs/dialer.md)
    Outcome.BUSY: OutcomeClass.CALLEE,
    Outcome.NO_ANSWER: OutcomeClass.CALLEE,
    Outcome.REJECTED: OutcomeClass.CALLEE,
    Outcome.CANCELLED: OutcomeClass.CALLEE,
    Outcome.CONGESTION: OutcomeClass.ROUTE,
    Outcome.UNAVAILABLE: OutcomeClass.ROUTE,
    Outcome.FAILED: OutcomeClass.ROUTE,
    Outcome.INVALID_NUMBER: OutcomeClass.FINAL,
    Outcome.LOST: OutcomeClass.HELD,
    Outcome.UNKNOWN: OutcomeClass.HELD,
}

"""The one table the retry rule reads: `next_step` turns an attempt's outcome into its lead's next step."""

ANSWERED_OUTCOMES = frozenset({Outcome.ANSWERED.value, Outcome.ABANDONED.value})
"""Outcomes of calls someone answered (abandoned ones too): a call view's status `completed`. Not a retry
class: an abandoned call was answered, yet its lead is retried."""


def next_step(outcome: Outcome, *, attempt_no: int, max_attempts: int, retry_delay: float,
              now: float) -> tuple[str, float | None]:
    """A lead's status after an attempt ended with `outcome` and when it is dialled again (None: not
    automatically), by the outcome's class: success → done; held → unknown; final, or no attempts left →
    failed; route → retry now (on another slot); callee → retry after `retry_delay`."""
    cls = OUTCOME_CLASS[outcome]
    if cls is OutcomeClass.SUCCESS:
        return "done", None
    if cls is OutcomeClass.HELD:
        return "unknown", None
    if cls is OutcomeClass.FINAL or attempt_no >= max_attempts:
        return "failed", None
    if cls is OutcomeClass.ROUTE:
        return "retry", now
    return "retry", now + retry_delay

# Q.850 hangup causes → outcome, for a call that was never answered. 16 (normal clearing) is deliberately
# absent: it is not answer evidence, and without an answer it says nothing finer than "ended".
CAUSE_OUTCOME: dict[int, Outcome] = {
    1: Outcome.INVALID_NUMBER,
    3: Outcome.INVALID_NUMBER,
    28: Outcome.INVALID_NUMBER,
    17: Outcome.BUSY,
    18: Outcome.NO_ANSWER,
    19: Outcome.NO_ANSWER,
    21: Outcome.REJECTED,
    20: Outcome.UNAVAILABLE,
    27: Outcome.UNAVAILABLE,
    38: Outcome.UNAVAILABLE,
    34: Outcome.CONGESTION,
    41: Outcome.CONGESTION,
    42: Outcome.CONGESTION,
    44: Outcome.CONGESTION,
}

# Dial application DIALSTATUS → outcome.
DIAL_STATUS_OUTCOME: dict[str, Outcome] = {
    "BUSY": Outcome.BUSY,
    "NOANSWER": Outcome.NO_ANSWER,
    "CANCEL": Outcome.CANCELLED,
    "CONGESTION": Outcome.CONGESTION,
    "CHANUNAVAIL": Outcome.UNAVAILABLE,
    "DONTCALL": Outcome.REJECTED,
    "TORTURE": Outcome.REJECTED,
    "INVALIDARGS": Outcome.FAILED,
}

# OriginateResponse Reason (coarse; DialEnd and Hangup are the finer truth). 4 (answered) is not listed:
# only answer evidence makes a call answered.
ORIGINATE_REASON_OUTCOME: dict[int, Outcome] = {
    0: Outcome.FAILED,
    1: Outcome.CANCELLED,
    3: Outcome.NO_ANSWER,
    5: Outcome.BUSY,
    8: Outcome.CONGESTION,
}

# Causes that end a never-answered call without telling why: the caller (or vssd) gave up.
GAVE_UP_CAUSES = frozenset({0, 16, 127})


def outcome_from_cause(cause: int | None) -> Outcome | None:
    if cause is None:
        return None
    if cause in GAVE_UP_CAUSES:
        return Outcome.CANCELLED
    return CAUSE_OUTCOME.get(cause, Outcome.FAILED)


def parse_cause(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value.split()[0])
    except ValueError:
        return None
