"""Calling windows in the callee's local time, open only when open in EVERY time zone the number may be in.

A number's zones come from `phonenumbers.timezone.time_zones_for_number` (a US 907 number may be in Anchorage
or Adak, a Russian mobile in any of 16 zones). Unknown (`Etc/Unknown`) → the lead's own zone if given, else the
policy's default zone.

The window is defined on wall-clock time: instant `t` is open in zone `z` when the local date of `t` in `z` is
an allowed weekday and not a holiday, and `start <= local time < end`. `next_open(t)` is exact to the second,
DST transitions included: it splits time into stretches of constant UTC offset, where wall time is `t + offset`,
so the open set is a union of intervals that can be intersected across zones.

All instants are unix seconds (float); every function here is pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers.timezone import time_zones_for_number

UNKNOWN_ZONE = "Etc/Unknown"
DAY = 86400
_EPOCH_DATE = date(1970, 1, 1)
# Search this far ahead before declaring a window that never opens (a year: weekly rules plus any holidays).
HORIZON_DAYS = 370
_CHUNK_DAYS = 8

Interval = tuple[float, float]


@lru_cache(maxsize=65536)
def parse_e164(e164: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers' parse of an international number (cached: the gate asks for zones and validity)."""
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=65536)
def number_zones(e164: str) -> tuple[str, ...]:
    """The IANA zones phonenumbers gives for an E.164 number; () when unknown or not parseable."""
    parsed = parse_e164(e164)
    if parsed is None:
        return ()
    found = (z for z in time_zones_for_number(parsed) if z != UNKNOWN_ZONE and known_zone(z))
    return tuple(sorted(set(found)))


def zones_for(e164: str, lead_tz: str | None = None, default_tz: str = "UTC", *,
              trust_lead_tz: bool = False) -> tuple[str, ...]:
    """Every zone the number may be in. Unknown → (lead_tz,) if given, else (default_tz,). With
    `trust_lead_tz` a given lead zone replaces the number's own. A lead zone the tz database does not know
    counts as not given."""
    lead = lead_tz if lead_tz and known_zone(lead_tz) else None
    if lead and trust_lead_tz:
        return (lead,)
    return number_zones(e164) or ((lead or default_tz),)


@lru_cache(maxsize=1024)
def known_zone(name: str) -> bool:
    """Whether the tz database here has the zone (a phonenumbers zone newer than the system's tzdata is left
    out of a number's zones rather than failing the call)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(t: float, zone_name: str) -> datetime:
    """The wall-clock time of instant `t` in the zone."""
    return datetime.fromtimestamp(t, zone(zone_name))


def _offset(t: float, tz: ZoneInfo) -> int:
    delta = datetime.fromtimestamp(t, tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def next_local_midnight(t: float, zone_name: str) -> float:
    """The first instant after `t` whose local date is later than `t`'s local date."""
    tz = zone(zone_name)
    today = datetime.fromtimestamp(t, tz).date()
    return first_instant_of(today + timedelta(days=1), tz, after=t)


def first_instant_of(day: date, tz: ZoneInfo, after: float) -> float:
    """The earliest instant > `after` whose local date is `day` or later (a day may start at 01:00 after a
    DST gap at midnight, so search rather than trust one conversion). Date changes fall on whole seconds."""
    lo = after
    hi = max(after, datetime.combine(day, time(0), tz).timestamp()) + DAY
    while hi - lo > 1:
        mid = (lo + hi) / 2
        if datetime.fromtimestamp(mid, tz).date() >= day:
            hi = mid
        else:
            lo = mid
    whole = float(math.floor(hi))
    return whole if whole > lo else hi


