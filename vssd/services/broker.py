"""The lead broker: RabbitMQ when `amqp.url` (VSSD_AMQP_URL) is set, else the in-process broker behind the same
interface; and the `vss.events` publisher, a listener of the event dispatcher (each message names this hub)."""

from __future__ import annotations

from collections.abc import Callable

from vssd.adapters.amqp import AmqpBus, lead_bus_for
from vssd.adapters.broker_local import LocalBus
from vssd.config.models import AmqpConfig
from vssd.events import EventDispatcher
from vssd.events.forward import to_broker


class BrokerService:
    name = "broker"

    def __init__(self, amqp: AmqpConfig, events: EventDispatcher, *, hub_id: str) -> None:
        self.events, self.hub_id = events, hub_id
        self.bus: AmqpBus | LocalBus = lead_bus_for(amqp)
        self._stop_forwarding: Callable[[], None] = lambda: None
        self._up = False

    async def start(self) -> None:
        await self.bus.start()
        self._up = True
        self._stop_forwarding = self.events.listen(to_broker(self.bus, self.hub_id))

    async def stop(self) -> None:
        self._stop_forwarding()
        self._up = False
        await self.bus.close()

    def health(self) -> bool:
        return self._up and self.bus.connected
