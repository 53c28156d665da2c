"""The slot farm: every slot's core and actor, the synchronous routing of PBX and device facts to them, and the
slots' views (cached per slot, see `SlotViews`)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vssd.actors.slot import CallRecords, Command, PbxLine, SlotActor, SlotBusy, SlotCore, SlotSpec
from vssd.actors.supervisor import ActorStatus, Supervisor
from vssd.calls.ids import CallIds
from vssd.calls.model import Call
from vssd.fsm import SlotEnv, SlotMachine, SlotState, StateEntryHook, Timeouts
from vssd.views.slots import slot_view

log = logging.getLogger("vssd.actors.farm")

REACHABLE = frozenset({"Reachable", "Created", "Registered"})


class SlotViews:
    """The slots' views, each built once and kept until something it shows changes.

    A view is a function of the slot's core (FSM state and facts, health snapshot, current call, spec,
    `last_activity`) and the trunk names. What changes those outside an actor's step reports it here
    (`changed`): FSM transitions through `TransitionTap`, call and health facts through the farm's routing,
    membership, spec and trunk-name edits through the farm's methods (`SlotControl` uses them). Inside a step an
    actor changes its core between awaits without telling anyone (the call it dialled, `last_activity`, the call
    it has just recorded): while a step is under way (`begin`..`end`) every read first compares what such a
    step can change (`_inputs`: by identity, so a false "changed" is possible, a false "same" is not) with what
    the kept view was built from, and drops the view if it differs.

    `version` grows with every change seen; `stable_version()` (after that comparison) is what whoever keeps
    something derived from the whole list (the API keeps the serialised body) keys it by. Views and lists are
    shared: callers must not mutate them.
    """

    def __init__(self, build: Callable[[SlotCore], dict[str, Any]]) -> None:
        self._build = build
        self.version = 0
        self._views: dict[str, dict[str, Any]] = {}
        self._stepping: dict[str, tuple[SlotCore, int]] = {}  # slot id → (core, steps under way)
        self._inputs: dict[str, tuple[Any, ...]] = {}  # slot id under way → what its kept view was built from
        self._list: list[dict[str, Any]] = []
        self._list_version = -1

    def changed(self, slot_id: str) -> None:
        self._views.pop(slot_id, None)
        self.version += 1

    def changed_all(self) -> None:
        self._views.clear()
        self.version += 1

    def begin(self, core: SlotCore) -> None:
        slot_id = core.spec.slot_id
        under_way = self._stepping.get(slot_id)
        self._stepping[slot_id] = (core, under_way[1] + 1 if under_way else 1)
        if under_way is None:
            self._inputs[slot_id] = _step_inputs(core)

    def end(self, core: SlotCore) -> None:
        slot_id = core.spec.slot_id
        _, depth = self._stepping.pop(slot_id, (core, 1))
        if depth > 1:
            self._stepping[slot_id] = (core, depth - 1)
        else:
            self._inputs.pop(slot_id, None)
        self.changed(slot_id)

    def under_way(self) -> int:
        """Slots whose actor is in the middle of a step."""
        return len(self._stepping)

    def _sweep(self) -> None:
        for slot_id, (core, _) in self._stepping.items():
            self._recheck(slot_id, core)

    def _recheck(self, slot_id: str, core: SlotCore) -> None:
        now = _step_inputs(core)
        if any(a is not b for a, b in zip(now, self._inputs[slot_id], strict=True)):
            self._inputs[slot_id] = now
            self.changed(slot_id)

    def stable_version(self) -> int:
        self._sweep()
        return self.version

    def view(self, core: SlotCore) -> dict[str, Any]:
        """One slot's view: only this slot is re-checked if it is mid-step (every transition reads its slot's
        view, and a sweep of every stepping slot each time was quadratic under load)."""
        if core.spec.slot_id in self._stepping:
            self._recheck(core.spec.slot_id, core)
        return self._kept(core)

    def views(self, cores: Iterable[SlotCore]) -> list[dict[str, Any]]:
        """Every view, in the farm's order; a fresh list object each time (the dicts are shared)."""
        self._sweep()
        if self._list_version != self.version:
            self._list = [self._kept(core) for core in cores]
            self._list_version = self.version
        return list(self._list)

    def _kept(self, core: SlotCore) -> dict[str, Any]:
        view = self._views.get(core.spec.slot_id)
        if view is None:
            view = self._views[core.spec.slot_id] = self._build(core)
        return view


def _step_inputs(core: SlotCore) -> tuple[Any, ...]:
    """What an actor's step may change of a view without reporting it (compared by identity)."""
    facts = core.machine.model
    return facts.state, core.call, core.last_activity, facts.trunk_id, facts.operator, core.health


class TransitionTap:
    """Stands in for the env's `TransitionRecorder` inside its `SlotHooks` (the one entry callback every slot
    machine runs): tells the views first, so the record's own readers (the dispatcher's `slot.update`) already
    see the new view, then records. Transitions driven outside an actor's step (the supervisor giving up on a
    slot) are seen here too. `SlotMachine.add_listener` is refused by design, hence the stand-in."""

    def __init__(self, recorder: StateEntryHook, changed: Callable[[str], None]) -> None:
        self.recorder = recorder
        self._changed = changed

    def on_enter_state(self, event: Any, source: Any, target: Any, machine: Any, cause: str | None = None) -> None:
        self._changed(machine.model.slot_id)
        self.recorder.on_enter_state(event, source, target, machine, cause)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.recorder, name)


