"""The slot farm: every slot's core and actor, and the synchronous routing of PBX and device facts to them."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any

from vssd.actors.slot import CallRecords, Command, Dialer, SlotActor, SlotBusy, SlotCore, SlotSpec
from vssd.actors.supervisor import ActorStatus, Supervisor
from vssd.calls.model import Call
from vssd.fsm import SlotEnv, SlotMachine, SlotState

log = logging.getLogger("vssd.actors.farm")

REACHABLE = frozenset({"Reachable", "Created", "Registered"})
STATUS_WORD = {
    SlotState.READY: "free",
    SlotState.CALLING: "busy",
    SlotState.ACTIVE_CALL: "busy",
    SlotState.POSTCALL: "busy",
    SlotState.FAULT: "error",
}


class SlotFarm:
    def __init__(
        self,
        supervisor: Supervisor,
        env: SlotEnv,
        dialer: Dialer,
        records: CallRecords,
        first_call_number: int = 1,
    ) -> None:
        self.supervisor = supervisor
        self.env = env
        self.dialer = dialer
        self.records = records
        self.cores: dict[str, SlotCore] = {}
        self._by_endpoint: dict[str, SlotCore] = {}
        self._by_serial: dict[str, SlotCore] = {}
        self._call_numbers = itertools.count(first_call_number)

    def next_call_id(self) -> str:
        return f"c_{next(self._call_numbers)}"

    # ---- membership ----------------------------------------------------------------------------------------
    async def add(self, spec: SlotSpec, start_state: str | None = None) -> SlotCore:
        def machine(deliver: Callable[[Any], None]) -> SlotMachine:
            return SlotMachine(spec.slot_id, spec.type, self.env, deliver=deliver, start_state=start_state)

        core = SlotCore(spec, machine)
        await core.machine.activate_initial_state()
        self.cores[spec.slot_id] = core
        self._by_endpoint[spec.endpoint] = core
        if spec.device_serial:
            self._by_serial[spec.device_serial] = core
        self.supervisor.add(spec.slot_id, lambda: self._actor(core))
        return core

    def _actor(self, core: SlotCore) -> SlotActor:
        return SlotActor(core, self.dialer, self.records, self.next_call_id, self.env.timeouts)

    async def finish_call(self, slot_id: str, timeout_s: float = 10.0) -> None:
        """The slot's actor was given up on during a call: hang the call up and record it without the actor."""
        core = self.cores.get(slot_id)
        if core is None or core.call is None or core.call.outcome is not None:
            return
        call = core.call
        for leg in [leg for leg in call.legs.values() if leg.live][:1]:
            await self.dialer.hangup(leg.channel)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while call.outcome is None and loop.time() < deadline:  # noqa: ASYNC110 (the PBX ends the call)
            await asyncio.sleep(0.05)
        core.call_dirty = True
        await self._actor(core).step()

    async def remove(self, slot_id: str) -> None:
        """Delete a slot at run time; a live call is hung up first."""
        core = self.cores.get(slot_id)
        if core is None:
            return
        call = core.call
        if call is not None and call.outcome is None:
            for leg in [leg for leg in call.legs.values() if leg.live][:1]:
                await self.dialer.hangup(leg.channel)
            await _until_recorded(core, call, timeout_s=10.0)
        await self.supervisor.remove(slot_id)
        del self.cores[slot_id]
        self._by_endpoint.pop(core.spec.endpoint, None)
        if core.spec.device_serial:
            self._by_serial.pop(core.spec.device_serial, None)

    async def command(self, slot_id: str, name: str, timeout_s: float = 10.0, **args: Any) -> Any:
        core = self.cores.get(slot_id)
        if core is None:
            raise KeyError(slot_id)
        if self.supervisor.status(slot_id) in (ActorStatus.FAULTED, ActorStatus.FINISHED):
            raise SlotBusy(f"slot {slot_id} has no running actor (restart budget spent)")
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        core.submit(Command(name, args, reply))
        return await asyncio.wait_for(reply, timeout_s)

    async def dial(self, number: str, slot: str, ring_timeout_s: float | None = None) -> Call:
        """`slot` is a slot id or a type (AUTO/MF/LS): a type picks a READY slot of that type."""
        candidates = [slot] if slot in self.cores else [
            c.spec.slot_id for c in self.cores.values() if c.spec.type == slot and c.state is SlotState.READY
        ]
        random.shuffle(candidates)
        for slot_id in candidates:
            try:
                return await self.command(slot_id, "dial", number=number, ring_timeout_s=ring_timeout_s)
            except SlotBusy:
                continue
        raise SlotBusy(f"no READY slot for {slot!r}")

    # ---- routing (synchronous: called from AMI and device handlers) ------------------------------------------
    def on_call(self, call: Call, what: str) -> None:
        core = self.core_for_call(call)
        if core is not None:
            core.note_call(call)

    def core_for_call(self, call: Call) -> SlotCore | None:
        if call.attempt is not None:
            return self._by_endpoint.get(call.attempt.endpoint)
        for leg in call.legs.values():
            endpoint = self.endpoint_of(leg.channel)
            if endpoint is not None:
                return self._by_endpoint[endpoint]
        return None

    def endpoint_of(self, channel: str) -> str | None:
        """The slot endpoint of a channel such as ``PJSIP/6001-0000002a``, if it is one of ours."""
        if not channel.startswith("PJSIP/"):
            return None
        endpoint = channel[6:].rsplit("-", 1)[0]
        return endpoint if endpoint in self._by_endpoint else None

    def on_registration(self, frame: Mapping[str, str]) -> None:
        if frame.get("event") == "ContactStatus":
            endpoint, status = frame.get("endpointname", ""), frame.get("contactstatus", "")
        else:
            endpoint, status = frame.get("peer", "").removeprefix("PJSIP/"), frame.get("peerstatus", "")
        core = self._by_endpoint.get(endpoint)
        if core is not None and status:
            core.note_health(sip_reachable=status in REACHABLE)

    def on_endpoint_list(self, rows: list[Mapping[str, str]]) -> None:
        """PJSIPShowEndpoints at start: an endpoint is reachable when it has a contact and is not Unavailable."""
        for row in rows:
            core = self._by_endpoint.get(row.get("objectname", ""))
            if core is not None:
                reachable = row.get("devicestate", "") != "Unavailable" and bool(row.get("contacts", "").strip())
                core.note_health(sip_reachable=reachable)

    def on_device(self, serial: str, **facts: Any) -> None:
        core = self._by_serial.get(serial)
        if core is not None:
            core.note_health(**facts)

    def device_serials(self) -> list[str]:
        return list(self._by_serial)

    # ---- views ---------------------------------------------------------------------------------------------
    def slot_views(self) -> list[dict[str, Any]]:
        return [slot_view(core) for core in self.cores.values()]

    def slot_view(self, slot_id: str) -> dict[str, Any] | None:
        core = self.cores.get(slot_id)
        return slot_view(core) if core is not None else None

    def states(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for core in self.cores.values():
            key = (core.state.value, core.spec.type)
            counts[key] = counts.get(key, 0) + 1
        return counts


async def _until_recorded(core: SlotCore, call: Call, timeout_s: float) -> None:
    """Wait for the actor to record the call's outcome (it clears `core.call`), bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while core.call is call and loop.time() < deadline:  # noqa: ASYNC110 (the actor owns core.call)
        await asyncio.sleep(0.05)


def slot_view(core: SlotCore) -> dict[str, Any]:
    state = core.state
    health = core.health
    online = state not in (SlotState.IDLE, SlotState.FAULT) and health.sip_reachable
    status = STATUS_WORD.get(state, "offline") if online or state is SlotState.FAULT else "offline"
    spec = core.spec
    facts = core.machine.facts
    return {
        "id": int(spec.slot_id) if spec.slot_id.isdigit() else spec.slot_id,
        "status": status,
        "fsm_state": state.value,
        "online": online,
        "type": spec.type,
        "device": spec.device_model or spec.device_serial or spec.endpoint,
        "device_serial": spec.device_serial,
        "internal_sip_number": spec.endpoint,
        "sip_username": spec.endpoint,
        "trunk_id": facts.trunk_id,
        "trunk_name": None,
        "trunk": None,
        "user": facts.operator,
        "current_call_id": core.call.call_id if core.call is not None else None,
        "last_activity": core.last_activity,
        "battery": health.battery_pct,
        "temperature": health.temperature_c,
        "signal": None,
    }
