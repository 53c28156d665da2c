"""An operator's stats periods (UTC) and seed 004's shape from the store's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vssd.calls.operator_stats import PERIODS, period_bounds, stats_view

NOW = datetime(2026, 3, 10, 14, 30, 5, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(("period", "since", "until"), [
    ("today", MIDNIGHT, NOW),
    ("yesterday", MIDNIGHT - timedelta(days=1), MIDNIGHT),
    ("week", NOW - timedelta(days=7), NOW),
    ("month", NOW - timedelta(days=30), NOW),
])
def test_periods_are_utc_spans_ending_now_or_at_midnight(period: str, since: datetime, until: datetime) -> None:
    assert period_bounds(period, NOW) == (since, until)


def test_a_local_clock_gives_the_same_utc_day() -> None:
    """01:00 in Moscow (UTC+3) is still the previous UTC day: `today` starts at that day's UTC midnight."""
    moscow = datetime(2026, 3, 11, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    since, until = period_bounds("today", moscow)
    assert since == MIDNIGHT and until == moscow


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="INVALID_PARAMS"):
        period_bounds("decade", NOW)
    assert PERIODS == ("today", "yesterday", "week", "month")


def test_the_view_derives_averages_and_resolution_and_invents_nothing() -> None:
    stored = {"calls_handled": 4, "talk_s": 741.6, "dispositions": {"sale": 2, "callback": 1, "dnc": 1}}
    view = stats_view("u1", "today", MIDNIGHT, NOW, stored)
    assert (view["calls_handled"], view["total_talk_time"], view["avg_talk_time"]) == (4, 742, 185.4)
    assert view["first_call_resolution"] == 75.0  # sale, sale, dnc close the lead; callback does not
    assert view["calls_missed"] is None and view["efficiency"] is None and view["customer_satisfaction"] is None
    assert view["period_start"] == MIDNIGHT.isoformat() and view["dispositions"] == stored["dispositions"]
    empty = stats_view("u1", "week", MIDNIGHT, NOW, {"calls_handled": 0, "talk_s": 0.0, "dispositions": {}})
    assert (empty["avg_talk_time"], empty["first_call_resolution"]) == (0.0, None)
