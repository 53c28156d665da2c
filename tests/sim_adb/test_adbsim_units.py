"""The simulator's parts on their own: mini shell, phone identities, parsers on real captures, control API, CLI."""

from __future__ import annotations

import asyncio
import random
import re
import signal
import sys

import aiohttp
import pytest
from adbsim_support import corpus_blocks, host_query, serial_of

from vssd.adapters.adb_parse import (
    hub_of,
    parse_battery,
    parse_devices,
    parse_getprop,
    parse_siminfo,
    parse_telephony_registry,
    sim_state,
)
from vssd.sim.adb import AdbSimulator, Phone
from vssd.sim.adb.control import ControlApi
from vssd.sim.adb.dumps import lte_level, siminfo, telephony_registry
from vssd.sim.adb.phone import luhn_digit, new_phone
from vssd.sim.adb.shell import DeviceShell


@pytest.fixture
def shell():
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sh = DeviceShell(new_phone("pixel-8", random.Random(0), 0), sleep, lambda: 1_700_000_000.0)
    sh.slept = slept  # type: ignore[attr-defined]
    return sh


async def test_shell_operators_status_and_quoting(shell):
    assert (await shell.run("false; echo X4EXIT:$?")).stdout == "X4EXIT:1\n"
    assert (await shell.run("true && echo yes || echo no")).stdout == "yes\n"
    assert (await shell.run("false && echo yes || echo no")).stdout == "no\n"
    assert (await shell.run("echo '$?' \"$?\" a\\ b")).stdout == "$? 0 a b\n"
    assert (await shell.run("echo 'a;b' \"c && d\"")).stdout == "a;b c && d\n"
    merged = await shell.run("nosuch 2>&1")
    assert (merged.stdout, merged.stderr, merged.exit_code) == (
        "/system/bin/sh: nosuch: inaccessible or not found\n", "", 127)
    assert (await shell.run("nosuch 2>/dev/null")).stderr == ""
    assert (await shell.run("echo '>x' 2>&1")).stdout == ">x\n"
    assert (await shell.run("echo 'open")).exit_code == 1
    await shell.run("sleep 12.5")
    assert shell.slept == [12.5]
    assert (await shell.run("reboot; echo never")).reboot is True


async def test_getprop_dumpsys_and_siminfo_commands(shell):
    phone = shell.phone
    assert (await shell.run("getprop ro.product.model")).stdout == "Pixel 8\n"
    assert (await shell.run("getprop no.such.key fallback")).stdout == "fallback\n"
    listing = (await shell.run("getprop")).stdout
    assert parse_getprop(listing)["ro.serialno"] == phone.serial
    keys = list(parse_getprop(listing))
    assert keys == sorted(keys) and len(listing.splitlines()) == len(keys)
    assert (await shell.run("dumpsys nosuch")).stderr == "Can't find service: nosuch\n"
    sim = parse_siminfo((await shell.run("content query --uri content://telephony/siminfo")).stdout)
    assert (sim["icc_id"], sim["imsi"]) == (phone.iccid, phone.imsi)


def test_phone_identities_are_plausible_and_seeded():
    a = [new_phone("nexus6", random.Random(7), i) for i in range(4)]
    b = [new_phone("nexus6", random.Random(7), i) for i in range(4)]
    assert [p.serial for p in a] == [p.serial for p in b]
    for phone in a:
        assert re.fullmatch(r"89701\d{14}", phone.iccid) and luhn_digit(phone.iccid[:-1]) == phone.iccid[-1]
        assert re.fullmatch(r"\d{15}", phone.imei) and luhn_digit(phone.imei[:-1]) == phone.imei[-1]
        assert phone.imsi.startswith(phone.operator) and len(phone.imsi) == 15
        assert re.fullmatch(r"[A-Z0-9]{10}", phone.serial)  # shaped like the source ZX1G22TBGF
    assert luhn_digit("7992739871") == "3"
    with pytest.raises(KeyError, match="unknown phone profile"):
        new_phone("iphone", random.Random(0), 0)


def test_explicit_phones_keep_their_values():
    farm = [Phone(serial="FARM0001", profile="pixel-8", battery_level=12, iccid="8970199000000000001"),
            Phone(profile="galaxy-s8")]
    sim = AdbSimulator(phones=farm, seed=1)
    first = sim.phones["FARM0001"]
    assert (first.battery_level, first.iccid, first.usb_path, first.model) == (
        12, "8970199000000000001", "usb:1-1.1", "Pixel 8")
    assert [p.usb_path for p in sim.phones.values()] == ["usb:1-1.1", "usb:1-1.2"]
    with pytest.raises(ValueError, match="duplicate serial"):
        AdbSimulator(phones=[Phone(serial="X1"), Phone(serial="X1")])


