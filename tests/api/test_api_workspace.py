"""What the operator's workspace reads besides the calls and notes routes: the lead of a campaign call (for the
operator it was bridged to), call views naming that operator, and an operator's own status events."""

from __future__ import annotations

from typing import Any

from vssd.api.realtime import Client, audience
from vssd.api.tokens import Principal
from vssd.calls.model import Call
from vssd.views.calls import call_view, seed_view

from .conftest import Rig, RigFactory

LEAD = {"id": 7, "campaign_id": "cmp_1", "phone": "+79991234567", "name": "Анна", "data": {"tariff": "gold"}}


class Desk:
    """The autodialer port as far as the lead route reads it: c_1 is op12's call, c_2 someone else's."""

    def __init__(self, op12: str) -> None:
        self.owners = {"c_1": op12, "c_2": "00000000-0000-0000-0000-000000000099"}

    async def call_lead(self, call_id: str) -> dict[str, Any]:
        if call_id not in self.owners:
            raise LookupError(call_id)
        return {"call_id": call_id, "operator_id": self.owners[call_id], "lead": LEAD}


async def _rig(make_rig: RigFactory, user_store: Any) -> tuple[Rig, str]:
    rig = await make_rig()
    op12 = await rig.deps.users.find_user("op12")
    assert op12 is not None
    rig.deps.autodialer = Desk(str(op12.id))  # type: ignore[assignment]
    return rig, str(op12.id)


async def test_the_operator_bridged_to_a_call_reads_its_lead(make_rig: RigFactory, user_store: Any) -> None:
    rig, op12 = await _rig(make_rig, user_store)
    resp = await rig.client.get("/api/autodialer/calls/c_1/lead", headers=rig.bearer(await rig.token("op12")))
    assert resp.status == 200
    body = await resp.json()
    assert body == {"call_id": "c_1", "operator_id": op12, "lead": LEAD}


async def test_another_operators_call_lead_is_403_unless_one_may_read_leads(make_rig: RigFactory,
                                                                           user_store: Any) -> None:
    rig, _ = await _rig(make_rig, user_store)
    resp = await rig.client.get("/api/autodialer/calls/c_2/lead", headers=rig.bearer(await rig.token("op12")))
    assert resp.status == 403 and (await resp.json())["code"] == "PERMISSION_DENIED"
    resp = await rig.client.get("/api/autodialer/calls/c_2/lead", headers=rig.bearer(await rig.token("admin")))
    assert resp.status == 200 and (await resp.json())["lead"]["name"] == "Анна"


async def test_a_call_no_campaign_placed_has_no_lead(make_rig: RigFactory, user_store: Any) -> None:
    rig, _ = await _rig(make_rig, user_store)
    resp = await rig.client.get("/api/autodialer/calls/c_404/lead", headers=rig.bearer(await rig.token("op12")))
    assert resp.status == 404 and (await resp.json())["code"] == "NOT_FOUND"
    resp = await rig.client.get("/api/autodialer/calls/c_1/lead")
    assert resp.status == 401


def test_a_bridged_calls_view_names_its_operator() -> None:
    call = Call("c_5", "PJSIP/7001-1", operator_id="u-1")
    view = call_view(call, "3")
    assert view["operator_id"] == "u-1"
    assert seed_view(view, None)["operator_id"] == "u-1"  # a campaign call: no starter, its operator
    assert seed_view(view, "u-2")["operator_id"] == "u-2"  # a manual call: the operator who started it
    assert call_view(Call("c_6", "PJSIP/7001-2"), "3")["operator_id"] is None


def _client(user_id: str, role: str, permissions: tuple[str, ...]) -> Client:
    return Client("t", Principal(user_id, role, role, permissions), 8, send=None, abort=lambda: None)  # type: ignore[arg-type]


def test_an_operator_hears_their_own_status_changes_only() -> None:
    group, permission, own, _ = audience("operator_status_changed")
    me = _client("u-1", "operator", ("vssd.calls.#", "vssd.operators.own.#"))
    boss = _client("u-9", "supervisor", ("vssd.#.read",))
    mine, theirs = {"operator_id": "u-1", "status": "wrapup"}, {"operator_id": "u-2", "status": "busy"}
    assert not me.wants(group, permission)
    assert me.owns(group, own, mine) and not me.owns(group, own, theirs)
    assert boss.wants(group, permission)
    assert audience("call.update")[2] is None and not me.owns("calls", None, mine)
    me.subscribe("calls")  # subscribed to other groups only: not this one
    assert not me.owns(group, own, mine)
