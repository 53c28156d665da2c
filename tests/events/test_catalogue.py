"""The event catalogue: every class well-formed, docs/events.md current, the dispatcher's delivery rules."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vssd.events import CATALOGUE, CallUpdate, EventDispatcher, SlotUpdate, SystemAlert
from vssd.events.base import Event
from vssd.events.catalogue import GROUP_PERMISSION
from vssd.events.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_docs_events_md_is_generated_from_the_catalogue() -> None:
    assert DOCS.read_text() == render(), "docs/events.md is stale: python -m vssd.events.docs > docs/events.md"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_event_class_carries_its_metadata(name: str) -> None:
    cls = CATALOGUE[name]
    assert issubclass(cls, Event) and dataclasses.is_dataclass(cls)
    assert cls.name == name and cls.summary
    assert GROUP_PERMISSION[cls.group] == cls.permission
    assert cls.permission.startswith("vssd.") and cls.permission.endswith(".read")
    assert cls.derived == (cls.routing_key is None)


def test_documented_events_are_all_catalogued() -> None:
    """The names the documents list (routes reference, Smart Call Center API, SPEC)."""
    documented = {"call.update", "slot.update", "pipeline.update", "system.alert", "rtmp.stream.start",
                  "rtmp.stream.stop", "call_started", "call_answered", "call_ended", "operator_status_changed",
                  "operator_logged_in", "campaign.update"}
    assert documented <= set(CATALOGUE)


def test_routing_keys_are_filled_from_the_payload() -> None:
    slot = SlotUpdate({"id": 3, "to_state": "READY"})
    assert slot.amqp_routing_key(slot.payload()) == "slot.ready"
    call = CallUpdate({"call_id": "c"}, "answered")
    assert call.amqp_routing_key(call.payload()) == "call.answered"


async def test_a_listener_and_a_queue_see_each_event_once_and_derived_after_their_source() -> None:
    dispatcher = EventDispatcher()
    heard: list[str] = []
    dispatcher.listen(lambda event, payload: heard.append(type(event).name))
    sub = dispatcher.subscribe(["call*"])
    dispatcher.emit(CallUpdate({"call_id": "c1", "phone_number": "+7", "started_at": "t"}, "leg"))
    dispatcher.emit(CallUpdate({"call_id": "c1", "answered_at": "t2"}, "answered"))
    dispatcher.emit(CallUpdate({"call_id": "c1", "state": "ENDED", "ended_at": "t3", "status": "completed"},
                               "ended"))
    dispatcher.emit(SystemAlert(type="x", severity="warning", message="m", timestamp=0.0))
    assert heard == ["call.update", "call_started", "call.update", "call_answered", "call.update", "call_ended",
                     "system.alert"]
    queued = [sub.get_nowait() for _ in range(sub.qsize())]
    assert [q.topic for q in queued] == heard[:-1]
    assert queued[1].data["caller_number"] == "+7"


async def test_a_failing_listener_is_counted_and_the_others_still_hear() -> None:
    dispatcher = EventDispatcher()
    heard: list[str] = []

    def broken(event: Event, payload: object) -> None:
        raise RuntimeError("boom")

    dispatcher.listen(broken)
    dispatcher.listen(lambda event, payload: heard.append(type(event).name))
    dispatcher.emit(SystemAlert(type="x", severity="info", message="m", timestamp=0.0))
    dispatcher.emit(SystemAlert(type="y", severity="info", message="m", timestamp=0.0))
    assert heard == ["system.alert", "system.alert"] and dispatcher.listener_errors == 2


async def test_a_full_queue_loses_its_oldest_and_the_publisher_never_blocks() -> None:
    dispatcher = EventDispatcher()
    sub = dispatcher.subscribe(None, maxsize=2)
    for i in range(5):
        dispatcher.emit(SystemAlert(type=str(i), severity="info", message="m", timestamp=0.0))
    assert sub.dropped == 3
    assert [sub.get_nowait().data["type"] for _ in range(2)] == ["3", "4"]
    sub.close()
    assert dispatcher.subscribers == 0
