from __future__ import annotations

import asyncio
import contextlib

import pytest

from vssd.adapters.ami import AmiSettings
from vssd.adapters.ami_calls import CallPump
from vssd.calls.model import Call
from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator

SECRET = "test-secret"


@pytest.fixture
async def pbx():
    sim = PbxSimulator(
        PbxConfig(
            username="vssd",
            secret=SECRET,
            seed=11,
            time_scale=50.0,
            endpoints=[Endpoint(f"60{i:02d}") for i in range(1, 11)],
            ring_mean_s=5.0,
            talk_mean_s=10.0,
        )
    )
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


def settings_for(sim: PbxSimulator, **over) -> AmiSettings:
    base = dict(
        host="127.0.0.1",
        port=sim.port,
        username="vssd",
        secret=SECRET,
        ping_interval_s=0.2,
        ping_timeout_s=0.3,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
        action_timeout_s=2.0,
    )
    base.update(over)
    return AmiSettings(**base)


class Finished:
    """Collects the pump's finished calls and lets a test wait for a count."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = asyncio.Event()

    def __call__(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    async def wait_for(self, predicate, timeout_s: float = 20.0) -> None:
        async def _loop():
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(_loop(), timeout_s)

    def by_action(self) -> dict[str, list[Call]]:
        out: dict[str, list[Call]] = {}
        for call in self.calls:
            if call.attempt is not None:
                out.setdefault(call.attempt.action_id, []).append(call)
        return out


@pytest.fixture
async def pump_factory(pbx):
    made: list[CallPump] = []

    async def make(**over) -> tuple[CallPump, Finished]:
        finished = Finished()
        pump = CallPump(settings_for(pbx, **over), on_final=finished)
        await pump.start()
        made.append(pump)
        await pump.link.wait_up(10)
        return pump, finished

    yield make
    for pump in made:
        with contextlib.suppress(Exception):
            await pump.stop()


async def until(predicate, timeout_s: float = 20.0, step_s: float = 0.02) -> None:
    """Poll a condition on state owned by other tasks (no event to wait on)."""

    async def _loop():
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(step_s)

    await asyncio.wait_for(_loop(), timeout_s)
