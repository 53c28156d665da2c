"""The report periods of the Smart Call Center API's statistics (`/api/calls/stats`, `/api/operators/{id}/stats`,
the dashboards): days in UTC, or in a time zone the caller names (`local_window`).

today; yesterday; week = today and the 6 days before; month = today and the 29 days before — each a
[start, end) pair of aware datetimes, end at the next UTC midnight.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

PERIODS = ("today", "yesterday", "week", "month")
PERIOD_DAYS = {"today": (0, 1), "yesterday": (-1, 0), "week": (-6, 1), "month": (-29, 1)}  # UTC days [from, to)


def period_window(period: str, now: float) -> tuple[datetime, datetime]:
    """[start, end) of `period` at unix time `now`; KeyError for a period not in PERIODS (callers validate)."""
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first, last = PERIOD_DAYS[period]
    return today + timedelta(days=first), today + timedelta(days=last)


def local_window(period: str, now: float, zone: tzinfo) -> tuple[datetime, datetime]:
    """Like `period_window`, with the days cut at midnight in `zone` (a DST day has 23 or 25 hours); UTC results."""
    today = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    first, last = PERIOD_DAYS[period]
    start, end = (_midnight(today + timedelta(days=d), zone).astimezone(UTC) for d in (first, last))
    return start, end


def _midnight(day: datetime, zone: tzinfo) -> datetime:
    """Wall-clock midnight of `day` in `zone`, its offset resolved again after the day arithmetic."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def local_hour(now: float, zone: tzinfo) -> tuple[datetime, datetime]:
    """The hour of day `now` falls in, in `zone`, as a UTC [start, end)."""
    here = datetime.fromtimestamp(now, zone).replace(minute=0, second=0, microsecond=0)
    start = here.astimezone(UTC)
    return start, start + timedelta(hours=1)
