"""What every event of the catalogue is: a frozen dataclass whose class carries its name, AMQP routing key,
real-time group and the permission a subscriber needs (Wazo's event classes).

Publishers build one and hand it to the dispatcher once; the real-time fan-out, the `vss.events` publisher and the
notifier read the class's metadata — nobody guesses a permission or a routing key from a topic's spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

CATALOGUE: dict[str, type[Event]] = {}
E = TypeVar("E", bound="type[Event]")


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. Subclasses set the class variables and declare their payload as fields."""

    name: ClassVar[str]  # the event's name on WebSocket / Socket.IO (`call.update`, `operator_logged_in`)
    routing_key: ClassVar[str | None]  # on the `vss.events` exchange; `{field}` is filled from the payload
    group: ClassVar[str]  # the real-time subscription group (`subscribe:<group>`)
    permission: ClassVar[str]  # what a real-time subscriber must hold to receive it
    summary: ClassVar[str]  # one line for docs/events.md
    # (payload field, permission): a subscriber without `permission` still receives the event when it holds this
    # one and the field names them (an operator's own status changes)
    own: ClassVar[tuple[str, str] | None] = None
    # (payload field, roles): a subscriber of one of these roles receives the event only when the field names
    # them — an operator hears only their own calls, as the calls routes answer them only their own
    owner_only: ClassVar[tuple[str, frozenset[str]] | None] = None
    derived: ClassVar[bool] = False  # emitted by the events package itself from another event (see milestones)
    # A payload field listing user ids: the event is for them alone (real-time clients of other users never
    # receive it, whatever their permissions); None: delivered by group and permission.
    addressed: ClassVar[str | None] = None

    def payload(self) -> Mapping[str, Any]:
        """The event's data as subscribers see it (a fresh dict; view events return their view)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def amqp_routing_key(self, payload: Mapping[str, Any]) -> str | None:
        """The routing key on `vss.events` with its `{field}` parts filled from the payload, lower-cased
        (`slot.{to_state}` → `slot.ready`); None: this event does not go to the broker."""
        key = type(self).routing_key
        if key is None or "{" not in key:
            return key
        return key.format_map(_Lower(payload))

    @classmethod
    def payload_fields(cls) -> list[tuple[str, str]]:
        """(name, type) of each payload field, for docs/events.md."""
        return [(f.name, str(f.type)) for f in fields(cls)]


class _Lower(dict[str, str]):
    """`format_map` over a payload: values lower-cased, a missing field reads `update`."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__()
        self._payload = payload

    def __missing__(self, key: str) -> str:
        value = self._payload.get(key)
        return "update" if value is None else str(value).lower()


def catalogued(cls: E) -> E:
    """Register an event class under its name; a name used twice is a bug found at import."""
    name = cls.name
    if name in CATALOGUE:
        raise ValueError(f"event {name!r} catalogued twice")
    CATALOGUE[name] = cls
    return cls
