"""What only the RabbitMQ adapter has: error classes at start, an existing topology, the event buffer, settings."""

from __future__ import annotations

import uuid

import aio_pika
import orjson
import pytest

from tests.amqp.conftest import RABBIT_URL, wait_for
from tests.amqp.test_bus import fetch_eventually
from tests.conftest import require_service
from vssd.adapters.amqp import (
    AmqpBus,
    AmqpSettings,
    BrokerAuthFailed,
    BrokerFatal,
    BrokerNotReady,
    delete_topology,
    lead_bus_for,
    open_lead_bus,
)
from vssd.adapters.broker_local import BrokerQueueFull, BusNames, LocalBroker, LocalBus, topic_matches


@pytest.fixture
async def settings():
    require_service("RabbitMQ", 5672)
    s = AmqpSettings(url=RABBIT_URL, prefix=f"t{uuid.uuid4().hex[:10]}.")
    try:
        yield s
    finally:
        await delete_topology(s)


async def test_unreachable_broker_is_not_ready():
    bus = AmqpBus(AmqpSettings(url="amqp://guest:guest@127.0.0.1:1/", prefix="tnever."))
    with pytest.raises(BrokerNotReady):
        await bus.start()
    await bus.close()


async def test_bad_credentials_are_an_auth_failure(settings: AmqpSettings):
    bus = AmqpBus(AmqpSettings(url="amqp://guest:wrong@127.0.0.1:5672/", prefix=settings.prefix))
    with pytest.raises(BrokerAuthFailed) as failed:
        await bus.start()
    assert "wrong" not in str(failed.value)
    await bus.close()


async def existing_queue(name: str, arguments: dict | None = None) -> None:
    conn = await aio_pika.connect(RABBIT_URL)
    try:
        await (await conn.channel()).declare_queue(name, durable=True, arguments=arguments)
    finally:
        await conn.close()


async def test_a_lead_queue_with_other_arguments_is_fatal(settings: AmqpSettings):
    await existing_queue(BusNames(settings.prefix).leads)  # classic, no TTL, no dead-lettering
    bus = AmqpBus(settings)
    with pytest.raises(BrokerFatal, match="topology mismatch"):
        await bus.start()
    await bus.close()


async def test_the_seeds_unbounded_slot_status_is_used_as_it_is(settings: AmqpSettings):
    names = BusNames(settings.prefix)
    await existing_queue(names.slot_status)  # as the operating manual's definitions.json declares it
    bus = AmqpBus(settings)
    await bus.start()
    try:
        bus.publish_event("slot.update", {"slot_id": 1})
        key, body = await fetch_eventually(bus, names.slot_status)
        assert key == "slot.update" and orjson.loads(body) == {"slot_id": 1}
    finally:
        await bus.close()


async def test_the_event_buffer_drops_its_oldest_and_counts(settings: AmqpSettings):
    bus = AmqpBus(AmqpSettings(url=settings.url, prefix=settings.prefix, event_buffer=3))
    await bus.start()
    try:
        for i in range(10):  # no await in between: the drain task has not run yet
            bus.publish_event("slot.update", {"n": i})
        assert bus.events_dropped == 7
        await wait_for(lambda: bus.events_published == 3, what="3 events published")
        names = BusNames(settings.prefix)
        kept = [orjson.loads((await bus.fetch(names.slot_status))[1])["n"] for _ in range(3)]
        assert kept == [7, 8, 9]
        assert await bus.fetch(names.slot_status) is None
    finally:
        await bus.close()


def test_settings_keep_the_url_secret_and_fall_back_to_the_local_broker():
    s = AmqpSettings.from_env({"VSSD_AMQP_URL": "amqp://u:s3cret@127.0.0.1/"}, prefix="x.")
    assert s is not None and "s3cret" not in repr(s) and s.prefix == "x."
    assert AmqpSettings.from_env({}) is None
    assert isinstance(open_lead_bus({}), LocalBus)
    assert isinstance(open_lead_bus({"VSSD_AMQP_URL": "amqp://127.0.0.1/"}), AmqpBus)
    assert s.lead_arguments(BusNames())["x-message-ttl"] == 3_600_000


async def test_local_event_queues_drop_their_oldest_and_count():
    broker = LocalBroker(max_events=2)
    bus = LocalBus(broker)
    await bus.start()
    for i in range(5):
        bus.publish_event("slot.update", {"n": i})
    assert bus.events_dropped == 3
    kept = [orjson.loads((await bus.fetch(broker.names.slot_status))[1])["n"] for _ in range(2)]
    assert kept == [3, 4]
    await bus.close()


@pytest.mark.parametrize(("pattern", "key", "hit"), [
    ("slot.*", "slot.update", True), ("slot.*", "slot.a.b", False), ("slot.*", "slot", False),
    ("call.#", "call", True), ("call.#", "call.x.y", True), ("call.#", "calls.x", False),
    ("#", "anything.at.all", True), ("*.update", "slot.update", True), ("a.#.z", "a.z", True),
])
def test_topic_matching_follows_amqp(pattern: str, key: str, hit: bool):
    assert topic_matches(pattern, key) is hit


async def test_local_full_dead_letter_queue_keeps_the_message():
    clock = [0.0]
    broker = LocalBroker(max_dead=1, clock=lambda: clock[0], lead_ttl_s=10)
    bus = LocalBus(broker)
    await bus.start()
    held: list = []

    async def hold(delivery) -> None:
        held.append(delivery)

    await bus.publish_leads([("a", b"1"), ("b", b"2")])
    await bus.consume_leads(hold, prefetch=1)
    await wait_for(lambda: len(held) == 1, what="a delivery")
    await held[0].dead_letter("dnc")  # fills the dead-letter queue
    await wait_for(lambda: len(held) == 2, what="the next delivery")
    with pytest.raises(BrokerQueueFull):
        await held[1].dead_letter("dnc")
    await held[1].ack()  # still unsettled after the refusal
    await bus.set_prefetch(0)
    await bus.publish_leads([("c", b"3")])
    clock[0] = 11.0
    broker.dispatch(broker.leads)
    assert await bus.depth(broker.names.leads) == 1  # expired, but the DLQ is full: it waits at the head
    assert (await bus.fetch(broker.names.dead))[1] == b"1"
    broker.dispatch(broker.leads)
    assert await bus.depth(broker.names.leads) == 0 and await bus.depth(broker.names.dead) == 1
    await bus.close()


async def test_the_daemon_config_picks_the_bus():
    from vssd.config.models import AmqpConfig

    local = lead_bus_for(AmqpConfig(lead_ttl_s=120))
    assert isinstance(local, LocalBus) and local.broker.leads.ttl_s == 120
    await local.start()
    await local.close()
    assert not len(local.broker._tasks)  # the bus owned its broker and stopped it
    remote = lead_bus_for(AmqpConfig(url="amqp://u:p@127.0.0.1:5672/", lead_ttl_s=120))
    assert isinstance(remote, AmqpBus) and remote.settings.lead_arguments(remote.names)["x-message-ttl"] == 120_000
    assert remote.settings.reconnect_interval_s == 1.0 and remote.names == BusNames()
    prefixed = lead_bus_for(AmqpConfig(url="amqp://u:p@127.0.0.1:5672/", queue_prefix="t1.", reconnect_max_s=0.5))
    assert isinstance(prefixed, AmqpBus) and prefixed.names == BusNames("t1.")
    assert prefixed.settings.reconnect_interval_s == 0.5
    assert lead_bus_for(AmqpConfig(queue_prefix="t1.")).broker.names == BusNames("t1.")
