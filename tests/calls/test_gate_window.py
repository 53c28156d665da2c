"""Calling windows in the callee's local time: open only when open in every zone the number may be in, and
`next_open` is open with nothing earlier open — checked against a naive oracle written from the definition
(phonenumbers for the zones, zoneinfo wall-clock time per instant), over numbers, zones, windows and clocks
including DST transitions (New York, London, Sydney, Lord Howe's 30-minute shift, Chatham, Santiago at midnight).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number

from vssd.calls.gate import DialGate
from vssd.calls.policy import Policy
from vssd.calls.window import Window, zones_for

# Numbers in several countries, single- and multi-zone (US/RU/AU/BR), one valid number with no zone, one invalid.
NUMBERS = (
    "+12125551234",  # New York
    "+19075551234",  # Alaska: Anchorage, Adak
    "+18085551234",  # Honolulu
    "+18765550123",  # every NANP zone (Guam … Adak): a US-hours window never opens in all of them at once
    "+79161234567",  # Russian mobile: 16 zones, Bucharest … Anadyr
    "+74232123456",  # Vladivostok
    "+61412345678",  # Australian mobile: 8 zones incl. Lord Howe (30-minute DST)
    "+61891234567",  # Adelaide, Perth
    "+61298765432",  # Sydney
    "+5592987654321",  # Manaus
    "+5511987654321",  # São Paulo
    "+5540041234",  # Brazilian national number: Rio Branco, Manaus, São Paulo, Noronha
    "+380991234567",  # Kyiv
    "+442079460958",  # London
    "+80012345678",  # valid, zone unknown
    "+15555551234",  # invalid, zone unknown
)
ZONES = ("UTC", "America/New_York", "America/Los_Angeles", "Europe/Moscow", "Australia/Sydney",
         "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/London", "Pacific/Chatham",
         "America/Santiago", "Asia/Kathmandu")
# 2026 offset changes (UTC, to the hour), from an hourly scan of the tz database.
TRANSITIONS = [datetime(*args, tzinfo=UTC).timestamp() for args in (
    (2026, 3, 8, 7), (2026, 11, 1, 6), (2026, 3, 29, 1), (2026, 10, 25, 1), (2026, 4, 4, 16), (2026, 10, 3, 16),
    (2026, 4, 4, 15), (2026, 9, 26, 14), (2026, 4, 4, 14), (2026, 4, 5, 3), (2026, 9, 6, 4))]
YEAR_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
YEAR_END = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


# ---- the oracle ---------------------------------------------------------------------------------------------
def number_zones(number: str, lead_tz: str | None, default_tz: str, trust_lead: bool = False) -> list[str]:
    """The zones the number may be in, from phonenumbers directly."""
    if lead_tz and trust_lead:
        return [lead_tz]
    found = [z for z in time_zones_for_number(phonenumbers.parse(number)) if z != "Etc/Unknown"]
    return found or [lead_tz or default_tz]


def window_verdict(t: float, zones: list[str], start: time | None, end: time | None, weekdays: frozenset[int],
                   holidays: frozenset[date]) -> str | None:
    """None when open in every zone; "holiday" when the local date is a holiday in some zone; else
    "window_closed". Open in a zone: allowed weekday, not a holiday, start <= wall-clock time < end."""
    verdict = None
    for zone in zones:
        wall = datetime.fromtimestamp(t, ZoneInfo(zone))
        if wall.date() in holidays:
            return "holiday"
        hms = time(wall.hour, wall.minute, wall.second)
        inside = (start is None or start <= hms) and (end is None or hms < end)
        if wall.weekday() not in weekdays or not inside:
            verdict = "window_closed"
    return verdict


def is_open(t: float, zones: list[str], w: Window) -> bool:
    """The same definition, stopping at the first zone where it is closed (the minute scans are long)."""
    for zone in zones:
        wall = datetime.fromtimestamp(t, ZoneInfo(zone))
        hms = time(wall.hour, wall.minute, wall.second)
        if wall.date() in w.holidays or wall.weekday() not in w.weekdays:
            return False
        if (w.start is not None and hms < w.start) or (w.end is not None and hms >= w.end):
            return False
    return True


# ---- strategies ---------------------------------------------------------------------------------------------
def instants() -> st.SearchStrategy[int]:
    """Any second of 2026, or within two days of a DST transition."""
    anywhere = st.integers(YEAR_START, YEAR_END)
    near_dst = st.builds(lambda base, delta: int(base) + delta, st.sampled_from(TRANSITIONS),
                         st.integers(-2 * 86400, 2 * 86400))
    return st.one_of(anywhere, near_dst)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    """Hours on the minute grid, often near DST hours (00:00–03:00); most weekdays; a few holidays."""
    lo = draw(st.one_of(st.integers(0, 1439), st.integers(0, 200)))
    hi = draw(st.one_of(st.integers(lo + 1, 1440), st.integers(lo + 1, lo + 120).map(lambda m: min(m, 1440))))
    start = None if lo == 0 and draw(st.booleans()) else time(lo // 60, lo % 60)
    end = None if hi >= 1440 else time(hi // 60, hi % 60)
    weekdays = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    base = date(2026, 1, 1)
    holidays = draw(st.sets(st.integers(0, 372).map(lambda d: base + timedelta(days=d)), max_size=4))
    return Window(start, end, weekdays, holidays)


def zone_sets() -> st.SearchStrategy[list[str]]:
    from_numbers = st.sampled_from(NUMBERS[:-2]).map(lambda n: number_zones(n, None, "UTC"))
    return st.one_of(from_numbers, st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))


# ---- properties ---------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(w=windows(), zones=zone_sets(), t=instants())
def test_open_verdict_matches_the_definition(w: Window, zones: list[str], t: int) -> None:
    assert w.closed_reason(t, zones) == window_verdict(t, zones, w.start, w.end, w.weekdays, w.holidays)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=windows(), zones=zone_sets(), t=instants())
def test_next_open_is_open_and_nothing_earlier_is(w: Window, zones: list[str], t: int) -> None:
    found = w.next_open(t, zones)
    if found is None:
        # Never within a year: not open at any half hour of the next 40 days either.
        assert not any(is_open(t + k * 1800, zones, w) for k in range(40 * 48))
        return
    assert found >= t
    assert is_open(found, zones, w)
    if found > t:
        assert not is_open(found - 1, zones, w)  # exact to the second
    probe = t
    while probe < found:  # nothing earlier, at minute granularity
        assert not is_open(probe, zones, w), datetime.fromtimestamp(probe, UTC)
        probe += 60


def test_dst_gap_opens_when_the_wall_clock_reaches_the_start() -> None:
    """New York springs forward 02:00 → 03:00 on 2026-03-08: a window starting 02:30 opens at 03:00 EDT."""
    ny = ["America/New_York"]
    w = Window(time(2, 30), time(3, 30))
    t = datetime(2026, 3, 8, 5, 0, tzinfo=UTC).timestamp()
    assert w.next_open(t, ny) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC).timestamp()


def test_dst_fold_reopens_when_the_hour_repeats() -> None:
    """New York falls back 02:00 → 01:00 on 2026-11-01: 01:15–01:45 happens twice, so the window opens twice."""
    ny = ["America/New_York"]
    w = Window(time(1, 15), time(1, 45))
    first = datetime(2026, 11, 1, 5, 15, tzinfo=UTC).timestamp()  # 01:15 EDT
    assert w.next_open(first - 3600, ny) == first
    after_first = datetime(2026, 11, 1, 5, 50, tzinfo=UTC).timestamp()
    assert w.next_open(after_first, ny) == datetime(2026, 11, 1, 6, 15, tzinfo=UTC).timestamp()  # 01:15 EST


def test_a_russian_mobile_waits_for_the_overlap_of_all_its_zones() -> None:
    """TSR hours 08:00–21:00 in Bucharest (UTC+2) … Anadyr (UTC+12) overlap 06:00–09:00 UTC in winter."""
    policy = Policy.preset("us_tsr")
    gate = DialGate()
    sunday_evening = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert gate.next_open("+79161234567", policy=policy, now=sunday_evening) == \
        datetime(2026, 11, 23, 6, 0, tzinfo=UTC).timestamp()
    # A Moscow landline only waits for Moscow's 08:00.
    assert gate.next_open("+74951234567", policy=policy, now=sunday_evening) == \
        datetime(2026, 11, 23, 5, 0, tzinfo=UTC).timestamp()


def test_a_window_that_never_opens_in_all_zones_is_none() -> None:
    """Hours 08:00–09:00 in UTC and in Kolkata (UTC+05:30) never overlap, nor in all of a Russian mobile's zones;
    a window with no weekday never opens."""
    assert Window(time(8), time(9)).next_open(YEAR_START, ["UTC", "Asia/Kolkata"]) is None
    policy = Policy.preset("us_tsr", window_start=time(8), window_end=time(9))
    refused = DialGate().check("+79161234567", policy=policy, now=YEAR_START)  # Bucharest … Anadyr
    assert refused is not None and refused.reason == "window_closed" and refused.retry_at is None
    assert Window(time(8), time(21), weekdays=()).next_open(YEAR_START, ["UTC"]) is None


@pytest.mark.parametrize("number", NUMBERS[:-1])
def test_zones_are_phonenumbers_zones_or_the_fallbacks(number: str) -> None:
    own = [z for z in time_zones_for_number(phonenumbers.parse(number)) if z != "Etc/Unknown"]
    assert sorted(zones_for(number, "Asia/Tokyo", "Europe/Paris")) == sorted(own or ["Asia/Tokyo"])
    assert sorted(zones_for(number, None, "Europe/Paris")) == sorted(own or ["Europe/Paris"])
    assert zones_for(number, "Asia/Tokyo", "Europe/Paris", trust_lead_tz=True) == ("Asia/Tokyo",)


def test_a_holiday_in_any_zone_closes_the_window() -> None:
    """Alaska's number may be in Adak (UTC-10) or Anchorage (UTC-9): a holiday on either local date closes it."""
    policy = Policy.preset("us_tsr", holidays={date(2026, 7, 4)})
    gate = DialGate()
    noon_anchorage = datetime(2026, 7, 4, 20, 0, tzinfo=UTC)
    refused = gate.check("+19075551234", policy=policy, now=noon_anchorage)
    assert refused is not None and refused.reason == "holiday"
    # Open again at 08:00 on July 5th in Adak, the later of the two zones (UTC-9 in summer → 17:00 UTC).
    assert refused.retry_at == datetime(2026, 7, 5, 17, 0, tzinfo=UTC).timestamp()
