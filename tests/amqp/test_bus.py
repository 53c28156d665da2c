"""LeadBus behaviour, the same tests over RabbitMQ and the in-process broker (see conftest.Harness)."""

from __future__ import annotations

import asyncio
import json

import orjson
import pytest

from tests.amqp.conftest import Harness, wait_for
from vssd.adapters.broker_local import AlreadySettled, BrokerQueueFull, DeadMessage


def leads(n: int, start: int = 0) -> list[tuple[str, bytes]]:
    return [(f"lead-{i}", orjson.dumps({"lead_id": i, "phone": f"+7900{i:07d}"})) for i in range(start, start + n)]


class Collector:
    """A lead handler that keeps deliveries (unacked unless `auto_ack`) and the most it ever held unsettled."""

    def __init__(self, auto_ack: bool = False) -> None:
        self.auto_ack = auto_ack
        self.got: list = []
        self.held: list = []
        self.max_held = 0

    async def __call__(self, delivery) -> None:
        self.got.append(delivery)
        if self.auto_ack:
            await delivery.ack()
            return
        self.held.append(delivery)
        self.max_held = max(self.max_held, len(self.held))

    async def ack(self, n: int) -> None:
        for _ in range(n):
            await self.held.pop(0).ack()

    def ids(self) -> list[str | None]:
        return [d.message_id for d in self.got]


class DeadCollector:
    def __init__(self) -> None:
        self.got: list[DeadMessage] = []

    async def __call__(self, dead: DeadMessage) -> None:
        self.got.append(dead)


async def test_topology_is_idempotent(harness: Harness):
    first = await harness.bus()
    second = await harness.bus()  # declares the same topology again, against a broker that already has it
    await first.close()
    third = await harness.bus()
    await third.publish_leads(leads(3))
    got = Collector(auto_ack=True)
    await second.consume_leads(got, prefetch=10)
    await wait_for(lambda: len(got.got) == 3, what="3 leads through a twice-declared topology")
    assert sorted(got.ids()) == ["lead-0", "lead-1", "lead-2"]


async def test_publish_confirm_consume_ack(harness: Harness):
    bus = await harness.bus()
    await bus.publish_leads(leads(50))
    assert await bus.depth(harness.names.leads) == 50  # confirmed means stored
    got = Collector(auto_ack=True)
    await bus.consume_leads(got, prefetch=20)
    await wait_for(lambda: len(got.got) == 50, what="50 deliveries")
    assert sorted(got.ids()) == sorted(mid for mid, _ in leads(50))
    assert all(not d.redelivered for d in got.got)
    assert orjson.loads(got.got[0].body)["phone"].startswith("+7900")
    with pytest.raises(AlreadySettled):
        await got.got[0].ack()
    await bus.close()
    # acked means gone: a new consumer sees only what is published after
    again = await harness.bus()
    later = Collector(auto_ack=True)
    await again.consume_leads(later, prefetch=20)
    await again.publish_leads([("sentinel", b"{}")])
    await wait_for(lambda: "sentinel" in later.ids(), what="the sentinel")
    assert later.ids() == ["sentinel"]


async def test_prefetch_is_respected_and_changes_at_runtime(harness: Harness):
    """At most N unacked, counted by the broker too: what is not delivered stays ready in the queue."""
    bus = await harness.bus()
    leads_q = harness.names.leads
    await bus.publish_leads(leads(20))
    got = Collector()
    await bus.consume_leads(got, prefetch=3)
    await wait_for(lambda: len(got.got) == 3, what="3 deliveries")
    await wait_for_depth(bus, leads_q, 17)
    await asyncio.sleep(0.2)  # room for a wrong 4th delivery to show up
    assert len(got.got) == 3
    await got.ack(1)
    await wait_for(lambda: len(got.got) == 4, what="a 4th delivery once one was acked")
    await bus.set_prefetch(5)
    await wait_for(lambda: len(got.held) == 5, what="5 unacked after raising the prefetch")
    await asyncio.sleep(0.2)
    assert len(got.held) == 5 and await bus.depth(leads_q) == 14  # nothing taken beyond the 5
    await bus.set_prefetch(0)  # pause
    await got.ack(5)
    await asyncio.sleep(0.2)  # room for a wrong delivery while paused
    assert len(got.got) == 6 and not got.held, got.ids()
    assert await bus.depth(leads_q) == 14
    await bus.set_prefetch(2)
    await wait_for(lambda: len(got.held) == 2, what="delivery resumed with prefetch 2")
    await asyncio.sleep(0.2)
    assert len(got.held) == 2 and await bus.depth(leads_q) == 12
    assert got.max_held <= 5
    assert len(set(got.ids())) == len(got.got)  # nothing delivered twice


