"""One connect side: `/api/pbx/route` (CallControl) and the dialer (bridge to an operator, abandon message) move
the same leg of a call — `Call.connect_channel`, the ;1 half of the Originate's Local channel."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from vssd.actors.call_control import CallControl
from vssd.actors.dialer_outcomes import CallOutcomes
from vssd.actors.dialer_state import Counters
from vssd.calls.model import SIDE_B, Attempt, Call, Leg

ONE, TWO, SLOT = "Local/79990000001@vssd-out-00000001;1", "Local/79990000001@vssd-out-00000001;2", "PJSIP/s1-01"


def _call() -> Call:
    attempt = Attempt(action_id="a1", channel_id="a1-1", other_channel_id="a1-2", number="79990000001",
                      endpoint="s1", customer_side=SIDE_B)
    call = Call(call_id="a1", root="a1-1", attempt=attempt, started_at=0.0, answered_at=1.0)
    for uid, channel in (("a1-1", ONE), ("a1-2", TWO), ("a1-3", SLOT)):
        call.legs[uid] = Leg(uid, channel=channel, side=SIDE_B, answered_at=1.0)
    return call


class Lines:
    def __init__(self) -> None:
        self.moved: list[tuple[str, str]] = []

    async def redirect(self, channel: str, context: str, exten: str = "s") -> None:
        self.moved.append(("redirect", channel))

    async def bridge(self, one: str, two: str) -> None:
        self.moved.append(("bridge", one))


class Link:
    is_up = True

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, action: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(action)
        return {}


def _live(call: Call) -> SimpleNamespace:
    run = SimpleNamespace(policy=None, pacer=SimpleNamespace(observe_abandon=lambda now: None,
                                                             observe_connect=lambda now, wait: None),
                          id="c1")
    return SimpleNamespace(attempt_id="a1", call=call, run=run, abandoned=False, answered_at=1.0)


async def test_route_bridge_and_abandon_move_the_same_leg() -> None:
    call = _call()
    assert call.connect_channel == ONE

    link = Link()
    control = CallControl(None, SimpleNamespace(link=link), None, None,  # type: ignore[arg-type]
                          live=lambda: [(call, "s1")], recent=list)
    await control.route_call("a1", "1001")
    (routed,) = link.sent

    lines = Lines()
    live = _live(call)
    dialer = SimpleNamespace(lines=lines, counters=Counters(), live={"a1": live},
                             events=SimpleNamespace(emit=lambda event: None),
                             operators=SimpleNamespace(give_back=lambda op: None), on_connected=lambda call: None)
    await CallOutcomes._abandon(dialer, live, 2.0)  # type: ignore[arg-type]
    op = SimpleNamespace(id="u1", line_channel=lambda: "PJSIP/1001-01")
    assert await CallOutcomes._bridge(dialer, live, op, 2.0)  # type: ignore[arg-type]

    assert [routed["Channel"], *(channel for _, channel in lines.moved)] == [ONE, ONE, ONE]


def test_no_connect_side_once_the_half_is_gone_and_none_other_is_taken() -> None:
    call = _call()
    call.legs["a1-1"].ended_at = 5.0
    assert call.connect_channel is None  # never the customer's slot leg or the Dial half


def test_a_call_vssd_did_not_originate_is_moved_by_its_live_leg() -> None:
    call = Call(call_id="in1", root="u1", inbound=True)
    call.legs["u1"] = Leg("u1", channel="PJSIP/s1-02")
    assert call.connect_channel == "PJSIP/s1-02"
