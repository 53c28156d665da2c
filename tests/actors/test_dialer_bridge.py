"""Connecting an answered campaign call to an operator while the call ends: the operator is never left reserved
for a call that nobody will end for them. The PBX and the store are fakes with only what `_bridge` and the outcome
path touch (the daemon tests drive the same code over the simulator, where this interleaving is a matter of luck).
"""

from __future__ import annotations

import asyncio
from typing import Any

from vssd.actors.dialer import Dialer, Live, Run
from vssd.actors.operators import Operator, OperatorPool
from vssd.actors.pacing import Pacer
from vssd.calls.campaign import AttemptEnd, CampaignSettings
from vssd.calls.gate import Lease
from vssd.calls.model import Attempt, Call, Leg
from vssd.calls.outcomes import Outcome
from vssd.fsm.clock import ManualClock
from vssd.tasks import TaskSet


class SlowBridge:
    """The PBX: a Bridge that completes (successfully) only when `done` is set."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.bridged: list[tuple[str, str]] = []

    async def bridge(self, channel1: str, channel2: str) -> None:
        await self.done.wait()
        self.bridged.append((channel1, channel2))


class Recorder:
    """Events, the broker's event side and the store's outcome write."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.stored: list[AttemptEnd] = []

    def publish(self, topic: str, payload: Any) -> None:
        self.events.append((topic, payload))

    def publish_event(self, routing_key: str, payload: Any) -> None:
        self.events.append((routing_key, payload))

    async def finish_attempts(self, ends: list[AttemptEnd]) -> None:
        self.stored.extend(ends)


def _answered(call_id: str, channel: str) -> Call:
    leg = Leg(call_id, channel=channel, answered_at=1.0)
    return Call(call_id=call_id, root=call_id, legs={call_id: leg}, attempt=Attempt(call_id, call_id),
                answered_at=1.0)


def _rig() -> tuple[Dialer, OperatorPool, SlowBridge, Recorder, Live]:
    lines, rec, clock = SlowBridge(), Recorder(), ManualClock()
    pool = OperatorPool(lines=lines, clock=clock, events=rec, tasks=TaskSet("ops"), wrapup_s=0.0)  # type: ignore[arg-type]
    pool.operators["u1"] = Operator("u1", "u1", "Op", "1001", status="online",
                                    line=_answered("agent-1", "PJSIP/1001-00000001"))
    dialer = Dialer(rec, rec, None, None, lines, None, pool, clock, rec,  # type: ignore[arg-type]
                    call_ids=lambda: "c_1", policy_for=lambda settings: None)
    run = Run("cmp1", CampaignSettings(), Pacer("progressive"), policy=None, live=1, calls=1)
    live = Live("a1", 1, run, "s1", "+79990000001", Lease("+79990000001", "a1", lambda lease: None), 1,
                started_at=0.0, call=_answered("a1", "Local/79990000001@vssd-out-00000001;1"), answered_at=1.0)
    dialer.live["a1"] = live
    return dialer, pool, lines, rec, live


def _end(dialer: Dialer, live: Live) -> None:
    assert live.call is not None
    live.call.outcome, live.call.ended_at = Outcome.ANSWERED, 3.0
    dialer.on_call_final(live.call)


async def test_a_call_settled_while_it_was_being_bridged_gives_the_operator_back() -> None:
    dialer, pool, lines, rec, live = _rig()
    op = pool.take("a1")
    assert op is not None and not pool.free()
    bridging = asyncio.create_task(dialer._bridge(live, op, 1.0))
    await asyncio.sleep(0)
    _end(dialer, live)  # the customer hung up; the outcome is stored (settled) before the Bridge answers
    await dialer._store_outcomes([dialer.finished.popleft()])
    assert [e.operator_id for e in rec.stored] == [None] and "a1" not in dialer.live
    lines.done.set()
    assert await bridging is True
    assert lines.bridged and op.attempt_id is None and op.status == "online" and pool.free() == [op]
    assert dialer.counters.connected == 0 and op.calls_today == 0


async def test_a_call_that_ends_before_its_outcome_is_stored_counts_for_the_operator() -> None:
    """Ended but not yet stored when the Bridge answers: the operator took it, the stored attempt names them and
    settling frees them (wrap-up 0 here)."""
    dialer, pool, lines, rec, live = _rig()
    op = pool.take("a1")
    assert op is not None
    bridging = asyncio.create_task(dialer._bridge(live, op, 1.0))
    await asyncio.sleep(0)
    _end(dialer, live)
    lines.done.set()
    assert await bridging is True and live.operator is op and dialer.counters.connected == 1
    await dialer._store_outcomes([dialer.finished.popleft()])
    assert [e.operator_id for e in rec.stored] == ["u1"] and op.calls_today == 1
    pool.clock.advance(0.1)  # type: ignore[attr-defined]
    assert op.attempt_id is None and pool.free() == [op]
