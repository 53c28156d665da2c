"""GET /api/calls (the Smart Call Center API's `{items, total, page, pages}`), /api/calls/:id, /api/cdr/records and
/api/pbx/cdr/:id over calls stored in the real PostgreSQL. Each test tags its rows with a campaign of its
own, so the session's shared database never mixes tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.api.conftest import RigFactory
from tests.api.test_api_calls_start import CallsRig, calls_rig
from vssd.adapters.store import Store

DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def stored(make_rig: RigFactory, user_store: Store) -> tuple[CallsRig, str, dict[str, str]]:
    """Five ended calls of one campaign on 2026-11-20/21: three answered (two by op12), two busy."""
    crig = await calls_rig(make_rig, user_store)
    campaign = f"t-{uuid.uuid4().hex[:8]}"
    op12 = str((await crig.rig.deps.users.find_user("op12")).id)
    ids = {}
    for n, (outcome, hour, owner) in enumerate([("answered", 0, op12), ("busy", 1, None), ("answered", 2, op12),
                                                ("busy", 25, None), ("answered", 26, None)]):
        attempt = f"{campaign}-{n}"
        ids[n] = attempt
        start = DAY + hour * 3600
        user_store.writer.submit_call(
            attempt, call_id=None, slot_id=1 + n % 2, number=f"+38099000{n:04d}", status="ENDED", outcome=outcome,
            hangup_cause=16 if outcome == "answered" else 17, channel_id=f"{attempt}-1", originated_at=start,
            answered_at=start + 5 if outcome == "answered" else None, ended_at=start + 65, campaign_id=campaign,
            talk_s=60.0 if outcome == "answered" else None, **({"user_id": owner} if owner else {}))
        user_store.writer.submit_leg(attempt, f"{attempt}-1", channel=f"PJSIP/600{1 + n % 2}-0000000{n}",
                                     role="slot", created_at=start, ended_at=start + 65, cause=16)
    await user_store.writer.flush(10.0)
    return crig, campaign, ids


async def test_history_is_the_smart_call_center_page_shape(stored: tuple[CallsRig, str, dict[str, str]]) -> None:
    crig, campaign, ids = stored
    resp = await crig.get(f"/api/calls?campaign_id={campaign}&limit=2&skip=2")
    body = await resp.json()
    assert resp.status == 200 and set(body) == {"items", "total", "page", "pages"}
    assert (body["total"], body["page"], body["pages"]) == (5, 2, 3)
    assert [c["attempt_id"] for c in body["items"]] == [ids[2], ids[1]]  # newest first
    item = body["items"][0]
    assert item["status"] == "completed" and item["start_time"].startswith("2026-11-20T11:00:00")
    assert item["duration"] == 60.0 and item["called_number"] == "+380990000002"
    assert resp.headers["X-Total-Count"] == "5"


@pytest.mark.parametrize(("query", "expected"), [
    ("status=completed", [4, 2, 0]), ("status=failed", [3, 1]), ("status=ENDED", [4, 3, 2, 1, 0]),
    ("date=2026-11-21", [4, 3]), ("start_date=2026-11-20T10:00:00&end_date=2026-11-21", [2, 1]),
    ("date_from=2026-11-20T11:00:00%2B00:00&slot_id=1", [4, 2]), ("outcome=busy&slot_id=2", [3, 1]),
])
async def test_history_filters(stored: tuple[CallsRig, str, dict[str, str]], query: str, expected: list[int]) -> None:
    crig, campaign, ids = stored
    body = await (await crig.get(f"/api/calls?campaign_id={campaign}&{query}")).json()
    assert [c["attempt_id"] for c in body["items"]] == [ids[n] for n in expected]


async def test_operators_see_only_their_calls_in_history(stored: tuple[CallsRig, str, dict[str, str]]) -> None:
    crig, campaign, ids = stored
    body = await (await crig.get(f"/api/calls?campaign_id={campaign}", "op12")).json()
    assert [c["attempt_id"] for c in body["items"]] == [ids[2], ids[0]] and body["total"] == 2
    op12 = body["items"][0]["operator_id"]
    admin_view = await (await crig.get(f"/api/calls?campaign_id={campaign}&operator_id={op12}")).json()
    assert admin_view["total"] == 2
    assert (await crig.get(f"/api/calls/{ids[1]}", "op12")).status == 403
    assert (await crig.get(f"/api/calls/{ids[2]}", "op12")).status == 200


async def test_bad_history_filters_are_422(stored: tuple[CallsRig, str, dict[str, str]]) -> None:
    crig, campaign, _ = stored
    for query in ("status=flying", "slot_id=x", "operator_id=not-a-uuid", "date=tomorrow", "limit=0"):
        resp = await crig.get(f"/api/calls?campaign_id={campaign}&{query}")
        assert resp.status == 422, query
        assert (await resp.json())["code"] == "INVALID_PARAMS"


async def test_cdr_records_and_one_cdr_with_legs(stored: tuple[CallsRig, str, dict[str, str]]) -> None:
    crig, campaign, ids = stored
    resp = await crig.get(f"/api/cdr/records?campaign_id={campaign}&start_date=2026-11-20&end_date=2026-11-21")
    rows = await resp.json()
    assert isinstance(rows, list) and resp.headers["X-Total-Count"] == "3"
    assert [r["attempt_id"] for r in rows] == [ids[2], ids[1], ids[0]] and rows[1]["cause"] == 17
    assert (await crig.get(f"/api/cdr/records?campaign_id={campaign}", "mgr1")).status == 200
    assert (await crig.get(f"/api/cdr/records?campaign_id={campaign}", "seller1")).status == 403
    cdr = await (await crig.get(f"/api/pbx/cdr/{ids[3]}")).json()
    assert cdr["outcome"] == "busy" and [leg["uniqueid"] for leg in cdr["legs"]] == [f"{ids[3]}-1"]
    assert cdr["legs"][0]["channel"] == "PJSIP/6002-00000003" and cdr["legs"][0]["created_at"].startswith("2026")
    assert (await crig.get("/api/pbx/cdr/nope")).status == 404
    assert (await crig.get("/api/call/nope")).status == 404
