"""A simulated phone: a real property set made unique (serial, ICCID, IMSI, IMEI) plus live health state."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

from vssd.sim.adb.profiles import Profile, load_profile

STATES = ("device", "offline", "unauthorized")
SIM_STATES = ("READY", "ABSENT", "PIN_REQUIRED", "PUK_REQUIRED", "NETWORK_LOCKED", "NOT_READY", "UNKNOWN")
# (MCC+MNC, operator name, ICCID issuer prefix 89 + country 7 + issuer) — Russian networks, as in the seeds.
OPERATORS = (
    ("25001", "MTS RUS", "8970101"),
    ("25002", "MegaFon", "8970102"),
    ("25099", "Beeline", "8970199"),
    ("25020", "Tele2", "8970120"),
)
# Properties the simulator keeps live; added to a profile that lacks them (documented in device-simulator.md).
RUNTIME_KEYS = ("gsm.sim.state", "gsm.network.type", "gsm.operator.alpha", "gsm.operator.numeric")
_SERIAL_KEYS = ("ro.serialno", "ro.boot.serialno")
_SECOND_SLOT = {"gsm.sim.state": "ABSENT", "gsm.network.type": "Unknown", "gsm.operator.isroaming": "false"}


@dataclass
class Phone:
    """Live state of one simulated phone; the simulator mutates it through its fault controls."""

    serial: str = ""
    profile: str = ""
    usb_path: str = ""
    hub: str = ""
    state: str = "device"
    sim_state: str = "READY"
    battery_level: int = 80
    battery_temp_c: float = 29.0
    in_service: bool = True
    signal_dbm: int = -95
    iccid: str = ""
    imsi: str = ""
    imei: str = ""
    operator: str = ""
    plugged: bool = True
    transport_id: int = 0
    props: dict[str, str] = field(default_factory=dict, repr=False)
    settings: dict[str, str] = field(default_factory=dict, repr=False)
    booted_at: float = 0.0

    @property
    def model(self) -> str:
        return self.props.get("ro.product.model", "")

    @property
    def sdk(self) -> int:
        return int(self.props.get("ro.build.version.sdk", "0") or 0)

    @property
    def operator_name(self) -> str:
        return next((name for num, name, _ in OPERATORS if num == self.operator), "")

    def live_props(self) -> dict[str, str]:
        """The property set as `getprop` shows it now: the profile plus SIM/network state."""
        props = dict(self.props)
        ready = self.sim_state == "READY"
        serving = ready and self.in_service
        live = {
            "gsm.sim.state": self.sim_state,
            "gsm.network.type": "LTE" if serving else "Unknown",
            "gsm.operator.alpha": self.operator_name if serving else "",
            "gsm.operator.numeric": self.operator if serving else "",
            "gsm.operator.iso-country": "ru" if serving else "",
            "gsm.sim.operator.alpha": self.operator_name if ready else "",
            "gsm.sim.operator.numeric": self.operator if ready else "",
            "gsm.sim.operator.iso-country": "ru" if ready else "",
        }
        for key, value in live.items():
            if key in props or key in RUNTIME_KEYS:
                props[key] = _per_slot(props.get(key, ""), key, value)
        return props

    def to_json(self) -> dict[str, object]:
        keys = ("serial", "profile", "usb_path", "hub", "state", "sim_state", "battery_level", "battery_temp_c",
                "in_service", "signal_dbm", "iccid", "imsi", "imei", "operator", "plugged", "transport_id")
        return {**{k: getattr(self, k) for k in keys}, "model": self.model}


def _per_slot(original: str, key: str, value: str) -> str:
    """Dual-SIM profiles hold `slot0,slot1`; the simulated SIM sits in slot 0."""
    if "," not in original:
        return value
    rest = original.split(",")[1:]
    return ",".join([value, *(_SECOND_SLOT.get(key, "") for _ in rest)])


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def _like(value: str, rng: random.Random) -> str:
    """A new value shaped like `value`: digits stay digits, hex stays hex (same case), letters keep case."""
    if all(c in string.hexdigits for c in value):
        pool = string.digits + ("ABCDEF" if any(c.isupper() for c in value) else "abcdef")
        return "".join(rng.choice(pool) for _ in value)
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(rng.choice(string.digits))
        elif ch.isalpha():
            out.append(rng.choice(string.ascii_uppercase if ch.isupper() else string.ascii_lowercase))
        else:
            out.append(ch)
    return "".join(out)


def personalise(phone: Phone, profile: Profile, rng: random.Random, index: int) -> Phone:
    """Fill a phone's blanks from its profile and the seeded generator (explicit values are kept)."""
    phone.profile = profile.name
    props = dict(profile.props)
    source_serial = props.get("ro.serialno") or props.get("ro.boot.serialno") or "0123456789ABCDEF"
    phone.serial = phone.serial or _like(source_serial, rng)
    for key in _SERIAL_KEYS:
        if key in props:
            props[key] = phone.serial
    if "ril.serialnumber" in props:
        props["ril.serialnumber"] = _like(props["ril.serialnumber"], rng)
    number, _, iccid_prefix = OPERATORS[index % len(OPERATORS)]
    phone.operator = phone.operator or number
    body = iccid_prefix + "".join(rng.choice(string.digits) for _ in range(11))
    phone.iccid = phone.iccid or body + luhn_digit(body)
    phone.imsi = phone.imsi or phone.operator + "".join(rng.choice(string.digits) for _ in range(10))
    tac_serial = "35" + "".join(rng.choice(string.digits) for _ in range(12))
    phone.imei = phone.imei or tac_serial + luhn_digit(tac_serial)
    phone.props = props
    return phone


def new_phone(profile_name: str, rng: random.Random, index: int, **fields: Any) -> Phone:
    phone = Phone(**fields)
    return personalise(phone, load_profile(profile_name), rng, index)
