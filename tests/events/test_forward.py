"""`vss.events` names the hub that published each message: several hubs share one exchange."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from vssd.adapters.broker_local import LocalBroker, LocalBus
from vssd.config.models import AmqpConfig
from vssd.events import CallUpdate, EventDispatcher, SlotUpdate
from vssd.events.forward import to_broker
from vssd.services.broker import BrokerService


class Published:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def publish_event(self, routing_key: str, payload: Mapping[str, Any]) -> None:
        self.messages.append((routing_key, dict(payload)))


def test_every_forwarded_event_carries_the_hub_id() -> None:
    events, one, two = EventDispatcher(), Published(), Published()
    events.listen(to_broker(one, "kyiv-1"))
    events.listen(to_broker(two, "lviv-2"))
    events.emit(SlotUpdate({"slot_id": "7", "fsm_state": "READY", "to_state": "READY"}))  # type: ignore[typeddict-item]
    events.emit(CallUpdate({"call_id": "c_42", "hub_id": "forged"}))  # type: ignore[typeddict-unknown-key]
    assert one.messages and {p["hub_id"] for _, p in one.messages} == {"kyiv-1"}
    assert {p["hub_id"] for _, p in two.messages} == {"lviv-2"}
    assert [p.get("slot_id") for _, p in one.messages][0] == "7"


async def test_the_broker_service_publishes_with_its_hub_id() -> None:
    service = BrokerService(AmqpConfig(), EventDispatcher(), hub_id="hub-9")
    assert isinstance(service.bus, LocalBus)
    await service.start()
    try:
        service.events.emit(SlotUpdate({"slot_id": "3", "to_state": "READY"}))  # type: ignore[typeddict-item]
        broker: LocalBroker = service.bus.broker
        _, body = await service.bus.fetch(broker.names.slot_status)  # type: ignore[misc]
        assert orjson.loads(body)["hub_id"] == "hub-9"
    finally:
        await service.stop()
