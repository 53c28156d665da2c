"""Monitoring routes with the real `Monitor` over the adb SIMULATOR (through the real AdbAdapter) and this
host's psutil: USB hubs follow unplug/plug, the network answer measures an AMI round-trip when one is wired,
seed shapes, RBAC, 503 when not wired."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.actors.control import Monitor
from vssd.actors.farm import SlotFarm
from vssd.actors.supervisor import Supervisor
from vssd.adapters.adb import AdbAdapter
from vssd.fsm import LoopClock, SlotEnv
from vssd.sim.adb import AdbSimulator


@pytest.fixture
async def adb_sim() -> AsyncIterator[AdbSimulator]:
    sim = AdbSimulator(phones=6, seed=5, ports_per_hub=4)
    await sim.start(port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def adb(adb_sim: AdbSimulator) -> AsyncIterator[AdbAdapter]:
    adapter = AdbAdapter(port=adb_sim.port, timeout_s=5.0)
    try:
        yield adapter
    finally:
        await adapter.close()


def empty_farm() -> SlotFarm:
    clock = LoopClock()
    return SlotFarm(Supervisor(clock, random.Random(1)), SlotEnv(clock), None, None)  # type: ignore[arg-type]


async def _get(rig: Rig, path: str, who: str = "admin") -> tuple[int, Any]:
    resp = await rig.client.get(path, headers=rig.bearer(await rig.token(who)))
    return resp.status, await resp.json()


async def test_usb_hubs_follow_the_simulator(make_rig: RigFactory, adb_sim: AdbSimulator, adb: AdbAdapter) -> None:
    rig = await make_rig(monitor=Monitor(empty_farm(), adb, None))
    status, hubs = await _get(rig, "/api/monitor/usb")
    assert status == 200
    assert [(h["hub"], h["online"], h["total"]) for h in hubs] == [("1-1", 4, 4), ("1-2", 2, 2)]
    victim = next(d["serial"] for d in hubs[1]["devices"])
    adb_sim.unplug(victim)
    hubs = (await _get(rig, "/api/v1/monitor/usb"))[1]
    assert [(h["hub"], h["online"], h["total"]) for h in hubs] == [("1-1", 4, 4), ("1-2", 1, 2)]
    adb_sim.set_state(hubs[0]["devices"][0]["serial"], "offline")
    adb_sim.plug(victim)
    hubs = (await _get(rig, "/api/monitor/usb"))[1]
    assert [(h["hub"], h["online"], h["total"]) for h in hubs] == [("1-1", 3, 4), ("1-2", 2, 2)]


async def test_usb_without_adb_is_503(make_rig: RigFactory, adb_sim: AdbSimulator, adb: AdbAdapter) -> None:
    rig = await make_rig(monitor=Monitor(empty_farm(), adb, None))
    await adb_sim.stop()
    status, body = await _get(rig, "/api/monitor/usb")
    assert (status, body["code"]) == (503, "DEVICE_UNAVAILABLE")


async def test_system_and_network_are_measured(make_rig: RigFactory) -> None:
    pings: list[float] = []

    async def ami_ping() -> None:
        pings.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.01)

    rig = await make_rig(monitor=Monitor(empty_farm(), None, ami_ping))
    status, system = await _get(rig, "/api/monitor/system")
    assert status == 200 and 0 <= system["cpu"] <= 100 and 0 < system["ram"] <= 100
    assert re.fullmatch(r"[0-9]+h[0-5][0-9]m", system["uptime"]) and system["slots"] == {"total": 0}
    status, net = await _get(rig, "/api/monitor/network")
    assert status == 200 and len(pings) == 1 and net["ami_up"] is True and net["latency_ms"] >= 10
    lo = next(i for i in net["interfaces"] if i["name"] == "lo")
    await _get(rig, "/api/monitor/system")  # some loopback traffic between the two samples
    lo2 = next(i for i in (await _get(rig, "/api/monitor/network"))[1]["interfaces"] if i["name"] == "lo")
    assert lo2["bytes_recv"] > lo["bytes_recv"] and lo2["rx_bps"] > 0 and lo["rx_bps"] is None


async def test_network_reports_a_dead_ami_link(make_rig: RigFactory) -> None:
    async def dead() -> None:
        raise ConnectionError("AMI link down")

    rig = await make_rig(monitor=Monitor(empty_farm(), None, dead))
    status, net = await _get(rig, "/api/monitor/network")
    assert (status, net["ami_up"], net["latency_ms"]) == (200, False, None)


async def test_monitor_rights_and_wiring(make_rig: RigFactory, rig: Rig) -> None:
    wired = await make_rig(monitor=Monitor(empty_farm(), None, None))
    assert (await _get(wired, "/api/monitor/system", "mgr1"))[0] == 200
    assert (await _get(wired, "/api/monitor/slots", "super1")) == (200, [])
    assert (await _get(wired, "/api/monitor/slots/44"))[0] == 404
    for who in ("op12", "seller1"):
        assert (await _get(wired, "/api/monitor/system", who))[0] == 403, who
    assert (await _get(rig, "/api/monitor/system"))[1]["code"] == "SERVICE_UNAVAILABLE"
