"""Compliance policies: presets, validation, JSON."""

from __future__ import annotations

from datetime import date, time

import pytest
from pydantic import ValidationError

from vssd.calls.policy import Policy

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
