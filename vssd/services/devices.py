"""The devices: the adb client (blocking adbutils in a bounded thread pool, vssd/adapters/adb.py) and the health
poller that feeds the farm each phone's state, SIM and battery."""

from __future__ import annotations

import asyncio
import contextlib

from vssd.actors.loops import Loops
from vssd.adapters.adb import AdbAdapter, AdbError
from vssd.config.models import AdbConfig
from vssd.services.dialing import DialingService
from vssd.services.farm import FarmService


class DeviceService:
    """The adb client. Healthy while open: an absent adb server or phone is a slot's state, not the daemon's."""

    name = "devices"

    def __init__(self, adb: AdbConfig) -> None:
        self.adb = AdbAdapter(host=adb.host, port=adb.port, timeout_s=adb.command_timeout_s,
                              workers=adb.max_concurrent_commands)
        self._open = False

    async def start(self) -> None:
        self._open = True
        with contextlib.suppress(AdbError):
            await self.adb.server_version()

    async def stop(self) -> None:
        self._open = False
        await self.adb.close()

    def health(self) -> bool:
        return self._open


class DevicePoller:
    """Every `interval_s`: `adb devices`, then each present phone's health, into the farm and the dialer's SIM
    keys. A supervised loop (vssd/actors/loops.py)."""

    name = "device-poller"

    def __init__(self, adb: AdbAdapter, farms: FarmService, dialing: DialingService, loops: Loops, *,
                 interval_s: float) -> None:
        self.adb, self.farms, self.dialing, self.loops = adb, farms, dialing, loops
        self.interval_s = interval_s

    async def start(self) -> None:
        self.loops.start(self.name, self._run)

    async def stop(self) -> None:
        await self.loops.remove(self.name)

    def health(self) -> bool:
        return self.name not in self.loops.faulted

    async def _run(self) -> None:
        while True:
            if self.farms.farm.device_serials():
                with contextlib.suppress(AdbError, TimeoutError):
                    await self.poll_once()
            await asyncio.sleep(self.interval_s)

    async def poll_once(self) -> None:
        farm, dial_slots = self.farms.farm, self.dialing.dial_slots
        present = {d.serial: d.state for d in await self.adb.devices()}
        for serial in farm.device_serials():
            if present.get(serial) != "device":
                farm.on_device(serial, adb_state=present.get(serial, "absent"))
                continue
            h = await self.adb.health(serial)
            farm.on_device(serial, adb_state=h.state, sim_ready=h.sim_state == "READY", in_service=h.in_service,
                                battery_pct=h.battery_level, temperature_c=h.battery_temp_c)
            sim_key = h.iccid or h.imsi
            if dial_slots is not None and sim_key:
                dial_slots.note_sim(serial, sim_key)
