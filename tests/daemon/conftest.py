"""Fixtures: a whole daemon per test over real PostgreSQL (a fresh database) and in-process simulators.

`hub_factory(**env)` starts one `Daemon` over its own simulators and database and stops everything at teardown;
`hub` is the default one with every enrolled slot READY; `daemon` is its `Daemon`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from daemon_rig import (
    ENROLLED_AUTO,
    LS,
    MF,
    NOT_ENROLLED,
    NOT_PLANNED,
    SECRET,
    TIME_SCALE,
    Hub,
    HubFactory,
    database,
    env_for,
    plan,
    ready,
)

from tests.conftest import require_service
from vssd.app import Daemon
from vssd.config.loader import load_config
from vssd.sim.adb import AdbSimulator
from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator


@pytest.fixture
async def hub_factory(tmp_path: Path) -> AsyncIterator[HubFactory]:
    """`await hub_factory(**env)`: a started hub; `env` overrides the daemon's VSSD_* variables."""
    require_service("PostgreSQL", 5432)
    stack = contextlib.AsyncExitStack()

    async def make(**over: str) -> Hub:
        endpoints = [*ENROLLED_AUTO, *MF, *LS, NOT_ENROLLED, NOT_PLANNED]
        pbx = PbxSimulator(PbxConfig(secret=SECRET, seed=7, time_scale=TIME_SCALE,
                                     endpoints=[Endpoint(e) for e in endpoints]))
        await pbx.start(port=0)
        stack.push_async_callback(pbx.stop)
        adb = AdbSimulator(phones=4, seed=3, time_scale=TIME_SCALE)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(database())
        serials = sorted(adb.phones)
        config = load_config(None, env_for(dsn, pbx, adb, tmp_path / f"state-{uuid.uuid4().hex[:6]}", **over))
        daemon = Daemon(config, slot_plan=plan(serials), ami_secret=SECRET)
        stack.push_async_callback(daemon.stop)
        await daemon.start()
        hub = Hub(daemon, pbx, adb, dsn, serials)
        hub.slot_ids = {core.spec.endpoint: slot_id for slot_id, core in daemon.farm.cores.items()}
        return hub

    try:
        yield make
    finally:
        await stack.aclose()


@pytest.fixture
async def hub(hub_factory: HubFactory) -> Hub:
    """The default hub, every enrolled slot READY."""
    made = await hub_factory()
    await ready(made, [*ENROLLED_AUTO, *MF, *LS])
    return made


@pytest.fixture
def daemon(hub: Hub) -> Daemon:
    return hub.daemon
