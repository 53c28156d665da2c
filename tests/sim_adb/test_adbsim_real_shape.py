"""Acceptance 1: the simulator's getprop, dumpsys battery and devices -l have the shape of real device output.

Both the real captures (corpus/adb/real/) and the simulator's output go through the same parsers — vssd's
own (vssd.adapters.adb_parse) and adbutils' (AdbClient.list, ShellExtension.battery)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import adbutils
from adbsim_support import corpus_blocks, host_query, serial_of
from adbutils.shell import ShellExtension

from vssd.adapters.adb_parse import parse_battery, parse_battery_fields, parse_devices, parse_getprop
from vssd.sim.adb.phone import RUNTIME_KEYS
from vssd.sim.adb.profiles import PROFILE_DIR, load_profile, profile_names

VERSIONED_BATTERY_KEYS = {"Max charging current", "Max charging voltage", "Charge counter", "Dock powered"}


def real(corpus: Path, name: str) -> Path:
    return corpus / "adb" / "real" / name


class _Text:
    """Stands in for a device whose shell prints a captured text, so adbutils' own parser reads the capture."""

    def __init__(self, text: str) -> None:
        self.text = text

    def shell(self, *_: object, **__: object) -> str:
        return self.text


class _CapturedServerClient(adbutils.AdbClient):
    """adbutils' AdbClient.list() reading a captured server payload instead of a socket (the capture's
    Nexus 7 cannot be attached here)."""

    def __init__(self, payload: str) -> None:
        super().__init__(host="127.0.0.1", port=9)
        self.payload = payload

    def make_connection(self, timeout=None):
        payload = self.payload

        class _Conn:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def send_command(self, cmd):
                assert cmd == "host:devices-l"

            def check_okay(self):
                return None

            def read_string_block(self):
                return payload

        return _Conn()


def client(sim) -> adbutils.AdbClient:
    return adbutils.AdbClient(host="127.0.0.1", port=sim.port)


def test_every_shipped_profile_is_a_real_capture(corpus):
    names = profile_names()
    assert len(names) == 8
    for name in names:
        source = parse_getprop(real(corpus, f"getprop_{name}.txt").read_text())
        shipped = load_profile(name)
        assert dict(shipped.props) == source and len(source) > 100
        assert (PROFILE_DIR / f"{name}.txt").read_text().startswith("# SOURCE:")


async def test_phones_keep_the_key_set_of_their_real_property_set(sim, corpus):
    c = client(sim)
    assert sorted(p.profile for p in sim.phones.values()) == sorted(profile_names())
    for serial, phone in sim.phones.items():
        source = parse_getprop(real(corpus, f"getprop_{phone.profile}.txt").read_text())
        got = parse_getprop(await asyncio.to_thread(c.device(serial).shell, "getprop"))
        assert set(source) <= set(got)
        assert set(got) - set(source) <= set(RUNTIME_KEYS)
        if set(RUNTIME_KEYS) <= set(source):
            assert set(got) == set(source), phone.profile
        assert got["ro.product.model"] == source["ro.product.model"]
        assert got["ro.build.fingerprint" if "ro.build.fingerprint" in source else "ro.product.name"] == \
            source.get("ro.build.fingerprint", source.get("ro.product.name"))
        if "ro.serialno" in source:
            assert got["ro.serialno"] == serial != source["ro.serialno"]
            assert len(serial) == len(source["ro.serialno"])
        model = await asyncio.to_thread(lambda s=serial: c.device(s).prop.model)
        assert model == source["ro.product.model"]


