"""A discrete-event simulator of a call centre behind the slots, on simulated time, to judge a `Pacer`.

Model: `operators` operators and `slots` GSM slots. Each slot has its own answer-rate multiplier and setup
latency; the population answer rate follows `answer_rate(t)` (a slow sine between 20 % and 60 % by default).
An attempt either is answered after the slot's setup latency (lognormal around the slot's mean, and only if
that comes before the ring timeout) or ends unanswered (busy/failed after 1-4 s, or no answer after ~20 s).
An answered call is bridged to a free operator at once; with none free it waits up to `connect_within_s` for
one and is abandoned otherwise (the recorded message then holds the slot `message_s`). Talk times are
lognormal (mean `talk_mean_s`), followed by `wrap_s` of wrap-up. A slot is busy while its call lasts. The dial
loop asks the pacer every `tick_s`.

Figures per phase of the population answer rate (low < 30 % <= mid <= 50 % < high): attempts, answers,
abandons, operator idle seconds, and the dial ratio = sum of calls in flight right after a decision that placed
calls / sum of free operators at those decisions — exactly 1 for progressive by construction.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from vssd.actors.pacing import Pacer

PHASES = ("low", "mid", "high")


def sine_rate(low: float = 0.2, high: float = 0.6, period_s: float = 3600.0) -> Callable[[float], float]:
    mid, amp = (low + high) / 2, (high - low) / 2
    return lambda t: mid + amp * math.sin(2 * math.pi * t / period_s)


def phase_of(rate: float) -> str:
    return "low" if rate < 0.3 else "high" if rate > 0.5 else "mid"


@dataclass
class Model:
    operators: int = 20
    slots: int = 60
    duration_s: float = 7200.0
    answer_rate: Callable[[float], float] = field(default_factory=sine_rate)
    talk_mean_s: float = 60.0
    wrap_s: float = 5.0
    ring_timeout_s: float = 22.0
    connect_within_s: float = 2.0
    message_s: float = 8.0
    tick_s: float = 1.0
    fast_fail: float = 0.15


@dataclass
class PhaseFigures:
    attempts: int = 0
    answered: int = 0
    abandoned: int = 0
    idle_s: float = 0.0
    staffed_s: float = 0.0
    in_flight_sum: int = 0
    free_sum: int = 0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def idle(self) -> float:
        return self.idle_s / self.staffed_s if self.staffed_s else 0.0

    @property
    def dial_ratio(self) -> float:
        return self.in_flight_sum / self.free_sum if self.free_sum else 0.0


@dataclass
class Result:
    mode: str
    phases: dict[str, PhaseFigures]
    total: PhaseFigures
    max_in_flight_over_free: float = 0.0  # right after a decision that placed calls, with a free operator

    def line(self) -> str:
        parts = [
            f"{self.mode:>11}: attempts {self.total.attempts} answered {self.total.answered} "
            f"abandon {100 * self.total.abandon_rate:.2f}% idle {100 * self.total.idle:.1f}% "
            f"ratio {self.total.dial_ratio:.2f}"
        ]
        for name, f in self.phases.items():
            parts.append(
                f"  {name}: attempts {f.attempts} abandon {100 * f.abandon_rate:.2f}% idle {100 * f.idle:.1f}% "
                f"ratio {f.dial_ratio:.2f} attempts/answer {f.attempts / max(f.answered, 1):.2f}"
            )
        return "\n".join(parts)


class _Slot:
    __slots__ = ("id", "multiplier", "setup_mean_s", "busy")

    def __init__(self, slot_id: str, multiplier: float, setup_mean_s: float) -> None:
        self.id = slot_id
        self.multiplier = multiplier
        self.setup_mean_s = setup_mean_s
        self.busy = False


class Simulation:
    """One run of `pacer` over `model` with a seeded RNG (same seed, same slots and same customers' dice)."""

    def __init__(self, model: Model, pacer: Pacer, seed: int) -> None:
        self.m = model
        self.pacer = pacer
        self.rng = random.Random(seed)
        slot_rng = random.Random(seed * 7919 + 1)
        self.slots = [
            _Slot(f"slot{i:03d}", slot_rng.uniform(0.4, 1.6), slot_rng.uniform(3.0, 12.0)) for i in range(model.slots)
        ]
        self.now = 0.0
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.in_flight: dict[int, tuple[str, float]] = {}
        self.free_ops = model.operators
        self.busy_since: dict[int, float] = {}
        self.waiting: deque[tuple[int, _Slot, float]] = deque()
        self._call_ids = itertools.count()
        self._op_ids = itertools.count()
        self.phases = {name: PhaseFigures() for name in PHASES}
        self.total = PhaseFigures()
        self.max_ratio = 0.0

    # ---- event queue ------------------------------------------------------------------------------------
    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))

    def run(self) -> Result:
        self.at(0.0, self._tick)
        while self._events and self._events[0][0] <= self.m.duration_s:
            when, _, action = heapq.heappop(self._events)
            self._account(when)
            self.now = when
            action()
        self._account(self.m.duration_s)
        return Result(self.pacer.mode, self.phases, self.total, self.max_ratio)

    def _figures(self) -> tuple[PhaseFigures, PhaseFigures]:
        return self.phases[phase_of(self.m.answer_rate(self.now))], self.total

    def _account(self, until: float) -> None:
        span = until - self.now
        for f in self._figures():
            f.idle_s += self.free_ops * span
            f.staffed_s += self.m.operators * span

    # ---- the dial loop ----------------------------------------------------------------------------------
    def _tick(self) -> None:
        ready = [s.id for s in self.slots if not s.busy]
        in_flight = list(self.in_flight.values())
        n = self.pacer.to_dial(
            self.now,
            free_operators=self.free_ops,
            in_flight=in_flight,
            ready_slots=ready,
            busy_since=list(self.busy_since.values()),
            waiting=len(self.waiting),
        )
        by_id = {s.id: s for s in self.slots}
        for slot_id in self.pacer.pick_slots(ready, n):
            self._originate(by_id[slot_id])
        if n > 0 and self.free_ops > 0:
            for f in self._figures():
                f.in_flight_sum += len(self.in_flight)
                f.free_sum += self.free_ops
            self.max_ratio = max(self.max_ratio, len(self.in_flight) / self.free_ops)
        self.at(self.now + self.m.tick_s, self._tick)

    def _originate(self, slot: _Slot) -> None:
        call_id = next(self._call_ids)
        slot.busy = True
        self.in_flight[call_id] = (slot.id, self.now)
        self.pacer.observe_originate(slot.id, self.now)
        for f in self._figures():
            f.attempts += 1
        p = min(0.95, self.m.answer_rate(self.now) * slot.multiplier)
        setup = slot.setup_mean_s * math.exp(self.rng.gauss(-0.08, 0.4))
        if self.rng.random() < p and setup < self.m.ring_timeout_s:
            self.at(self.now + setup, lambda: self._answer(call_id, slot, setup))
            return
        ring = self.rng.uniform(1.0, 4.0) if self.rng.random() < self.m.fast_fail else self.rng.uniform(18.0, 22.0)
        self.at(self.now + ring, lambda: self._no_answer(call_id, slot, ring))

    def _no_answer(self, call_id: int, slot: _Slot, ring: float) -> None:
        del self.in_flight[call_id]
        slot.busy = False
        self.pacer.observe_end(slot.id, self.now, answered=False, ring_s=ring)

    def _answer(self, call_id: int, slot: _Slot, setup: float) -> None:
        del self.in_flight[call_id]
        self.pacer.observe_answer(slot.id, self.now, setup)
        for f in self._figures():
            f.answered += 1
        if self.free_ops > 0:
            self._connect(slot, 0.0)
            return
        self.waiting.append((call_id, slot, self.now))
        self.at(self.now + self.m.connect_within_s, lambda: self._deadline(call_id))

    def _deadline(self, call_id: int) -> None:
        for entry in self.waiting:
            if entry[0] == call_id:
                self.waiting.remove(entry)
                self._abandon(entry[1])
                return

    def _abandon(self, slot: _Slot) -> None:
        self.pacer.observe_abandon(self.now)
        self.pacer.observe_end(slot.id, self.now, answered=True)
        for f in self._figures():
            f.abandoned += 1
        self.at(self.now + self.m.message_s, lambda: setattr(slot, "busy", False))

    def _connect(self, slot: _Slot, wait_s: float) -> None:
        self.pacer.observe_connect(self.now, wait_s)
        self.free_ops -= 1
        op = next(self._op_ids)
        self.busy_since[op] = self.now
        sigma = 0.6
        talk = self.m.talk_mean_s * math.exp(self.rng.gauss(-sigma * sigma / 2, sigma))
        self.at(self.now + talk, lambda: self._hang_up(slot, op))

    def _hang_up(self, slot: _Slot, op: int) -> None:
        slot.busy = False
        self.pacer.observe_end(slot.id, self.now, answered=True)
        self.at(self.now + self.m.wrap_s, lambda: self._release(op))

    def _release(self, op: int) -> None:
        started = self.busy_since.pop(op)
        self.pacer.observe_release(self.now, self.now - started)
        self.free_ops += 1
        if self.waiting:
            _, slot, answered_at = self.waiting.popleft()
            self._connect(slot, self.now - answered_at)


def simulate(mode: str, *, seed: int = 1, model: Model | None = None, **pacer_kwargs: float) -> Result:
    return Simulation(model or Model(), Pacer(mode, **pacer_kwargs), seed).run()
