"""The farm's slot-view cache: an unchanged farm answers from the cache, and every kind of change reaches the
next read — FSM transitions (in an actor's step and outside one), call facts, health facts, enrolment and trunk
changes, slot admin edits. The truth each read is compared with is the view built from scratch (`slot_view`).

The rig is the daemon's own stack (Supervisor, SlotFarm, actors, SlotControl) over an in-process dialer and
in-memory slot rows; the PBX and the store are not what is under test here."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.slots import FakeDialer, NoRecords
from tests.conftest import require_service
from tests.pg import scratch_database
from vssd.actors.control import SlotControl
from vssd.actors.farm import SlotFarm
from vssd.actors.slot import SlotSpec
from vssd.actors.supervisor import Supervisor
from vssd.adapters.store import Store
from vssd.adapters.store_trunks import TrunkStore
from vssd.calls.model import Call, DialRequest, Leg
from vssd.calls.outcomes import Outcome
from vssd.fsm import LoopClock, ManualClock, SlotEnv, Timeouts, TransitionRecorder
from vssd.views.slots import slot_view


class Dialer(FakeDialer):
    """bench/slots.py's in-process dialer (every Originate accepted, calls moved on by hand) that can be held
    back: Originates wait for `gate` when one is set."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.gate: asyncio.Event | None = None

    async def originate(self, req: DialRequest) -> Call:
        if self.gate is not None:
            await self.gate.wait()
        return await super().originate(req)


@contextlib.asynccontextmanager
async def trunk_rows(tmp_path: Path) -> AsyncIterator[TrunkStore]:
    """The slot and trunk rows in a real, migrated PostgreSQL database, with trunks 1 `gw-1` and 2 `gw-2`."""
    require_service("PostgreSQL", 5432)
    async with scratch_database("vssd_vc") as dsn:
        store = await Store.connect(dsn, spill_dir=tmp_path / "spill", pool_max_size=2)
        try:
            await store.migrate()
            rows = TrunkStore(store)
            for name in ("gw-1", "gw-2"):
                await rows.create_trunk({"name": name, "type": "AUTO"})
            yield rows
        finally:
            await store.close()


class ViewRig:
    """`n` AUTO slots created through SlotControl (ids 1..n), every endpoint reachable, none enrolled."""

    def __init__(self, rows: TrunkStore) -> None:
        self.clock = ManualClock()
        self.env = SlotEnv(self.clock, TransitionRecorder(self.clock), timeouts=Timeouts(wrapup_s=10.0))
        self.supervisor = Supervisor(LoopClock(), random.Random(1))
        self.dialer = Dialer(self.clock)
        self.farm = SlotFarm(self.supervisor, self.env, self.dialer, NoRecords())
        self.rows = rows
        self.control = SlotControl(self.farm, rows)

    async def start(self, n: int) -> None:
        await self.control.load()
        for _ in range(n):
            await self.control.create_slot({"type": "AUTO"})
        self.farm.on_endpoint_list([{"objectname": c.spec.endpoint, "devicestate": "Not in use", "contacts": "c"}
                                    for c in self.farm.cores.values()])
        await settle()

    def truth(self) -> list[dict[str, Any]]:
        """Every view built from scratch, nothing cached."""
        return [slot_view(core, self.farm.trunk_names) for core in self.farm.cores.values()]

    def view(self, slot_id: str) -> dict[str, Any]:
        view = self.control.slot_view(slot_id)
        assert view is not None
        return view

    def check(self) -> None:
        """What the cache serves is what a rebuild gives (list and single views)."""
        assert self.control.slot_views() == self.truth()
        for core in self.farm.cores.values():
            assert self.control.slot_view(core.spec.slot_id) == slot_view(core, self.farm.trunk_names)

    def answer(self, slot_id: str) -> Call:
        call = self.dialer.calls[self.farm.cores[slot_id].spec.endpoint]
        call.answered_at = call.legs[call.root].answered_at = self.clock.now()
        call.answer_evidence = "DialEnd ANSWER"
        self.farm.on_call(call, "answer")
        return call

    def hang_up(self, slot_id: str) -> Call:
        call = self.dialer.calls[self.farm.cores[slot_id].spec.endpoint]
        call.ended_at = call.legs[call.root].ended_at = self.clock.now()
        call.outcome, call.cause, call.cause_txt = Outcome.ANSWERED, 16, "Normal Clearing"
        self.farm.on_call(call, "hangup")
        return call


async def settle(rounds: int = 30) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def started_farm(tmp_path: Path, slots: int) -> AsyncIterator[ViewRig]:
    """A ViewRig of `slots` slots over real trunk rows, its actors stopped at the end."""
    async with trunk_rows(tmp_path) as rows:
        rig = ViewRig(rows)
        await rig.start(slots)
        try:
            yield rig
        finally:
            await rig.supervisor.stop()


