"""Per-SIM caps are keyed by ICCID: the device health poll reads each phone's SIM ids over adb and the dialer's
view of the farm keys the phone's slots by them (gateway ports, whose SIM is not visible, by endpoint)."""

from __future__ import annotations

from daemon_rig import MF, Hub, until


async def test_mf_slots_are_keyed_by_the_iccid_the_phone_reports(hub: Hub) -> None:
    slots = hub.daemon.dial_slots
    phones = {serial: hub.adb.phones[serial] for serial in hub.serials[:2]}
    await until(lambda: all(slots.sim_key(hub.slot(e)) == phones[hub.serials[i]].iccid for i, e in enumerate(MF)),
                10.0)
    assert all(p.iccid for p in phones.values())
    assert slots.sim_key(hub.slot("6001")) == "endpoint:6001"
