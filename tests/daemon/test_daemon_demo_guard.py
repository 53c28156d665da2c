"""A demo must never drive a real PBX: the daemon refuses an AMI peer that is not the simulator, before dialling."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from daemon_rig import SECRET, TIME_SCALE, database, env_for, plan

from tests.conftest import require_service
from vssd.adapters.ami import AmiFatal
from vssd.app import Daemon
from vssd.config.loader import load_config
from vssd.sim.adb import AdbSimulator
from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator


@pytest.mark.parametrize("version,refused", [("20.5.0", True), ("20.5.0-vssd-sim", False)])
async def test_demo_refuses_a_pbx_that_is_not_the_simulator(tmp_path: Path, version: str, refused: bool) -> None:
    require_service("PostgreSQL", 5432)
    async with contextlib.AsyncExitStack() as stack:
        pbx = PbxSimulator(PbxConfig(secret=SECRET, time_scale=TIME_SCALE, version=version,
                                     endpoints=[Endpoint("6001")]))
        await pbx.start(port=0)
        stack.push_async_callback(pbx.stop)
        adb = AdbSimulator(phones=2, time_scale=TIME_SCALE)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(database())
        config = load_config(None, env_for(dsn, pbx, adb, tmp_path / "state"))
        daemon = Daemon(config, slot_plan=plan(sorted(adb.phones))[:1], ami_secret=SECRET, require_simulator=True)
        stack.push_async_callback(daemon.stop)
        if refused:
            with pytest.raises(AmiFatal, match="not the PBX simulator"):
                await daemon.start()
        else:
            await daemon.start()
            assert daemon.ready()
    assert not [a for a in pbx.ledger.actions if a.name.lower() == "originate"]
