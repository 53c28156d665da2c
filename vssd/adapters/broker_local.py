"""The in-process broker: `vssd.actors.dialer_ports.LeadBus` without RabbitMQ (no `VSSD_AMQP_URL`, the demo).

It keeps the RabbitMQ semantics the dialer relies on (see docs/bus.md), nothing more:

- `LocalBroker` is the server: queues, the `vss.events` topic exchange, TTL and dead-lettering. Several
  `LocalBus` clients may share one broker (two daemons, a consumer closed and another one started).
- Lead queue: bounded (`max_leads`); overflow policy **reject-publish**: `publish_leads` raises `BrokerQueueFull`
  naming the refused message ids (the caller retries them from PostgreSQL). Message TTL (`lead_ttl_s`, 1 h) on
  the injected clock; an expired message moves to the dead-letter queue with reason `expired`. The sweep runs
  every `sweep_interval_s` of real time and before each dispatch.
- `Delivery.dead_letter(reason)` moves the message to the dead-letter queue with header `x-vssd-reason`.
  Dead-letter queue: bounded (`max_dead`), reject-publish as well: a dead-letter it cannot take stays where it
  was (an expired lead stays at the head of the lead queue; `dead_letter` raises `BrokerQueueFull`, unsettled).
- Prefetch: at most N unacked per consumer; `set_prefetch(0)` pauses delivery (unacked ones may still be
  settled). Closing a bus requeues its unacked messages at the head of their queue, `redelivered=True`.
- Events: `publish_event` routes at once (topic patterns with `*` and `#`) into the bound queues, each bounded
  with overflow **drop-head** (oldest lost, counted in `events_dropped`); it never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from vssd.tasks import TaskSet

__all__ = [
    "AlreadySettled", "BrokerAuthFailed", "BrokerError", "BrokerFatal", "BrokerNotReady", "BrokerQueueFull",
    "BusNames", "DeadMessage", "HandlerFailures", "LocalBroker", "LocalBus", "LocalDelivery", "topic_matches",
]

log = logging.getLogger("vssd.broker")

REASON_HEADER = "x-vssd-reason"
QUEUE_HEADER = "x-vssd-queue"
DEFAULT_LEAD_TTL_S = 3600.0
HANDLER_RETRY_S = 1.0
HANDLER_MAX_FAILURES = 5
DEAD_PREFETCH = 16


# ---- typed errors, shared by both brokers ------------------------------------------------------------------
class BrokerError(Exception):
    """Base of everything the brokers raise."""


class BrokerNotReady(BrokerError, ConnectionError):
    """Transient: the broker is unreachable, restarting or refused a message for now. Retry (from PostgreSQL).
    A ConnectionError, so the API answers 503."""

    api_code = "BROKER_UNAVAILABLE"


class BrokerQueueFull(BrokerNotReady):
    """The queue is at its bound (overflow policy reject-publish): `refused` message ids were not taken."""

    def __init__(self, queue: str, refused: Sequence[str | None]) -> None:
        super().__init__(f"{queue} is full: {len(refused)} message(s) refused")
        self.queue = queue
        self.refused = list(refused)


class BrokerAuthFailed(BrokerError):
    """The broker refused our credentials or vhost. Do not retry."""


class BrokerFatal(BrokerError):
    """Non-transient: a topology mismatch, a bug in the caller."""


class AlreadySettled(BrokerFatal):
    """A delivery was acked or dead-lettered twice."""


# ---- names ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BusNames:
    """Every exchange and queue name, behind one prefix (tests use `t<random>.` so parallel runs never collide)."""

    prefix: str = ""

    def _n(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def events(self) -> str:
        return self._n("vss.events")

    @property
    def commands(self) -> str:
        return self._n("vss.commands")

    @property
    def dlx(self) -> str:
        return self._n("vss.dlx")

    @property
    def leads(self) -> str:
        return self._n("vss.autodial.leads")

    @property
    def dead(self) -> str:
        return self._n("vss.autodial.leads.dead")

    @property
    def call_events(self) -> str:
        return self._n("vss.call.events")

    @property
    def slot_status(self) -> str:
        return self._n("slot.status")

    @property
    def slot_commands(self) -> str:
        return self._n("vss.slot.commands")

    @property
    def gacs_commands(self) -> str:
        return self._n("vss.gacs.commands")

    def event_bindings(self) -> list[tuple[str, str]]:
        """(queue, pattern) bound to `vss.events`: the operating manual's `slot.*` → `slot.status`, and `call.#`."""
        return [(self.slot_status, "slot.*"), (self.call_events, "call.#")]

    def command_bindings(self) -> list[tuple[str, str]]:
        """(queue, pattern) bound to `vss.commands`."""
        return [(self.slot_commands, "slot.#"), (self.gacs_commands, "gacs.#")]


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more."""
    return _match(pattern.split("."), key.split("."))


def _match(pat: list[str], words: list[str]) -> bool:
    if not pat:
        return not words
    head, rest = pat[0], pat[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


# ---- the server ----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Message:
    body: bytes
    message_id: str | None
    routing_key: str
    headers: dict[str, Any] = field(default_factory=dict)
    expires_at: float | None = None
    redelivered: bool = False


class _Queue:
    def __init__(self, name: str, maxlen: int, overflow: Literal["reject-publish", "drop-head"],
                 ttl_s: float | None = None, dead: _Queue | None = None) -> None:
        self.name = name
        self.maxlen = maxlen
        self.overflow = overflow
        self.ttl_s = ttl_s
        self.dead = dead
        self.ready: deque[_Message] = deque()
        self.consumers: list[_Consumer] = []
        self.dropped = 0
        self._rr = 0

    def offer(self, msg: _Message) -> bool:
        """Take a message under the overflow policy; False when refused."""
        if len(self.ready) >= self.maxlen:
            if self.overflow == "reject-publish":
                return False
            self.ready.popleft()
            self.dropped += 1
        self.ready.append(msg)
        return True

    def next_consumer(self) -> _Consumer | None:
        n = len(self.consumers)
        for i in range(n):
            consumer = self.consumers[(self._rr + i) % n]
            if consumer.has_room():
                self._rr = (self._rr + i + 1) % n
                return consumer
        return None


class LocalBroker:
    """Queues and exchanges in memory. `clock` (seconds) drives TTL; the sweep runs on real time."""

    def __init__(self, names: BusNames | None = None, *, clock: Callable[[], float] = time.monotonic,
                 lead_ttl_s: float = DEFAULT_LEAD_TTL_S, max_leads: int = 100_000, max_dead: int = 100_000,
                 max_events: int = 10_000, sweep_interval_s: float = 1.0) -> None:
        self.names = names or BusNames()
        self.clock = clock
        self.sweep_interval_s = sweep_interval_s
        n = self.names
        self.dead = _Queue(n.dead, max_dead, "reject-publish")
        self.leads = _Queue(n.leads, max_leads, "reject-publish", ttl_s=lead_ttl_s, dead=self.dead)
        self.queues: dict[str, _Queue] = {q.name: q for q in (self.leads, self.dead)}
        for name in (n.slot_status, n.call_events, n.slot_commands, n.gacs_commands):
            self.queues[name] = _Queue(name, max_events, "drop-head")
        self.bindings = {n.events: n.event_bindings(), n.commands: n.command_bindings()}
        self.events_dropped = 0
        self._tasks = TaskSet("broker-local")

    async def start(self) -> None:
        if not len(self._tasks):
            self._tasks.spawn(self._sweeper(), "ttl-sweep")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    async def _sweeper(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            for queue in self.queues.values():
                self.dispatch(queue)

    def publish(self, queue: _Queue, messages: Sequence[tuple[str, bytes]]) -> list[str]:
        """Persist into `queue`; returns the refused message ids."""
        expires = None if queue.ttl_s is None else self.clock() + queue.ttl_s
        refused = [mid for mid, body in messages
                   if not queue.offer(_Message(body, mid, queue.name, expires_at=expires))]
        self.dispatch(queue)
        return refused

    def route(self, exchange: str, routing_key: str, body: bytes) -> None:
        for qname, pattern in self.bindings.get(exchange, ()):
            if topic_matches(pattern, routing_key):
                queue = self.queues[qname]
                before = queue.dropped
                queue.offer(_Message(body, None, routing_key))
                self.events_dropped += queue.dropped - before
                self.dispatch(queue)

    def dead_letter(self, queue: _Queue, msg: _Message, reason: str) -> bool:
        """Into the queue's dead-letter queue with `reason`; False when that queue is full (nothing moved)."""
        if queue.dead is None:
            return True
        headers = {**msg.headers, REASON_HEADER: reason, QUEUE_HEADER: queue.name}
        dead = _Message(msg.body, msg.message_id, queue.name, headers=headers)
        if not queue.dead.offer(dead):
            return False
        self.dispatch(queue.dead)
        return True

    def expire(self, queue: _Queue) -> None:
        """Dead-letter the expired messages at the head (as RabbitMQ: expiry is seen at the head)."""
        now = self.clock()
        while queue.ready and queue.ready[0].expires_at is not None and queue.ready[0].expires_at <= now:
            if not self.dead_letter(queue, queue.ready[0], "expired"):
                return
            queue.ready.popleft()

    def dispatch(self, queue: _Queue) -> None:
        self.expire(queue)
        while queue.ready:
            consumer = queue.next_consumer()
            if consumer is None:
                return
            consumer.deliver(queue.ready.popleft())

    def requeue(self, queue: _Queue, messages: Sequence[_Message]) -> None:
        """Back at the head, in their order, flagged redelivered (a closed consumer, a handler that failed)."""
        for msg in reversed(messages):
            msg.redelivered = True
            queue.ready.appendleft(msg)
        self.dispatch(queue)

    def fetch(self, queue_name: str) -> _Message | None:
        """basic.get with auto-ack (tests, tools)."""
        queue = self.queues[queue_name]
        self.expire(queue)
        return queue.ready.popleft() if queue.ready else None

    def depth(self, queue_name: str) -> int:
        return len(self.queues[queue_name].ready)


