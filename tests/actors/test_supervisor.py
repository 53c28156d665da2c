"""The supervisor with fake actors (they stand for the lead's slot actor) on the hand-advanced clock."""

from __future__ import annotations

import asyncio
import random

import pytest
from structlog.testing import capture_logs

from vssd.actors.supervisor import ActorStatus, Supervisor
from vssd.fsm import ManualClock


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


class Script:
    """Makes actors for one slot: the first `crashes` instances raise, the rest run until cancelled."""

    def __init__(self, crashes: int | None) -> None:
        self.crashes = crashes  # None: crash forever
        self.made = 0
        self.restarted = 0
        self.running = 0
        self.cleaned_up = 0

    def __call__(self) -> FakeActor:
        self.made += 1
        return FakeActor(self, crash=self.crashes is None or self.made <= self.crashes)


class FakeActor:
    def __init__(self, script: Script, crash: bool) -> None:
        self.script = script
        self.crash = crash

    async def on_restart(self) -> None:
        self.script.restarted += 1

    async def run(self) -> None:
        if self.crash:
            raise RuntimeError(f"boom {self.script.made}")
        self.script.running += 1
        try:
            await asyncio.Event().wait()
        finally:
            self.script.running -= 1
            self.script.cleaned_up += 1


class HalfRng:
    """Records the jitter range asked for and answers its middle."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.asked.append((a, b))
        return (a + b) / 2


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock()


async def test_crash_restarts_after_jittered_backoff(clock: ManualClock) -> None:
    rng = HalfRng()
    sup = Supervisor(clock, rng)
    script = Script(crashes=2)
    sup.add("s1", script)
    await settle()
    assert sup.status("s1") == ActorStatus.BACKOFF
    assert rng.asked == [(0.0, 0.5)] and clock.next_delay() == 0.25
    clock.advance(0.24)
    await settle()
    assert script.made == 1
    clock.advance(0.01)
    await settle()
    assert rng.asked[-1] == (0.0, 1.0) and clock.next_delay() == 0.5
    clock.advance(0.5)
    await settle()
    assert (script.made, script.restarted, script.running) == (3, 2, 1)
    assert sup.status("s1") == ActorStatus.RUNNING and sup.restarts("s1") == 2
    await sup.stop()


async def test_backoff_grows_to_the_cap_with_full_jitter(clock: ManualClock) -> None:
    rng = random.Random(20261122)
    sup = Supervisor(clock, rng, budget=(100, 60.0), backoff_base_s=0.5, backoff_cap_s=30.0)
    sup.add("s1", Script(crashes=None))
    delays: list[float] = []
    for _ in range(10):
        await settle()
        delay = clock.next_delay()
        assert delay is not None
        delays.append(delay)
        clock.advance(delay)
    ceilings = [min(30.0, 0.5 * 2**k) for k in range(10)]
    assert all(0.0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len({round(d / c, 6) for d, c in zip(delays, ceilings, strict=True)}) == 10  # jittered, not fixed
    assert sup.backoff_ceiling_s(7) == 30.0
    await sup.stop()


async def test_spent_budget_faults_the_slot_and_spares_the_others(clock: ManualClock) -> None:
    faults: list[tuple[str, str]] = []

    async def on_fault(slot_id: str, reason: str) -> None:
        faults.append((slot_id, reason))

    sup = Supervisor(clock, HalfRng(), budget=(5, 60.0), on_fault=on_fault)
    doomed, healthy = Script(crashes=None), Script(crashes=0)
    sup.add("doomed", doomed)
    sup.add("healthy", healthy)
    for _ in range(8):
        await settle()
        clock.advance(clock.next_delay() or 0)
    await settle()
    assert doomed.made == 6  # the first run and 5 restarts
    assert [slot for slot, _ in faults] == ["doomed"]
    assert faults[0][1] == "restart budget spent (6 crashes in 60s): RuntimeError: boom 6"
    assert sup.status("doomed") == ActorStatus.FAULTED and clock.pending() == []
    assert (healthy.made, healthy.running, sup.status("healthy")) == (1, 1, ActorStatus.RUNNING)
    await sup.stop()


async def test_crashes_spread_beyond_the_window_do_not_spend_the_budget(clock: ManualClock) -> None:
    faults: list[str] = []
    sup = Supervisor(clock, HalfRng(), budget=(2, 60.0), on_fault=lambda slot, why: faults.append(slot))
    script = Script(crashes=None)
    sup.add("s1", script)
    for _ in range(6):
        await settle()
        clock.advance(61)
    await settle()
    assert faults == [] and script.made == 7
    await sup.stop()


async def test_a_faulted_slot_can_be_added_again(clock: ManualClock) -> None:
    sup = Supervisor(clock, HalfRng(), budget=(0, 60.0))
    sup.add("s1", Script(crashes=None))
    await settle()
    assert sup.status("s1") == ActorStatus.FAULTED
    script = Script(crashes=0)
    sup.add("s1", script)
    await settle()
    assert script.running == 1
    with pytest.raises(ValueError):
        sup.add("s1", Script(crashes=0))
    await sup.stop()


async def test_crash_is_logged_with_the_slot_id(clock: ManualClock) -> None:
    with capture_logs() as logs:
        sup = Supervisor(clock, HalfRng())
        sup.add("slot-7", Script(crashes=1))
        await settle()
        clock.advance(1)
        await settle()
    crash = next(e for e in logs if e["event"] == "slot actor crashed")
    assert crash["slot_id"] == "slot-7" and crash["log_level"] == "error" and crash["reason"] == "RuntimeError: boom 1"
    restart = next(e for e in logs if e["event"] == "restarting slot actor")
    assert restart["slot_id"] == "slot-7" and restart["delay_s"] == 0.25
    await sup.stop()


async def test_remove_and_stop_leave_no_task(clock: ManualClock) -> None:
    sup = Supervisor(clock, HalfRng())
    a, b, c = Script(crashes=0), Script(crashes=0), Script(crashes=None)
    sup.add("a", a)
    sup.add("b", b)
    sup.add("c", c)
    await settle()
    assert len(sup) == 3
    await sup.remove("a")
    assert (a.running, a.cleaned_up, "a" in sup, len(sup)) == (0, 1, False, 2)
    await sup.stop()
    assert (b.running, b.cleaned_up, len(sup), clock.pending()) == (0, 1, 0, [])
    with pytest.raises(RuntimeError):
        sup.add("d", Script(crashes=0))


async def test_an_actor_that_returns_is_not_restarted(clock: ManualClock) -> None:
    class Quitter:
        async def on_restart(self) -> None:
            raise AssertionError("not a restart")

        async def run(self) -> None:
            return None

    sup = Supervisor(clock, HalfRng())
    sup.add("q", Quitter)
    await settle()
    assert sup.status("q") == ActorStatus.FINISHED and len(sup) == 0
    await sup.stop()
