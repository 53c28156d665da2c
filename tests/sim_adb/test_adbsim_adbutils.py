"""Acceptance 2: adbutils (blocking, run from a thread pool) drives the simulator; fault controls change
what it sees."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import adbutils
import pytest
from adbsim_support import host_query, serial_of

from vssd.sim.adb.connection import UNAUTHORIZED


@pytest.fixture
async def pool():
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-adb")
    yield executor
    await asyncio.to_thread(executor.shutdown, wait=True)


async def blocking(pool, fn, *args):
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


def client(sim) -> adbutils.AdbClient:
    return adbutils.AdbClient(host="127.0.0.1", port=sim.port)


async def test_device_list_shell_getprop_and_exit_codes(sim, pool):
    c = client(sim)
    assert await blocking(pool, c.server_version) == 41
    devices = await blocking(pool, c.device_list)
    assert sorted(d.serial for d in devices) == sorted(sim.phones)
    modern = c.device(serial_of(sim, "pixel-8"))
    assert await blocking(pool, modern.shell, "getprop ro.product.model") == "Pixel 8"
    assert await blocking(pool, modern.getprop, "gsm.sim.state") == "READY,ABSENT"  # dual-SIM: slot 0 READY
    ok = await blocking(pool, lambda: modern.shell2(["echo", "hi there"], v2=True))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "hi there\n", "")
    missing = await blocking(pool, lambda: modern.shell2("frobnicate --now", v2=True))
    assert missing.returncode == 127
    assert missing.stderr == "/system/bin/sh: frobnicate: inaccessible or not found\n" and missing.stdout == ""
    assert (await blocking(pool, lambda: modern.shell2("false", v2=True))).returncode == 1
    assert (await blocking(pool, lambda: modern.shell2("exit 3", v2=True))).returncode == 3


async def test_old_android_has_no_shell_v2_and_adbutils_falls_back(sim, pool):
    old = client(sim).device(serial_of(sim, "nexus-s"))
    assert await blocking(pool, old.get_features) == ""
    result = await blocking(pool, lambda: old.shell2("echo one; false", v2=True))
    assert result.returncode == 1 and result.output == "one\r\n"  # pre-N `shell:` runs under a PTY


async def test_common_device_commands(sim, pool):
    d = client(sim).device(serial_of(sim, "pixel-2"))
    run = lambda cmd: blocking(pool, d.shell, cmd)  # noqa: E731
    assert (await run("id")).startswith("uid=2000(shell) gid=2000(shell)")
    assert " up " in await run("uptime") and "load average" in await run("uptime")
    assert "package:com.android.phone" in (await run("pm list packages phone")).splitlines()
    assert await run("settings get global airplane_mode_on") == "null"
    await run("settings put global airplane_mode_on 0")
    assert await run("settings get global airplane_mode_on") == "0"
    assert await run("input keyevent 26") == ""
    assert await run("am start -n com.example/.Main") == "Starting: Intent { cmp=com.example/.Main }"


async def test_reboot_takes_the_phone_offline_then_back(sim, pool):
    c = client(sim)
    serial = serial_of(sim, "galaxy-s8")
    before = sim.phones[serial].transport_id
    await blocking(pool, c.device(serial).reboot)  # adbutils sends `shell:reboot`
    states = [await blocking(pool, lambda: {i.serial: i.state for i in c.list()}[serial])]
    while states[-1] != "device":
        await asyncio.sleep(0.05)
        states.append(await blocking(pool, lambda: {i.serial: i.state for i in c.list()}[serial]))
    assert states[0] == "offline" and states[-1] == "device"
    assert sim.phones[serial].transport_id != before
    assert any(e.serial == serial and (e.service, e.command) == ("shell", "reboot") for e in sim.ledger)


async def test_faults_change_what_adbutils_sees(sim, pool):
    c = client(sim)
    gone, off, locked, nosim, hot = list(sim.phones)[1:6]
    sim.unplug(gone)
    sim.set_state(off, "offline")
    sim.set_state(locked, "unauthorized")
    sim.set_sim(nosim, "ABSENT")
    sim.set_battery(hot, temp_c=47.5)
    listed = {i.serial: i.state for i in await blocking(pool, c.list)}
    assert gone not in listed and listed[off] == "offline" and listed[locked] == "unauthorized"
    assert {d.serial for d in await blocking(pool, c.device_list)} == set(sim.phones) - {gone, off, locked}
    for serial, message in ((gone, f"device '{gone}' not found"), (off, "device offline"), (locked, UNAUTHORIZED)):
        with pytest.raises(adbutils.AdbError) as err:
            await blocking(pool, c.device(serial).shell, "id")
        assert str(err.value) == message
    assert await blocking(pool, c.device(nosim).getprop, "gsm.sim.state") in ("ABSENT", "ABSENT,ABSENT")
    assert (await blocking(pool, c.device(hot).battery)).temperature == 47.5
    sim.plug(gone)
    assert gone in {d.serial for d in await blocking(pool, c.device_list)}


async def test_track_devices_sees_unplug_and_plug(sim, pool):
    c = client(sim)
    serial = list(sim.phones)[0]
    events = c.track_devices()
    first = [await blocking(pool, next, events) for _ in sim.phones]
    assert {e.serial for e in first} == set(sim.phones)
    sim.unplug(serial)
    gone = await blocking(pool, next, events)
    sim.plug(serial)
    back = await blocking(pool, next, events)
    assert (gone.present, gone.serial, gone.status) == (False, serial, "absent")
    assert (back.present, back.serial, back.status) == (True, serial, "device")
    events.close()


async def test_many_clients_at_once(sim, pool):
    c = client(sim)
    serials = list(sim.phones)
    outs = await asyncio.gather(*(blocking(pool, c.device(s).shell, "getprop ro.serialno") for s in serials * 3))
    props = {s: p.props.get("ro.serialno", s) for s, p in sim.phones.items()}
    assert outs == [props[s] for s in serials * 3]
    shells = [e for e in sim.ledger if e.command == "getprop ro.serialno"]
    assert len(shells) == 24 and {e.service for e in shells} == {"shell"}


async def test_unknown_services_fail_with_adbs_words(sim):
    assert await host_query(sim.port, "host:frobnicate") == (b"FAIL", "unknown host service")
    assert await host_query(sim.port, "host:transport:nope") == (b"FAIL", "device 'nope' not found")
    assert await host_query(sim.port, "host:transport-any") == (b"FAIL", "more than one device/emulator")
    assert await host_query(sim.port, "host:version") == (b"OKAY", "0029")


async def test_tport_replies_the_transport_id(sim):
    serial = serial_of(sim, "pixel-8")
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    request = f"host:tport:serial:{serial}".encode()
    writer.write(b"%04x" % len(request) + request)
    assert await reader.readexactly(4) == b"OKAY"
    assert int.from_bytes(await reader.readexactly(8), "little") == sim.phones[serial].transport_id
    writer.write(b"000ashell:echo")
    assert await reader.readexactly(4) == b"OKAY"
    assert await reader.read() == b"\n"
    writer.close()
    await writer.wait_closed()


async def test_host_kill_stops_the_simulator(sim, pool):
    await blocking(pool, client(sim).server_kill)
    await asyncio.wait_for(sim.wait_stopped(), 5)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", sim.port)


async def test_wait_for_device_after_reboot_and_disconnect(sim, pool):
    c = client(sim)
    serial = serial_of(sim, "pixel-8")
    sim.begin_reboot(serial)
    assert sim.phones[serial].state == "offline"
    await blocking(pool, lambda: c.wait_for(serial, state="device", timeout=10))
    assert sim.phones[serial].state == "device"
    waiting = blocking(pool, lambda: c.wait_for(serial, state="disconnect", timeout=10))
    await asyncio.sleep(0.05)
    sim.unplug(serial)
    await waiting
    assert sum(e.command.endswith(":wait-for-any-device") for e in sim.ledger) == 1