# ---- the client ----------------------------------------------------------------------------------------------
class LocalDelivery:
    """One lead message handed to a consumer (`vssd.actors.dialer_ports.Delivery`)."""

    __slots__ = ("_consumer", "_msg", "_tag", "settled")

    def __init__(self, consumer: _Consumer, tag: int, msg: _Message) -> None:
        self._consumer = consumer
        self._tag = tag
        self._msg = msg
        self.settled = False

    @property
    def body(self) -> bytes:
        return self._msg.body

    @property
    def message_id(self) -> str | None:
        return self._msg.message_id

    @property
    def redelivered(self) -> bool:
        return self._msg.redelivered

    @property
    def headers(self) -> Mapping[str, Any]:
        return self._msg.headers

    def _settle(self) -> None:
        if self.settled:
            raise AlreadySettled(f"delivery {self._tag} already settled")
        if self._consumer.closed:
            raise BrokerNotReady("the consumer was closed; the message was requeued")

    async def ack(self) -> None:
        self._settle()
        self.settled = True
        self._consumer.release(self._tag)

    async def dead_letter(self, reason: str) -> None:
        self._settle()
        queue = self._consumer.queue
        if not self._consumer.broker.dead_letter(queue, self._msg, reason):
            assert queue.dead is not None, "only a full dead-letter queue refuses"
            raise BrokerQueueFull(queue.dead.name, [self._msg.message_id])
        self.settled = True
        self._consumer.release(self._tag)

    async def requeue(self) -> None:
        """nack with requeue (the handler failed before settling)."""
        self._settle()
        self.settled = True
        self._consumer.release(self._tag, requeue=True)


