"""docs/events.md from the catalogue: `python -m vssd.events.docs > docs/events.md` (a test keeps it current)."""

from __future__ import annotations

import sys
from typing import get_type_hints

from vssd.events import catalogue
from vssd.events.base import CATALOGUE, Event

HEADER = """# Events

Generated from `vssd/events/catalogue.py` by `python -m vssd.events.docs > docs/events.md`; `make test` fails
when this page and the catalogue disagree. Do not edit by hand.

Every event is emitted once, to the one dispatcher (`vssd/events/dispatcher.py`). Its subscribers:

- the real-time hub (`/ws/events` frames `{"type": name, "event": name, "data": payload}` as text; Socket.IO
  emits `name` with the payload): a client receives an event when it holds the event's permission and, once it
  sent `subscribe:<group>`, only the groups it subscribed to (an event with an own rule also reaches the one it
  names when they hold that rule's permission: an operator's own status changes). `slot.update` is coalesced per
  slot;
- the `vss.events` AMQP publisher: events with a routing key, payload values that are not JSON scalars sent as
  text (`call.#` is bound to `vss.call.events`, `slot.*` to `slot.status`);
- derived events (marked *derived*) are made by the dispatcher from their source event, right after it.
"""


def _fields(cls: type[Event]) -> str:
    view_type = dict(cls.payload_fields()).get("view")
    view = getattr(catalogue, view_type, None) if view_type else None
    if view is not None:  # a view event: the keys of its TypedDict
        return ", ".join(f"`{k}`" for k in get_type_hints(view))
    names = [n.rstrip("_") for n, _ in cls.payload_fields()]
    return ", ".join(f"`{n}`" for n in names)


def render() -> str:
    lines = [HEADER, "| event | group | permission | AMQP routing key | payload | what it means |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, cls in CATALOGUE.items():
        key = f"`{cls.routing_key}`" if cls.routing_key else ("— (derived)" if cls.derived else "—")
        who = f"`{cls.permission}`" + (f" (own `{cls.own[0]}`: `{cls.own[1]}`)" if cls.own else "")
        if cls.owner_only:
            who += f" ({', '.join(sorted(cls.owner_only[1]))}: only when `{cls.owner_only[0]}` is theirs)"
        lines.append(f"| `{name}` | {cls.group} | {who} | {key} | {_fields(cls)} | {cls.summary} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
