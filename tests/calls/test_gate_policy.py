"""Compliance policies (presets, validation, JSON) and the abandon ledger's arithmetic, against naive recounts."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from vssd.calls.policy import AbandonLedger, Policy

DAY = 86400
START = 1_780_000_000.0


def test_us_tsr_preset_is_the_rule() -> None:
    tsr = Policy.preset("us_tsr")
    assert (tsr.window_start, tsr.window_end) == (time(8), time(21))
    assert (tsr.abandon_cap_pct, tsr.connect_within_s, tsr.ring_floor_s, tsr.period_days) == (3.0, 2.0, 15.0, 30)
    assert tsr.abandon_message_required and tsr.require_valid and tsr.has_window


def test_none_preset_only_locks() -> None:
    none = Policy.preset("none")
    assert not none.has_window and not none.has_sim_caps and not none.require_valid
    assert none.max_attempts_day is None and none.max_attempts_total is None and none.slot_failures is None
    assert none.ring_timeout_s(3) == 15.0


def test_presets_take_overrides_and_survive_json() -> None:
    policy = Policy.preset("us_tsr", tz="America/Chicago", holidays={date(2026, 12, 25)}, max_attempts_day=3,
                           sim_minutes_month=900, sim_reset_day=15)
    again = Policy.model_validate_json(policy.model_dump_json())
    assert again == policy and again.window == policy.window and again.sim_caps == policy.sim_caps


@pytest.mark.parametrize("bad", [
    {"ring_floor_s": 14.0},
    {"window_start": "09:00", "window_end": None},  # no end
    {"window_start": "21:00", "window_end": "08:00"},  # across midnight is not supported
    {"tz": "Mars/Olympus"},
    {"weekdays": [7]},
    {"sim_reset_day": 0},
    {"abandon_cap_pct": 101},
    {"max_attempts_day": -1},
    {"unknown_rule": 1},
])
def test_bad_policies_are_refused_at_construction(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate({**Policy.preset("us_tsr").model_dump(), **bad})


def test_unknown_preset() -> None:
    with pytest.raises(ValueError, match="us_tsr"):
        Policy.preset("eu_gdpr")


def test_policies_are_immutable() -> None:
    with pytest.raises(ValidationError):
        Policy.preset("us_tsr").abandon_cap_pct = 50.0  # type: ignore[misc]


# ---- the abandon ledger ----------------------------------------------------------------------------------------
events = st.lists(st.tuples(st.floats(0, 100 * DAY), st.sampled_from(["attempt", "answered", "abandoned"])),
                  max_size=200)
caps = st.sampled_from([0.0, 1.0, 2.5, 3.0, 10.0, 50.0, 99.5])


@settings(max_examples=150, deadline=None)
@given(events=events, cap=caps)
def test_ledger_counts_per_successive_30_day_period(events: list[tuple[float, str]], cap: float) -> None:
    ledger = AbandonLedger("c1", START, period_days=30, cap_pct=cap)
    naive: dict[int, list[int]] = {}
    for offset, kind in events:
        getattr(ledger, kind)(START + offset)
        row = naive.setdefault(int(offset // (30 * DAY)), [0, 0, 0])
        row[0] += kind == "attempt"
        row[1] += kind in ("answered", "abandoned")  # an abandoned call was answered first
        row[2] += kind == "abandoned"
    assert {p.index: [p.attempts, p.answered, p.abandoned] for p in ledger.periods()} == naive
    for p in ledger.periods():
        assert p.start == START + p.index * 30 * DAY and p.end == p.start + 30 * DAY
        assert ledger.rate(p.start) == (100 * p.abandoned / p.answered if p.answered else 0.0)
    over = {i for i, (_, answered, abandoned) in naive.items() if abandoned / max(answered, 1) * 100 > cap}
    assert {p.index for p in ledger.violations()} == over


@settings(max_examples=200, deadline=None)
@given(answered=st.integers(0, 5000), abandoned_share=st.floats(0, 1), cap=caps)
def test_abandon_budget_is_the_most_abandons_that_keep_the_cap(answered: int, abandoned_share: float,
                                                                cap: float) -> None:
    ledger = AbandonLedger("c1", START, cap_pct=cap)
    abandoned = int(answered * abandoned_share)
    ledger.add(START, answered=answered, abandoned=abandoned)
    budget = ledger.abandon_budget(START)

    def over(extra: int) -> bool:  # the cap's definition, counted by hand
        total = answered + extra
        return total > 0 and (abandoned + extra) / total * 100 > cap

    if over(0):
        assert budget == 0 and ledger.would_exceed(at=START, abandons=0, answered=0) is over(0)
        return
    assert not over(budget) and not ledger.would_exceed(at=START, abandons=budget)
    if budget < 1 << 20:
        assert over(budget + 1) and ledger.would_exceed(at=START, abandons=budget + 1)


def test_would_exceed_with_answered_calls_to_come() -> None:
    """100 answered, 3 abandoned: one more abandon is 4/101 > 3 %; with 40 more answered calls it is 4/141."""
    ledger = AbandonLedger("c1", START)
    ledger.add(START, answered=100, abandoned=3)
    assert ledger.rate(START) == 3.0 and not ledger.violations()
    assert ledger.would_exceed(at=START) and not ledger.would_exceed(at=START, abandons=1, answered=40)
    # A new period starts from zero: one abandon alone is 100 %, unless answered calls are expected with it.
    assert ledger.would_exceed(at=START + 30 * DAY) and ledger.abandon_budget(START + 30 * DAY) == 0
    assert not ledger.would_exceed(at=START + 30 * DAY, abandons=1, answered=40)
    assert ledger.would_exceed(5.0, at=START, abandons=3) is (6 / 103 * 100 > 5.0)


def test_ledger_follows_the_policy() -> None:
    ledger = AbandonLedger.for_policy("c1", START, Policy.preset("us_tsr", period_days=7, abandon_cap_pct=2.0))
    assert (ledger.period_s, ledger.cap_pct) == (7 * DAY, 2.0)
