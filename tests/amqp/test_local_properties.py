"""hypothesis over the in-process broker: whatever the sequence of publishes, acks, dead-letters, prefetch changes,
clock jumps and consumer restarts, no message is lost or duplicated and the prefetch bound holds."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.amqp.conftest import FakeClock
from vssd.adapters.broker_local import BrokerQueueFull, LocalBroker, LocalBus

TTL_S = 100.0
MAX_LEADS = 6

ops = st.lists(st.one_of(
    st.tuples(st.just("publish"), st.integers(1, 5)),
    st.tuples(st.just("ack"), st.integers(0, 9)),
    st.tuples(st.just("dead"), st.integers(0, 9)),
    st.tuples(st.just("prefetch"), st.integers(0, 6)),
    st.tuples(st.just("advance"), st.sampled_from([1.0, 60.0, 150.0])),
    st.tuples(st.just("restart"), st.just(0)),
), max_size=40)


class Model:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.broker = LocalBroker(clock=self.clock, lead_ttl_s=TTL_S, max_leads=MAX_LEADS)
        self.bus: LocalBus | None = None
        self.prefetch = 3
        self.held: list = []
        self.acked: list[str] = []
        self.stored: list[str] = []
        self.n = 0

    async def handler(self, delivery) -> None:
        self.held.append(delivery)

    async def consume(self) -> None:
        self.bus = LocalBus(self.broker, handler_retry_s=0)
        await self.bus.start()
        await self.bus.consume_leads(self.handler, self.prefetch)

    async def step(self, op: str, arg) -> None:
        assert self.bus is not None
        if op == "publish":
            batch = [(f"m{self.n + i}", b"{}") for i in range(arg)]
            self.n += arg
            try:
                await self.bus.publish_leads(batch)
                self.stored += [mid for mid, _ in batch]
            except BrokerQueueFull as err:
                self.stored += [mid for mid, _ in batch if mid not in err.refused]
        elif op in ("ack", "dead") and self.held:
            delivery = self.held.pop(arg % len(self.held))
            if op == "ack":
                await delivery.ack()
                self.acked.append(delivery.message_id)
            else:
                await delivery.dead_letter("test")
        elif op == "prefetch":
            self.prefetch = arg
            await self.bus.set_prefetch(arg)
        elif op == "advance":
            self.clock.now += arg
            self.broker.dispatch(self.broker.leads)
        elif op == "restart":
            await self.bus.close()
            self.held = []
            await self.consume()
        await asyncio.sleep(0)  # let the handler tasks run

    async def drained_ids(self) -> tuple[list[str], list[str]]:
        dead = []
        while (got := self.broker.fetch(self.broker.names.dead)) is not None:
            dead.append(got.message_id)
        ready = [m.message_id for m in self.broker.leads.ready]
        return dead, ready


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_no_message_lost_or_duplicated_and_prefetch_holds(steps):
    async def run() -> None:
        model = Model()
        await model.consume()
        try:
            for op, arg in steps:
                held, ready = len(model.held), len(model.broker.leads.ready)
                await model.step(op, arg)
                assert len(model.held) <= max(model.prefetch, held), (op, arg)
                if op == "publish":  # (requeued messages may exceed the bound, as in RabbitMQ; publishes never)
                    assert len(model.broker.leads.ready) <= max(MAX_LEADS, ready)
            dead, ready = await model.drained_ids()
            held = [d.message_id for d in model.held]
            everything = model.acked + dead + ready + held
            assert sorted(everything) == sorted(model.stored)  # each stored message in exactly one place
        finally:
            assert model.bus is not None
            await model.bus.close()
            await model.broker.close()

    asyncio.run(run())
