"""The slot shape (the seeds' `GET /api/slots` item; `vssd.events.catalogue.SlotView` types the same payload)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from vssd.calls.model import Call
from vssd.fsm import SlotMachine, SlotState
from vssd.fsm.types import Health

STATUS_WORD = {
    SlotState.READY: "free",
    SlotState.CALLING: "busy",
    SlotState.ACTIVE_CALL: "busy",
    SlotState.POSTCALL: "busy",
    SlotState.FAULT: "error",
}


class SpecLike(Protocol):
    """What a view reads of a slot's spec (`vssd.actors.slot.SlotSpec`)."""

    @property
    def slot_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def device_serial(self) -> str | None: ...
    @property
    def trunk_id(self) -> str | None: ...
    @property
    def device_model(self) -> str: ...


class SlotLike(Protocol):
    """What a view reads of a slot (`vssd.actors.slot.SlotCore`)."""

    @property
    def spec(self) -> SpecLike: ...
    @property
    def state(self) -> SlotState: ...
    @property
    def health(self) -> Health: ...
    @property
    def machine(self) -> SlotMachine: ...
    @property
    def call(self) -> Call | None: ...
    @property
    def last_activity(self) -> float | None: ...


def slot_view(core: SlotLike, trunk_names: Mapping[str, str] | None = None,
              hub_id: str | None = None) -> dict[str, Any]:
    """The seeds' slot shape. The trunk is the enrolled one, else the one the slot is bound to (before
    enrolment); its name comes from `trunk_names`. Beside the seeds' fields: `state_since` (epoch seconds the
    FSM state was entered), the current call's `phone_number` and the owning `hub_id` (the console shows them)."""
    state = core.state
    health = core.health
    online = state not in (SlotState.IDLE, SlotState.FAULT) and health.sip_reachable
    status = STATUS_WORD.get(state, "offline") if online or state is SlotState.FAULT else "offline"
    spec = core.spec
    facts = core.machine.facts
    trunk = facts.trunk_id or spec.trunk_id
    name = trunk_names.get(str(trunk)) if trunk is not None and trunk_names else None
    return {
        "id": number(spec.slot_id),
        "status": status,
        "fsm_state": state.value,
        "online": online,
        "type": spec.type,
        "device": spec.device_model or spec.device_serial or spec.endpoint,
        "device_serial": spec.device_serial,
        "internal_sip_number": spec.endpoint,
        "sip_username": spec.endpoint,
        "trunk_id": number(trunk),
        "trunk_name": name,
        "trunk": name,
        "user": facts.operator,
        "current_call_id": core.call.call_id if core.call is not None else None,
        "phone_number": core.call.phone_number if core.call is not None else None,
        "state_since": facts.state_since,
        "hub_id": hub_id,
        "last_activity": core.last_activity,
        "battery": health.battery_pct,
        "temperature": health.temperature_c,
        "signal": None,
    }


def number(value: Any) -> Any:
    """Ids that are digits are shown as numbers, as the seeds do."""
    return int(value) if isinstance(value, str) and value.isdigit() else value
