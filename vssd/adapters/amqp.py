"""`vssd.actors.dialer_ports.LeadBus` on RabbitMQ (aio-pika, `connect_robust`). Topology and policies: docs/bus.md.

- Topology, declared idempotently at `start()` on a short-lived plain connection (and again by the robust channels
  that use a queue, so a recovered connection re-creates what it needs): topic exchanges `vss.events` and
  `vss.commands`, direct `vss.dlx`; quorum queue `vss.autodial.leads` (TTL, bounded, reject-publish,
  at-least-once dead-lettering into `vss.dlx` → quorum `vss.autodial.leads.dead`); classic queues
  `slot.status` (`slot.*`) and `vss.call.events` (`call.#`) on `vss.events`, `vss.slot.commands` (`slot.#`) and
  `vss.gacs.commands` (`gacs.#`) on `vss.commands`, each bounded with drop-head.
- Leads: persistent, mandatory, publisher confirms, a batch published concurrently and every confirm awaited.
- `Delivery.dead_letter(reason)` republishes the message to `vss.dlx` with `x-vssd-reason` (confirmed), then acks
  it: a reject cannot carry our reason. A crash in between dead-letters it twice at worst (at-least-once).
- Prefetch: `basic.qos` only applies to consumers started after it, so a new limit means a new subscription,
  granted the limit minus the deliveries of replaced subscriptions still unsettled (`_LeadConsumer`).
- Events: `publish_event` appends to a bounded buffer (drop-oldest, counted) drained by one task.
- Errors: `BrokerNotReady` (retry), `BrokerQueueFull` (a BrokerNotReady: the queue refused the ids it names),
  `BrokerAuthFailed` (stop), `BrokerFatal` (topology mismatch, bug) — from `vssd.adapters.broker_local`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from aiormq.abc import DeliveredMessage
from pamqp import commands as spec

from vssd.adapters.broker_local import (
    QUEUE_HEADER,
    REASON_HEADER,
    AlreadySettled,
    BrokerAuthFailed,
    BrokerError,
    BrokerFatal,
    BrokerNotReady,
    BrokerQueueFull,
    BusNames,
    DeadMessage,
    HandlerFailures,
    LocalBroker,
    LocalBus,
    dead_handler,
    guarded_handler,
)
from vssd.config.models import AmqpConfig
from vssd.tasks import TaskSet

__all__ = [
    "AmqpBus", "AmqpDelivery", "AmqpSettings", "BrokerAuthFailed", "BrokerError", "BrokerFatal", "BrokerNotReady",
    "BrokerQueueFull", "DeadMessage", "declare_topology", "delete_topology", "lead_bus_for", "open_lead_bus",
]

log = logging.getLogger("vssd.amqp")

ENV_URL = "VSSD_AMQP_URL"
DEAD_PREFETCH = 16
PUBLISH_CHUNK = 1000
_TRANSIENT = (aiormq.exceptions.AMQPConnectionError, aio_pika.exceptions.ChannelInvalidStateError,
              aiormq.exceptions.ChannelClosed, ConnectionError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class AmqpSettings:
    url: str = field(repr=False)  # secret: user and password
    prefix: str = ""  # tests: a unique `t<random>.` so parallel runs never share a queue
    lead_ttl_s: float = 3600.0
    max_leads: int = 100_000  # x-max-length of the lead queue (reject-publish)
    max_dead: int = 100_000  # of the dead-letter queue (reject-publish: dead letters wait, never dropped)
    max_events: int = 10_000  # of each event/command queue (drop-head)
    event_buffer: int = 10_000  # publish_event's in-process buffer (drop-oldest)
    publish_timeout_s: float = 10.0
    handler_retry_s: float = 1.0  # a lead handler that raised: requeued after this × its failures so far …
    handler_max_failures: int = 5  # … and dead-lettered as poison at this many
    reconnect_interval_s: float = 1.0
    connection_name: str = "vssd"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AmqpSettings | None:
        """None when `VSSD_AMQP_URL` is not set (the caller then uses the in-process broker)."""
        url = (env if env is not None else os.environ).get(ENV_URL)
        return cls(url=url, **overrides) if url else None

    def lead_arguments(self, names: BusNames) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-message-ttl": round(self.lead_ttl_s * 1000),
            "x-dead-letter-exchange": names.dlx,
            "x-dead-letter-routing-key": names.leads,
            "x-dead-letter-strategy": "at-least-once",  # needs reject-publish; expired leads never vanish
            "x-overflow": "reject-publish",
            "x-max-length": self.max_leads,
        }

    def dead_arguments(self) -> dict[str, Any]:
        return {"x-queue-type": "quorum", "x-overflow": "reject-publish", "x-max-length": self.max_dead}

    def side_arguments(self) -> dict[str, Any]:
        return {"x-max-length": self.max_events, "x-overflow": "drop-head"}


def open_lead_bus(env: Mapping[str, str] | None = None, **overrides: Any) -> AmqpBus | LocalBus:
    """RabbitMQ when `VSSD_AMQP_URL` is set, else the in-process broker. Not started."""
    settings = AmqpSettings.from_env(env, **overrides)
    return AmqpBus(settings) if settings is not None else LocalBus()


def lead_bus_for(amqp: AmqpConfig) -> AmqpBus | LocalBus:
    """The daemon's bus from its `[amqp]` section: RabbitMQ when `url` (VSSD_AMQP_URL) is set, else the in-process
    broker with the same names (`queue_prefix`) and lead TTL. Not started. (`reconnect_max_s` caps the robust
    connection's fixed interval.)"""
    if amqp.url is None:
        return LocalBus(LocalBroker(BusNames(amqp.queue_prefix), lead_ttl_s=float(amqp.lead_ttl_s)), own_broker=True)
    return AmqpBus(AmqpSettings(url=amqp.url.get_secret_value(), prefix=amqp.queue_prefix,
                                lead_ttl_s=float(amqp.lead_ttl_s), reconnect_interval_s=min(1.0, amqp.reconnect_max_s)))


def _classify(err: BaseException, what: str) -> BrokerError:
    if isinstance(err, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError):
        return BrokerAuthFailed(f"{what}: credentials refused")
    if isinstance(err, aiormq.exceptions.ChannelAccessRefused | aiormq.exceptions.ConnectionNotAllowed):
        return BrokerAuthFailed(f"{what}: access refused ({err})")
    if isinstance(err, aiormq.exceptions.ChannelPreconditionFailed):
        return BrokerFatal(f"{what}: topology mismatch ({err}); delete the queue or align the settings")
    if isinstance(err, _TRANSIENT):
        return BrokerNotReady(f"{what}: {err!r}")
    return BrokerFatal(f"{what}: {err!r}")


async def _connect_plain(settings: AmqpSettings) -> aio_pika.abc.AbstractConnection:
    try:
        return await aio_pika.connect(settings.url, timeout=settings.publish_timeout_s,
                                      client_properties={"connection_name": f"{settings.connection_name}-setup"})
    except Exception as err:
        raise _classify(err, "connect") from err


async def declare_topology(settings: AmqpSettings, names: BusNames) -> None:
    """Exchanges, queues and bindings; safe to run any number of times and against a broker that has them.
    A side queue that exists with other arguments (e.g. the operating manual's unbounded `slot.status`) is used as it
    is, with a warning; the lead and dead-letter queues must match (else BrokerFatal)."""
    conn = await _connect_plain(settings)
    try:
        ch = await conn.channel()
        topic, direct = aio_pika.ExchangeType.TOPIC, aio_pika.ExchangeType.DIRECT
        exchanges = {name: await ch.declare_exchange(name, kind, durable=True)
                     for name, kind in ((names.events, topic), (names.commands, topic), (names.dlx, direct))}
        dead = await ch.declare_queue(names.dead, durable=True, arguments=settings.dead_arguments())
        await dead.bind(exchanges[names.dlx], routing_key=names.leads)
        await ch.declare_queue(names.leads, durable=True, arguments=settings.lead_arguments(names))
        for exchange, bindings in ((names.events, names.event_bindings()), (names.commands, names.command_bindings())):
            for queue, pattern in bindings:
                ch = await _declare_side_queue(conn, ch, queue, settings)
                await (await ch.get_queue(queue, ensure=False)).bind(exchange, routing_key=pattern)
    except BrokerError:
        raise
    except Exception as err:
        raise _classify(err, "declare topology") from err
    finally:
        await conn.close()


async def _declare_side_queue(conn: aio_pika.abc.AbstractConnection, ch: aio_pika.abc.AbstractChannel, name: str,
                              settings: AmqpSettings) -> aio_pika.abc.AbstractChannel:
    try:
        await ch.declare_queue(name, durable=True, arguments=settings.side_arguments())
        return ch
    except aiormq.exceptions.ChannelPreconditionFailed as err:
        log.warning("queue %s exists with other arguments, used as it is: %s", name, err)
    ch = await conn.channel()  # the broker closed the previous one
    await ch.declare_queue(name, passive=True)
    return ch


async def delete_topology(settings: AmqpSettings) -> None:
    """Delete every queue and exchange under `settings.prefix` (tests clean up after themselves)."""
    names = BusNames(settings.prefix)
    conn = await _connect_plain(settings)
    try:
        ch = await (await conn.channel()).get_underlay_channel()
        for queue in (names.leads, names.dead, names.slot_status, names.call_events, names.slot_commands,
                      names.gacs_commands):
            await ch.queue_delete(queue)
        for exchange in (names.events, names.commands, names.dlx):
            await ch.exchange_delete(exchange)
    finally:
        await conn.close()


class AmqpDelivery:
    """One message from RabbitMQ (`vssd.actors.dialer_ports.Delivery`)."""

    __slots__ = ("_bus", "_done", "message", "settled")

    def __init__(self, bus: AmqpBus, message: AbstractIncomingMessage, done: Callable[[AmqpDelivery], None]) -> None:
        self._bus = bus
        self.message = message
        self._done = done
        self.settled = False

    @property
    def body(self) -> bytes:
        return self.message.body

    @property
    def message_id(self) -> str | None:
        return self.message.message_id

    @property
    def redelivered(self) -> bool:
        return bool(self.message.redelivered)

    @property
    def headers(self) -> Mapping[str, Any]:
        return self.message.headers or {}

    async def _settle(self, action: Callable[[], Awaitable[Any]], what: str) -> None:
        if self.settled:
            raise AlreadySettled(f"delivery {self.message.delivery_tag} already settled")
        try:
            await action()
        except BrokerError:
            raise
        except Exception as err:
            self._finish()  # the channel is gone: the broker redelivers it
            raise _classify(err, what) from err
        self._finish()

    def _finish(self) -> None:
        if not self.settled:
            self.settled = True
            self._done(self)

    async def ack(self) -> None:
        await self._settle(self.message.ack, "ack")

    async def requeue(self) -> None:
        await self._settle(lambda: self.message.nack(requeue=True), "requeue")

    async def dead_letter(self, reason: str) -> None:
        async def republish_then_ack() -> None:
            await self._bus.publish_dead(self.message, reason)
            await self.message.ack()
        await self._settle(republish_then_ack, "dead-letter")


class _LeadConsumer:
    """The lead subscriptions, with at most `limit` deliveries unsettled across them and the ones cancelled.

    RabbitMQ cannot change a live consumer's prefetch, so the grant is split over up to MAX_GRANTS live
    subscriptions (`grants`: consumer tag → its prefetch). Deliveries of a cancelled subscription stay valid until
    settled and still count (`_older`). Invariant: the live grants plus those older deliveries never exceed the
    limit, so neither do the unsettled deliveries. A lower limit cancels subscriptions until it holds; a grant left
    unused (a higher limit, older deliveries settled) of at least a quarter of the limit gets one more
    subscription — the live ones go on delivering meanwhile. (Replacing the one subscription instead, as this did
    first, cancelled a consumer with hundreds of deliveries in hand; as those settled the unused grant grew and
    the next replacement followed: a delivery gap every limit/4 messages, which starved the dialer's hopper at
    300 attempts/s.) Past MAX_GRANTS live subscriptions they are merged into one."""

    MAX_GRANTS = 4

    def __init__(self, bus: AmqpBus, channel: AbstractRobustChannel, queue: aio_pika.abc.AbstractQueue,
                 handler: Callable[[Any], Awaitable[None]]) -> None:
        self.bus = bus
        self.channel = channel
        self.queue = queue
        self.handler = handler
        self.limit = 0
        self.grants: dict[str, int] = {}  # live consumer tag -> its prefetch
        self.unsettled: dict[str, int] = {}  # consumer tag -> its deliveries not settled yet
        self.epoch = 0  # bumped when the channel is recovered: older deliveries are void and no longer count
        self._lock = asyncio.Lock()
        self._renewing = False
        self._merge = False  # after a channel recovery: the broker restored every subscription with one prefetch
        channel.reopen_callbacks.add(self._on_reopen)

    @property
    def credit(self) -> int:
        """The live subscriptions' prefetch, summed."""
        return sum(self.grants.values())

    def _older(self) -> int:
        return sum(n for tag, n in self.unsettled.items() if tag not in self.grants)

    def _unused(self) -> int:
        return self.limit - self._older() - self.credit

    def _needs_renewal(self) -> bool:
        if self._merge:
            return True
        if self.limit == 0:
            return bool(self.grants)
        unused = self._unused()
        return unused < 0 or unused >= max(1, self.limit // 4)

    async def set_limit(self, prefetch: int) -> None:
        """Calls coalesce: one change of subscriptions at a time, to the latest limit."""
        self.limit = prefetch
        await self._renew()

    async def _renew(self) -> None:
        async with self._lock:
            if self._needs_renewal():
                await self._resubscribe()

    async def _resubscribe(self) -> None:
        while self.grants and (self._unused() < 0 or self.limit == 0):  # over the limit: fewest in hand first
            await self._cancel(min(self.grants, key=lambda tag: self.unsettled.get(tag, 0)))
        if self._merge or (len(self.grants) >= self.MAX_GRANTS and self._unused() >= max(1, self.limit // 4)):
            self._merge = False
            for tag in list(self.grants):
                await self._cancel(tag)
        self.unsettled = {tag: n for tag, n in self.unsettled.items() if n > 0 or tag in self.grants}
        credit = self._unused()
        if credit > 0 and (not self.grants or credit >= max(1, self.limit // 4)):
            await self.channel.set_qos(prefetch_count=credit)
            tag = await self.queue.consume(self._on_message)
            self.grants[tag] = credit

    async def _cancel(self, tag: str) -> None:
        del self.grants[tag]
        await self.queue.cancel(tag)
        for _ in range(3):  # deliveries that preceded the cancel-ok are two task hops away: count them first
            await asyncio.sleep(0)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        tag = str(message.consumer_tag)
        self.unsettled[tag] = self.unsettled.get(tag, 0) + 1
        await self.handler(AmqpDelivery(self.bus, message, self._settled_in(self.epoch, tag)))

    def _settled_in(self, epoch: int, tag: str) -> Callable[[AmqpDelivery], None]:
        def settled(_: AmqpDelivery) -> None:
            if epoch != self.epoch or self.unsettled.get(tag, 0) <= 0:
                return
            self.unsettled[tag] -= 1
            self._renew_soon()
        return settled

    def _renew_soon(self) -> None:
        if self._renewing or not self._needs_renewal():
            return
        self._renewing = True
        self.bus.tasks.spawn(self._renew_task(), "lead-prefetch")

    async def _renew_task(self) -> None:
        try:
            await self._renew()
        except Exception as err:  # the connection dropped: recovery restores the subscription
            log.warning("renewing the lead subscription failed: %r", err)
            self._renewing = False
            return
        self._renewing = False
        self._renew_soon()  # settled meanwhile

    def _on_reopen(self, *_: Any) -> None:
        """A recovered channel: old deliveries are void (the broker redelivers them); count afresh. aio-pika
        restores every subscription with the channel's last prefetch, so several are merged into one."""
        self.epoch += 1
        self.unsettled.clear()
        if len(self.grants) > 1:
            self._merge = True
            self._renew_soon()


class AmqpBus:
    """`LeadBus` on RabbitMQ. `start()` raises BrokerNotReady / BrokerAuthFailed / BrokerFatal."""

    def __init__(self, settings: AmqpSettings) -> None:
        self.settings = settings
        self.names = BusNames(settings.prefix)
        self.tasks = TaskSet("amqp")
        self.events_dropped = 0
        self.events_published = 0
        self._events: deque[tuple[str, bytes]] = deque()
        self._events_ready = asyncio.Event()
        self._conn: AbstractRobustConnection | None = None
        self._pub: AbstractRobustChannel | None = None
        self._leads: _LeadConsumer | None = None
        self._dead_ch: AbstractRobustChannel | None = None

    # ---- lifecycle ----
    async def start(self) -> None:
        await declare_topology(self.settings, self.names)
        try:
            self._conn = await aio_pika.connect_robust(
                self.settings.url, timeout=self.settings.publish_timeout_s,
                reconnect_interval=self.settings.reconnect_interval_s,
                client_properties={"connection_name": self.settings.connection_name})
            self._pub = await self._conn.channel(publisher_confirms=True, on_return_raises=True)
            await self._pub.declare_queue(  # so a recovered channel re-creates it before publishing
                self.names.leads, durable=True, arguments=self.settings.lead_arguments(self.names))
            self._dlx = await self._pub.declare_exchange(self.names.dlx, aio_pika.ExchangeType.DIRECT, durable=True)
            events_ch = await self._conn.channel(publisher_confirms=False)
            self._events_ex = await events_ch.declare_exchange(self.names.events, aio_pika.ExchangeType.TOPIC,
                                                               durable=True)
        except Exception as err:
            await self.close()
            raise _classify(err, "start") from err
        self.tasks.spawn(self._drain_events(), "events")

    @property
    def connected(self) -> bool:
        """The connection to RabbitMQ is open (false while aio-pika reconnects)."""
        return self._conn is not None and not self._conn.is_closed

    async def close(self) -> None:
        await self.tasks.cancel_all()
        if self._conn is not None:
            await self._conn.close()
        self._conn = self._pub = self._leads = self._dead_ch = None

    def _channel(self) -> AbstractRobustChannel:
        if self._pub is None:
            raise BrokerNotReady("bus not started")
        return self._pub

    # ---- leads ----
    async def publish_leads(self, messages: Sequence[tuple[str, bytes]]) -> None:
        ch = self._channel()
        refused: list[str | None] = []
        for start in range(0, len(messages), PUBLISH_CHUNK):
            refused += await self._publish_chunk(ch, messages[start:start + PUBLISH_CHUNK])
        if refused:
            raise BrokerQueueFull(self.names.leads, refused)

    async def _publish_chunk(self, ch: AbstractRobustChannel, chunk: Sequence[tuple[str, bytes]]) -> list[str | None]:
        exchange = ch.default_exchange
        sends = [exchange.publish(_lead_message(mid, body), routing_key=self.names.leads, mandatory=True)
                 for mid, body in chunk]
        try:
            async with asyncio.timeout(self.settings.publish_timeout_s):
                results = await asyncio.gather(*sends, return_exceptions=True)
        except TimeoutError as err:
            raise BrokerNotReady(f"no confirms within {self.settings.publish_timeout_s} s") from err
        refused: list[str | None] = []
        for (mid, _), result in zip(chunk, results, strict=True):
            if isinstance(result, aio_pika.exceptions.PublishError):
                raise BrokerFatal(f"lead {mid} unroutable (is {self.names.leads} gone?)") from result
            if isinstance(result, aio_pika.exceptions.DeliveryError):
                refused.append(mid)
            elif isinstance(result, BaseException):
                raise _classify(result, "publish leads") from result
        return refused

    async def publish_dead(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Our dead-lettering: the message with `x-vssd-reason` to the DLX, confirmed (see the module doc)."""
        headers = {**(message.headers or {}), REASON_HEADER: reason, QUEUE_HEADER: self.names.leads}
        dead = aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                content_type=message.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        try:
            async with asyncio.timeout(self.settings.publish_timeout_s):
                await self._dlx.publish(dead, routing_key=self.names.leads, mandatory=True)
        except aio_pika.exceptions.PublishError as err:
            raise BrokerFatal(f"dead letter unroutable (is {self.names.dead} gone?)") from err
        except aio_pika.exceptions.DeliveryError as err:
            raise BrokerQueueFull(self.names.dead, [message.message_id]) from err

    async def consume_leads(self, handler: Callable[[Any], Awaitable[None]], prefetch: int) -> None:
        if self._conn is None:
            raise BrokerNotReady("bus not started")
        if self._leads is not None:
            raise BrokerFatal("already consuming leads")
        wrapped = guarded_handler(handler, self.settings.handler_retry_s,
                                  HandlerFailures(self.settings.handler_max_failures))
        try:
            ch = await self._conn.channel()
            queue = await ch.declare_queue(self.names.leads, durable=True,
                                           arguments=self.settings.lead_arguments(self.names))
            self._leads = _LeadConsumer(self, ch, queue, wrapped)
            await self._leads.set_limit(prefetch)
        except BrokerError:
            raise
        except Exception as err:
            raise _classify(err, "consume leads") from err

    async def set_prefetch(self, prefetch: int) -> None:
        if prefetch < 0:
            raise ValueError("prefetch must be >= 0")
        if self._leads is None:
            return
        try:
            await self._leads.set_limit(prefetch)
        except Exception as err:
            raise _classify(err, "set prefetch") from err

    async def consume_dead_letters(self, handler: Callable[[DeadMessage], Awaitable[None]]) -> None:
        if self._conn is None:
            raise BrokerNotReady("bus not started")
        if self._dead_ch is not None:
            raise BrokerFatal("already consuming dead letters")
        wrapped = dead_handler(handler, self.settings.handler_retry_s, self.names.leads)
        try:
            self._dead_ch = ch = await self._conn.channel()
            await ch.set_qos(prefetch_count=DEAD_PREFETCH)
            queue = await ch.declare_queue(self.names.dead, durable=True, arguments=self.settings.dead_arguments())

            async def on_message(message: AbstractIncomingMessage) -> None:
                await wrapped(AmqpDelivery(self, message, _nothing))

            await queue.consume(on_message)
        except Exception as err:
            raise _classify(err, "consume dead letters") from err

    # ---- events ----
    def publish_event(self, routing_key: str, payload: Mapping[str, Any]) -> None:
        if len(self._events) >= self.settings.event_buffer:
            self._events.popleft()
            self.events_dropped += 1
        self._events.append((routing_key, orjson.dumps(payload)))
        self._events_ready.set()

    async def _drain_events(self) -> None:
        """The one task that publishes events; while the broker is away the buffer fills and drops its oldest."""
        while True:
            await self._events_ready.wait()
            self._events_ready.clear()
            while self._events:
                key, body = self._events[0]
                try:
                    await self._events_ex.publish(_event_message(body), routing_key=key, mandatory=False)
                except Exception as err:
                    log.warning("event publish failed (%r); retrying", err)
                    await asyncio.sleep(self.settings.reconnect_interval_s)
                    continue
                if self._events and self._events[0][1] is body:
                    self._events.popleft()
                self.events_published += 1

    # ---- tools ----
    async def fetch(self, queue: str) -> tuple[str, bytes] | None:
        """One message from `queue` (auto-acked) as (routing key, body), or None: for tests and tools."""
        ch = await self._channel().get_underlay_channel()
        got: DeliveredMessage = await ch.basic_get(queue, no_ack=True)
        if isinstance(got.delivery, spec.Basic.GetEmpty):
            return None
        return got.routing_key or "", got.body

    async def depth(self, queue: str) -> int:
        """Ready messages in `queue` (unacked ones not counted)."""
        ch = await self._channel().get_underlay_channel()
        ok = await ch.queue_declare(queue, passive=True)
        return int(ok.message_count or 0)


def _lead_message(message_id: str, body: bytes) -> aio_pika.Message:
    return aio_pika.Message(body, message_id=message_id, content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


def _event_message(body: bytes) -> aio_pika.Message:
    return aio_pika.Message(body, content_type="application/json")


def _nothing(_: AmqpDelivery) -> None:
    return None
