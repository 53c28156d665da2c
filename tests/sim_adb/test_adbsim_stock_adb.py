"""Acceptance 3: the stock `adb` client (Debian package `adb`) works against the simulator.

The stock client starts a real adb server when nothing answers on its port, so it only ever runs here
while the simulator is listening on that (random, never 5037) port, with HOME in a temp dir."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from adbsim_support import serial_of

from vssd.adapters.adb_parse import parse_devices

ADB = shutil.which("adb")


@pytest.fixture(autouse=True)
def _need_adb():
    if ADB is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the stock adb client is missing (make tools installs it)")
        pytest.skip("stock adb client not installed (apt-get install adb)")


async def adb(sim, tmp_path, *args: str, shell: str | None = None) -> tuple[int, str, str]:
    assert sim.port not in (0, 5037)
    await asyncio.open_connection("127.0.0.1", sim.port)  # the simulator answers: adb will not spawn a server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDROID_", "ADB_"))}
    env["HOME"] = str(tmp_path)
    if shell is not None:
        proc = await asyncio.create_subprocess_exec("sh", "-c", shell.replace("ADB", f"{ADB} -P {sim.port}"),
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                    stdin=asyncio.subprocess.DEVNULL, env=env)
    else:
        proc = await asyncio.create_subprocess_exec(ADB, "-P", str(sim.port), *args, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                    stdin=asyncio.subprocess.DEVNULL)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_devices_l_lists_every_phone(sim, tmp_path):
    code, out, _ = await adb(sim, tmp_path, "devices", "-l")
    assert code == 0 and out.splitlines()[0] == "List of devices attached"
    listed = {d.serial: d for d in parse_devices(out)}
    assert set(listed) == set(sim.phones)
    for serial, phone in sim.phones.items():
        assert listed[serial].usb_path == phone.usb_path and listed[serial].state == "device"
        assert listed[serial].model == phone.model.replace(" ", "_").replace("-", "_")


async def test_shell_prints_the_model_and_returns_exit_codes(sim, tmp_path):
    serial = serial_of(sim, "pixel-8")
    code, out, _ = await adb(sim, tmp_path, "-s", serial, "shell", "getprop", "ro.product.model")
    assert (code, out) == (0, "Pixel 8\n")
    _, out, _ = await adb(sim, tmp_path, shell=f"ADB -s {serial} shell false; echo $?")
    assert out == "1\n"
    _, out, _ = await adb(sim, tmp_path, shell=f"ADB -s {serial} shell frobnicate; echo $?")
    assert out == "127\n"
    shells = [e for e in sim.ledger if e.serial == serial and e.service == "shell,v2"]
    assert [e.command for e in shells] == ["getprop ro.product.model", "false", "frobnicate"]


async def test_unauthorized_and_missing_devices_read_as_in_real_adb(sim, tmp_path):
    serial = serial_of(sim, "nexus6")
    sim.set_state(serial, "unauthorized")
    code, _, err = await adb(sim, tmp_path, "-s", serial, "shell", "id")
    assert code != 0
    assert "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set" in err
    code, _, err = await adb(sim, tmp_path, "-s", "NOPE123", "shell", "id")
    assert code != 0 and "device 'NOPE123' not found" in err


async def test_kill_server_stops_the_simulator(sim, tmp_path):
    code, _, _ = await adb(sim, tmp_path, "kill-server")
    assert code == 0
    await asyncio.wait_for(sim.wait_stopped(), 5)