class ViewedActor(SlotActor):
    """A slot actor that tells the views when its core may be changing (see `SlotViews`)."""

    def __init__(self, core: SlotCore, dialer: PbxLine, records: CallRecords, call_ids: Callable[[], str],
                 timeouts: Timeouts, views: SlotViews) -> None:
        super().__init__(core, dialer, records, call_ids, timeouts)
        self.views = views

    async def step(self) -> None:
        self.views.begin(self.core)
        try:
            await super().step()
        finally:
            self.views.end(self.core)

    async def on_restart(self) -> None:
        self.views.begin(self.core)
        try:
            await super().on_restart()
        finally:
            self.views.end(self.core)


class SlotFarm:
    def __init__(
        self,
        supervisor: Supervisor,
        env: SlotEnv,
        dialer: PbxLine,
        records: CallRecords,
        call_ids: Callable[[], str] | None = None,
        hub_id: str | None = None,
    ) -> None:
        self.supervisor = supervisor
        self.env = env
        self.dialer = dialer
        self.records = records
        self.cores: dict[str, SlotCore] = {}
        self._by_endpoint: dict[str, SlotCore] = {}
        self._by_serial: dict[str, SlotCore] = {}
        self._call_ids = call_ids or CallIds(0)  # the daemon passes its hub's (vssd/calls/ids.py)
        self.trunk_names: dict[str, str] = {}  # trunk id → name, for the views (kept by SlotControl)
        self.views = SlotViews(lambda core: slot_view(core, self.trunk_names, hub_id))
        env.hooks.recorder = TransitionTap(env.hooks.recorder, self.views.changed)

    def next_call_id(self) -> str:
        """A fresh `c_<n>`: the call id, Originate ActionID and dial attempt id of one call."""
        return self._call_ids()

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
        self.views.changed(spec.slot_id)
        self.supervisor.add(spec.slot_id, lambda: self._actor(core))
        return core

    def _actor(self, core: SlotCore) -> SlotActor:
        return ViewedActor(core, self.dialer, self.records, self.next_call_id, self.env.timeouts, self.views)

    async def finish_call(self, slot_id: str, timeout_s: float = 10.0) -> None:
        """The slot's actor was given up on during a call: hang the call up and record it without the actor."""
        core = self.cores.get(slot_id)
        if core is None or core.call is None or core.call.outcome is not None:
            return
        call = core.call
        if (channel := call.hangup_channel) is not None:
            await self.dialer.hangup(channel)
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
            if (channel := call.hangup_channel) is not None:
                await self.dialer.hangup(channel)
            await _until_recorded(core, call, timeout_s=10.0)
        await self.supervisor.remove(slot_id)
        del self.cores[slot_id]
        self.views.changed(slot_id)
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
            self.views.changed(core.spec.slot_id)

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
            self.views.changed(core.spec.slot_id)

    def on_endpoint_list(self, rows: list[Mapping[str, str]]) -> None:
        """PJSIPShowEndpoints at start: an endpoint is reachable when it has a contact and is not Unavailable."""
        for row in rows:
            core = self._by_endpoint.get(row.get("objectname", ""))
            if core is not None:
                reachable = row.get("devicestate", "") != "Unavailable" and bool(row.get("contacts", "").strip())
                core.note_health(sip_reachable=reachable)
                self.views.changed(core.spec.slot_id)

    def on_device(self, serial: str, **facts: Any) -> None:
        core = self._by_serial.get(serial)
        if core is not None:
            core.note_health(**facts)
            self.views.changed(core.spec.slot_id)

    def device_serials(self) -> list[str]:
        return list(self._by_serial)

    # ---- views ---------------------------------------------------------------------------------------------
    def slot_views(self) -> list[dict[str, Any]]:
        """Every slot's view (shared dicts: do not mutate), from the cache where nothing changed."""
        return self.views.views(self.cores.values())

    def slot_view(self, slot_id: str) -> dict[str, Any] | None:
        core = self.cores.get(slot_id)
        return self.views.view(core) if core is not None else None

    def views_version(self) -> int:
        """Grows whenever a view may have changed (see `SlotViews`)."""
        return self.views.stable_version()

    # ---- what the views show besides the actors' own state (edited by SlotControl) ---------------------------
    def update_spec(self, slot_id: str, **fields: Any) -> None:
        """Change a slot's spec (device_model, trunk_id …) and its view with it."""
        core = self.cores[slot_id]
        for name, value in fields.items():
            setattr(core.spec, name, value)
        self.views.changed(slot_id)

    def name_trunks(self, names: Mapping[str, str]) -> None:
        """Replace the trunk names the views show (every view is rebuilt if one differs)."""
        if names != self.trunk_names:
            self.trunk_names = dict(names)
            self.views.changed_all()

    def name_trunk(self, trunk_id: str, name: str) -> None:
        if self.trunk_names.get(trunk_id) != name:
            self.trunk_names[trunk_id] = name
            self.views.changed_all()

    def forget_trunk(self, trunk_id: str) -> None:
        """A deleted trunk: its name goes, and slots bound to it are bound to none (ON DELETE SET NULL)."""
        self.trunk_names.pop(trunk_id, None)
        for core in self.cores.values():
            if core.spec.trunk_id == trunk_id:
                core.spec.trunk_id = None
        self.views.changed_all()

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
