"""The clocks behind the Clock Protocol."""

from __future__ import annotations

import asyncio

import pytest

from vssd.fsm import LoopClock, ManualClock, sleep


def test_manual_clock_fires_due_timers_in_deadline_order() -> None:
    clock = ManualClock(start=100.0)
    seen: list[tuple[str, float]] = []
    clock.call_later(5, lambda: seen.append(("b", clock.now())))
    clock.call_later(2, lambda: seen.append(("a", clock.now())))
    cancelled = clock.call_later(3, lambda: seen.append(("x", clock.now())))
    cancelled.cancel()
    assert clock.pending() == [102.0, 105.0]
    assert clock.advance(4) == 1
    assert seen == [("a", 102.0)] and clock.now() == 104.0
    clock.advance(1)
    assert seen[-1] == ("b", 105.0)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_timers_armed_by_a_callback_fire_in_the_same_advance() -> None:
    clock = ManualClock()
    seen: list[float] = []
    clock.call_later(1, lambda: clock.call_later(1, lambda: seen.append(clock.now())))
    clock.advance(5)
    assert seen == [clock.now() - 3]


async def test_sleep_on_the_manual_clock_wakes_when_advanced() -> None:
    clock = ManualClock()
    task = asyncio.get_running_loop().create_task(sleep(clock, 30))
    await asyncio.sleep(0)
    clock.advance(29)
    await asyncio.sleep(0)
    assert not task.done()
    clock.advance(1)
    await asyncio.wait_for(task, 1)


async def test_cancelled_sleep_disarms_its_timer() -> None:
    clock = ManualClock()
    task = asyncio.get_running_loop().create_task(sleep(clock, 30))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.pending() == []


async def test_loop_clock_uses_the_running_loop() -> None:
    clock = LoopClock()
    await sleep(clock, 0.001)
    fired = asyncio.Event()
    handle = clock.call_later(0, fired.set)
    await asyncio.wait_for(fired.wait(), 1)
    handle.cancel()
    assert clock.now() > 1_600_000_000
