"""Per-type bring-up requirements: which facts must hold before a slot may be READY (SPEC "Slots")."""

from __future__ import annotations

from vssd.fsm.types import DeviceLimits, Health, SlotType

SIP_UNREACHABLE = "sip_unreachable"


def device_problems(health: Health, limits: DeviceLimits) -> tuple[str, ...]:
    """What is wrong with an MF phone, by name; empty when the device is fit to carry calls."""
    problems: list[str] = []
    if health.adb_state != "device":
        problems.append(f"adb_state={health.adb_state or 'absent'}")
    if not health.sim_ready:
        problems.append("sim_not_ready")
    if not health.in_service:
        problems.append("no_network_service")
    if health.battery_pct is None or health.battery_pct < limits.min_battery_pct:
        problems.append(f"battery_low={health.battery_pct}")
    if health.temperature_c is None or health.temperature_c > limits.max_temperature_c:
        problems.append(f"temperature_out_of_range={health.temperature_c}")
    return tuple(problems)


def unmet_requirements(slot_type: SlotType, health: Health, limits: DeviceLimits) -> tuple[str, ...]:
    """Every unmet bring-up requirement; empty means the line is up.

    AUTO and LS need their SIP contact reachable; MF also needs the device checks of `device_problems`.
    """
    unmet: tuple[str, ...] = () if health.sip_reachable else (SIP_UNREACHABLE,)
    if slot_type is SlotType.MF:
        unmet += device_problems(health, limits)
    return unmet