@pytest.fixture
async def views(tmp_path: Path) -> AsyncIterator[ViewRig]:
    async with started_farm(tmp_path, 4) as rig:
        yield rig


async def test_an_unchanged_farm_answers_from_the_cache(views: ViewRig) -> None:
    first = views.control.slot_views()
    version = views.control.views_version()
    again = views.control.slot_views()
    assert version is not None and views.control.views_version() == version
    assert all(a is b for a, b in zip(first, again, strict=True))  # the same dicts: nothing rebuilt
    assert again is not first  # but a list of the caller's own
    assert views.control.slot_view("2") is first[1]
    views.check()


async def test_fsm_transitions_in_a_step_reach_the_next_read(views: ViewRig) -> None:
    assert views.view("1")["fsm_state"] == "IDLE"
    before = views.control.views_version()
    await views.control.enroll("1", "1", "op12")
    view = views.view("1")
    assert (view["fsm_state"], view["status"], view["online"], view["user"]) == ("READY", "free", True, "op12")
    assert (view["trunk_id"], view["trunk_name"]) == (1, "gw-1")
    assert views.control.views_version() != before
    views.check()


async def test_a_transition_outside_any_step_reaches_the_next_read(views: ViewRig) -> None:
    """The supervisor's give-up path drives the machine directly (vssd/app.py `_on_fault`)."""
    await views.control.enroll("2", "1", None)
    assert views.view("2")["status"] == "free"
    await views.farm.cores["2"].machine.report_budget_exhausted("restart budget spent")
    assert (views.view("2")["fsm_state"], views.view("2")["status"]) == ("FAULT", "error")
    views.check()


async def test_call_facts_reach_the_next_read(views: ViewRig) -> None:
    await views.control.enroll("3", "1", None)
    call = await views.farm.dial("+79001234567", "3")
    view = views.view("3")
    assert (view["fsm_state"], view["status"], view["current_call_id"]) == ("CALLING", "busy", call.call_id)
    views.clock.advance(2.0)
    views.answer("3")
    await settle()
    assert views.view("3")["fsm_state"] == "ACTIVE_CALL"
    assert views.view("3")["last_activity"] == call.answered_at
    views.check()
    views.clock.advance(5.0)
    views.hang_up("3")
    await settle()
    view = views.view("3")
    assert (view["fsm_state"], view["current_call_id"], view["last_activity"]) == ("POSTCALL", None, call.ended_at)
    views.clock.advance(10.0)  # the wrap-up timer, through the actor's mailbox
    await settle()
    assert (views.view("3")["fsm_state"], views.view("3")["status"]) == ("READY", "free")
    views.check()
    endpoint = views.farm.cores["3"].spec.endpoint
    inbound = Call(call_id="1790000000.7", root="1790000000.7", started_at=views.clock.now())
    inbound.legs[inbound.root] = Leg(inbound.root, channel=f"PJSIP/{endpoint}-000000ff", side="a")
    views.farm.on_call(inbound, "newchannel")
    assert views.view("3")["current_call_id"] == "1790000000.7"  # the fact itself, before the actor acts on it
    await settle()
    assert (views.view("3")["fsm_state"], views.view("3")["current_call_id"]) == ("ACTIVE_CALL", "1790000000.7")
    views.check()


async def test_health_facts_reach_the_next_read(views: ViewRig) -> None:
    await views.control.enroll("4", "1", None)
    endpoint = views.farm.cores["4"].spec.endpoint
    views.farm.on_registration({"event": "ContactStatus", "endpointname": endpoint, "contactstatus": "Unreachable"})
    assert (views.view("4")["online"], views.view("4")["status"]) == (False, "offline")  # before the actor acts
    await settle()
    assert views.view("4")["fsm_state"] == "REGISTERING"
    views.farm.on_registration({"event": "ContactStatus", "endpointname": endpoint, "contactstatus": "Reachable"})
    await settle()
    assert (views.view("4")["fsm_state"], views.view("4")["online"]) == ("READY", True)
    views.farm.on_endpoint_list([{"objectname": endpoint, "devicestate": "Unavailable", "contacts": ""}])
    assert views.view("4")["online"] is False
    await settle()
    views.check()


async def test_device_facts_reach_the_next_read(tmp_path: Path) -> None:
    async with trunk_rows(tmp_path) as rows:
        await _device_facts(ViewRig(rows))


