"""The slot farm as the dialer sees it: READY idle slots, the SIM a slot dials with, and the dial command."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from vssd.actors.farm import SlotFarm
from vssd.actors.supervisor import ActorStatus
from vssd.calls.model import Call
from vssd.fsm import SlotState

_GONE = (ActorStatus.FAULTED, ActorStatus.FINISHED)


class FarmSlots:
    """`DialSlots` over a `SlotFarm`. `sim_keys` maps slot id → ICCID/IMSI as the device health poll reads them
    (`note_sim`); a slot without one is keyed by its device serial or endpoint (a gateway port's SIM is not
    visible over AMI).

    READY slots are kept as a set that follows the slots' transitions (`note_state`), and each is checked at
    read: a dial round no longer walks every slot (at 1,000 slots and hundreds of rounds a second that walk was
    a third of the daemon's CPU, bench/dialer.py). A full walk every `resync_s` catches what no transition says
    (an actor restarted after a fault, keeping its READY machine)."""

    def __init__(self, farm: SlotFarm, sim_keys: Mapping[str, str] | None = None, resync_s: float = 1.0) -> None:
        self.farm = farm
        self.sim_keys = dict(sim_keys or {})
        self.resync_s = resync_s
        self._ready: set[str] = set()
        self._walked_at = -resync_s

    def ready_slots(self, slot_type: str | None) -> list[str]:
        now = time.monotonic()
        if now - self._walked_at >= self.resync_s:
            self._walked_at = now
            self._ready = set(self.farm.cores)
        ready = [sid for sid in self._ready if self._takes_calls(sid)]
        self._ready.intersection_update(ready)
        return [sid for sid in ready if slot_type is None or self.farm.cores[sid].spec.type == slot_type]

    def note_state(self, slot_id: str, state: str) -> None:
        if state == SlotState.READY:
            self._ready.add(slot_id)
        else:
            self._ready.discard(slot_id)

    def _takes_calls(self, slot_id: str) -> bool:
        core = self.farm.cores.get(slot_id)
        return (core is not None and core.machine.model.state is SlotState.READY and core.call is None
                and self.farm.supervisor.status(slot_id) not in _GONE)

    def note_sim(self, serial: str, sim_key: str) -> None:
        """The device health poll read the phone's ICCID (or IMSI): its slots' SIM caps are keyed by it."""
        for slot_id, core in self.farm.cores.items():
            if core.spec.device_serial == serial:
                self.sim_keys[slot_id] = sim_key

    def sim_key(self, slot_id: str) -> str | None:
        if slot_id in self.sim_keys:
            return self.sim_keys[slot_id]
        core = self.farm.cores.get(slot_id)
        if core is None:
            return None
        return core.spec.device_serial or f"endpoint:{core.spec.endpoint}"

    async def dial(self, slot_id: str, number: str, attempt_id: str, ring_timeout_s: float, caller_id: str,
                   tags: Mapping[str, Any]) -> Call:
        call: Call = await self.farm.command(slot_id, "dial", number=number, ring_timeout_s=ring_timeout_s,
                                             caller_id=caller_id, attempt_id=attempt_id, tags=dict(tags))
        return call
