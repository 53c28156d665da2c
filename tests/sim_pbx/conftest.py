from __future__ import annotations

import pytest
from pbx_testkit import make_config

from vssd.sim.pbx import PbxSimulator


@pytest.fixture
async def sim():
    simulator = PbxSimulator(make_config())
    await simulator.start(host="127.0.0.1", port=0)
    try:
        yield simulator
    finally:
        await simulator.stop()
