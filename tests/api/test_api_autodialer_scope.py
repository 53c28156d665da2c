"""A seller's own campaigns (vssd/api/autodialer/scope.py), through the API over the real campaign desk and the
real PostgreSQL rows: a seller lists, opens and runs only the campaigns they created, and sees only those
campaigns' leads and dead letters; another seller's campaign is a 404 on every route; admins, managers and
supervisors see every campaign."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.actors.campaign_desk import CampaignDesk
from vssd.adapters.store import Store
from vssd.adapters.store_dialer_records import DialerRecords
from vssd.adapters.store_dnc import StoreDnc
from vssd.calls.campaign import CampaignSettings, policy_for


class IdleDialer:
    """The dialer as the desk's reads and status changes use it, with no campaign loaded (nothing dials here)."""

    def __init__(self) -> None:
        self.changed: list[str] = []

    def stats(self) -> dict[str, Any]:
        return {"campaigns": {}}

    def policy_for(self, settings: CampaignSettings) -> Any:
        return policy_for(settings)

    def preview(self, campaign_id: str) -> list[dict[str, Any]]:
        return []

    async def campaign_changed(self, campaign_id: str) -> None:
        self.changed.append(campaign_id)


@pytest.fixture
async def crig(make_rig: RigFactory, user_store: Store) -> Rig:
    records = DialerRecords(user_store)
    desk = CampaignDesk(IdleDialer(), None, None, records.campaigns, records, StoreDnc(user_store),  # type: ignore[arg-type]
                        records.dead, records)
    return await make_rig(autodialer=desk)


async def call(rig: Rig, who: str, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    resp = await rig.client.request(method, path, headers=rig.bearer(await rig.token(who)), **kw)
    return resp.status, await resp.json()


async def create(rig: Rig, who: str, numbers: list[str]) -> str:
    status, body = await call(rig, who, "POST", "/api/autodialer/campaigns",
                              json={"name": f"{who}'s", "leads": [{"phone": n} for n in numbers]})
    assert status == 201, body
    return str(body["id"])


async def ids(rig: Rig, who: str, path: str, key: str = "id") -> set[str]:
    status, rows = await call(rig, who, "GET", path, params={"limit": "1000"})
    assert status == 200, rows
    return {str(r[key]) for r in rows}


@pytest.fixture
async def two(crig: Rig, user_store: Store) -> tuple[str, str]:
    a = await create(crig, "seller1", ["+79990000101", "+79990000102"])
    b = await create(crig, "seller2", ["+79990000201", "+79990000202", "+79990000203"])
    await user_store.run("execute", "INSERT INTO dead_letters (queue, reason, campaign_id) VALUES "
                         "('vss.autodialer.leads', 'expired', $1), ('vss.autodialer.leads', 'expired', $2)", a, b)
    return a, b


async def test_a_seller_lists_only_their_own_campaigns_and_the_others_see_all(crig: Rig, two: tuple[str, str]):
    a, b = two
    assert {a, b} & await ids(crig, "seller1", "/api/autodialer/campaigns") == {a}
    assert {a, b} & await ids(crig, "seller2", "/api/autodialer/campaigns") == {b}
    for who in ("admin", "mgr1", "super1"):
        assert {a, b} <= await ids(crig, who, "/api/autodialer/campaigns"), who
    status, rows = await call(crig, "seller1", "GET", "/api/autodialer/campaigns", params={"status": "draft"})
    assert status == 200 and {str(r["created_by"]) for r in rows} == {str((await crig.deps.users.find_user(
        "seller1")).id)}  # type: ignore[union-attr]


async def test_another_sellers_campaign_is_not_found_on_every_route(crig: Rig, two: tuple[str, str]):
    a, b = two
    reads = ("", "/status", "/ledger", "/preview")
    for tail in reads:
        status, body = await call(crig, "seller1", "GET", f"/api/autodialer/campaigns/{b}{tail}")
        assert (status, body["code"]) == (404, "NOT_FOUND"), (tail, body)
        status, _ = await call(crig, "seller1", "GET", f"/api/autodialer/campaigns/{a}{tail}")
        assert status == 200, tail
        status, _ = await call(crig, "admin", "GET", f"/api/autodialer/campaigns/{b}{tail}")
        assert status == 200, tail
    writes = [("POST", f"/api/autodialer/campaigns/{b}/leads", {"leads": [{"phone": "+79990000999"}]}),
              ("POST", f"/api/autodialer/campaigns/{b}/pause", None),
              ("POST", "/api/autodialer/run-campaign", {"campaign_id": b}),
              ("POST", "/api/autodialer/stop-campaign", {"campaign_id": b})]
    for method, path, body in writes:
        status, answer = await call(crig, "seller1", method, path, json=body)
        assert status == 404, (path, answer)
    _, b_leads = await call(crig, "admin", "GET", "/api/autodialer/leads", params={"campaign_id": b})
    assert len(b_leads) == 3, "the refused import added nothing"
    status, ran = await call(crig, "seller1", "POST", "/api/autodialer/run-campaign", json={"campaign_id": a})
    assert (status, ran["status"]) == (200, "running")


async def test_a_seller_sees_only_their_campaigns_leads_and_dead_letters(crig: Rig, two: tuple[str, str]):
    a, b = two
    own = await ids(crig, "seller1", "/api/autodialer/campaigns")  # the session's database: earlier tests' too
    mine = await ids(crig, "seller1", "/api/autodialer/leads", "campaign_id")
    assert a in mine and b not in mine and mine <= own
    status, rows = await call(crig, "seller1", "GET", "/api/autodialer/leads", params={"campaign_id": b})
    assert (status, rows) == (200, [])
    status, rows = await call(crig, "seller1", "GET", "/api/autodialer/leads", params={"phone": "+79990000201"})
    assert (status, rows) == (200, [])
    assert {a, b} <= await ids(crig, "admin", "/api/autodialer/leads", "campaign_id")
    theirs = await ids(crig, "seller2", "/api/autodialer/dead-letters", "campaign_id")
    assert b in theirs and a not in theirs and theirs <= await ids(crig, "seller2", "/api/autodialer/campaigns")
    assert {a, b} <= await ids(crig, "super1", "/api/autodialer/dead-letters", "campaign_id")
    status, _ = await call(crig, "seller1", "GET", "/api/autodialer/dnc")
    assert status == 403
