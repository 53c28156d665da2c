"""The in-process event bus: the daemon publishes (`call.update`, `slot.update`, `system.alert`, …), the API's
real-time layer and anything else subscribe, each through its own bounded queue.

`publish` never blocks and never raises for a subscriber's sake. Overflow policy: a subscriber whose queue is
full loses its OLDEST event (counted in `Subscription.dropped`) — the publisher (an actor, the AMI pump) is never
slowed by a reader that fell behind. Call it from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

CALL_UPDATE = "call.update"
SLOT_UPDATE = "slot.update"
SYSTEM_ALERT = "system.alert"
PIPELINE_UPDATE = "pipeline.update"
DEFAULT_QUEUE = 4096


class Event(NamedTuple):
    topic: str
    data: Mapping[str, Any]


def matches(pattern: str, topic: str) -> bool:
    """`call.update` matches itself; `rtmp.stream.*` (trailing `*`) matches by prefix; `*` matches all."""
    if pattern.endswith("*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


class Subscription:
    """One subscriber's bounded queue of events (see the module's overflow policy)."""

    def __init__(self, bus: EventBus, topics: Iterable[str] | None, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self._bus = bus
        self.topics = tuple(topics) if topics is not None else ("*",)
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0
        self.closed = False

    def wants(self, topic: str) -> bool:
        return any(matches(p, topic) for p in self.topics)

    def offer(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self) -> Event:
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        return None if self._queue.empty() else self._queue.get_nowait()

    def qsize(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self.closed = True
        self._bus.unsubscribe(self)


class EventBus:
    """Topic fan-out to bounded subscriber queues. Implements `vssd.fsm.types.EventBus` (publish) and the API's
    `EventSource` port (subscribe)."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE) -> None:
        self.queue_size = queue_size
        self._subs: list[Subscription] = []
        self.published = 0

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.published += 1
        if not self._subs:
            return
        event = Event(topic, payload)
        for sub in self._subs:
            if sub.wants(topic):
                sub.offer(event)

    def subscribe(self, topics: Iterable[str] | None = None, maxsize: int | None = None) -> Subscription:
        """A new subscription to `topics` (patterns, see `matches`; None = every topic)."""
        sub = Subscription(self, topics, maxsize or self.queue_size)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
