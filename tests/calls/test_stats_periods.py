"""The statistics periods (UTC days, vssd/calls/periods.py) and an operator's figures in the Smart Call Center
API's shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vssd.calls.operator_stats import stats_view
from vssd.calls.periods import PERIODS, period_window

NOW = datetime(2026, 3, 10, 14, 30, 5, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 10, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("period", "since", "until"), [
    ("today", MIDNIGHT, MIDNIGHT + DAY),
    ("yesterday", MIDNIGHT - DAY, MIDNIGHT),
    ("week", MIDNIGHT - 6 * DAY, MIDNIGHT + DAY),
    ("month", MIDNIGHT - 29 * DAY, MIDNIGHT + DAY),
])
def test_periods_are_whole_utc_days(period: str, since: datetime, until: datetime) -> None:
    assert period_window(period, NOW.timestamp()) == (since, until)
    assert period_window(period, MIDNIGHT.timestamp()) == (since, until)  # midnight belongs to its own day


def test_a_local_clock_gives_the_same_utc_day() -> None:
    """01:00 in Moscow (UTC+3) is still the previous UTC day: `today` is that UTC day."""
    moscow = datetime(2026, 3, 11, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert period_window("today", moscow.timestamp()) == (MIDNIGHT, MIDNIGHT + DAY)
    assert PERIODS == ("today", "yesterday", "week", "month")


def test_the_view_derives_averages_and_resolution_and_invents_nothing() -> None:
    stored = {"calls_handled": 4, "talk_s": 741.6, "dispositions": {"sale": 2, "callback": 1, "dnc": 1}}
    view = stats_view("u1", "today", MIDNIGHT, MIDNIGHT + DAY, stored)
    assert (view["calls_handled"], view["total_talk_time"], view["avg_talk_time"]) == (4, 742, 185.4)
    assert view["first_call_resolution"] == 75.0  # sale, sale, dnc close the lead; callback does not
    assert view["calls_missed"] is None and view["efficiency"] is None and view["customer_satisfaction"] is None
    assert view["period_start"] == MIDNIGHT.isoformat() and view["dispositions"] == stored["dispositions"]
    nothing = {"calls_handled": 0, "talk_s": 0.0, "dispositions": {}}
    empty = stats_view("u1", "week", MIDNIGHT - 6 * DAY, MIDNIGHT + DAY, nothing)
    assert (empty["avg_talk_time"], empty["first_call_resolution"]) == (0.0, None)
