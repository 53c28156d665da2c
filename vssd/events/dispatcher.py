"""The one event dispatcher: publishers `emit` a catalogued event once; subscribers are either bounded queues
(the real-time hub) or synchronous listeners (the `vss.events` publisher, the notifier, metrics).

`emit` never blocks and never raises for a subscriber's sake; call it from the event loop's thread only.
Overflow policy of a queue subscriber: when full it loses its OLDEST event (counted in `Subscription.dropped`) —
the publisher (an actor, the AMI pump) is never slowed by a reader that fell behind. A listener that raises is
logged and counted (`listener_errors`), never unsubscribed: the next event reaches it again.
Derived events (the Smart Call Center API's `call_started`/`call_answered`/`call_ended` from `call.update`) are
made here, after their source event, so every subscriber sees the same sequence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from vssd.events.base import Event
from vssd.events.catalogue import CallUpdate
from vssd.events.milestones import CallMilestones

log = logging.getLogger("vssd.events")

DEFAULT_QUEUE = 4096
Listener = Callable[[Event, Mapping[str, Any]], None]


class Emitted(NamedTuple):
    """What a queue subscriber receives: the event's name, its payload, and the event itself."""

    topic: str
    data: Mapping[str, Any]
    event: Event


def matches(pattern: str, topic: str) -> bool:
    """`call.update` matches itself; `rtmp.stream.*` (trailing `*`) matches by prefix; `*` matches all."""
    if pattern.endswith("*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


class Subscription:
    """One subscriber's bounded queue of events (see the module's overflow policy)."""

    def __init__(self, dispatcher: EventDispatcher, topics: Iterable[str] | None, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self._dispatcher = dispatcher
        self.topics = tuple(topics) if topics is not None else ("*",)
        self._queue: asyncio.Queue[Emitted] = asyncio.Queue(maxsize)
        self.dropped = 0
        self.closed = False

    def wants(self, topic: str) -> bool:
        return any(matches(p, topic) for p in self.topics)

    def offer(self, item: Emitted) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    async def get(self) -> Emitted:
        return await self._queue.get()

    def get_nowait(self) -> Emitted | None:
        return None if self._queue.empty() else self._queue.get_nowait()

    def qsize(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self.closed = True
        self._dispatcher.unsubscribe(self)


class EventDispatcher:
    """Fans each emitted event out to queue subscribers and listeners. Implements the actors' and the API's
    event ports (`emit`, `subscribe`)."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE, calls_remembered: int = 10_000) -> None:
        self.queue_size = queue_size
        self._subs: list[Subscription] = []
        self._listeners: list[Listener] = []
        self._milestones = CallMilestones(calls_remembered)
        self.published = 0
        self.by_name: dict[str, int] = {}
        self.listener_errors = 0

    def emit(self, event: Event) -> None:
        self._deliver(event)
        if isinstance(event, CallUpdate):
            for derived in self._milestones.derive(event.view):
                self._deliver(derived)

    def _deliver(self, event: Event) -> None:
        name = type(event).name
        self.published += 1
        self.by_name[name] = self.by_name.get(name, 0) + 1
        if not self._subs and not self._listeners:
            return
        payload = event.payload()
        for listener in self._listeners:
            try:
                listener(event, payload)
            except Exception:
                self.listener_errors += 1
                log.exception("event listener failed on %s", name)
        if self._subs:
            item = Emitted(name, payload, event)
            for sub in self._subs:
                if sub.wants(name):
                    sub.offer(item)

    def subscribe(self, topics: Iterable[str] | None = None, maxsize: int | None = None) -> Subscription:
        """A new queue subscription to event names (patterns, see `matches`; None = every event)."""
        sub = Subscription(self, topics, maxsize or self.queue_size)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event, payload)` synchronously for every event; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def subscribers(self) -> int:
        return len(self._subs) + len(self._listeners)
