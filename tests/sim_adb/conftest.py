"""Fixtures for the device simulator tests: a running simulator on a free loopback port."""

from __future__ import annotations

import pytest

from vssd.sim.adb import AdbSimulator


@pytest.fixture
async def sim():
    simulator = AdbSimulator(phones=8, seed=3, time_scale=50.0)
    await simulator.start(host="127.0.0.1", port=0)
    yield simulator
    await simulator.stop()
