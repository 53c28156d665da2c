"""Connecting an answered campaign call to an operator while the call ends: the operator is never left reserved
for a call that nobody will end for them. The outcome is written to the real PostgreSQL (a scratch database),
events go to the in-process broker and the event bus; only the PBX's Bridge is a fake, held open so the call can
end meanwhile (over the simulator this interleaving is a matter of luck).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.pg import scratch_database
from vssd.actors.dialer import Dialer
from vssd.actors.dialer_state import Live, Run
from vssd.actors.operators import Operator, OperatorPool
from vssd.actors.pacing import Pacer
from vssd.adapters.broker_local import LocalBus
from vssd.adapters.store import Store
from vssd.adapters.store_campaigns import StoreCampaigns
from vssd.adapters.store_leads import StoreLeads
from vssd.calls.campaign import CampaignSettings
from vssd.calls.gate import Lease
from vssd.calls.model import Attempt, Call, Leg
from vssd.calls.outcomes import Outcome
from vssd.events import EventDispatcher
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


def _answered(call_id: str, channel: str) -> Call:
    leg = Leg(call_id, channel=channel, answered_at=1.0)
    return Call(call_id=call_id, root=call_id, legs={call_id: leg}, attempt=Attempt(call_id, call_id),
                answered_at=1.0)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    require_service("PostgreSQL", 5432)
    async with scratch_database("vssd_t_bridge") as dsn:
        store = await Store.connect(dsn, spill_dir=tmp_path / "spill", pool_max_size=2)
        try:
            await store.migrate()
            yield store
        finally:
            await store.close()


async def _rig(store: Store) -> tuple[Dialer, OperatorPool, SlowBridge, Live]:
    """One answered attempt `a1` (reserved in the store) and one free operator `u1` on a pre-connected line."""
    lines, clock, events = SlowBridge(), ManualClock(), EventDispatcher()
    leads = StoreLeads(store)
    campaigns = StoreCampaigns(store)
    cid = (await campaigns.create("c", {}))["id"]
    await campaigns.set_status(cid, "running")
    (lead_id,) = await leads.add_leads(cid, [{"phone": "+79990000001"}])
    await leads.take_pending(cid, 1)
    await leads.reserve(lead_id, "a1", "s1", "+79990000001", None)
    pool = OperatorPool(lines=lines, clock=clock, events=events, tasks=TaskSet("ops"), wrapup_s=0.0)  # type: ignore[arg-type]
    pool.operators["u1"] = Operator("u1", "u1", "Op", "1001", status="online",
                                    line=_answered("agent-1", "PJSIP/1001-00000001"))
    dialer = Dialer(LocalBus(), leads, None, None, lines, None, pool, clock, events,  # type: ignore[arg-type]
                    call_ids=lambda: "c_1", policy_for=lambda settings: None)
    run = Run(cid, CampaignSettings(), Pacer("progressive"), policy=None, live=1, calls=1)
    live = Live("a1", lead_id, run, "s1", "+79990000001", Lease("+79990000001", "a1", lambda lease: None), 1,
                started_at=0.0, call=_answered("a1", "Local/79990000001@vssd-out-00000001;1"), answered_at=1.0)
    dialer.live["a1"] = live
    return dialer, pool, lines, live


async def _stored_operator(store: Store) -> str | None:
    """The operator the stored (final) attempt names; the attempt must be final."""
    row = await store.pool.fetchrow("SELECT state, operator_id FROM dial_attempts WHERE attempt_id = 'a1'")
    assert row is not None and row["state"] == "final", row
    return row["operator_id"]


def _end(dialer: Dialer, live: Live) -> None:
    assert live.call is not None
    live.call.outcome, live.call.ended_at = Outcome.ANSWERED, 3.0
    dialer.on_call_final(live.call)


async def test_a_call_settled_while_it_was_being_bridged_gives_the_operator_back(store: Store) -> None:
    dialer, pool, lines, live = await _rig(store)
    op = pool.take("a1")
    assert op is not None and not pool.free()
    bridging = asyncio.create_task(dialer._bridge(live, op, 1.0))
    await asyncio.sleep(0)
    _end(dialer, live)  # the customer hung up; the outcome is stored (settled) before the Bridge answers
    await dialer._store_outcomes([dialer.finished.popleft()])
    assert await _stored_operator(store) is None and "a1" not in dialer.live
    lines.done.set()
    assert await bridging is True
    assert lines.bridged and op.attempt_id is None and op.status == "online" and pool.free() == [op]
    assert dialer.counters.connected == 0 and op.calls_today == 0


async def test_a_call_that_ends_before_its_outcome_is_stored_counts_for_the_operator(store: Store) -> None:
    """Ended but not yet stored when the Bridge answers: the operator took it, the stored attempt names them and
    settling frees them (wrap-up 0 here)."""
    dialer, pool, lines, live = await _rig(store)
    op = pool.take("a1")
    assert op is not None
    bridging = asyncio.create_task(dialer._bridge(live, op, 1.0))
    await asyncio.sleep(0)
    _end(dialer, live)
    lines.done.set()
    assert await bridging is True and live.operator is op and dialer.counters.connected == 1
    await dialer._store_outcomes([dialer.finished.popleft()])
    assert await _stored_operator(store) == "u1" and op.calls_today == 1
    pool.clock.advance(0.1)  # type: ignore[attr-defined]
    assert op.attempt_id is None and pool.free() == [op]
