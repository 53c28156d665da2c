"""One harness over both brokers, so the SAME behaviour tests run against RabbitMQ and the in-process broker.

`Harness.bus()` gives a started bus on this test's own topology (RabbitMQ: a unique `t<random>.` name prefix,
deleted at the end); `advance(s)` lets time pass (the local broker's injected clock, real time on RabbitMQ).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import require_service
from vssd.adapters.amqp import AmqpBus, AmqpSettings, delete_topology
from vssd.adapters.broker_local import BusNames, LocalBroker, LocalBus

RABBIT_URL = "amqp://guest:guest@127.0.0.1:5672/"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.names = BusNames(prefix=f"t{uuid.uuid4().hex[:10]}.")
        self.lead_ttl_s = 60.0 if kind == "rabbit" else 3600.0
        self.max_leads = 100_000
        self.clock = FakeClock()
        self.buses: list[Any] = []
        self._broker: LocalBroker | None = None

    async def bus(self, **opts: Any) -> Any:
        if self.kind == "local":
            bus = LocalBus(await self._local_broker(), handler_retry_s=0.01)
        else:
            settings = AmqpSettings(url=RABBIT_URL, prefix=self.names.prefix, lead_ttl_s=self.lead_ttl_s,
                                    max_leads=self.max_leads, handler_retry_s=0.01, **opts)
            bus = AmqpBus(settings)
        self.buses.append(bus)
        await bus.start()
        return bus

    async def _local_broker(self) -> LocalBroker:
        if self._broker is None:
            self._broker = LocalBroker(self.names, clock=self.clock, lead_ttl_s=self.lead_ttl_s,
                                       max_leads=self.max_leads, sweep_interval_s=0.01)
            await self._broker.start()
        return self._broker

    async def advance(self, seconds: float) -> None:
        if self.kind == "local":
            self.clock.now += seconds
        else:
            await asyncio.sleep(seconds)

    async def close(self) -> None:
        for bus in reversed(self.buses):
            await bus.close()
        if self._broker is not None:
            await self._broker.close()
        if self.kind == "rabbit":
            await delete_topology(AmqpSettings(url=RABBIT_URL, prefix=self.names.prefix))


@pytest.fixture(params=["local", "rabbit"])
async def harness(request: pytest.FixtureRequest):
    if request.param == "rabbit":
        require_service("RabbitMQ", 5672)
    h = Harness(request.param)
    try:
        yield h
    finally:
        await h.close()


async def wait_for(cond: Callable[[], bool], what: str = "condition", polls: int = 1000) -> None:
    """Poll (every 10 ms) until `cond()` holds; the poll count only bounds a failing test."""
    for _ in range(polls):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")

