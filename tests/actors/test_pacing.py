"""Pacer modes on hand-built situations: preview, progressive, ratio, the predictive cap fallback, slot stats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vssd.actors.pacing import Pacer

SLOTS = [f"s{i}" for i in range(30)]


def _feed(pacer: Pacer, slot: str, *, answers: int, misses: int, now: float = 0.0, setup_s: float = 6.0) -> None:
    for _ in range(answers):
        pacer.observe_originate(slot, now)
        pacer.observe_answer(slot, now + setup_s, setup_s)
        pacer.observe_connect(now + setup_s, 0.0)
    for _ in range(misses):
        pacer.observe_originate(slot, now)
        pacer.observe_end(slot, now + 20.0, answered=False, ring_s=20.0)


def test_unknown_mode_and_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer("blaster")
    with pytest.raises(ValueError):
        Pacer("ratio", ratio=0)
    with pytest.raises(ValueError):
        Pacer("predictive", abandon_target=0.0)


def test_progressive_never_more_in_flight_than_free_operators() -> None:
    pacer = Pacer("progressive")
    assert pacer.to_dial(0.0, free_operators=5, in_flight=[], ready_slots=SLOTS) == 5
    assert pacer.to_dial(0.0, free_operators=5, in_flight=[("s0", 0.0), ("s1", 0.0)], ready_slots=SLOTS) == 3
    assert pacer.to_dial(0.0, free_operators=2, in_flight=[("s0", 0.0)] * 4, ready_slots=SLOTS) == 0
    assert pacer.to_dial(0.0, free_operators=5, in_flight=[], ready_slots=SLOTS[:2]) == 2


def test_ratio_dials_n_per_free_operator() -> None:
    pacer = Pacer("ratio", ratio=2.5)
    assert pacer.to_dial(0.0, free_operators=4, in_flight=[], ready_slots=SLOTS) == 10
    assert pacer.to_dial(0.0, free_operators=4, in_flight=[("s0", 0.0)] * 7, ready_slots=SLOTS) == 3
    assert pacer.to_dial(0.0, free_operators=1, in_flight=[], ready_slots=SLOTS) == 3  # 2.5 rounds half up
    assert pacer.dial_level == 3.0
    assert pacer.to_dial(0.0, free_operators=0, in_flight=[], ready_slots=SLOTS) == 0


def test_preview_dials_only_what_operators_confirmed() -> None:
    pacer = Pacer("preview")
    assert pacer.to_dial(0.0, free_operators=10, in_flight=[], ready_slots=SLOTS) == 0
    assert pacer.to_dial(0.0, free_operators=10, in_flight=[], ready_slots=SLOTS, preview_confirmed=3) == 3
    assert pacer.to_dial(0.0, free_operators=2, in_flight=[], ready_slots=SLOTS, preview_confirmed=3) == 2
    assert pacer.to_dial(0.0, free_operators=4, in_flight=[], ready_slots=SLOTS[:1], preview_confirmed=3) == 1


def test_predictive_overdials_on_a_low_answer_rate_and_never_beyond_ready_slots() -> None:
    pacer = Pacer("predictive")
    for slot in SLOTS:
        _feed(pacer, slot, answers=2, misses=8)
    n = pacer.to_dial(100.0, free_operators=5, in_flight=[], ready_slots=SLOTS)
    assert 5 < n <= len(SLOTS)
    assert pacer.dial_level > 1.0
    assert pacer.to_dial(100.0, free_operators=5, in_flight=[], ready_slots=SLOTS[:3]) == 3


def test_predictive_counts_in_flight_calls_by_how_long_they_rang() -> None:
    pacer = Pacer("predictive")
    for slot in SLOTS:
        _feed(pacer, slot, answers=5, misses=5, setup_s=5.0)
    fresh = pacer.to_dial(100.0, free_operators=4, in_flight=[(s, 99.0) for s in SLOTS[:6]], ready_slots=SLOTS)
    stale = pacer.to_dial(100.0, free_operators=4, in_flight=[(s, 88.0) for s in SLOTS[:6]], ready_slots=SLOTS)
    assert stale > fresh  # rung 12 s past a 5 s setup latency: these calls will hardly be answered


def test_predictive_prefers_better_slots() -> None:
    pacer = Pacer("predictive")
    _feed(pacer, "good", answers=40, misses=10)
    _feed(pacer, "bad", answers=5, misses=45)
    assert pacer.answer_rate("good") > 2 * pacer.answer_rate("bad")
    assert pacer.pick_slots(["bad", "good"], 1) == ["good"]
    assert pacer.pick_slots(["bad", "good"], 5) == ["good", "bad"]


def test_predictive_falls_back_to_progressive_at_the_cap_until_it_recovers() -> None:
    pacer = Pacer("predictive", abandon_cap=0.03)
    for slot in SLOTS:
        _feed(pacer, slot, answers=2, misses=8)
    assert pacer.to_dial(100.0, free_operators=5, in_flight=[], ready_slots=SLOTS) > 5
    for _ in range(2):
        pacer.observe_abandon(101.0)  # 2 of 60 answered: 3.3 %
    assert pacer.to_dial(102.0, free_operators=5, in_flight=[], ready_slots=SLOTS) == 5
    assert pacer.fallback
    assert pacer.to_dial(102.0, free_operators=5, in_flight=[("s0", 101.0)] * 5, ready_slots=SLOTS) == 0
    _feed(pacer, "s1", answers=10, misses=0, now=103.0)  # 2 of 70: 2.86 %, above 90 % of the cap: still held
    assert pacer.to_dial(120.0, free_operators=5, in_flight=[], ready_slots=SLOTS) == 5
    _feed(pacer, "s1", answers=10, misses=0, now=121.0)  # 2 of 80: 2.5 %
    assert pacer.to_dial(140.0, free_operators=5, in_flight=[], ready_slots=SLOTS) > 5
    assert not pacer.fallback


def test_the_period_rolls_over_and_can_be_restored() -> None:
    pacer = Pacer("predictive", period_s=1000.0)
    pacer.set_period(600.0, started_at=100.0, answered=100, abandoned=3)
    assert pacer.abandon_rate == pytest.approx(0.03)
    assert pacer.fallback
    pacer.observe_abandon(1050.0)  # still the restored period (100 … 1100)
    assert pacer.stats()["period_abandoned"] == 4
    pacer.observe_abandon(1150.0)  # a new period began at 1100
    assert pacer.stats()["period_abandoned"] == 1
    assert pacer.stats()["period_answered"] == 0


@settings(max_examples=150, deadline=None)
@given(
    mode=st.sampled_from(["preview", "progressive", "ratio", "predictive"]),
    free=st.integers(0, 30),
    flying=st.integers(0, 40),
    ready=st.integers(0, 40),
    confirmed=st.integers(0, 10),
    abandoned=st.integers(0, 6),
)
def test_never_negative_never_beyond_ready_slots_and_progressive_at_the_cap(
    mode: str, free: int, flying: int, ready: int, confirmed: int, abandoned: int
) -> None:
    pacer = Pacer(mode, ratio=1.7)
    for slot in SLOTS[:10]:
        _feed(pacer, slot, answers=3, misses=7)
    for _ in range(abandoned):
        pacer.observe_abandon(50.0)  # 30 answered: 1 abandon is 3.3 %, over the cap
    in_flight = [(SLOTS[i % len(SLOTS)], 95.0 - i % 15) for i in range(flying)]
    ready_slots = [f"r{i}" for i in range(ready)]
    n = pacer.to_dial(
        100.0,
        free_operators=free,
        in_flight=in_flight,
        ready_slots=ready_slots,
        busy_since=[40.0] * 5,
        preview_confirmed=confirmed,
    )
    assert 0 <= n <= ready
    assert len(pacer.pick_slots(ready_slots, n)) == n
    if mode == "progressive" or (mode == "predictive" and abandoned):
        assert n == max(0, min(free - flying, ready))
    if mode == "preview":
        assert n == min(confirmed, free, ready)
