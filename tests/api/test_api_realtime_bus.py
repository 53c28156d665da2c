"""The in-process event bus (vssd/bus.py): publish never blocks, bounded queues drop their oldest, topic patterns."""

from __future__ import annotations

import asyncio

from vssd.bus import EventBus, matches


async def test_a_full_subscriber_loses_its_oldest_events_and_the_publisher_never_waits() -> None:
    bus = EventBus()
    slow = bus.subscribe(["call.update"], maxsize=3)
    fast = bus.subscribe(None, maxsize=100)
    for n in range(10):
        bus.publish("call.update", {"n": n})  # synchronous: there is nothing to await
    assert slow.dropped == 7 and slow.qsize() == 3
    assert [(await slow.get()).data["n"] for _ in range(3)] == [7, 8, 9]
    assert [fast.get_nowait().data["n"] for _ in range(10)] == list(range(10))
    assert fast.dropped == 0 and fast.get_nowait() is None


async def test_topics_route_by_name_and_prefix_pattern_and_close_unsubscribes() -> None:
    bus = EventBus()
    rtmp = bus.subscribe(["rtmp.stream.*"])
    slots = bus.subscribe(["slot.update"])
    for topic in ("rtmp.stream.start", "slot.update", "call.update", "rtmp.stream.stop"):
        bus.publish(topic, {})
    assert [rtmp.get_nowait().topic for _ in range(2)] == ["rtmp.stream.start", "rtmp.stream.stop"]
    assert slots.get_nowait().topic == "slot.update" and slots.get_nowait() is None
    slots.close()
    bus.publish("slot.update", {})
    assert slots.get_nowait() is None and bus.subscribers == 1
    assert matches("*", "anything") and not matches("call.update", "call.updates")


async def test_a_waiting_subscriber_wakes_on_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    bus.publish("system.alert", {"level": "warning"})
    event = await asyncio.wait_for(waiter, 5)
    assert event == ("system.alert", {"level": "warning"})
