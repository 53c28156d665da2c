"""POST /api/call/start|end and GET /api/call/:id over the real CallControl and dial gate. The farm and the
AMI link are stand-ins (`StubFarm`, `StubPbx`: the daemon test drives the real ones); the call history is the
real PostgreSQL of the API rig."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import FakeSlots, Rig, RigFactory
from vssd.actors.call_control import CallControl
from vssd.actors.slot import SlotBusy
from vssd.adapters.store import Store
from vssd.adapters.store_calls import StoreCallHistory
from vssd.calls.model import Attempt, Call, Leg
from vssd.calls.outcomes import Outcome

_numbers = itertools.count(100_000)


@dataclass
class StubFarm:
    """The SlotFarm's command surface over the rig's slot views: `dial` makes a ringing Call, `hangup` ends it."""

    slots: FakeSlots
    calls: dict[str, tuple[Call, str]] = field(default_factory=dict)
    commands: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # slot ids whose actor answers SlotBusy (taken meanwhile)
    stall: set[str] = field(default_factory=set)  # slot ids whose actor does not answer in time

    def slot_views(self) -> list[dict[str, Any]]:
        return self.slots.slot_views()

    def slot_view(self, slot_id: str) -> dict[str, Any] | None:
        return self.slots.slot_view(slot_id)

    async def command(self, slot_id: str, name: str, timeout_s: float = 10.0, **args: Any) -> Any:
        self.commands.append((slot_id, name, args))
        if slot_id in self.refuse:
            raise SlotBusy(f"slot {slot_id} is CALLING")
        if slot_id in self.stall:
            raise TimeoutError
        if name == "hangup":
            call = next(c for c, s in self.calls.values() if s == slot_id and c.outcome is None)
            end(call)
            return True
        call_id = f"c_{next(_numbers)}"
        attempt = Attempt(action_id=call_id, channel_id=f"{call_id}-1", other_channel_id=f"{call_id}-2",
                          number=args["number"], endpoint=str(self.slot_view(slot_id)["internal_sip_number"]))
        call = Call(call_id=call_id, root=f"{call_id}-1", attempt=attempt, started_at=1_790_000_000.0)
        call.legs[f"{call_id}-1"] = Leg(f"{call_id}-1", channel=f"Local/{args['number']}@vssd-out-0001;1")
        call.legs[f"{call_id}-2"] = Leg(f"{call_id}-2", channel=f"Local/{args['number']}@vssd-out-0001;2")
        self.calls[call_id] = (call, slot_id)
        return call

    def live(self) -> list[tuple[Call, str]]:
        return [(c, s) for c, s in self.calls.values() if c.outcome is None]

    def recent(self) -> list[tuple[Call, str]]:
        return [(c, s) for c, s in self.calls.values() if c.outcome is not None]


def end(call: Call, outcome: Outcome = Outcome.ANSWERED) -> None:
    call.outcome, call.ended_at = outcome, 1_790_000_100.0
    for leg in call.legs.values():
        leg.ended_at = 1_790_000_100.0


@dataclass
class StubLink:
    is_up: bool = True
    version: str = "vssd-sim 1.0"
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: str | None = None

    async def send(self, headers: dict[str, Any], timeout_s: float | None = None) -> Any:
        if self.fail:
            raise RuntimeError(self.fail)
        self.sent.append(headers)
        return {"response": "Success"}


@dataclass
class StubPbx:
    link: StubLink = field(default_factory=StubLink)
    rows: list[dict[str, str]] = field(default_factory=list)

    async def endpoints(self) -> list[dict[str, str]]:
        return list(self.rows)


@dataclass
class CallsRig:
    rig: Rig
    farm: StubFarm
    pbx: StubPbx
    control: CallControl

    async def post(self, path: str, body: Any, user: str = "admin") -> Any:
        return await self.rig.client.post(path, json=body, headers=self.rig.bearer(await self.rig.token(user)))

    async def get(self, path: str, user: str = "admin") -> Any:
        return await self.rig.client.get(path, headers=self.rig.bearer(await self.rig.token(user)))


async def calls_rig(make_rig: RigFactory, store: Store) -> CallsRig:
    slots = FakeSlots()
    farm, pbx = StubFarm(slots), StubPbx()
    control = CallControl(farm, pbx, StoreCallHistory(store), store.writer, live=farm.live, recent=farm.recent)
    rig = await make_rig(slots=slots, call_desk=control, pbx=control)
    return CallsRig(rig, farm, pbx, control)


@pytest.fixture
async def crig(make_rig: RigFactory, user_store: Store) -> CallsRig:
    return await calls_rig(make_rig, user_store)


async def test_start_answers_both_seed_forms_at_once(crig: CallsRig) -> None:
    resp = await crig.post("/api/call/start", {"number": "+380991234567", "slot": "AUTO"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["call_id"].startswith("c_") and body["slot"] == body["slot_id"] == 1  # the only free AUTO slot
    assert body["state"] == "RING" and body["status"] == "initiated" and body["phone_number"] == "+380991234567"
    resp = await crig.post("/api/call/start", {"slot_id": 44, "phone_number": "+79991234567",
                                               "caller_id": "+79991111111", "direction": "outbound"})
    body = await resp.json()
    assert resp.status == 200 and body["slot_id"] == 44 and body["caller_id"] == "+79991111111"
    assert crig.farm.commands[-1] == ("44", "dial", {"number": "+79991234567", "caller_id": "+79991111111"})
    user = await crig.rig.deps.users.find_user("admin")
    assert body["operator_id"] == str(user.id)


async def test_one_live_call_per_number(crig: CallsRig) -> None:
    first = await (await crig.post("/api/call/start", {"number": "+380 99 123 45 67", "slot": "AUTO"})).json()
    resp = await crig.post("/api/call/start", {"number": "+380991234567", "slot": "MF"})
    assert resp.status == 409 and (await resp.json())["code"] == "NUMBER_BUSY"
    assert [c[1] for c in crig.farm.commands] == ["dial"]  # refused before anything was dialled
    end(crig.farm.calls[first["call_id"]][0])
    resp = await crig.post("/api/call/start", {"number": "+380991234567", "slot": "MF"})
    assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(("slot", "status", "code"), [
    (2, 409, "SLOT_BUSY"), ("3", 503, "SLOT_OFFLINE"), ("LS", 503, "SLOT_OFFLINE"), (5, 503, "SLOT_OFFLINE"),
    ("999", 404, "NOT_FOUND"),
])
async def test_slot_refusals(crig: CallsRig, slot: Any, status: int, code: str) -> None:
    resp = await crig.post("/api/call/start", {"number": "+380991230000", "slot": slot})
    assert resp.status == status and (await resp.json())["code"] == code
    assert crig.farm.commands == []
    resp = await crig.post("/api/call/start", {"number": "+380991230000", "slot": "AUTO"})
    assert resp.status == 200  # a refusal never keeps the number locked


async def test_a_slot_taken_meanwhile_is_busy_and_frees_the_number(crig: CallsRig) -> None:
    crig.farm.refuse.add("1")
    resp = await crig.post("/api/call/start", {"number": "+380991230001", "slot": "AUTO"})
    assert resp.status == 409 and (await resp.json())["code"] == "SLOT_BUSY"
    crig.farm.refuse.clear()
    assert (await crig.post("/api/call/start", {"number": "+380991230001", "slot": "AUTO"})).status == 200


async def test_an_actor_that_does_not_answer_is_never_dialled_twice(crig: CallsRig) -> None:
    crig.rig.slots.views[2]["status"] = "free"  # MF slots 3 and 44 are free: two candidates
    crig.farm.stall.update({"3", "44"})
    resp = await crig.post("/api/call/start", {"number": "+380991230009", "slot": "MF"})
    assert resp.status == 503 and (await resp.json())["code"] == "CALL_FAILED"
    assert [c[1] for c in crig.farm.commands] == ["dial"]
    crig.farm.stall.clear()
    assert (await crig.post("/api/call/start", {"number": "+380991230009", "slot": "MF"})).status == 200


@pytest.mark.parametrize(("body", "locs"), [
    ({"slot": "AUTO"}, [["body", "phone_number"]]),
    ({"number": 12, "slot": True}, [["body", "number"], ["body", "slot"]]),
    ({"number": "+1", "slot": "AUTO", "direction": "inbound"}, [["body", "direction"]]),
    ({"number": "+1", "slot": "AUTO", "caller_id": ["x"]}, [["body", "caller_id"]]),
    ({"number": "call me now", "slot": "AUTO"}, [["body", "number"]]),
])
async def test_bad_bodies_are_422(crig: CallsRig, body: dict[str, Any], locs: list[list[str]]) -> None:
    resp = await crig.post("/api/call/start", body)
    answer = await resp.json()
    assert resp.status == 422 and answer["code"] == "INVALID_PARAMS"
    assert [d["loc"] for d in answer["details"]] == locs
    assert crig.farm.commands == []


@pytest.mark.parametrize(("user", "status"), [("seller1", 403), ("super1", 403), ("op12", 200), ("mgr1", 200)])
async def test_who_may_start_calls(crig: CallsRig, user: str, status: int) -> None:
    resp = await crig.post("/api/call/start", {"number": "+380991230002", "slot": "AUTO"}, user=user)
    assert resp.status == status


async def test_end_hangs_up_and_operators_touch_only_their_own(crig: CallsRig) -> None:
    mine = await (await crig.post("/api/call/start", {"number": "+380991230003", "slot": "AUTO"}, "op12")).json()
    other = await (await crig.post("/api/call/start", {"number": "+380991230004", "slot": 44})).json()
    assert (await crig.get(f"/api/call/{other['call_id']}", "op12")).status == 403
    assert (await crig.post("/api/call/end", {"call_id": other["call_id"]}, "op12")).status == 403
    resp = await crig.get(f"/api/call/{mine['call_id']}", "op12")
    seen = await resp.json()
    assert resp.status == 200 and seen["number"] == "+380991230003" and seen["status"] == "initiated"
    resp = await crig.post("/api/call/end", {"call_id": mine["call_id"], "reason": "completed"}, "op12")
    assert resp.status == 200 and (await resp.json())["reason"] == "completed"
    assert crig.farm.commands[-1][:2] == ("1", "hangup")
    ended = await (await crig.get(f"/api/calls/{mine['call_id']}")).json()
    assert ended["status"] == "completed" and ended["end_time"] is not None
    assert (await crig.post("/api/call/end", {"call_id": "c_999999999"})).status == 404
    assert (await crig.post("/api/call/end", {})).status == 422
    active = await (await crig.get("/api/calls/active")).json()
    assert [c["call_id"] for c in active] == [other["call_id"]]
    assert await (await crig.get("/api/calls/active", "op12")).json() == []


async def test_without_a_call_desk_the_routes_answer_503(rig: Rig) -> None:
    token = await rig.token("admin")
    resp = await rig.client.post("/api/call/start", json={"number": "+1", "slot": "AUTO"}, headers=rig.bearer(token))
    assert resp.status == 503 and (await resp.json())["error"] is True
