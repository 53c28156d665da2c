"""Acceptance 4 and the adapter's contract: typed errors, health under faults, quoting, watch, no spawned adb."""

from __future__ import annotations

import asyncio
import socket
import subprocess

import pytest
from adbsim_support import serial_of

from vssd.adapters.adb import AdbAdapter, AdbAuthFailed, AdbNotReady, NoSpawnAdbClient
from vssd.sim.adb import AdbSimulator


@pytest.fixture
async def adapter(sim):
    a = AdbAdapter(port=sim.port, workers=4, timeout_s=5.0)
    yield a
    await a.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_server_devices_and_identity(sim, adapter):
    assert await adapter.server_version() == 41
    assert await adapter.is_simulator()
    devices = {d.serial: d for d in await adapter.devices()}
    assert set(devices) == set(sim.phones)
    for serial, phone in sim.phones.items():
        d = devices[serial]
        assert (d.state, d.usb_path, d.hub, d.transport_id) == ("device", phone.usb_path, phone.hub,
                                                                 phone.transport_id)
        assert d.model == phone.model.replace(" ", "_").replace("-", "_")
        assert d.product == phone.props["ro.product.name"]


async def test_health_of_a_healthy_phone(sim, adapter):
    serial = serial_of(sim, "pixel-8")
    phone = sim.phones[serial]
    h = await adapter.health(serial)
    assert (h.state, h.sim_state, h.in_service, h.model) == ("device", "READY", True, "Pixel 8")
    assert (h.battery_level, h.battery_temp_c) == (phone.battery_level, phone.battery_temp_c)
    assert (h.iccid, h.imsi, h.usb_path, h.hub) == (phone.iccid, phone.imsi, phone.usb_path, phone.hub)
    assert h.signal_dbm == phone.signal_dbm and h.signal_level in range(5)


@pytest.mark.parametrize("fault", ["sim_absent", "hot_battery", "low_battery", "out_of_service", "offline",
                                   "unauthorized", "unplug"])
async def test_health_reflects_faults(sim, adapter, fault):
    serial = serial_of(sim, "pixel-2")
    assert (await adapter.health(serial)).state == "device"
    sim.apply_fault(serial, fault)
    h = await adapter.health(serial)
    expected = {
        "sim_absent": lambda: h.sim_state == "ABSENT" and h.in_service is False and h.iccid is None,
        "hot_battery": lambda: h.battery_temp_c is not None and h.battery_temp_c >= 45,
        "low_battery": lambda: h.battery_level is not None and h.battery_level <= 5,
        "out_of_service": lambda: h.in_service is False and h.signal_dbm is None and h.sim_state == "READY",
        "offline": lambda: h.state == "offline" and h.battery_level is None,
        "unauthorized": lambda: h.state == "unauthorized" and h.usb_path == sim.phones[serial].usb_path,
        "unplug": lambda: h.state == "absent",
    }
    assert expected[fault](), h
    sim.apply_fault(serial, "clear")
    cleared = await adapter.health(serial)
    assert (cleared.state, cleared.sim_state, cleared.in_service) == ("device", "READY", True)


async def test_typed_errors(sim, adapter):
    off, locked = serial_of(sim, "pixel-8"), serial_of(sim, "nexus6")
    sim.set_state(off, "offline")
    sim.set_state(locked, "unauthorized")
    with pytest.raises(AdbNotReady) as offline:
        await adapter.shell(off, ["id"])
    assert "device offline" in str(offline.value) and offline.value.__cause__ is not None
    with pytest.raises(AdbAuthFailed):
        await adapter.shell(locked, ["id"])
    with pytest.raises(AdbNotReady, match="not found"):
        await adapter.shell("NOPE", ["id"])


async def test_shell_quotes_every_argument(sim, adapter):
    serial = serial_of(sim, "galaxy-s8")
    argv = ["echo", "a;b", "$?", "x && y", "'q'", ">out", "2>&1"]
    result = await adapter.shell(serial, argv)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "a;b $? x && y 'q' >out 2>&1\n", "")
    failed = await adapter.shell(serial, ["ls", "/nope; reboot"])
    assert failed.exit_code == 127 and "ls: inaccessible or not found" in failed.stderr
    assert sim.phones[serial].state == "device"


async def test_shell_exit_codes_on_old_android_without_shell_v2(sim, adapter):
    serial = serial_of(sim, "galaxy-s4")
    ok = await adapter.shell(serial, ["getprop", "ro.product.model"])
    assert (ok.exit_code, ok.stdout) == (0, "SAMSUNG-SGH-I337\n")
    assert (await adapter.shell(serial, ["false"])).exit_code == 1
    assert {e.service for e in sim.ledger if e.serial == serial and e.service.startswith("shell")} == {"shell"}


async def test_shell_timeout_is_not_ready():
    slow = AdbSimulator(phones=1, seed=1, time_scale=1.0)
    await slow.start()
    adapter = AdbAdapter(port=slow.port, timeout_s=2.0)
    try:
        serial = next(iter(slow.phones))
        with pytest.raises(AdbNotReady, match="timed out"):
            await adapter.shell(serial, ["sleep", "600"], timeout_s=0.3)
    finally:
        await slow.stop()
        await adapter.close()


async def test_reboot_then_back(sim, adapter):
    serial = serial_of(sim, "huawei")
    seen = []
    async with asyncio.timeout(10):
        watch = adapter.watch()
        seen.append({d.serial: d.state for d in await anext(watch)}[serial])
        await adapter.reboot(serial)
        while seen[-1] != "device" or len(seen) < 3:
            seen.append({d.serial: d.state for d in await anext(watch)}[serial])
        await watch.aclose()
    assert seen == ["device", "offline", "device"]
    assert any(e.serial == serial and e.service == "reboot" for e in sim.ledger)


async def test_watch_yields_after_unplug_and_plug(sim, adapter):
    serial = list(sim.phones)[3]
    async with asyncio.timeout(10):
        watch = adapter.watch()
        first = await anext(watch)
        sim.unplug(serial)
        second = await anext(watch)
        sim.plug(serial)
        third = await anext(watch)
        await watch.aclose()
    assert serial in {d.serial for d in first} and serial not in {d.serial for d in second}
    assert serial in {d.serial for d in third} and len(third) == len(sim.phones)


async def test_watch_reconnects_when_the_server_comes_back():
    port = free_port()
    first = AdbSimulator(phones=2, seed=5)
    await first.start(port=port)
    adapter = AdbAdapter(port=port, timeout_s=2.0, backoff_s=(0.01, 0.05))
    second = AdbSimulator(phones=3, seed=6)
    try:
        async with asyncio.timeout(10):
            watch = adapter.watch()
            assert len(await anext(watch)) == 2
            await first.stop()
            await second.start(port=port)
            assert len(await anext(watch)) == 3
            await watch.aclose()
    finally:
        await second.stop()
        await adapter.close()


async def test_unreachable_server_never_spawns_adb(monkeypatch):
    spawned: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: spawned.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: spawned.append(a))
    port = free_port()
    adapter = AdbAdapter(port=port, timeout_s=2.0)
    try:
        with pytest.raises(AdbNotReady):
            await adapter.server_version()
        with pytest.raises(AdbNotReady):
            await adapter.devices()
        assert not await asyncio.to_thread(lambda: _answers(port))
    finally:
        await adapter.close()
    with pytest.raises(Exception, match="connect to adb server failed"):
        await asyncio.to_thread(NoSpawnAdbClient("127.0.0.1", port).server_version)
    assert spawned == []


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
