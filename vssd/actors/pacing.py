"""Dial pacing: how many new calls to place now, and through which slots. Pure logic — no I/O, no asyncio, no
clock: every method takes `now` (float seconds, any epoch, simulated or real), so tests run on simulated time.

Modes (`Pacer(mode=...)`):

- ``preview``: the operator confirms each call. `to_dial` returns the operators whose confirmation is waiting
  for a dial (`preview_confirmed`), bounded by free operators and ready slots; it never dials on its own.
- ``progressive``: at most one call in flight per free operator (`free_operators - len(in_flight)`).
- ``ratio``: `ratio` calls in flight per free operator (round half up of `ratio * free_operators`).
- ``predictive``: an adaptive dial level. It estimates the answers to come — each in-flight call's answer
  probability given how long it has been ringing (its slot's answer rate, setup-latency and ring-time
  distributions) plus each candidate slot's answer rate — and the operators available: free ones, the caller's
  `operators_finishing`, and busy operators expected to finish within the horizon (from the learned handle-time
  distribution and how long each has been busy, `busy_since`). It dials the largest n whose expected overflow
  E[(answers - operators)+] stays <= tolerance * E[answers]. The tolerance is `abandon_target` times a slow
  feedback gain driven by the measured abandon rate (VICIdial adapts its dial level to the drop percentage the
  same way). The cap is a hard ceiling: while the period's measured abandon rate is at `abandon_cap` the pacer
  falls back to progressive, and resumes predictive once it is back under `resume_fraction * abandon_cap`.
  Until `_WARMUP_ATTEMPTS` attempts have resolved it dials as progressive too (no data, no prediction).

Slots differ: `SlotStats` keeps, per slot, a decayed answer-rate multiplier relative to the population rate
(so a population swing is tracked at the population's pace while a slot's own quality is learned over its last
~`window` attempts), its last `window` setup latencies (originate -> answer) and ring durations of unanswered
attempts. `pick_slots` orders ready slots best first (answer rate per second of setup latency, with an
exploration bonus for little-used slots so that every slot's statistics stay fresh).

Interface (all `slot_id`s are hashable, normally the slot's id string):

    Pacer(mode, *, ratio=1.0, abandon_cap=0.03, abandon_target=None (0.6 * cap), connect_within_s=2.0,
          max_level=5.0, window=50, period_s=30 * 86400, resume_fraction=0.9)
    observe_originate(slot_id, now)                     # a call was placed through this slot
    observe_answer(slot_id, now, setup_s)               # answered, setup_s seconds after the originate
    observe_end(slot_id, now, *, answered, ring_s=0.0)  # attempt over; unanswered ones give their ring time
    observe_connect(now, wait_s)                        # an answered call reached an operator after wait_s
    observe_abandon(now)                                # an answered call found no operator in time
    observe_release(now, handle_s)                      # an operator became free after handle_s (talk+wrap-up)
    set_period(now, *, started_at=None, answered=0, abandoned=0)  # start/restore the period (from the ledger)
    to_dial(now, *, free_operators, in_flight, ready_slots, operators_finishing=0.0, busy_since=(), waiting=0,
            preview_confirmed=0) -> int                 # how many NEW calls to place now
    horizon_s() -> float                                # how far ahead `operators_finishing` should look
    pick_slots(ready_slots, n) -> list                  # the n best ready slots, best first
    dial_level, abandon_rate, fallback (properties); stats() -> dict

Counting: an answered call is counted once by `observe_answer`; it ends in `observe_connect` or
`observe_abandon`. `observe_release`'s handle_s and `to_dial`'s busy_since measure the same span (from the
connect to the operator being free again, wrap-up included). The period abandon rate is abandons / answers
since the period started (US TSR: per campaign, per successive 30-day period); the period rolls over by itself
every `period_s`.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

MODES = ("preview", "progressive", "ratio", "predictive")
SlotT = TypeVar("SlotT", bound=Hashable)  # a slot id: whatever the caller names its slots by

_GLOBAL_WINDOW = 150  # attempts behind the population answer rate
_PRIOR = 2.0  # pseudo-answers pulling a new slot's multiplier towards 1
_MIN_SLOT_SAMPLES = 8  # below this a slot borrows the population's latency / ring-time distributions
_HORIZON_QUANTILE = 0.1  # of setup latency: the earliest a call placed now is answered
_WARMUP_ATTEMPTS = 50  # predictive runs progressive until this many attempts resolved (no data, no prediction)
_MIN_HANDLE_SAMPLES = 10  # below this no busy operator is expected to free up
_FEEDBACK_TAU_S = 900.0  # time constant of the measured abandon rate the feedback loop follows
_FEEDBACK_EVERY_S = 30.0
_FEEDBACK_STEP = 0.05  # log-gain change per step at most: slow, abandons are rare events
_GAIN_BOUNDS = (0.25, 8.0)


class Distribution:
    """The last `size` samples of a duration, with the survival function S(t) = P(X > t)."""

    __slots__ = ("_samples", "_sorted", "_sum")

    def __init__(self, size: int) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._sorted: list[float] | None = None
        self._sum = 0.0

    def add(self, value: float) -> None:
        if len(self._samples) == self._samples.maxlen:
            self._sum -= self._samples[0]
        self._samples.append(value)
        self._sum += value
        self._sorted = None

    def __len__(self) -> int:
        return len(self._samples)

    def _ordered(self) -> list[float]:
        if self._sorted is None:
            self._sorted = sorted(self._samples)
        return self._sorted

    def survival(self, t: float) -> float:
        if not self._samples:
            return 1.0
        ordered = self._ordered()
        return (len(ordered) - bisect.bisect_right(ordered, t)) / len(ordered)

    def quantile(self, q: float, default: float) -> float:
        if not self._samples:
            return default
        ordered = self._ordered()
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def mean(self, default: float) -> float:
        return self._sum / len(self._samples) if self._samples else default


class SlotStats:
    """One slot's recent history: answer-rate multiplier (decayed, ~`window` attempts), setup latencies and ring
    durations of unanswered attempts (last `window` each), attempts placed and when it was last used."""

    __slots__ = ("answers_w", "expected_w", "setup", "ring", "attempts", "last_used", "_decay")

    def __init__(self, window: int) -> None:
        self._decay = 1.0 - 1.0 / window
        self.answers_w = 0.0
        self.expected_w = 0.0
        self.setup = Distribution(window)
        self.ring = Distribution(window)
        self.attempts = 0
        self.last_used = -math.inf

    def resolve(self, answered: bool, population_rate: float) -> None:
        """One attempt resolved: answered or not, while the population answered at `population_rate`."""
        self.answers_w = self.answers_w * self._decay + (1.0 if answered else 0.0)
        self.expected_w = self.expected_w * self._decay + population_rate

    def multiplier(self) -> float:
        """How much better (>1) or worse than the population this slot answers, shrunk towards 1."""
        return (self.answers_w + _PRIOR) / (self.expected_w + _PRIOR)


class _PopulationRate:
    """Decayed answer rate over the last ~`_GLOBAL_WINDOW` resolved attempts of all slots."""

    __slots__ = ("answers_w", "attempts_w", "resolved")

    def __init__(self) -> None:
        self.answers_w = 0.0
        self.attempts_w = 0.0
        self.resolved = 0

    def resolve(self, answered: bool) -> None:
        self.resolved += 1
        decay = 1.0 - 1.0 / _GLOBAL_WINDOW
        self.answers_w = self.answers_w * decay + (1.0 if answered else 0.0)
        self.attempts_w = self.attempts_w * decay + 1.0

    @property
    def rate(self) -> float:
        return (self.answers_w + 0.3) / (self.attempts_w + 1.0)  # a 30 % guess until attempts speak


class _Period:
    """Answers and abandons of the current compliance period, and a decayed recent abandon rate."""

    __slots__ = ("started_at", "answered", "abandoned", "recent_answered", "recent_abandoned", "_t")

    def __init__(self) -> None:
        self.started_at: float | None = None
        self.answered = 0
        self.abandoned = 0
        self.recent_answered = 0.0
        self.recent_abandoned = 0.0
        self._t: float | None = None

    def roll(self, now: float, period_s: float) -> None:
        if self.started_at is None:
            self.started_at = now
        elif now - self.started_at >= period_s:
            self.started_at += period_s * ((now - self.started_at) // period_s)
            self.answered = self.abandoned = 0
        if self._t is not None and now > self._t:
            decay = math.exp(-(now - self._t) / _FEEDBACK_TAU_S)
            self.recent_answered *= decay
            self.recent_abandoned *= decay
        self._t = now if self._t is None else max(self._t, now)

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def recent_rate(self) -> float:
        return self.recent_abandoned / self.recent_answered if self.recent_answered >= 1.0 else 0.0


@dataclass(frozen=True, slots=True)
class _Ask:
    """What the predictive pacer weighs besides the free operators (see `Pacer.to_dial`)."""

    in_flight: Sequence[tuple[Hashable, float]]
    ready_slots: Sequence[Hashable]
    operators_finishing: float
    busy_since: tuple[float, ...]
    waiting: int


class Pacer:
    """How many calls to place now and through which slots (see the module docstring)."""

    def __init__(
        self,
        mode: str,
        *,
        ratio: float = 1.0,
        abandon_cap: float = 0.03,
        abandon_target: float | None = None,
        connect_within_s: float = 2.0,
        max_level: float = 5.0,
        window: int = 50,
        period_s: float = 30 * 86400.0,
        resume_fraction: float = 0.9,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown dial mode {mode!r} (one of {', '.join(MODES)})")
        if ratio <= 0 or max_level < 1 or not 0 < abandon_cap < 1:
            raise ValueError("ratio must be > 0, max_level >= 1, 0 < abandon_cap < 1")
        self.mode = mode
        self.ratio = ratio
        self.abandon_cap = abandon_cap
        self.abandon_target = abandon_target if abandon_target is not None else 0.6 * abandon_cap
        if not 0 < self.abandon_target < 1:
            raise ValueError("0 < abandon_target < 1")
        self.connect_within_s = connect_within_s
        self.max_level = max_level
        self.period_s = period_s
        self.resume_fraction = resume_fraction
        self._window = window
        self._slots: dict[Hashable, SlotStats] = {}
        self._attempts = 0
        self._population = _PopulationRate()
        self._setup = Distribution(10 * window)
        self._ring = Distribution(10 * window)
        self._handle = Distribution(200)
        self._period = _Period()
        self._gain = 1.0
        self._gain_at: float | None = None
        self._fallback = False
        self._level = 0.0

    # ---- observations ------------------------------------------------------------------------------------
    def _slot(self, slot_id: Hashable) -> SlotStats:
        stats = self._slots.get(slot_id)
        if stats is None:
            stats = self._slots[slot_id] = SlotStats(self._window)
        return stats

    def observe_originate(self, slot_id: Hashable, now: float) -> None:
        stats = self._slot(slot_id)
        stats.attempts += 1
        self._attempts += 1
        stats.last_used = now
        self._period.roll(now, self.period_s)

    def observe_answer(self, slot_id: Hashable, now: float, setup_s: float) -> None:
        stats = self._slot(slot_id)
        stats.resolve(True, self._population.rate)
        self._population.resolve(True)
        stats.setup.add(setup_s)
        self._setup.add(setup_s)
        self._period.roll(now, self.period_s)
        self._period.answered += 1
        self._period.recent_answered += 1.0

    def observe_end(self, slot_id: Hashable, now: float, *, answered: bool, ring_s: float = 0.0) -> None:
        """The attempt is over. An answered one was counted by `observe_answer` already; an unanswered one
        (no answer, busy, failure) counts against the slot and its ring time joins the ring distribution."""
        if answered:
            return
        stats = self._slot(slot_id)
        stats.resolve(False, self._population.rate)
        self._population.resolve(False)
        stats.ring.add(ring_s)
        self._ring.add(ring_s)
        self._period.roll(now, self.period_s)

    def observe_connect(self, now: float, wait_s: float) -> None:
        self._period.roll(now, self.period_s)

    def observe_abandon(self, now: float) -> None:
        self._period.roll(now, self.period_s)
        self._period.abandoned += 1
        self._period.recent_abandoned += 1.0

    def observe_release(self, now: float, handle_s: float) -> None:
        """An operator became free after `handle_s` seconds with the call (talk + wrap-up)."""
        self._handle.add(handle_s)

    def set_period(self, now: float, *, started_at: float | None = None, answered: int = 0, abandoned: int = 0) -> None:
        """Start the compliance period at `now`, or restore one in progress that began at `started_at` (counts
        from the ledger); periods then follow every `period_s` from that start."""
        self._period.started_at = now if started_at is None else started_at
        self._period.answered = answered
        self._period.abandoned = abandoned
        self._period.roll(now, self.period_s)
        self._fallback = self._period.rate >= self.abandon_cap

    # ---- figures -----------------------------------------------------------------------------------------
    @property
    def abandon_rate(self) -> float:
        """Abandons / answers in the current compliance period."""
        return self._period.rate

    @property
    def dial_level(self) -> float:
        """Calls in flight after the last `to_dial` per free operator (at least one)."""
        return self._level

    @property
    def fallback(self) -> bool:
        """True while predictive runs progressive because the period's abandon rate reached the cap."""
        return self._fallback

    def answer_rate(self, slot_id: Hashable) -> float:
        """The slot's expected answer probability for a call placed now."""
        stats = self._slots.get(slot_id)
        rate = self._population.rate * (stats.multiplier() if stats else 1.0)
        return min(rate, 0.98)

    def stats(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dial_level": round(self._level, 3),
            "abandon_rate": round(self._period.rate, 5),
            "recent_abandon_rate": round(self._period.recent_rate, 5),
            "period_answered": self._period.answered,
            "period_abandoned": self._period.abandoned,
            "population_answer_rate": round(self._population.rate, 4),
            "feedback_gain": round(self._gain, 3),
            "fallback": self._fallback,
            "slots": {
                slot_id: {"answer_rate": round(self.answer_rate(slot_id), 4), "attempts": s.attempts}
                for slot_id, s in self._slots.items()
            },
        }

    # ---- decisions ---------------------------------------------------------------------------------------
    def to_dial(
        self,
        now: float,
        *,
        free_operators: int,
        in_flight: Sequence[tuple[Hashable, float]],
        ready_slots: Sequence[Hashable],
        operators_finishing: float = 0.0,
        busy_since: Iterable[float] = (),
        waiting: int = 0,
        preview_confirmed: int = 0,
    ) -> int:
        """How many NEW calls to place now (never more than `ready_slots`).

        `free_operators`: logged in, not on a call nor in wrap-up. `in_flight`: (slot_id, originated_at) of calls
        placed and not answered yet. Predictive only: `operators_finishing` (operators the caller knows will be
        free within `horizon_s()`), `busy_since` (when each busy operator's current call began), `waiting`
        (answered calls waiting for an operator right now). Preview only: `preview_confirmed`."""
        self._period.roll(now, self.period_s)
        self._update_feedback(now)
        free = max(free_operators, 0)
        if self.mode == "preview":
            n = min(preview_confirmed, free)
        elif self.mode == "progressive" or (self.mode == "predictive" and not self._predicting()):
            n = free - len(in_flight)
        elif self.mode == "ratio":
            n = math.floor(self.ratio * free + 0.5) - len(in_flight)
        else:
            ask = _Ask(in_flight, ready_slots, operators_finishing, tuple(busy_since), waiting)
            n = self._predictive(now, free, ask)
        n = max(0, min(n, len(ready_slots)))
        self._level = (len(in_flight) + n) / max(free, 1)
        return n

    def _predicting(self) -> bool:
        return not self._fallback and self._population.resolved >= _WARMUP_ATTEMPTS

    def _update_feedback(self, now: float) -> None:
        """Hard ceiling with hysteresis, then a slow multiplicative gain on the overflow tolerance. The gain
        follows the recent abandon rate, or the period's when that is over the target (no slack left); it stays
        put while predictive is not dialing (warm-up, fallback): those abandons say nothing of its model."""
        rate = self._period.rate
        if rate >= self.abandon_cap:
            self._fallback = True
        elif rate <= self.resume_fraction * self.abandon_cap:
            self._fallback = False
        if self._gain_at is not None and now - self._gain_at < _FEEDBACK_EVERY_S:
            return
        self._gain_at = now
        if not self._predicting():
            return
        measured = self._period.recent_rate
        if self._period.answered >= 100 and rate > self.abandon_target:
            measured = max(measured, rate)
        error = (self.abandon_target - measured) / self.abandon_target
        self._gain *= math.exp(_FEEDBACK_STEP * max(-1.0, min(1.0, error)))
        self._gain = max(_GAIN_BOUNDS[0], min(_GAIN_BOUNDS[1], self._gain))

    def horizon_s(self) -> float:
        """How far ahead the predictive pacer counts busy operators as available: the earliest a call placed now
        is answered (10th percentile of setup latency) plus the connect window. Counting operators that free up
        later would bet on answers coming late; the feedback gain corrects what this simple timing misses."""
        return self._setup.quantile(_HORIZON_QUANTILE, 5.0) + self.connect_within_s

    def _predictive(self, now: float, free: int, ask: _Ask) -> int:
        """The largest n whose expected overflow stays within the tolerated share of expected answers."""
        horizon = self.horizon_s()
        finishing = [self._finish_probability(now - since, horizon) for since in ask.busy_since]
        available = free + ask.operators_finishing + sum(finishing)
        if available <= 0.0 or not ask.ready_slots:
            return 0
        pending = (self._pending_answer(slot_id, now - started) for slot_id, started in ask.in_flight)
        answers = [0.0] * max(ask.waiting, 0) + _poisson_binomial(pending)
        limit = min(len(ask.ready_slots), int(self.max_level * max(available, 1.0)) - len(ask.in_flight))
        overflow = _OverflowTable(free + ask.operators_finishing, finishing)
        tolerance = self.abandon_target * self._gain
        n, expected = 0, _mean(answers)
        for slot_id in self.pick_slots(ask.ready_slots, limit):
            p = self.answer_rate(slot_id)
            trial = _add_bernoulli(answers, p)
            if overflow.expected(trial) > tolerance * max(expected + p, 1e-9):
                break
            answers, n, expected = trial, n + 1, expected + p
        return n

    def _pending_answer(self, slot_id: Hashable, age: float) -> float:
        """P(this call will still be answered | it has rung `age` seconds unanswered)."""
        stats = self._slots.get(slot_id)
        p = self.answer_rate(slot_id)
        setup = stats.setup if stats and len(stats.setup) >= _MIN_SLOT_SAMPLES else self._setup
        ring = stats.ring if stats and len(stats.ring) >= _MIN_SLOT_SAMPLES else self._ring
        yes = p * setup.survival(age)
        no = (1.0 - p) * ring.survival(age)
        return yes / (yes + no) if yes + no > 1e-12 else 0.0

    def _finish_probability(self, busy_for: float, horizon: float) -> float:
        """P(an operator busy for `busy_for` s frees up within `horizon` s), from the handle-time samples."""
        if len(self._handle) < _MIN_HANDLE_SAMPLES:
            return 0.0
        alive = self._handle.survival(busy_for)
        if alive <= 0.0:
            return min(1.0, horizon / max(self._handle.mean(60.0), 1.0))
        return (alive - self._handle.survival(busy_for + horizon)) / alive

    def pick_slots(self, ready_slots: Sequence[SlotT], n: int) -> list[SlotT]:
        """The `n` best ready slots, best first: answer rate per second of typical setup latency, plus an
        exploration bonus for slots with few attempts; least recently used first among equals (spread)."""
        if n <= 0:
            return []
        explore = 0.25 * math.log(self._attempts + 1)
        population = self._population.rate

        def score(slot_id: SlotT) -> tuple[float, float]:
            stats = self._slots.get(slot_id)
            if stats is None:
                return (-(population + math.sqrt(explore)) / (self._setup.mean(8.0) + 5.0), -math.inf)
            setup = stats.setup if len(stats.setup) >= _MIN_SLOT_SAMPLES else self._setup
            rate = min(population * stats.multiplier(), 0.98) + math.sqrt(explore / (stats.attempts + 1))
            return (-rate / (setup.mean(8.0) + 5.0), stats.last_used)

        if n >= len(ready_slots):
            return sorted(ready_slots, key=score)
        return heapq.nsmallest(n, ready_slots, key=score)