async def test_dumpsys_battery_has_the_real_shape(sim, corpus):
    captures = [real(corpus, n).read_text() for n in (
        "dumpsys_battery_adbutils_fixture_emulator.txt", "dumpsys_battery_tradefed_comment_example.txt",
        "dumpsys_battery_tradefed_test_fixture.txt")]
    assert all(t.lstrip("# ").count("Current Battery Service state:") == 1 for t in captures)
    real_keys = [set(parse_battery_fields(t)) for t in captures]
    common, union = set.intersection(*real_keys), set.union(*real_keys)
    real_infos = [ShellExtension.battery(_Text(t)) for t in captures]  # type: ignore[arg-type]
    always = [f.name for f in dataclasses.fields(adbutils.BatteryInfo)
              if all(getattr(i, f.name) is not None for i in real_infos)]
    assert {"level", "temperature", "status", "health"} <= set(always)
    c = client(sim)
    for serial, phone in sim.phones.items():
        text = await asyncio.to_thread(c.device(serial).shell, ["dumpsys", "battery"])
        assert text.splitlines()[0] == "Current Battery Service state:"
        keys = set(parse_battery_fields(text))
        assert common - VERSIONED_BATTERY_KEYS <= keys <= union
        if phone.sdk >= 26:
            assert common <= keys
        info = await asyncio.to_thread(c.device(serial).battery)
        if phone.sdk >= 26:
            assert all(getattr(info, name) is not None for name in always)
        assert info.level == phone.battery_level == parse_battery(text).level
        assert info.temperature == phone.battery_temp_c == parse_battery(text).temperature_c


async def test_devices_l_has_the_real_shape(sim, corpus):
    captured = corpus_blocks(real(corpus, "adb_devices_l_appium_adb_fixture.txt"))[0]
    nexus = {d.serial: d for d in parse_devices(captured)}["0a388e93"]
    assert (nexus.state, nexus.usb_path, nexus.hub, nexus.product, nexus.model, nexus.device) == \
        ("device", "usb:1-1", "1", "razor", "Nexus_7", "flo")
    payload = "\n".join(captured.splitlines()[1:])  # the server's payload; the client prints the header line
    real_tags = {i.serial: i.tags for i in _CapturedServerClient(payload).list(extended=True)}["0a388e93"]
    assert set(real_tags) == {"usb", "product", "model", "device"}

    status, raw = await host_query(sim.port, "host:devices-l")
    assert status == b"OKAY"
    ours = {d.serial: d for d in parse_devices(raw)}
    infos = await asyncio.to_thread(client(sim).list, True)
    assert {i.serial for i in infos} == set(ours) == set(sim.phones)
    for info in infos:
        assert set(real_tags) <= set(info.tags) and set(info.tags) - set(real_tags) == {"transport_id"}
        mine = ours[info.serial]
        assert (mine.usb_path, mine.product, mine.model, mine.device, mine.transport_id) == (
            "usb:" + info.tags["usb"], info.tags["product"], info.tags["model"], info.tags["device"],
            info.transport_id)
        assert mine.hub == sim.phones[info.serial].hub and mine.usb_path == sim.phones[info.serial].usb_path
    hubs = sorted(d.usb_path for d in ours.values())
    assert hubs == [f"usb:1-{h}.{p}" for h in (1, 2) for p in (1, 2, 3, 4)]


async def test_device_states_read_like_the_real_lists(sim, corpus):
    states = [d.state for b in corpus_blocks(real(corpus, "adb_devices_states_tradefed_fixture.txt"))
              for d in parse_devices(b)]
    assert states == ["offline", "recovery", "device"]
    offline, locked = serial_of(sim, "pixel-8"), serial_of(sim, "nexus6")
    sim.set_state(offline, "offline")
    sim.set_state(locked, "unauthorized")
    status, raw = await host_query(sim.port, "host:devices")
    listed = {d.serial: d.state for d in parse_devices(raw)}
    assert listed[offline] == "offline" and listed[locked] == "unauthorized"
    assert all("\t" in line for line in raw.splitlines())
    infos = {i.serial: i for i in await asyncio.to_thread(client(sim).list, True)}
    assert infos[offline].state == "offline" and set(infos[offline].tags) == {"usb", "transport_id"}