class _Consumer:
    def __init__(self, bus: LocalBus, queue: _Queue, handler: Callable[[LocalDelivery], Any], prefetch: int) -> None:
        self.bus = bus
        self.broker = bus.broker
        self.queue = queue
        self.handler = handler
        self.prefetch = prefetch
        self.unacked: dict[int, _Message] = {}
        self.closed = False
        self._tag = 0

    def has_room(self) -> bool:
        return not self.closed and len(self.unacked) < self.prefetch

    def deliver(self, msg: _Message) -> None:
        self._tag += 1
        self.unacked[self._tag] = msg
        delivery = LocalDelivery(self, self._tag, msg)
        self.bus.tasks.spawn(self.handler(delivery), f"deliver:{self.queue.name}:{self._tag}")

    def release(self, tag: int, requeue: bool = False) -> None:
        msg = self.unacked.pop(tag)
        if requeue:
            self.broker.requeue(self.queue, [msg])
        else:
            self.broker.dispatch(self.queue)

    def close(self) -> None:
        """Cancel: unacked messages go back to the head of the queue, redelivered."""
        self.closed = True
        self.queue.consumers.remove(self)
        pending, self.unacked = list(self.unacked.values()), {}
        self.broker.requeue(self.queue, pending)


class LocalBus:
    """`LeadBus` on a `LocalBroker`: its own one unless given (then the caller starts and closes the broker, unless
    `own_broker=True` hands it over)."""

    def __init__(self, broker: LocalBroker | None = None, *, handler_retry_s: float = HANDLER_RETRY_S,
                 handler_max_failures: int = HANDLER_MAX_FAILURES, own_broker: bool | None = None) -> None:
        self._own_broker = broker is None if own_broker is None else own_broker
        self.broker = broker or LocalBroker()
        self.names = self.broker.names
        self.handler_retry_s = handler_retry_s
        self.failures = HandlerFailures(handler_max_failures)
        self.tasks = TaskSet("bus-local")
        self._leads: _Consumer | None = None
        self._dead: _Consumer | None = None
        self.started = False

    async def start(self) -> None:
        if self._own_broker:
            await self.broker.start()
        self.started = True

    @property
    def connected(self) -> bool:
        """In process: up from `start()` to `close()`."""
        return self.started

    async def close(self) -> None:
        for consumer in (self._leads, self._dead):
            if consumer is not None and not consumer.closed:
                consumer.close()
        self._leads = self._dead = None
        self.started = False
        await self.tasks.cancel_all()
        if self._own_broker:
            await self.broker.close()

    def _ready(self) -> None:
        if not self.started:
            raise BrokerNotReady("bus not started")

    async def publish_leads(self, messages: Sequence[tuple[str, bytes]]) -> None:
        self._ready()
        refused = self.broker.publish(self.broker.leads, messages)
        if refused:
            raise BrokerQueueFull(self.broker.leads.name, refused)

    def publish_event(self, routing_key: str, payload: Mapping[str, Any]) -> None:
        self.broker.route(self.names.events, routing_key, orjson.dumps(payload))

    @property
    def events_dropped(self) -> int:
        return self.broker.events_dropped

    async def consume_leads(self, handler: Callable[[Any], Any], prefetch: int) -> None:
        self._ready()
        if self._leads is not None:
            raise BrokerFatal("already consuming leads")
        wrapped = guarded_handler(handler, self.handler_retry_s, self.failures)
        self._leads = _Consumer(self, self.broker.leads, wrapped, prefetch)
        self.broker.leads.consumers.append(self._leads)
        self.broker.dispatch(self.broker.leads)

    async def set_prefetch(self, prefetch: int) -> None:
        if prefetch < 0:
            raise ValueError("prefetch must be >= 0")
        if self._leads is not None:
            self._leads.prefetch = prefetch
            self.broker.dispatch(self.broker.leads)

    async def consume_dead_letters(self, handler: Callable[[Any], Any]) -> None:
        self._ready()
        if self._dead is not None:
            raise BrokerFatal("already consuming dead letters")
        wrapped = dead_handler(handler, self.handler_retry_s, self.broker.leads.name)
        self._dead = _Consumer(self, self.broker.dead, wrapped, DEAD_PREFETCH)
        self.broker.dead.consumers.append(self._dead)
        self.broker.dispatch(self.broker.dead)

    async def fetch(self, queue: str) -> tuple[str, bytes] | None:
        """One message from `queue` (auto-acked) as (routing key, body), or None: for tests and tools."""
        msg = self.broker.fetch(queue)
        return None if msg is None else (msg.routing_key, msg.body)

    async def depth(self, queue: str) -> int:
        return self.broker.depth(queue)


