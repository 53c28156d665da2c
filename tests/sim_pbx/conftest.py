from __future__ import annotations

import pytest

from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator


def make_config(**kw) -> PbxConfig:
    base = dict(seed=7, time_scale=200.0,
                endpoints=[Endpoint("6001"), Endpoint("7001", registered=False), Endpoint("8001")],
                ring_mean_s=4.0, talk_mean_s=6.0)
    base.update(kw)
    return PbxConfig(**base)


@pytest.fixture
async def sim():
    simulator = PbxSimulator(make_config())
    await simulator.start(host="127.0.0.1", port=0)
    try:
        yield simulator
    finally:
        await simulator.stop()