async def _device_facts(rig: ViewRig) -> None:
    try:
        await rig.farm.add(SlotSpec("77", "MF", "7077", device_serial="R58M1", device_model="A52"))
        assert rig.view("77")["battery"] is None
        rig.farm.on_device("R58M1", battery_pct=64.0, temperature_c=33.5, adb_state="device")
        assert (rig.view("77")["battery"], rig.view("77")["temperature"]) == (64.0, 33.5)
        rig.farm.on_device("R58M1", battery_pct=12.0)
        assert rig.view("77")["battery"] == 12.0
        rig.check()
    finally:
        await rig.supervisor.stop()


async def test_slot_admin_edits_reach_the_next_read(views: ViewRig) -> None:
    views.control.slot_views()
    await views.control.patch_slot("1", {"device_model": "GoIP-32"})
    assert views.view("1")["device"] == "GoIP-32"
    await views.control.patch_slot("1", {"trunk_id": 2})
    assert (views.view("1")["trunk_id"], views.view("1")["trunk"]) == (2, "gw-2")
    await views.control.enroll("1", None, None)
    assert (views.view("1")["fsm_state"], views.view("1")["trunk_id"]) == ("READY", 2)
    await views.control.patch_slot("1", {"trunk_id": 1})  # rebinding an enrolled slot re-enrolls it
    assert (views.view("1")["trunk_id"], views.view("1")["trunk_name"], views.view("1")["fsm_state"]) == \
        (1, "gw-1", "READY")
    await views.control.disable("1")
    assert (views.view("1")["fsm_state"], views.view("1")["status"], views.view("1")["trunk_id"]) == \
        ("IDLE", "offline", 1)
    await views.control.enroll("1", None, None)
    await views.control.restart("1")
    assert views.view("1")["fsm_state"] == "READY"
    views.check()


async def test_membership_changes_reach_the_next_read(views: ViewRig) -> None:
    assert [v["id"] for v in views.control.slot_views()] == [1, 2, 3, 4]
    created = await views.control.create_slot({"type": "AUTO", "trunk_id": 2})
    assert [v["id"] for v in views.control.slot_views()] == [1, 2, 3, 4, created["id"]]
    assert views.control.slot_views()[-1]["trunk_name"] == "gw-2"
    await views.control.delete_slot("2")
    assert [v["id"] for v in views.control.slot_views()] == [1, 3, 4, created["id"]]
    assert views.control.slot_view("2") is None
    views.check()


async def test_trunk_changes_reach_the_next_read(views: ViewRig) -> None:
    await views.control.enroll("1", "1", None)
    await views.control.patch_slot("2", {"trunk_id": 1})
    views.control.slot_views()
    await views.control.update_trunk(1, {"name": "gw-one"})
    assert [(v["id"], v["trunk_name"]) for v in views.control.slot_views() if v["trunk_id"] == 1] == \
        [(1, "gw-one"), (2, "gw-one")]
    await views.rows.pool.execute("UPDATE trunks SET name = 'renamed elsewhere' WHERE id = 1")  # another writer
    await views.control.list_trunks()
    assert views.view("2")["trunk"] == "renamed elsewhere"
    await views.control.patch_slot("3", {"trunk_id": 2})
    await views.control.delete_trunk(2)
    assert (views.view("3")["trunk_id"], views.view("3")["trunk_name"]) == (None, None)
    views.check()


async def test_the_cache_never_lags_at_any_point_of_a_call_storm(views: ViewRig) -> None:
    """Every slot dials at once through an Originate that waits, then answers, hangs up and wraps up; between
    every two loop passes the served views equal a rebuild (a step changes its core between its awaits)."""
    for slot_id in ("1", "2", "3", "4"):
        await views.control.enroll(slot_id, "1", None)
    views.dialer.gate = asyncio.Event()
    stop = asyncio.Event()
    checks = 0

    async def watch() -> None:
        nonlocal checks
        while not stop.is_set():
            views.check()
            checks += 1
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    try:
        dials = [asyncio.create_task(views.farm.dial(f"+7900000000{n}", slot_id))
                 for n, slot_id in enumerate(("1", "2", "3", "4"))]
        await settle()
        assert views.farm.views.under_way() == 4  # four steps wait in Originate
        views.dialer.gate.set()
        await asyncio.gather(*dials)
        for slot_id in ("1", "2", "3", "4"):
            views.answer(slot_id)
        await settle()
        for slot_id in ("1", "2", "3", "4"):
            views.hang_up(slot_id)
        await settle()
        views.clock.advance(10.0)
        await settle()
    finally:
        stop.set()
        await watcher
    assert checks > 50
    assert [v["fsm_state"] for v in views.control.slot_views()] == ["READY"] * 4
    assert views.farm.views.under_way() == 0
