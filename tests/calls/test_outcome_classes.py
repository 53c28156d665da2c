"""The outcome table against the contract: SPEC "Calls: correlation and outcomes" and docs/dialer.md "Outcome
classes" (answered → done; busy / no_answer / rejected / cancelled / abandoned → retry after the delay;
congestion / unavailable / failed → retry now on another slot; invalid_number → failed; unknown / lost → unknown).
A changed entry fails here."""

from __future__ import annotations

import pytest

from vssd.calls.outcomes import ANSWERED_OUTCOMES, OUTCOME_CLASS, Outcome, OutcomeClass, next_step

CONTRACT = {
    Outcome.ANSWERED: OutcomeClass.SUCCESS,
    Outcome.BUSY: OutcomeClass.CALLEE,
    Outcome.NO_ANSWER: OutcomeClass.CALLEE,
    Outcome.REJECTED: OutcomeClass.CALLEE,
    Outcome.CANCELLED: OutcomeClass.CALLEE,
    Outcome.ABANDONED: OutcomeClass.CALLEE,
    Outcome.CONGESTION: OutcomeClass.ROUTE,
    Outcome.UNAVAILABLE: OutcomeClass.ROUTE,
    Outcome.FAILED: OutcomeClass.ROUTE,
    Outcome.INVALID_NUMBER: OutcomeClass.FINAL,
    Outcome.LOST: OutcomeClass.HELD,
    Outcome.UNKNOWN: OutcomeClass.HELD,
}


def test_every_outcome_has_the_class_the_contract_gives_it() -> None:
    assert set(OUTCOME_CLASS) == set(Outcome)
    assert OUTCOME_CLASS == CONTRACT


def test_answered_outcomes_are_the_answered_ones_not_a_retry_class() -> None:
    assert set(ANSWERED_OUTCOMES) == {"answered", "abandoned"}


@pytest.mark.parametrize("outcome", list(Outcome))
def test_next_step_follows_the_class(outcome: Outcome) -> None:
    step = next_step(outcome, attempt_no=1, max_attempts=3, retry_delay=60.0, now=1000.0)
    last = next_step(outcome, attempt_no=3, max_attempts=3, retry_delay=60.0, now=1000.0)
    expected = {
        OutcomeClass.SUCCESS: (("done", None), ("done", None)),
        OutcomeClass.CALLEE: (("retry", 1060.0), ("failed", None)),
        OutcomeClass.ROUTE: (("retry", 1000.0), ("failed", None)),
        OutcomeClass.FINAL: (("failed", None), ("failed", None)),
        OutcomeClass.HELD: (("unknown", None), ("unknown", None)),
    }[CONTRACT[outcome]]
    assert (step, last) == expected