def _segments(tz: ZoneInfo, t0: float, t1: float) -> list[tuple[float, float, int]]:
    """[t0, t1) cut into stretches of constant UTC offset: (start, end, offset seconds). Offsets are probed
    twice a day and each change is bisected to its whole second (tz rules never change twice in 12 h)."""
    out: list[tuple[float, float, int]] = []
    start, off = t0, _offset(t0, tz)
    probe = t0
    while probe < t1:
        nxt = min(probe + DAY / 2, t1)
        off_next = _offset(nxt, tz)
        if off_next != off:
            lo, hi = probe, nxt
            while hi - lo > 1:
                mid = (lo + hi) / 2
                if _offset(mid, tz) == off:
                    lo = mid
                else:
                    hi = mid
            change = float(math.floor(hi))  # the one whole second in (lo, hi]
            out.append((start, change, off))
            start, off = change, off_next
        probe = nxt
    out.append((start, t1, off))
    return out


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class Window:
    """Local calling hours, weekdays (0 = Monday) and holidays. `start`/`end` None: open all day (only
    weekdays and holidays close it). `end` is exclusive; `start < end` (no window across midnight)."""

    __slots__ = ("_end", "_start", "end", "holidays", "start", "weekdays")

    def __init__(self, start: time | None = None, end: time | None = None,
                 weekdays: Iterable[int] = range(7), holidays: Iterable[date] = ()) -> None:
        self.start, self.end = start, end
        self.weekdays = frozenset(weekdays)
        self.holidays = frozenset(holidays)
        self._start = _seconds(start) if start is not None else 0
        self._end = _seconds(end) if end is not None else DAY
        if self._start >= self._end:
            raise ValueError(f"calling window start {start} must be before its end {end}")
        if not self.weekdays <= set(range(7)):
            raise ValueError("weekdays are 0 (Monday) … 6 (Sunday)")

    def _key(self) -> tuple[object, ...]:
        return (self._start, self._end, self.weekdays, self.holidays)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Window) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Window({self.start}, {self.end}, weekdays={sorted(self.weekdays)}, holidays={len(self.holidays)})"

    @property
    def always_open(self) -> bool:
        return self._start == 0 and self._end == DAY and len(self.weekdays) == 7 and not self.holidays

    def closed_reason(self, t: float, zones: Sequence[str]) -> str | None:
        """None when open at `t` in every zone; else `holiday` (a holiday somewhere) or `window_closed`."""
        reason = None
        for name in zones:
            wall = local(t, name)
            if wall.date() in self.holidays:
                return "holiday"
            secs = wall.hour * 3600 + wall.minute * 60 + wall.second
            if wall.weekday() not in self.weekdays or not self._start <= secs < self._end:
                reason = "window_closed"
        return reason

    def is_open(self, t: float, zones: Sequence[str]) -> bool:
        return self.closed_reason(t, zones) is None

    def next_open(self, t: float, zones: Sequence[str], horizon_days: int = HORIZON_DAYS) -> float | None:
        """The earliest instant >= `t` open in every zone, or None if none within `horizon_days`."""
        if self.always_open:
            return t
        chunk = _CHUNK_DAYS * DAY
        key = tuple(zones)
        k = int(t // chunk)
        while k * chunk < t + horizon_days * DAY:
            for start, end in _chunk_intervals(self, key, k):
                if end > t:
                    return max(t, start)
            k += 1
        return None

    def open_intervals(self, t0: float, t1: float, zones: Sequence[str]) -> list[Interval]:
        """The instants in [t0, t1) open in every zone, as sorted disjoint [start, end) intervals."""
        result: list[Interval] | None = None
        for name in zones:
            mine = self._zone_intervals(zone(name), t0, t1)
            result = mine if result is None else intersect(result, mine)
            if not result:
                return []
        return result or []

    def _zone_intervals(self, tz: ZoneInfo, t0: float, t1: float) -> list[Interval]:
        found: list[Interval] = []
        for s, e, off in _segments(tz, t0, t1):
            first = (_EPOCH_DATE + timedelta(days=int((s + off) // DAY)))
            last = (_EPOCH_DATE + timedelta(days=int((e + off) // DAY)))
            day = first
            while day <= last:
                if day.weekday() in self.weekdays and day not in self.holidays:
                    midnight = (day - _EPOCH_DATE).days * DAY - off  # the instant of local 00:00 at this offset
                    lo, hi = max(s, midnight + self._start), min(e, midnight + self._end)
                    if lo < hi:
                        found.append((lo, hi))
                day += timedelta(days=1)
        return _merge(found)


@lru_cache(maxsize=8192)
def _chunk_intervals(window: Window, zones: tuple[str, ...], k: int) -> tuple[Interval, ...]:
    """The open intervals of the k-th 8-day stretch of unix time, cached: a lead list holds many numbers of the
    same zones, and every refused call asks when it may pass."""
    chunk = _CHUNK_DAYS * DAY
    return tuple(window.open_intervals(k * chunk, (k + 1) * chunk, zones))


def as_unix(now: float | datetime) -> float:
    """A unix time from a float or an aware datetime (a naive datetime is refused: its zone is a guess)."""
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime (or unix seconds)")
        return now.timestamp()
    return float(now)


__all__ = ["UNKNOWN_ZONE", "Window", "as_unix", "first_instant_of", "intersect", "local",
           "next_local_midnight", "number_zones", "parse_e164", "known_zone", "zones_for"]
