"""The dial gate's counters: attempts per number, usage per SIM, consecutive route failures per slot.

Each `*_block` answers "may a call pass at instant t?": None (yes) or a `Block(reason, until)` where `until`
is the earliest instant the counter stops blocking (None: never). Pure, synchronous, in memory; the gate
rebuilds them at start from the attempts table (`DialGate.restore`).
"""

from __future__ import annotations

import bisect
import calendar
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from vssd.calls.outcomes import OUTCOME_CLASS, Outcome, OutcomeClass
from vssd.calls.window import first_instant_of, local, next_local_midnight, zone

# Daily counts compare local dates zone by zone; a local day lasts at most 25 h, so 3 days of instants is ample.
RECENT_S = 3 * 86400
SIM_KEEP_DAYS = 64  # two months of daily buckets cover any monthly period
ROUTE_FAILURES = frozenset(o.value for o, cls in OUTCOME_CLASS.items() if cls is OutcomeClass.ROUTE)


@dataclass(frozen=True, slots=True)
class Block:
    reason: str
    until: float | None  # earliest instant it may pass; None: never
    message: str = ""


class NumberAttempts:
    """Attempt instants per number (the last 3 days, for daily caps) and lifetime counts. Numbers not dialled
    for 3 days leave the recent table (oldest first, O(1) per attempt), so it stays as big as 3 days of calls."""

    def __init__(self) -> None:
        self._recent: OrderedDict[str, list[float]] = OrderedDict()
        self._total: dict[str, int] = {}

    def add(self, key: str, at: float) -> None:
        recent = self._recent.pop(key, [])
        bisect.insort(recent, at)
        del recent[:bisect.bisect_left(recent, recent[-1] - RECENT_S)]
        self._recent[key] = recent  # most recently dialled last
        self._total[key] = self._total.get(key, 0) + 1
        while self._recent:
            oldest, times = next(iter(self._recent.items()))
            if times[-1] >= at - RECENT_S:
                break
            del self._recent[oldest]

    def total(self, key: str) -> int:
        return self._total.get(key, 0)

    def on_local_day(self, key: str, t: float, zone_name: str) -> int:
        """Attempts on `t`'s local date in this zone."""
        day = local(t, zone_name).date()
        return sum(1 for at in self._recent.get(key, ()) if local(at, zone_name).date() == day)

    def lifetime_block(self, key: str, cap: int | None) -> Block | None:
        if cap is None or self.total(key) < cap:
            return None
        return Block("number_lifetime_cap", None, f"{key} had its {cap} attempts")

    def daily_block(self, key: str, t: float, zones: Sequence[str], cap: int | None) -> Block | None:
        """Blocked when the number had `cap` attempts on `t`'s local date in ANY zone it may be in."""
        if cap is None:
            return None
        if cap == 0:
            return Block("number_daily_cap", None, "no attempts allowed per day")
        until: float | None = None
        for name in zones:
            if self.on_local_day(key, t, name) >= cap:
                midnight = next_local_midnight(t, name)
                until = midnight if until is None else max(until, midnight)
        if until is None:
            return None
        return Block("number_daily_cap", until, f"{key} had its {cap} attempts today")

    def clear(self) -> None:
        self._recent.clear()
        self._total.clear()


def period_start(day: date, reset_day: int) -> date:
    """The first day of the monthly period holding `day`: the latest reset date <= day (a reset day past the
    month's end falls on its last day)."""
    here = date(day.year, day.month, min(reset_day, calendar.monthrange(day.year, day.month)[1]))
    if here <= day:
        return here
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(reset_day, calendar.monthrange(year, month)[1]))


def next_period_start(day: date, reset_day: int) -> date:
    start = period_start(day, reset_day)
    year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    return date(year, month, min(reset_day, calendar.monthrange(year, month)[1]))