# ---- the arithmetic of answers and operators -----------------------------------------------------------------
def _add_bernoulli(dist: list[float], p: float) -> list[float]:
    """The distribution of k + X, X ~ Bernoulli(p), for k ~ `dist`; negligible upper tail trimmed."""
    out = [0.0] * (len(dist) + 1)
    for k, mass in enumerate(dist):
        out[k] += mass * (1.0 - p)
        out[k + 1] += mass * p
    while len(out) > 1 and out[-1] < 1e-12:
        out.pop()
    return out


def _poisson_binomial(probabilities: Iterable[float]) -> list[float]:
    """Distribution of the number of successes of independent Bernoulli trials: index k -> P(k)."""
    dist = [1.0]
    for p in probabilities:
        if p > 1e-6:
            dist = _add_bernoulli(dist, p)
    return dist


def _mean(dist: Sequence[float]) -> float:
    return sum(k * mass for k, mass in enumerate(dist))


class _OverflowTable:
    """E[(a - operators)+] for every answer count a, where operators = `sure` + independent Bernoullis."""

    def __init__(self, sure: float, finishing: Sequence[float]) -> None:
        self._sure = sure
        self._ops = _poisson_binomial(finishing)
        self._cache: list[float] = []

    def _at(self, a: int) -> float:
        while len(self._cache) <= a:
            k = len(self._cache)
            self._cache.append(sum(mass * max(0.0, k - self._sure - j) for j, mass in enumerate(self._ops)))
        return self._cache[a]

    def expected(self, answers: Sequence[float]) -> float:
        return sum(mass * self._at(a) for a, mass in enumerate(answers) if a > self._sure)
