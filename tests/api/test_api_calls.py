"""GET /api/calls/feed: the WORKSPACE API's bare array, pagination and X-Total-Count, filters handed to the CallFeed."""

from __future__ import annotations

from tests.api.conftest import Rig


async def _feed(rig: Rig, query: str = ""):
    token = await rig.token("admin")
    return await rig.client.get(f"/api/calls/feed{query}", headers=rig.bearer(token))


async def test_feed_shape_per_seed(rig: Rig) -> None:
    resp = await _feed(rig)
    assert resp.status == 200
    body = await resp.json()
    assert isinstance(body, list) and len(body) == 30
    assert resp.headers["X-Total-Count"] == "30"
    first = body[0]
    for key in ("call_id", "slot", "number", "user", "status", "start_time"):
        assert key in first, key
    assert first["call_id"] == "c_30"
    assert first["number"] == first["phone_number"] == "+380991230030"
    assert first["slot"] == first["slot_id"] == 1
    assert first["start_time"] == first["started_at"]
    assert first["status"] in ("initiated", "ringing", "connected", "completed", "failed")
    assert first["state"] in ("CALLING", "ACTIVE_CALL", "POSTCALL")


async def test_feed_pagination_defaults_and_limits(rig: Rig) -> None:
    resp = await _feed(rig, "?limit=5&offset=10")
    body = await resp.json()
    assert [c["call_id"] for c in body] == [f"c_{n}" for n in range(20, 15, -1)]
    assert resp.headers["X-Total-Count"] == "30"
    assert rig.calls.asked[-1][:2] == (5, 10)
    await _feed(rig, "?skip=3")
    assert rig.calls.asked[-1][:2] == (50, 3)
    resp = await _feed(rig, "?limit=501")
    assert resp.status == 422


async def test_feed_filters_are_normalised_for_the_port(rig: Rig) -> None:
    resp = await _feed(rig, "?slot_id=2&status=connected")
    body = await resp.json()
    assert body and all(c["slot_id"] == 2 and c["status"] == "connected" for c in body)
    assert resp.headers["X-Total-Count"] == str(len(body))
    await _feed(rig, "?date=2026-11-22&phone_number=%2B380991230001&ignored=1")
    assert rig.calls.asked[-1][2] == {
        "date_from": "2026-11-22T00:00:00+00:00", "date_to": "2026-11-23T00:00:00+00:00", "number": "+380991230001",
    }
    await _feed(rig, "?start_date=2026-11-01&end_date=2026-11-02T12:00:00%2B03:00")
    assert rig.calls.asked[-1][2] == {"date_from": "2026-11-01T00:00:00+00:00", "date_to": "2026-11-02T12:00:00+03:00"}
    await _feed(rig, "?date_from=2026-11-01 08:30&date_to=2026-11-02T12:00:00+03:00")  # '+' unencoded
    assert rig.calls.asked[-1][2] == {"date_from": "2026-11-01T08:30:00+00:00", "date_to": "2026-11-02T12:00:00+03:00"}


async def test_feed_bad_dates_are_422(rig: Rig) -> None:
    resp = await _feed(rig, "?date=yesterday&date_from=2026-13-01")
    assert resp.status == 422
    body = await resp.json()
    assert body["code"] == "INVALID_PARAMS"
    assert [d["loc"] for d in body["details"]] == [["query", "date"], ["query", "date_from"]]