async def test_lowering_the_prefetch_while_deliveries_are_held(harness: Harness):
    """Held deliveries of the replaced subscription count against the new limit; as they are acked, delivery
    resumes up to it — and never beyond."""
    bus = await harness.bus()
    await bus.publish_leads(leads(30))
    got = Collector()
    await bus.consume_leads(got, prefetch=8)
    await wait_for(lambda: len(got.held) == 8, what="8 held")
    for limit in (6, 4, 2):  # the dialer lowering its capacity step by step while holding everything
        await bus.set_prefetch(limit)
    await asyncio.sleep(0.2)
    assert len(got.got) == 8 and await bus.depth(harness.names.leads) == 22
    await got.ack(5)  # 3 held: still above the limit of 2
    await asyncio.sleep(0.2)
    assert len(got.got) == 8
    await got.ack(3)
    await wait_for(lambda: len(got.held) == 2, what="2 held at the new limit")
    await asyncio.sleep(0.2)
    assert len(got.held) == 2 and await bus.depth(harness.names.leads) == 20
    while got.held:  # acking one at a time keeps exactly 2 in hand until the queue is empty
        await got.ack(1)
        await wait_for(lambda: len(got.held) == 2 or len(got.got) == 30, what="the next delivery")
        assert len(got.held) <= 2
    assert sorted(got.ids()) == sorted(mid for mid, _ in leads(30))


@pytest.mark.parametrize("harness", ["rabbit"], indirect=True)  # the in-process broker changes its prefetch in place
async def test_a_steady_prefetch_keeps_its_subscription_and_a_raise_adds_one(harness: Harness):
    """Acking while the limit stays put never re-subscribes (each re-subscription was a gap in deliveries);
    raising it adds a subscription for the extra grant while the first goes on delivering; the limit holds."""
    bus = await harness.bus()
    await bus.publish_leads(leads(120))
    got = Collector()
    await bus.consume_leads(got, prefetch=8)
    consumer = bus._leads
    first = set(consumer.grants)
    cancels = []
    cancel = consumer._cancel

    async def counted_cancel(tag):
        cancels.append(tag)
        await cancel(tag)

    consumer._cancel = counted_cancel
    for round_no in range(6):  # 48 deliveries acked a few at a time, the limit unchanged
        await wait_for(lambda r=round_no: len(got.got) >= 8 * (r + 1), what=f"round {round_no}")
        await got.ack(len(got.held))
    assert (set(consumer.grants), cancels) == (first, [])
    await bus.set_prefetch(16)
    await wait_for(lambda: len(got.held) == 16, what="16 held after the raise")
    assert cancels == [] and len(consumer.grants) == 2 and first <= set(consumer.grants)
    await asyncio.sleep(0.2)
    assert len(got.held) == 16 and got.max_held <= 16
    await bus.set_prefetch(4)  # lower: subscriptions are cancelled until the limit holds again
    await got.ack(len(got.held))
    await wait_for(lambda: len(got.held) == 4, what="4 held after lowering")
    await asyncio.sleep(0.2)
    assert len(got.held) == 4 and consumer.credit <= 4
    assert len(set(got.ids())) == len(got.got)


async def wait_for_depth(bus, queue: str, depth: int) -> None:
    for _ in range(500):
        if await bus.depth(queue) == depth:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{queue} never reached depth {depth} (now {await bus.depth(queue)})")


async def test_dead_letter_reaches_the_dead_letter_queue_with_its_reason(harness: Harness):
    bus = await harness.bus()
    await bus.publish_leads(leads(2))
    got = Collector()
    await bus.consume_leads(got, prefetch=5)
    await wait_for(lambda: len(got.held) == 2, what="2 deliveries")
    first, second = got.held
    await first.dead_letter("dnc")
    await second.ack()
    dead = DeadCollector()
    await bus.consume_dead_letters(dead)
    await wait_for(lambda: len(dead.got) == 1, what="one dead letter")
    letter = dead.got[0]
    assert (letter.reason, letter.queue, letter.message_id) == ("dnc", harness.names.leads, first.message_id)
    assert letter.body == first.body
    assert await bus.depth(harness.names.dead) == 0  # acked once the handler returned


async def test_ttl_expiry_dead_letters_as_expired(harness: Harness):
    harness.lead_ttl_s = 0.2 if harness.kind == "rabbit" else 3600.0
    bus = await harness.bus()
    await bus.publish_leads(leads(3))
    dead = DeadCollector()
    await bus.consume_dead_letters(dead)
    await harness.advance(harness.lead_ttl_s + 0.05)
    await wait_for(lambda: len(dead.got) == 3, what="3 expired leads in the dead-letter queue")
    assert {d.reason for d in dead.got} == {"expired"}
    assert sorted(d.message_id for d in dead.got) == ["lead-0", "lead-1", "lead-2"]
    assert {d.queue for d in dead.got} == {harness.names.leads}
    assert await bus.depth(harness.names.leads) == 0


