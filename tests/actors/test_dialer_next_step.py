"""The dialer decides a lead's next step from the one outcome table (calls/outcomes.py OUTCOME_CLASS): change
any entry to any class and the dialer's step changes with it — it keeps no outcome sets of its own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vssd.actors.dialer_outcomes import CallOutcomes
from vssd.calls.campaign import CampaignSettings
from vssd.calls.outcomes import OUTCOME_CLASS, Outcome, OutcomeClass

STEP = {  # class → (step with attempts left, step on the last attempt), now = 1000, retry_delay = 60
    OutcomeClass.SUCCESS: (("done", None), ("done", None)),
    OutcomeClass.CALLEE: (("retry", 1060.0), ("failed", None)),
    OutcomeClass.ROUTE: (("retry", 1000.0), ("failed", None)),
    OutcomeClass.FINAL: (("failed", None), ("failed", None)),
    OutcomeClass.HELD: (("unknown", None), ("unknown", None)),
}


def _live(attempt_no: int) -> SimpleNamespace:
    settings = CampaignSettings(retry_count=2, retry_delay=60.0)  # 3 attempts
    return SimpleNamespace(attempt_no=attempt_no, run=SimpleNamespace(settings=settings))


def _steps(outcome: Outcome) -> tuple[tuple[str, float | None], tuple[str, float | None]]:
    return (CallOutcomes._next_step(_live(1), outcome, 1000.0),  # type: ignore[arg-type]
            CallOutcomes._next_step(_live(3), outcome, 1000.0))  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_the_dialer_follows_the_table(outcome: Outcome) -> None:
    assert _steps(outcome) == STEP[OUTCOME_CLASS[outcome]]


@pytest.mark.parametrize("cls", list(OutcomeClass))
@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_changed_table_entry_changes_the_dialers_step(outcome: Outcome, cls: OutcomeClass,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OUTCOME_CLASS, outcome, cls)
    assert _steps(outcome) == STEP[cls]
