"""GET /api/calls/stats (the Smart Call Center API): computed by SQL over calls stored in a REAL PostgreSQL database
of the test's own, for each period and a group; who may read it (admin, manager, supervisor); refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.adapters.store import Store
from vssd.adapters.store_calls import StoreCallHistory

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp()


class Desk:
    """Stands for the daemon's CallControl: the statistics come from its `history` (StoreCallHistory)."""

    def __init__(self, history: StoreCallHistory) -> None:
        self.history = history


async def _operator(store: Store, username: str, name: str, group: str) -> str:
    return str(await store.pool.fetchval(
        "INSERT INTO users (username, name, password_hash, role, group_id) VALUES ($1, $2, 'x', 'operator', $3) "
        "RETURNING id", username, name, group))


def _call(store: Store, n: int, start: float, *, ring: float | None = None, talk: float | None = None,
          outcome: str | None = None, user: str | None = None) -> None:
    """An answered call when `talk` is given; an ended unanswered one when `outcome` is; else still ringing."""
    fields: dict[str, Any] = {"number": f"+38099000{n:04d}", "originated_at": start, "channel_id": f"ch-{n}"}
    if talk is not None:
        fields.update(status="ENDED", outcome="answered", answered_at=start + (ring or 0), ring_s=ring,
                      talk_s=talk, ended_at=start + (ring or 0) + talk)
    elif outcome is not None:
        fields.update(status="ENDED", outcome=outcome, ring_s=ring, ended_at=start + (ring or 30))
    else:
        fields.update(status="CALLING")
    if user is not None:
        fields["user_id"] = user
    store.writer.submit_call(f"stats-{n}", **fields)


@pytest.fixture
async def stats(make_rig: RigFactory, fresh_store: Store) -> Rig:
    ivan = await _operator(fresh_store, "op_a", "Иван Петров", "g1")
    olga = await _operator(fresh_store, "op_b", "", "g2")
    _call(fresh_store, 1, at(22, 14, 5), ring=5, talk=100, user=ivan)
    _call(fresh_store, 2, at(22, 14, 20), ring=30, talk=200, user=ivan)
    _call(fresh_store, 3, at(22, 14, 40), outcome="busy")
    _call(fresh_store, 4, at(22, 9), ring=10, talk=60, user=olga)
    _call(fresh_store, 5, at(22, 15))  # live: counted, neither answered nor missed
    _call(fresh_store, 6, at(21, 10), ring=8, talk=50, user=olga)
    _call(fresh_store, 7, at(21, 11), outcome="no_answer", ring=45)
    _call(fresh_store, 8, at(14, 12), ring=3, talk=30, user=ivan)  # in the month only
    _call(fresh_store, 9, datetime(2026, 10, 1, 12, tzinfo=UTC).timestamp(), ring=3, talk=30)  # in no period
    await fresh_store.writer.flush(10.0)
    rig = await make_rig(call_desk=Desk(StoreCallHistory(fresh_store)))
    rig.clock.now = NOW.timestamp()
    return rig


async def _get(rig: Rig, query: str = "", who: str = "admin") -> tuple[int, Any]:
    resp = await rig.client.get(f"/api/calls/stats{query}", headers=rig.bearer(await rig.token(who)))
    return resp.status, await resp.json()


async def test_today_in_the_seed_shape(stats: Rig) -> None:
    status, body = await _get(stats)
    assert status == 200, body
    assert {k: body[k] for k in ("total_calls", "answered_calls", "missed_calls", "average_duration",
                                 "average_wait_time", "service_level", "peak_hour")} == {
        "total_calls": 5, "answered_calls": 3, "missed_calls": 1, "average_duration": 120, "average_wait_time": 15,
        "service_level": 50.0, "peak_hour": "14:00"}  # within 20 s: 2 of the 4 finished calls
    assert [(o["operator_name"], o["calls_count"]) for o in body["busiest_operators"]] == \
        [("Иван Петров", 2), ("op_b", 1)]
    assert (body["period"], body["from"], body["to"]) == ("today", "2026-11-22T00:00:00+00:00",
                                                         "2026-11-23T00:00:00+00:00")


@pytest.mark.parametrize(("query", "expected"), [
    ("?period=yesterday", (2, 1, 1, 50, 8, 50.0, "10:00", [("op_b", 1)])),
    ("?period=week", (7, 4, 2, 102, 13, 50.0, "14:00", [("Иван Петров", 2), ("op_b", 2)])),
    ("?period=MONTH", (8, 5, 2, 88, 11, 57.1, "14:00", [("Иван Петров", 3), ("op_b", 2)])),
    ("?group_id=g1", (2, 2, 0, 150, 18, 50.0, "14:00", [("Иван Петров", 2)])),
])
async def test_periods_and_groups(stats: Rig, query: str, expected: tuple[Any, ...]) -> None:
    status, body = await _get(stats, query)
    assert status == 200, body
    got = tuple(body[k] for k in ("total_calls", "answered_calls", "missed_calls", "average_duration",
                                  "average_wait_time", "service_level", "peak_hour"))
    busiest = [(o["operator_name"], o["calls_count"]) for o in body["busiest_operators"]]
    assert [c for _, c in busiest] == sorted((c for _, c in busiest), reverse=True)  # busiest first
    assert (*got, sorted(busiest)) == (*expected[:-1], sorted(expected[-1]))  # ties: the order is the collation's


async def test_a_period_without_calls_has_nothing_to_average(stats: Rig) -> None:
    status, body = await _get(stats, "?period=today&group_id=nobody")
    assert status == 200
    assert body == {**body, "total_calls": 0, "answered_calls": 0, "missed_calls": 0, "average_duration": None,
                    "average_wait_time": None, "service_level": None, "peak_hour": None, "busiest_operators": [],
                    "group_id": "nobody"}


async def test_who_may_read_it_and_refusals(stats: Rig) -> None:
    for who in ("admin", "mgr1", "super1"):
        assert (await _get(stats, "", who))[0] == 200, who
    for who in ("op12", "seller1"):
        status, body = await _get(stats, "", who)
        assert (status, body["code"]) == (403, "PERMISSION_DENIED"), who
    status, body = await _get(stats, "?period=decade")
    assert status == 422 and body["details"][0]["loc"] == ["query", "period"]
    resp = await stats.client.get("/api/v1/calls/stats?period=week", headers=stats.bearer(await stats.token()))
    assert resp.status == 200 and (await resp.json())["total_calls"] == 7
    assert (await stats.client.get("/api/calls/stats")).status == 401


async def test_without_a_call_store_it_is_503(make_rig: RigFactory) -> None:
    rig = await make_rig()
    status, body = await _get(rig)
    assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
