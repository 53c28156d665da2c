"""The `vss.events` publisher as a dispatcher listener: every event with a routing key goes to the broker once,
its payload naming the hub that published it (`hub_id`): several hubs publish to one exchange, and a consumer
tells their slots and calls apart by it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from vssd.events.base import Event
from vssd.events.dispatcher import Listener

log = logging.getLogger("vssd.events")
_SCALARS = (str, int, float, bool, type(None))


class EventPublisher(Protocol):
    """The broker's non-blocking event publish (buffered, bounded: `vssd.adapters.amqp`, `broker_local`)."""

    def publish_event(self, routing_key: str, payload: Mapping[str, Any]) -> None: ...


def to_broker(broker: EventPublisher, hub_id: str) -> Listener:
    """A listener that publishes events to `vss.events` with `hub_id` added (`config.hub.id`); values that are not
    JSON scalars go as text. A broker problem never reaches the emitter (an AMI handler or a slot's transition)."""

    def forward(event: Event, payload: Mapping[str, Any]) -> None:
        key = event.amqp_routing_key(payload)
        if key is None:
            return
        try:
            body = {k: v if isinstance(v, _SCALARS) else str(v) for k, v in payload.items()}
            body["hub_id"] = hub_id
            broker.publish_event(key, body)
        except Exception:
            log.debug("event %s not published to the broker", key, exc_info=True)

    return forward
