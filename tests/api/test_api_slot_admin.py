"""Slot administration routes at the HTTP edge: the adb-command allowlist and its refusals (400 + an audit row,
the device never reached), admin-only device commands, validation, RBAC per seed role, 503 when not wired.
The real SlotControl/DeviceControl over a farm and simulators: tests/daemon/test_daemon_admin_routes.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.api.slots.adb_command import Refused, allowed_argv

ALLOWED = {
    "input tap 200 400": ["input", "tap", "200", "400"],
    "input  swipe 1 2 3 4 300": ["input", "swipe", "1", "2", "3", "4", "300"],
    "input keyevent KEYCODE_HOME": ["input", "keyevent", "KEYCODE_HOME"],
    "am start -n com.vss.gacs/.MainActivity": ["am", "start", "-n", "com.vss.gacs/.MainActivity"],
    "pm list packages": ["pm", "list", "packages"],
    "dumpsys battery": ["dumpsys", "battery"],
    "getprop ro.product.model": ["getprop", "ro.product.model"],
    "settings get global airplane_mode_on": ["settings", "get", "global", "airplane_mode_on"],
    "reboot": ["reboot"],
}
INJECTIONS = [
    "input tap 1 2; reboot", "input tap 1 2 && rm -rf /", "getprop $(id)", "dumpsys `id`", "input text a|sh",
    "getprop ro.x > /sdcard/x", "input tap 1 2\nreboot", "input text 'a b'", "dumpsys battery #", "echo hi",
    "sh -c reboot", "rm -rf /sdcard", "am start -a android.intent.action.CALL -d tel:123", "am broadcast -a x",
    "settings put global adb_enabled 0", "pm uninstall com.vss.gacs", "reboot bootloader", "input tap x y",
    "input tap 1 2 3", "getprop\x00ro.x", "", "   ", "input text " + "a" * 600,
]


@pytest.mark.parametrize("command", sorted(ALLOWED))
def test_allowlisted_commands_become_an_argv(command: str) -> None:
    assert allowed_argv({"command": command}) == ALLOWED[command]


@pytest.mark.parametrize("command", INJECTIONS)
def test_everything_else_is_refused(command: str) -> None:
    with pytest.raises(Refused):
        allowed_argv({"command": command})


def test_argv_form_is_checked_word_by_word() -> None:
    assert allowed_argv({"argv": ["getprop", "ro.serialno"]}) == ["getprop", "ro.serialno"]
    for body in ({"argv": ["getprop", "a;b"]}, {"argv": ["input", "tap", "1 2", "3"]}, {"argv": []},
                 {"argv": "getprop"}, {"argv": ["getprop"], "command": "getprop"}, {}, {"command": 7}):
        with pytest.raises(Refused):
            allowed_argv(body)


@dataclass
class RecordingDevices:
    """Stands for DeviceControl: what the route asked the device to run."""

    ran: list[tuple[str, list[str], float, int]] = field(default_factory=list)
    rebooted: list[str] = field(default_factory=list)

    async def reboot_device(self, slot_id: str) -> dict[str, Any]:
        self.rebooted.append(slot_id)
        return {"status": "rebooting", "slot": int(slot_id)}

    async def device_shell(self, slot_id: str, argv: list[str], timeout_s: float, max_output: int) -> dict[str, Any]:
        if slot_id == "404":
            raise LookupError(slot_id)
        if slot_id == "503":
            raise ConnectionError("device unavailable: offline")
        self.ran.append((slot_id, argv, timeout_s, max_output))
        return {"status": "completed", "slot": int(slot_id), "exit_code": 0, "stdout": "", "stderr": "",
                "truncated": False}


@pytest.fixture
async def devices_rig(make_rig: RigFactory) -> Rig:
    return await make_rig(devices=RecordingDevices(), adb_command_timeout_s=4.0, adb_command_max_output=1000)


async def _post(rig: Rig, path: str, who: str = "admin", **kw: Any) -> tuple[int, Any]:
    resp = await rig.client.post(path, headers=rig.bearer(await rig.token(who)), **kw)
    return resp.status, await resp.json()


async def test_adb_command_runs_the_checked_argv_with_the_configured_bounds(devices_rig: Rig) -> None:
    status, body = await _post(devices_rig, "/api/slots/44/adb-command", json={"command": "input tap 200 400"})
    assert (status, body["status"], body["slot"]) == (200, "completed", 44)
    assert devices_rig.deps.devices.ran == [("44", ["input", "tap", "200", "400"], 4.0, 1000)]  # type: ignore
    assert (await _post(devices_rig, "/api/slots/404/adb-command", json={"command": "uptime"}))[0] == 404
    status, body = await _post(devices_rig, "/api/slots/503/adb-command", json={"command": "uptime"})
    assert (status, body["code"]) == (503, "DEVICE_UNAVAILABLE")


async def test_injection_is_400_never_reaches_the_device_and_is_audited(devices_rig: Rig) -> None:
    for attack in ("input tap 1 2; reboot", "getprop $(cat /data/x)", "rm -rf /"):
        status, body = await _post(devices_rig, "/api/slots/44/adb-command", json={"command": attack})
        assert (status, body["error"], body["code"]) == (400, True, "INVALID_PARAMS"), attack
        assert body["details"][0]["loc"] == ["body", "command"]
    assert devices_rig.deps.devices.ran == []  # type: ignore[union-attr]
    resp = await devices_rig.client.get("/api/security/audit?action=slots.adb_command",
                                        headers=devices_rig.bearer(await devices_rig.token("admin")))
    rows = await resp.json()
    assert [r["details"]["asked"] for r in rows] == ["rm -rf /", "getprop $(cat /data/x)", "input tap 1 2; reboot"]
    assert {(r["outcome"], r["username"], r["resource"]) for r in rows} == {("denied", "admin", "slot_id=44")}


async def test_only_admins_run_device_shell_commands(devices_rig: Rig) -> None:
    for who in ("mgr1", "super1", "op12", "seller1"):
        status, body = await _post(devices_rig, "/api/slots/44/adb-command", who, json={"command": "uptime"})
        assert (status, body["code"]) == (403, "PERMISSION_DENIED"), who
    assert devices_rig.deps.devices.ran == []  # type: ignore[union-attr]


async def test_reboot_device_is_for_slot_admins(devices_rig: Rig) -> None:
    assert (await _post(devices_rig, "/api/slots/44/reboot-device", "mgr1"))[0] == 200
    for who in ("op12", "seller1", "super1"):
        assert (await _post(devices_rig, "/api/slots/44/reboot-device", who))[0] == 403, who
    assert devices_rig.deps.devices.rebooted == ["44"]  # type: ignore[union-attr]


async def test_unwired_ports_answer_503_after_authorization(rig: Rig) -> None:
    """With no SlotAdmin wired, an authorized write is 503 and an unauthorized one still 403."""
    cases = [("POST", "/api/slots", {"type": "auto"}), ("PATCH", "/api/slots/44", {"name": "x"}),
             ("DELETE", "/api/slots/44", None), ("POST", "/api/slots/44/enroll", None),
             ("POST", "/api/slots/44/disable", None), ("POST", "/api/slots/44/restart", None),
             ("POST", "/api/v1/slots/44/reboot-device", None)]
    for method, path, body in cases:
        for who, expected in (("admin", 503), ("mgr1", 503), ("op12", 403), ("seller1", 403), ("super1", 403)):
            resp = await rig.client.request(method, path, json=body, headers=rig.bearer(await rig.token(who)))
            assert resp.status == expected, (method, path, who, await resp.text())


async def test_slot_fields_are_validated_before_anything_runs(rig: Rig) -> None:
    bad = [({"type": "gsm"}, "type"), ({"type": "auto", "trunk_id": "one"}, "trunk_id"),
           ({"type": "mf", "internal_sip_number": "70a1"}, "internal_sip_number"),
           ({"type": "ls", "device_id": 5}, "device_id"), ({}, "type")]
    for body, field_name in bad:
        status, answer = await _post(rig, "/api/slots", json=body)
        assert status == 422, body
        assert ["body", field_name] in [d["loc"] for d in answer["details"]], body
    resp = await rig.client.patch("/api/slots/44", json={"type": "MF"}, headers=rig.bearer(await rig.token()))
    assert resp.status == 422
    resp = await rig.client.post("/api/slots", data=b"{not json",
                                 headers={**rig.bearer(await rig.token()), "Content-Type": "application/json"})
    assert (resp.status, (await resp.json())["code"]) == (400, "INVALID_PARAMS")
