"""The report periods of the Smart Call Center API's statistics (`/api/calls/stats`, `/api/operators/{id}/stats`):
UTC days.

today; yesterday; week = today and the 6 days before; month = today and the 29 days before — each a
[start, end) pair of aware datetimes, end at the next UTC midnight.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PERIODS = ("today", "yesterday", "week", "month")
PERIOD_DAYS = {"today": (0, 1), "yesterday": (-1, 0), "week": (-6, 1), "month": (-29, 1)}  # UTC days [from, to)


def period_window(period: str, now: float) -> tuple[datetime, datetime]:
    """[start, end) of `period` at unix time `now`; KeyError for a period not in PERIODS (callers validate)."""
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first, last = PERIOD_DAYS[period]
    return today + timedelta(days=first), today + timedelta(days=last)
