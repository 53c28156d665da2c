"""Pure parsers for adb text: `getprop`, `dumpsys battery`, `dumpsys telephony.registry`, `devices -l`, siminfo.

No I/O here, so tests run them on real captures (corpus/adb/real/) and on the simulator's output alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PROP = re.compile(r"^\[(?P<key>[^\]]*)\]: \[(?P<value>.*)\]$")
_REG = re.compile(r"m(?P<kind>Voice|Data)RegState=(?P<num>-?\d+)(?:\((?P<name>[A-Z_]+)\))?")
_LTE = re.compile(r"mLte=CellSignalStrengthLte:(?P<body>[^,}]*)")
_FIELD = re.compile(r"(?P<key>\w+)=(?P<value>-?\d+)")
_INVALID = 2147483647
# ServiceState register states (android.telephony.ServiceState)
_REG_NAMES = {0: "IN_SERVICE", 1: "OUT_OF_SERVICE", 2: "EMERGENCY_ONLY", 3: "POWER_OFF"}


@dataclass(frozen=True)
class DeviceInfo:
    serial: str
    state: str
    usb_path: str | None = None
    hub: str | None = None
    model: str | None = None
    product: str | None = None
    device: str | None = None
    transport_id: int | None = None


@dataclass(frozen=True)
class BatteryStatus:
    level: int | None
    scale: int | None
    temperature_c: float | None
    status: int | None
    health: int | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RadioStatus:
    voice_reg_state: str | None
    data_reg_state: str | None
    signal_dbm: int | None
    signal_level: int | None

    @property
    def in_service(self) -> bool | None:
        if self.voice_reg_state is None and self.data_reg_state is None:
            return None
        return "IN_SERVICE" in (self.voice_reg_state, self.data_reg_state)


def _lines(text: str) -> list[str]:
    """Lines without CR (pre-Android-N `shell:` runs under a PTY) and without `# ` corpus header lines."""
    return [ln.rstrip("\r") for ln in text.splitlines() if not ln.startswith("# ")]


def parse_getprop(text: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for line in _lines(text):
        match = _PROP.match(line)
        if match:
            props[match["key"]] = match["value"]
    return props


def sim_state(props: dict[str, str]) -> str | None:
    """`gsm.sim.state` is `READY` or, on dual-SIM phones, `READY,ABSENT`: slot 0 is the slot's SIM."""
    value = props.get("gsm.sim.state")
    if value is None:
        return None
    return value.split(",")[0].strip() or "UNKNOWN"


def parse_battery_fields(text: str) -> dict[str, str]:
    """`dumpsys battery` → {"AC powered": "false", "level": "80", …} (the section header is skipped)."""
    out: dict[str, str] = {}
    for line in _lines(text):
        if not line.startswith(" ") or ":" not in line:
            continue
        key, value = line.strip().split(":", 1)
        out.setdefault(key.strip(), value.strip())
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_battery(text: str) -> BatteryStatus:
    fields = parse_battery_fields(text)
    tenths = _int(fields.get("temperature"))
    return BatteryStatus(
        level=_int(fields.get("level")),
        scale=_int(fields.get("scale")),
        temperature_c=tenths / 10 if tenths is not None else None,
        status=_int(fields.get("status")),
        health=_int(fields.get("health")),
        fields=fields,
    )


def parse_telephony_registry(text: str) -> RadioStatus:
    """First phone's mServiceState registration states and LTE signal from TelephonyRegistry's dump."""
    states: dict[str, str] = {}
    for match in _REG.finditer(text):
        name = match["name"] or _REG_NAMES.get(int(match["num"]), match["num"])
        states.setdefault(match["kind"], name)
    dbm = level = None
    lte = _LTE.search(text)
    if lte:
        values = {m["key"]: int(m["value"]) for m in _FIELD.finditer(lte["body"])}
        rsrp = values.get("rsrp")
        dbm = rsrp if rsrp is not None and rsrp != _INVALID else None
        level = values.get("level")
    return RadioStatus(states.get("Voice"), states.get("Data"), dbm, level)


def hub_of(usb_path: str | None) -> str | None:
    """`usb:1-1.3` → `1-1` (the hub's port path); `usb:1-1` (root port of bus 1) → `1`."""
    if not usb_path or not usb_path.startswith("usb:"):
        return None
    path = usb_path[4:]
    if "." in path:
        return path.rsplit(".", 1)[0]
    return path.split("-", 1)[0] if "-" in path else None


def parse_devices(text: str) -> list[DeviceInfo]:
    """`adb devices [-l]` output or the server's host:devices[-l] payload (header and noise lines skipped)."""
    out: list[DeviceInfo] = []
    for line in _lines(text):
        parts = line.split()
        if len(parts) < 2 or line.startswith(("List of devices", "*", "adb server")):
            continue
        tags: dict[str, str] = {}
        usb_path = None
        for part in parts[2:]:
            key, sep, value = part.partition(":")
            if not sep:
                continue
            if key == "usb":
                usb_path = part
            tags[key] = value
        out.append(DeviceInfo(
            serial=parts[0], state=parts[1], usb_path=usb_path, hub=hub_of(usb_path),
            model=tags.get("model"), product=tags.get("product"), device=tags.get("device"),
            transport_id=_int(tags.get("transport_id")),
        ))
    return out


def parse_siminfo(text: str) -> dict[str, str]:
    """First row of `content query --uri content://telephony/siminfo`: {"icc_id": …, "imsi": …}."""
    for line in _lines(text):
        if line.startswith("Row: "):
            body = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
            pairs = (item.split("=", 1) for item in body.split(", ") if "=" in item)
            return {k.strip(): v for k, v in pairs if v and v != "NULL"}
    return {}
