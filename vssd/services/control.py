"""The control desks the API drives: slot administration and trunks (SlotControl), manual calls and the PBX desk
(CallControl), device commands and the monitor — each over the farm, the store, the PBX link and the devices."""

from __future__ import annotations

from vssd.actors.call_control import CallControl
from vssd.actors.control import DeviceControl, Monitor, SlotControl
from vssd.actors.feed import CallFeedView
from vssd.adapters.adb import AdbAdapter
from vssd.adapters.ami_calls import CallPump
from vssd.adapters.store_calls import StoreCallHistory
from vssd.adapters.store_trunks import TrunkStore
from vssd.calls.gate import DialGate
from vssd.calls.model import Call
from vssd.config.models import NumberingConfig
from vssd.services.calls import CallRouter
from vssd.services.farm import FarmService
from vssd.services.store import StoreService


class ControlService:
    name = "control"

    def __init__(self, stores: StoreService, farms: FarmService, pump: CallPump, adb: AdbAdapter, gate: DialGate,
                 router: CallRouter, numbering: NumberingConfig) -> None:
        self.numbering = numbering
        self.stores, self.farms, self.pump, self.adb, self.gate, self.router = stores, farms, pump, adb, gate, router
        self.slots: SlotControl | None = None
        self.calls: CallControl | None = None
        self.feed = CallFeedView(live=self.live, recent=self.recent)
        self.devices: DeviceControl | None = None
        self.monitor: Monitor | None = None

    def live(self) -> list[tuple[Call, str]]:
        return [(c.call, sid) for sid, c in self.farms.farm.cores.items() if c.call is not None]

    def recent(self) -> list[tuple[Call, str]]:
        return list(self.router.recent)

    async def start(self) -> None:
        store, farm, pump = self.stores.store, self.farms.farm, self.pump
        self.slots = SlotControl(farm, TrunkStore(store), line_state=pump.endpoints, numbering=self.numbering)
        await self.slots.load()
        self.calls = CallControl(farm, pump, StoreCallHistory(store), store.writer, live=self.live,
                                 recent=self.recent, views=self.slots, gate=self.gate)
        self.router.call_desk = self.calls
        self.devices = DeviceControl(farm, self.adb)
        self.monitor = Monitor(farm, self.adb, lambda: pump.link.send({"Action": "Ping"}))

    async def stop(self) -> None:
        self.router.call_desk = None

    def health(self) -> bool:
        return self.calls is not None
