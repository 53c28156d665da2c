"""RabbitMQ restarted for real (`rabbitmqctl stop_app` / `start_app`) while leads are published and consumed: the
robust connection recovers, the consumer resumes, no confirmed lead is lost. It runs last in this folder (its own
module) and restarts the broker's application only, so other users see a few seconds of refused connections."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.amqp.conftest import RABBIT_URL, wait_for
from tests.amqp.test_bus import fetch_eventually
from tests.conftest import require_service, require_tool, service_up
from vssd.adapters.amqp import AmqpBus, AmqpSettings, BrokerNotReady, delete_topology
from vssd.tasks import TaskSet

pytestmark = pytest.mark.broker_restart


async def rabbitmqctl(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec("rabbitmqctl", *args, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, f"rabbitmqctl {' '.join(args)}: {err.decode(errors='replace')}"


async def broker_back() -> None:
    """Whatever happened: the app started again and accepting connections."""
    await rabbitmqctl("start_app")
    await rabbitmqctl("await_startup")
    for _ in range(300):
        if service_up(5672):
            return
        await asyncio.sleep(0.1)


class Publisher:
    """Publishes batches of 10 leads; a batch that raised BrokerNotReady is retried (the caller's duty)."""

    def __init__(self, bus: AmqpBus) -> None:
        self.bus = bus
        self.confirmed: list[str] = []
        self.failures = 0
        self.running = True

    async def run(self) -> None:
        n = 0
        while self.running:
            batch = [(f"lead-{n + i}", b'{"lead_id": 1}') for i in range(10)]
            try:
                await self.bus.publish_leads(batch)
            except BrokerNotReady:
                self.failures += 1
                await asyncio.sleep(0.1)
                continue
            self.confirmed += [mid for mid, _ in batch]
            n += 10
            await asyncio.sleep(0.01)


async def test_a_rabbitmq_restart_loses_no_confirmed_lead():
    require_service("RabbitMQ", 5672)
    require_tool("rabbitmqctl")
    settings = AmqpSettings(url=RABBIT_URL, prefix=f"t{uuid.uuid4().hex[:10]}.", publish_timeout_s=3.0,
                            reconnect_interval_s=0.3, handler_retry_s=0.05)
    bus = AmqpBus(settings)
    tasks = TaskSet("restart-test")
    consumed: set[str] = set()
    after_restart: list[str] = []
    restarted = False

    async def handler(delivery) -> None:
        await delivery.ack()
        consumed.add(delivery.message_id)
        if restarted:
            after_restart.append(delivery.message_id)

    try:
        await bus.start()
        await bus.consume_leads(handler, prefetch=20)
        publisher = Publisher(bus)
        tasks.spawn(publisher.run(), "publisher")
        await wait_for(lambda: len(consumed) >= 50, what="50 leads before the restart")
        await rabbitmqctl("stop_app")
        await rabbitmqctl("start_app")
        restarted = True
        mark = len(publisher.confirmed)
        await wait_for(lambda: len(publisher.confirmed) >= mark + 100, what="publishing resumed", polls=3000)
        await wait_for(lambda: len(after_restart) >= 50, what="the consumer resumed", polls=3000)
        bus.publish_event("slot.update", {"after": "restart"})
        assert (await fetch_eventually(bus, settings.prefix + "slot.status"))[0] == "slot.update"
        publisher.running = False
        await wait_for(lambda: set(publisher.confirmed) <= consumed, what="every confirmed lead consumed", polls=3000)
        assert publisher.failures > 0  # the restart was felt: publishes failed and were retried
    finally:
        await tasks.cancel_all()
        await bus.close()
        await broker_back()
        await delete_topology(settings)