async def test_poison_messages_are_dead_lettered_with_a_reason(harness: Harness):
    bus = await harness.bus()
    await bus.publish_leads([("bad-1", b"\xff not json"), ("good", b'{"lead_id": 1}'), ("bad-2", b"[oops")])
    handled: list[str | None] = []

    async def parse_or_reject(delivery) -> None:
        if delivery.message_id == "bad-2":
            json.loads(delivery.body)  # raises: the adapter requeues once, then dead-letters it
        try:
            json.loads(delivery.body)
        except ValueError:
            await delivery.dead_letter("poison:not-json")
            return
        handled.append(delivery.message_id)
        await delivery.ack()

    dead = DeadCollector()
    await bus.consume_dead_letters(dead)
    await bus.consume_leads(parse_or_reject, prefetch=5)
    await wait_for(lambda: len(dead.got) == 2, what="2 poison messages dead-lettered")
    reasons = {d.message_id: d.reason for d in dead.got}
    assert reasons == {"bad-1": "poison:not-json", "bad-2": "poison:handler-error:JSONDecodeError"}
    assert handled == ["good"]
    await wait_for_depth(bus, harness.names.leads, 0)


async def test_unacked_messages_are_redelivered_after_the_consumer_closes(harness: Harness):
    first = await harness.bus()
    await first.publish_leads(leads(5))
    got = Collector()
    await first.consume_leads(got, prefetch=10)
    await wait_for(lambda: len(got.held) == 5, what="5 unacked deliveries")
    await first.close()
    second = await harness.bus()
    again = Collector(auto_ack=True)
    await second.consume_leads(again, prefetch=10)
    await wait_for(lambda: len(again.got) == 5, what="5 redeliveries")
    assert sorted(again.ids()) == sorted(got.ids())
    assert all(d.redelivered for d in again.got)


async def test_events_are_routed_by_topic(harness: Harness):
    bus = await harness.bus()
    bus.publish_event("slot.update", {"slot_id": 3, "state": "READY"})
    bus.publish_event("call.started", {"call_id": "c1"})
    bus.publish_event("slot.a.b", {"not": "one word"})
    names = harness.names
    first = await fetch_eventually(bus, names.slot_status)
    assert first[0] == "slot.update" and orjson.loads(first[1]) == {"slot_id": 3, "state": "READY"}
    call = await fetch_eventually(bus, names.call_events)
    assert call[0] == "call.started"
    await asyncio.sleep(0.1)
    assert await bus.fetch(names.slot_status) is None  # slot.a.b does not match slot.*
    assert await bus.fetch(names.call_events) is None


async def fetch_eventually(bus, queue: str) -> tuple[str, bytes]:
    for _ in range(500):
        got = await bus.fetch(queue)
        if got is not None:
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing arrived in {queue}")


async def test_a_full_lead_queue_refuses_publishes(harness: Harness):
    """Reject-publish: a refused lead is named in BrokerQueueFull and never stored. (A quorum queue applies its
    bound a little late: a publish or two beyond it may still be taken, so publish one at a time until refused.)"""
    harness.max_leads = 5
    bus = await harness.bus()
    await bus.publish_leads(leads(5))
    refused: list[str | None] = []
    for i in range(5, 25):
        try:
            await bus.publish_leads(leads(1, start=i))
        except BrokerQueueFull as err:
            refused = err.refused
            break
    assert refused and refused[0] is not None
    if harness.kind == "local":
        assert refused == ["lead-5"]
    got = Collector(auto_ack=True)
    await bus.consume_leads(got, prefetch=50)
    await wait_for(lambda: len(got.got) >= 5, what="the stored leads")
    await wait_for_depth(bus, harness.names.leads, 0)
    await asyncio.sleep(0.1)  # room for a wrongly stored refused lead to arrive
    assert refused[0] not in got.ids()
    assert len(got.got) < 25


async def test_a_transient_handler_failure_on_a_redelivered_message_is_retried_not_dead_lettered(harness: Harness):
    """After a restart every unacked message comes back redelivered; a handler failing on it (the database still
    restarting) must not turn it into poison."""
    first = await harness.bus()
    await first.publish_leads(leads(1))
    got = Collector()
    await first.consume_leads(got, prefetch=1)
    await wait_for(lambda: len(got.held) == 1, what="a delivery")
    await first.close()
    second = await harness.bus()
    calls: list[bool] = []

    async def flaky(delivery) -> None:
        calls.append(delivery.redelivered)
        if len(calls) <= 2:
            raise ConnectionError("database restarting")
        await delivery.ack()

    await second.consume_leads(flaky, prefetch=1)
    await wait_for(lambda: len(calls) == 3, what="handled on the third try")
    assert calls == [True, True, True]
    await wait_for_depth(second, harness.names.leads, 0)
    assert await second.depth(harness.names.dead) == 0
