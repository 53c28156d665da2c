"""A slot entering FAULT raises one warning `system.alert` (the Dashboard's alert list); other transitions and a
FAULT → FAULT repeat raise none."""

from __future__ import annotations

from vssd.events import EventDispatcher
from vssd.metrics import Metrics
from vssd.services.farm import SlotTransitions


def _transition(frm: str, to: str, cause: str | None = None) -> dict[str, object]:
    return {"slot_id": "7", "from_state": frm, "to_state": to, "event": "device_lost", "cause": cause,
            "at": "2025-01-01T00:00:00Z"}


def test_entering_fault_raises_one_warning_alert_naming_the_slot_and_cause() -> None:
    events = EventDispatcher()
    alerts = events.subscribe(["system.alert"])
    transitions = SlotTransitions(Metrics(), events, now=lambda: 1234.5)
    transitions.publish("slot", _transition("READY", "CALLING"))
    transitions.publish("slot", _transition("READY", "FAULT", "device unplugged"))
    transitions.publish("slot", _transition("FAULT", "FAULT", "device unplugged"))
    got = alerts.get_nowait()
    assert got is not None and alerts.get_nowait() is None
    assert got.data["type"] == "slot_fault" and got.data["severity"] == "warning"
    assert got.data["timestamp"] == 1234.5 and got.data["id"]
    assert got.data["details"] == {"slot_id": "7", "from_state": "READY", "cause": "device unplugged"}
    assert "slot 7" in got.data["message"] and "device unplugged" in got.data["message"]


def test_without_a_cause_the_trigger_names_the_fault() -> None:
    events = EventDispatcher()
    alerts = events.subscribe(["system.alert"])
    SlotTransitions(Metrics(), events).publish("slot", _transition("REGISTERING", "FAULT"))
    got = alerts.get_nowait()
    assert got is not None and got.data["details"]["cause"] == "device_lost"
