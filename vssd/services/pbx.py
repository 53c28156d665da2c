"""The PBX link service: the AMI pump (panoramisk-free, vssd/adapters/ami*.py), up before anything reconciles."""

from __future__ import annotations

from vssd.adapters.ami import AmiFatal, AmiSettings
from vssd.adapters.ami_calls import CallPump
from vssd.config.models import AmiConfig
from vssd.services.calls import CallRouter

SIMULATOR_MARK = "vssd-sim"  # in the simulator's AsteriskVersion


class PbxService:
    name = "pbx"

    def __init__(self, ami: AmiConfig, secret: str, router: CallRouter, *, wait_up_s: float,
                 unconfirmed_after_s: float, require_simulator: bool = False) -> None:
        self.ami, self.router = ami, router
        self.wait_up_s = wait_up_s
        self.require_simulator = require_simulator  # the demo never drives anything but the PBX simulator
        self.pump = CallPump(
            AmiSettings(host=ami.host, port=ami.port, username=ami.username, secret=secret,
                        connect_timeout_s=ami.connect_timeout_s, action_timeout_s=ami.action_timeout_s,
                        ping_interval_s=ami.ping_interval_s, backoff_base_s=ami.reconnect_initial_s,
                        backoff_cap_s=ami.reconnect_max_s),
            on_final=router.on_final, on_update=router.on_update, on_registration=router.on_registration,
            is_inbound_leg=router.is_slot_leg, unconfirmed_after_s=unconfirmed_after_s)

    async def start(self) -> None:
        await self.pump.start()
        await self.pump.link.wait_up(self.wait_up_s)
        if self.require_simulator and SIMULATOR_MARK not in self.pump.link.version:
            raise AmiFatal(f"the AMI peer at {self.ami.host}:{self.ami.port} is not the PBX simulator "
                           f"({self.pump.link.version!r}); a demo never drives a real PBX")

    async def stop(self) -> None:
        await self.pump.stop()

    def health(self) -> bool:
        return self.pump.link.is_up
