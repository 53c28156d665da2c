"""Two hubs over one database: each mints call ids with its own number, a second hub id with a number already
held does not start, and a restarted hub mints above what it minted before (no max() read from the store)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from daemon_rig import SECRET, TIME_SCALE, database, env_for, plan

from tests.conftest import require_service
from vssd.adapters.store_hubs import HubNumberTaken, hubs
from vssd.app import Daemon
from vssd.calls.ids import parse
from vssd.config.loader import load_config
from vssd.sim.adb import AdbSimulator
from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator


async def test_hubs_claim_their_numbers_and_a_restart_continues_its_ids(tmp_path: Path) -> None:
    require_service("PostgreSQL", 5432)
    async with contextlib.AsyncExitStack() as stack:
        pbx = PbxSimulator(PbxConfig(secret=SECRET, time_scale=TIME_SCALE, endpoints=[Endpoint("6001")]))
        await pbx.start(port=0)
        stack.push_async_callback(pbx.stop)
        adb = AdbSimulator(phones=2, time_scale=TIME_SCALE)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(database())

        def daemon(hub_id: str, number: int, state: str) -> Daemon:
            env = env_for(dsn, pbx, adb, tmp_path / state, VSSD_HUB__ID=hub_id, VSSD_HUB__NUMBER=str(number))
            made = Daemon(load_config(None, env), slot_plan=plan(sorted(adb.phones))[:1], ami_secret=SECRET)
            stack.push_async_callback(made.stop)
            return made

        first = daemon("kyiv-1", 5, "a")
        await first.start()
        minted = [first.farm.next_call_id() for _ in range(50)]
        assert {parse(c)[1] for c in minted} == {5}  # type: ignore[index]

        intruder = daemon("lviv-1", 5, "b")
        with pytest.raises(HubNumberTaken, match="held by hub 'kyiv-1'"):
            await intruder.start()
        await intruder.stop()
        assert intruder.farms.current is None

        await first.stop()
        again = daemon("kyiv-1", 5, "a")  # its state directory keeps the floor
        await again.start()
        assert int(again.farm.next_call_id().removeprefix("c_")) > max(int(c.removeprefix("c_")) for c in minted)
        assert await hubs(again.store) == {5: "kyiv-1"}