def test_parsers_on_real_captures(corpus):
    real = corpus / "adb" / "real"
    batteries = {f.name: parse_battery(f.read_text()) for f in real.glob("dumpsys_battery_*.txt")}
    assert sorted((b.level, b.temperature_c) for b in batteries.values()) == [(80, 25.0), (100, 28.6), (100, 33.1)]
    pixel = parse_getprop((real / "getprop_pixel-8_android14_sdk34.txt").read_text())
    assert len(pixel) == 208 and sim_state(pixel) == "ABSENT" and pixel["ro.product.model"] == "Pixel 8"
    assert sim_state(parse_getprop((real / "getprop_nexus-s_android4.0.4_sdk15.txt").read_text())) == "READY"
    noisy = parse_devices(corpus_blocks(real / "adb_devices_l_appium_adb_fixture.txt")[1])
    assert [(d.serial, d.state) for d in noisy] == [("emulator-5554", "device")]
    assert parse_devices(corpus_blocks(real / "adb_devices_l_appium_adb_fixture.txt")[2]) == []
    assert (hub_of("usb:1-1.4"), hub_of("usb:2-3.1.2"), hub_of("usb:1-1"), hub_of(None)) == ("1-1", "2-3.1", "1", None)


def test_telephony_registry_dump_round_trips():
    phone = new_phone("pixel-2-xl", random.Random(1), 2)
    phone.signal_dbm = -97
    radio = parse_telephony_registry(telephony_registry(phone))
    assert (radio.voice_reg_state, radio.data_reg_state, radio.in_service) == ("IN_SERVICE", "IN_SERVICE", True)
    assert (radio.signal_dbm, radio.signal_level) == (-97, lte_level(-97)) == (-97, 2)
    phone.in_service = False
    radio = parse_telephony_registry(telephony_registry(phone))
    assert (radio.voice_reg_state, radio.in_service, radio.signal_dbm) == ("OUT_OF_SERVICE", False, None)
    assert parse_telephony_registry("mServiceState=1 1 home").in_service is None
    assert [lte_level(x) for x in (-120, -110, -100, -90, -80)] == [0, 1, 2, 3, 4]
    phone.sim_state = "ABSENT"
    assert siminfo(phone, None) == "No result found.\n"


async def test_every_track_client_sees_each_change(sim):
    async def track():
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writer.write(b"0012host:track-devices")
        assert await reader.readexactly(4) == b"OKAY"
        return reader, writer

    async def next_list(reader):
        size = int(await reader.readexactly(4), 16)
        return parse_devices((await reader.readexactly(size)).decode())

    clients = [await track() for _ in range(3)]
    serial = serial_of(sim, "nexus6")
    for reader, _ in clients:
        assert len(await next_list(reader)) == 8
    sim.set_state(serial, "offline")
    for reader, _ in clients:
        assert {d.serial: d.state for d in await next_list(reader)}[serial] == "offline"
    for _, writer in clients:
        writer.close()
        await writer.wait_closed()


async def test_control_api(sim):
    api = ControlApi(sim)
    await api.start()
    serial = serial_of(sim, "galaxy-s5")
    base = f"http://127.0.0.1:{api.port}"
    try:
        async with aiohttp.ClientSession() as http:
            phones = await (await http.get(f"{base}/phones")).json()
            assert len(phones) == 8 and {p["serial"] for p in phones} == set(sim.phones)
            reply = await http.post(f"{base}/phones/{serial}/fault", json={"fault": "unplug"})
            assert reply.status == 200 and (await reply.json())["plugged"] is False
            assert serial not in {d.serial for d in parse_devices((await host_query(sim.port, "host:devices"))[1])}
            reply = await http.post(f"{base}/phones/{serial}/fault", json="hot_battery")
            assert (await reply.json())["battery_temp_c"] >= 45
            assert (await http.post(f"{base}/phones/{serial}/fault", json={"fault": "melt"})).status == 400
            assert (await http.post(f"{base}/phones/NOPE/fault", json={"fault": "plug"})).status == 404
            await http.post(f"{base}/phones/{serial}/fault", json={"fault": "clear"})
            assert sim.phones[serial].plugged and sim.phones[serial].battery_temp_c < 45
            ledger = await (await http.get(f"{base}/ledger")).json()
            assert ledger[-1]["command"] == "host:devices" and set(ledger[-1]) == {"serial", "service", "command", "at"}
            assert await (await http.get(f"{base}/ledger", params={"since": len(ledger)})).json() == []
    finally:
        await api.stop()


async def test_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        await AdbSimulator(phones=1).start(host="0.0.0.0")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "vssd", "sim", "adb", "--host", "10.1.2.3",
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2 and b"loopback" in err


async def test_cli_runs_until_sigterm():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vssd", "sim", "adb", "--port", "0", "--control-port", "0", "--phones", "3",
        stdout=asyncio.subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        port = int(re.search(r"on 127\.0\.0\.1:(\d+)", line).group(1))
        assert "3 phones" in line and "control http://127.0.0.1:" in line
        assert await host_query(port, "host:version") == (b"OKAY", "0029")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