class HandlerFailures:
    """How often the lead handler failed on each message id, in this process (bounded: the oldest ids forgotten).
    A redelivery alone proves nothing — after a restart every unacked message comes back `redelivered` — so a
    message becomes poison only after `limit` failures of the handler itself."""

    def __init__(self, limit: int = HANDLER_MAX_FAILURES, remember: int = 10_000) -> None:
        self.limit = limit
        self.remember = remember
        self._counts: OrderedDict[str | None, int] = OrderedDict()

    def note(self, message_id: str | None) -> int:
        count = self._counts.pop(message_id, 0) + 1
        self._counts[message_id] = count
        if len(self._counts) > self.remember:
            self._counts.popitem(last=False)
        return count

    def forget(self, message_id: str | None) -> None:
        self._counts.pop(message_id, None)


def guarded_handler(handler: Callable[[Any], Any], retry_s: float,
                    failures: HandlerFailures | None = None) -> Callable[[Any], Any]:
    """Wrap a lead handler: a failure before settling goes to `settle_after_failure`."""
    failures = failures or HandlerFailures()

    async def run(delivery: Any) -> None:
        try:
            await handler(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            try:
                await settle_after_failure(delivery, err, retry_s, failures)
            except BrokerError as settle_err:  # closed meanwhile: the broker requeues it anyway
                log.warning("could not settle %s after a handler failure: %r", delivery.message_id, settle_err)
    return run


async def settle_after_failure(delivery: Any, err: BaseException, retry_s: float, failures: HandlerFailures) -> None:
    """The handler raised before settling: requeued after `retry_s` × the failures so far (a transient failure,
    e.g. the database); at the `failures.limit`-th failure it is poison: dead-lettered as
    `poison:handler-error:<Exception>`."""
    log.warning("lead handler failed on %s: %r", delivery.message_id, err)
    if delivery.settled:
        return
    count = failures.note(delivery.message_id)
    if count >= failures.limit:
        failures.forget(delivery.message_id)
        await delivery.dead_letter(f"poison:handler-error:{type(err).__name__}")
        return
    await asyncio.sleep(retry_s * count)
    await delivery.requeue()


@dataclass(slots=True)
class DeadMessage:
    """The adapters' twin of `vssd.actors.dialer_ports.DeadLetter` (same fields: adapters never import actors).
    `reason`: our `x-vssd-reason` header, else RabbitMQ's first `x-death` reason (expired, rejected, maxlen …)."""

    reason: str
    queue: str
    body: bytes
    message_id: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_headers(cls, headers: Mapping[str, Any], body: bytes, message_id: str | None,
                     default_queue: str) -> DeadMessage:
        reason = _text(headers.get(REASON_HEADER))
        queue = _text(headers.get(QUEUE_HEADER))
        deaths = headers.get("x-death")
        if isinstance(deaths, list | tuple) and deaths and isinstance(deaths[0], Mapping):
            reason = reason or _text(deaths[0].get("reason"))
            queue = queue or _text(deaths[0].get("queue"))
        return cls(reason or "unknown", queue or default_queue, body, message_id, dict(headers))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def dead_handler(handler: Callable[[DeadMessage], Any], retry_s: float,
                 default_queue: str) -> Callable[[Any], Any]:
    """Wrap a dead-letter handler: ack once it returns; if it raises, requeue after `retry_s` (never dropped)."""
    async def run(delivery: Any) -> None:
        dead = DeadMessage.from_headers(delivery.headers, delivery.body, delivery.message_id, default_queue)
        try:
            await handler(dead)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("dead-letter handler failed on %s: %r", delivery.message_id, err)
            await asyncio.sleep(retry_s)
            try:
                await delivery.requeue()
            except BrokerError:  # closed meanwhile: the broker requeues it anyway
                pass
            return
        await delivery.ack()
    return run
