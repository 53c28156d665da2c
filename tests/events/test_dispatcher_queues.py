"""The dispatcher's queue subscribers: emit never blocks, full queues drop their oldest, name patterns."""

from __future__ import annotations

import asyncio

from vssd.events import CallUpdate, EventDispatcher, RtmpStreamStart, RtmpStreamStop, SlotUpdate, SystemAlert, matches


async def test_a_full_subscriber_loses_its_oldest_events_and_the_publisher_never_waits() -> None:
    bus = EventDispatcher()
    slow = bus.subscribe(["call.update"], maxsize=3)
    fast = bus.subscribe(None, maxsize=100)
    for n in range(10):
        bus.emit(CallUpdate({"n": n}))  # type: ignore[typeddict-unknown-key]  # synchronous: nothing to await
    assert slow.dropped == 7 and slow.qsize() == 3
    assert [(await slow.get()).data["n"] for _ in range(3)] == [7, 8, 9]
    assert [fast.get_nowait().data["n"] for _ in range(10)] == list(range(10))
    assert fast.dropped == 0 and fast.get_nowait() is None


async def test_topics_route_by_name_and_prefix_pattern_and_close_unsubscribes() -> None:
    bus = EventDispatcher()
    rtmp = bus.subscribe(["rtmp.stream.*"])
    slots = bus.subscribe(["slot.update"])
    for event in (RtmpStreamStart(stream_key="k", slot_id=None, url="u", started_at="t"), SlotUpdate({}),
                  CallUpdate({}), RtmpStreamStop(stream_key="k", slot_id=None, ended_at="t")):
        bus.emit(event)
    assert [rtmp.get_nowait().topic for _ in range(2)] == ["rtmp.stream.start", "rtmp.stream.stop"]
    assert slots.get_nowait().topic == "slot.update" and slots.get_nowait() is None
    slots.close()
    bus.emit(SlotUpdate({}))
    assert slots.get_nowait() is None and bus.subscribers == 1
    assert matches("*", "anything") and not matches("call.update", "call.updates")


async def test_a_waiting_subscriber_wakes_on_publish() -> None:
    bus = EventDispatcher()
    sub = bus.subscribe()
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    alert = SystemAlert(type="t", severity="warning", message="m", timestamp=0.0)
    bus.emit(alert)
    event = await asyncio.wait_for(waiter, 5)
    assert event.topic == "system.alert" and event.data["severity"] == "warning" and event.event is alert