class SimUsage:
    """Calls and talk seconds per SIM (ICCID/IMSI key) per local date in `zone_name` (the SIM plan's days)."""

    def __init__(self, zone_name: str = "UTC") -> None:
        zone(zone_name)  # refuse an unknown zone now, not at the first call
        self.zone_name = zone_name
        self._days: dict[str, dict[date, list[float]]] = {}

    def _bucket(self, sim: str, at: float) -> list[float]:
        days = self._days.setdefault(sim, {})
        day = local(at, self.zone_name).date()
        bucket = days.get(day)
        if bucket is None:
            bucket = days[day] = [0, 0.0]
            horizon = day - timedelta(days=SIM_KEEP_DAYS)
            for old in [d for d in days if d < horizon]:
                del days[old]
        return bucket

    def add_call(self, sim: str, at: float) -> None:
        self._bucket(sim, at)[0] += 1

    def add_talk(self, sim: str, at: float, seconds: float) -> None:
        if seconds > 0:
            self._bucket(sim, at)[1] += seconds

    def day(self, sim: str, t: float) -> tuple[int, float]:
        """(calls, minutes) on `t`'s SIM-local date."""
        bucket = self._days.get(sim, {}).get(local(t, self.zone_name).date(), [0, 0.0])
        return int(bucket[0]), bucket[1] / 60.0

    def month(self, sim: str, t: float, reset_day: int) -> tuple[int, float]:
        """(calls, minutes) in the monthly period holding `t`."""
        today = local(t, self.zone_name).date()
        first = period_start(today, reset_day)
        days = self._days.get(sim, {})
        calls = sum(b[0] for d, b in days.items() if first <= d <= today)
        secs = sum(b[1] for d, b in days.items() if first <= d <= today)
        return int(calls), secs / 60.0

    def block(self, sim: str, t: float, caps: SimCaps) -> Block | None:
        until: float | None = None
        why: list[str] = []
        calls, minutes = self.day(sim, t)
        if _over(calls, caps.calls_day) or _over(minutes, caps.minutes_day):
            if 0 in (caps.calls_day, caps.minutes_day):
                return Block("sim_cap", None, f"SIM {sim}: a daily cap of 0")
            until = next_local_midnight(t, self.zone_name)
            why.append(f"day {calls} calls/{minutes:.1f} min")
        calls, minutes = self.month(sim, t, caps.reset_day)
        if _over(calls, caps.calls_month) or _over(minutes, caps.minutes_month):
            if 0 in (caps.calls_month, caps.minutes_month):
                return Block("sim_cap", None, f"SIM {sim}: a monthly cap of 0")
            reset = next_period_start(local(t, self.zone_name).date(), caps.reset_day)
            until = max(until or 0.0, first_instant_of(reset, zone(self.zone_name), after=t))
            why.append(f"month {calls} calls/{minutes:.1f} min")
        if until is None:
            return None
        return Block("sim_cap", until, f"SIM {sim} reached its caps ({', '.join(why)})")

    def clear(self) -> None:
        self._days.clear()


@dataclass(frozen=True, slots=True)
class SimCaps:
    calls_day: int | None = None
    minutes_day: float | None = None
    calls_month: int | None = None
    minutes_month: float | None = None
    reset_day: int = 1


def _over(used: float, cap: float | None) -> bool:
    return cap is not None and used >= cap


class SlotHealth:
    """Consecutive route failures (congestion, unavailable, failed) per slot and when the last one happened."""

    def __init__(self) -> None:
        self._streak: dict[str, tuple[int, float]] = {}

    def record(self, slot: str, outcome: str | Outcome, at: float) -> None:
        if str(outcome) in ROUTE_FAILURES:
            count, _ = self._streak.get(slot, (0, at))
            self._streak[slot] = (count + 1, at)
        else:
            self._streak.pop(slot, None)

    def streak(self, slot: str) -> int:
        return self._streak.get(slot, (0, 0.0))[0]

    def block(self, slot: str, t: float, failures: int | None, cooldown_s: float) -> Block | None:
        """Resting for `cooldown_s` after the last of `failures` consecutive route failures; one more failure
        after the rest starts another (only a different outcome resets the streak)."""
        count, last = self._streak.get(slot, (0, 0.0))
        if failures is None or count < failures or t >= last + cooldown_s:
            return None
        return Block("slot_cooldown", last + cooldown_s, f"slot {slot}: {count} route failures in a row")

    def clear(self) -> None:
        self._streak.clear()
