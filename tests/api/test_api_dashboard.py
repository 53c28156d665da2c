"""The dashboards' routes over calls written by the REAL batch writer into a PostgreSQL database of the test's own
(figures from the writer's hourly rollup): each route's shape and figures, time zones, who may read them, and
refusals of bad periods and zones in the SPEC error format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from vssd.adapters.store import Store
from vssd.adapters.store_call_stats import StoreCallStats
from vssd.adapters.store_calls import StoreCallHistory

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
ROUTES = ("", "/slots", "/metrics", "/stats", "/realtime", "/call-analytics", "/operator-activity")
REPORTS = ("/stats", "/realtime", "/call-analytics", "/operator-activity")


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp()


@dataclass
class Desk:
    """Stands for the campaign desk: the live operators' pool."""

    operators: list[dict[str, Any]]

    def list_operators(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        return [o for o in self.operators if all(str(o.get(k)) == v for k, v in filters.items())]


def _call(store: Store, n: int, start: float, *, talk: float | None = None, outcome: str | None = None,
          user: str | None = None, ring: float = 5) -> None:
    fields: dict[str, Any] = {"number": f"+38099000{n:04d}", "originated_at": start}
    if talk is not None:
        fields.update(status="ENDED", outcome="answered", answered_at=start + ring, ring_s=ring, talk_s=talk,
                      ended_at=start + ring + talk)
    elif outcome is not None:
        fields.update(status="ENDED", outcome=outcome, ended_at=start + 30)
    if user is not None:
        fields["user_id"] = user
    store.writer.submit_call(f"dash-{n}", **fields)


@pytest.fixture
async def dash(make_rig: RigFactory, fresh_store: Store) -> Rig:
    ivan = str(await fresh_store.pool.fetchval(
        "INSERT INTO users (username, name, password_hash, role, group_id) VALUES ('op_a', 'Иван Петров', 'x', "
        "'operator', 'g1') RETURNING id"))
    _call(fresh_store, 1, at(22, 14, 5), talk=100, user=ivan)
    _call(fresh_store, 2, at(22, 14, 20), talk=200, user=ivan, ring=30)
    _call(fresh_store, 3, at(22, 14, 40), outcome="busy")
    _call(fresh_store, 4, at(22, 9), outcome="abandoned")
    _call(fresh_store, 5, at(22, 15, 10))  # live: counted, neither answered nor missed
    _call(fresh_store, 6, at(21, 22, 30), talk=50, user=ivan)  # yesterday in UTC, today in Moscow (+3)
    await fresh_store.writer.flush(10.0)
    _call(fresh_store, 3, at(22, 14, 40), outcome="no_answer")  # a later update of a written call
    await fresh_store.writer.flush(10.0)
    ops = [{"id": "1", "user_id": ivan, "name": "Иван Петров", "extension": "1001", "status": "busy",
            "group_id": "g1", "last_activity": NOW.timestamp() - 125},
           {"id": "2", "user_id": None, "name": "Olga", "extension": "1002", "status": "online", "group_id": "g2",
            "last_activity": None}]
    rig = await make_rig(call_figures=StoreCallStats(fresh_store), autodialer=Desk(ops),
                         call_desk=type("D", (), {"history": StoreCallHistory(fresh_store)})())
    rig.clock.now = NOW.timestamp()
    return rig


async def _get(rig: Rig, path: str, who: str = "admin") -> tuple[int, Any]:
    resp = await rig.client.get(f"/api/dashboard{path}", headers=rig.bearer(await rig.token(who)))
    return resp.status, await resp.json()


async def test_dashboard_figures(dash: Rig) -> None:
    status, body = await _get(dash, "")
    assert status == 200, body
    assert (body["today_calls"], body["failed_calls"], body["active_calls"], body["active_slots"]) == (5, 1, 1, 3)
    calls = body["calls"]
    # answered: 1, 2 and the abandoned 4; ended: 1, 2, 3, 4 → ASR 75 %; ACD (100 + 200) / 2
    assert {k: calls[k] for k in ("total", "answered", "missed", "abandoned", "asr", "acd")} == {
        "total": 5, "answered": 3, "missed": 1, "abandoned": 1, "asr": 75.0, "acd": 150}
    hours = {h["hour"]: h["calls"] for h in body["calls_per_hour"]}
    assert len(body["calls_per_hour"]) == 24 and hours["14:00"] == 3 and hours["09:00"] == 1 and hours["15:00"] == 1
    assert body["slots"]["by_state"] == {"ACTIVE_CALL": 1, "FAULT": 1, "READY": 2, "REGISTERING": 1}
    assert body["operators"] == {"online": 1, "busy": 1, "wrapup": 0, "offline": 0}


async def test_a_time_zone_moves_the_day(dash: Rig) -> None:
    status, body = await _get(dash, "/stats?tz=Europe/Moscow")
    assert status == 200, body
    assert body["total_calls_today"] == 6 and body["tz"] == "Europe/Moscow"
    trends = {t["hour"]: t["calls"] for t in body["call_trends"]}
    assert trends["17:00"] == 3 and trends["01:00"] == 1  # 14:xx UTC, and 22:30 UTC the day before
    status, body = await _get(dash, "/stats?tz=Asia/Kolkata")  # +5:30: partial hours at the edges
    assert status == 200 and body["total_calls_today"] == 6


async def test_stats_in_the_seed_shape(dash: Rig) -> None:
    status, body = await _get(dash, "/stats?period=week")
    assert status == 200, body
    assert {k: body[k] for k in ("total_calls_today", "answered_calls_today", "missed_calls_today",
                                 "active_operators", "total_operators", "busiest_hour", "asr")} == {
        "total_calls_today": 6, "answered_calls_today": 4, "missed_calls_today": 1, "active_operators": 2,
        "total_operators": 2, "busiest_hour": "14:00", "asr": 80.0}
    status, yesterday = await _get(dash, "/stats?period=yesterday")
    assert yesterday["total_calls_today"] == 1


async def test_calls_stats_reads_the_same_figures(dash: Rig) -> None:
    _, board = await _get(dash, "/stats?period=month")
    resp = await dash.client.get("/api/calls/stats?period=month", headers=dash.bearer(await dash.token()))
    calls = await resp.json()
    assert resp.status == 200, calls
    assert (calls["total_calls"], calls["answered_calls"], calls["missed_calls"], calls["peak_hour"],
            calls["service_level"]) == (board["total_calls_today"], board["answered_calls_today"],
                                        board["missed_calls_today"], board["busiest_hour"], board["service_level"])


async def test_realtime_and_metrics(dash: Rig) -> None:
    status, body = await _get(dash, "/realtime")
    assert status == 200, body
    assert (body["current_hour_calls"], body["operators_busy"], body["operators_online"], body["active_calls"]) \
        == (1, 1, 1, 1)
    status, body = await _get(dash, "/metrics")
    assert status == 200 and body["ready"] is True and body["calls"]["current_hour"] == 1
    status, body = await _get(dash, "/slots")
    assert status == 200 and (body["total"], body["free"], body["busy"], body["error"]) == (5, 2, 1, 1)


async def test_analytics_and_activity(dash: Rig) -> None:
    status, body = await _get(dash, "/call-analytics?period=today")
    assert status == 200, body
    assert body["operator_summary"] == [{"operator_id": body["operator_summary"][0]["operator_id"],
                                         "operator_name": "Иван Петров", "calls_handled": 2, "avg_talk_time": 150,
                                         "efficiency": 100.0}]
    assert [q["queue_name"] for q in body["queue_performance"]] == ["manual"]
    assert sum(h["incoming"] for h in body["hourly_distribution"]) == 5
    status, rows = await _get(dash, "/operator-activity")
    assert status == 200, rows
    ivan = next(r for r in rows if r["name"] == "Иван Петров")
    assert (ivan["calls_today"], ivan["status"], ivan["current_call_duration"], ivan["extension"]) == \
        (2, "busy", 125, "1001")


@pytest.mark.parametrize("path", ROUTES)
async def test_a_seller_may_not(dash: Rig, path: str) -> None:
    status, body = await _get(dash, path, who="seller1")
    assert status == 403 and body["error"] is True and body["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("path", REPORTS)
async def test_reports_are_for_admin_manager_supervisor(dash: Rig, path: str) -> None:
    assert (await _get(dash, path, who="op12"))[0] == 403
    for who in ("mgr1", "super1"):
        assert (await _get(dash, path, who=who))[0] == 200
    assert (await _get(dash, "", who="op12"))[0] == 200


@pytest.mark.parametrize("query", ["period=decade", "period=", "tz=Mars/Olympus", "tz=../../etc/passwd",
                                   "tz=" + "x" * 80, "group_id=" + "g" * 80])
@pytest.mark.parametrize("path", ["", "/stats", "/call-analytics"])
async def test_bad_query_is_422(dash: Rig, path: str, query: str) -> None:
    if query == "period=":
        return  # an empty period is the default (today)
    status, body = await _get(dash, f"{path}?{query}")
    assert status == 422, body
    assert body["error"] is True and body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"][0] == "query"


async def test_without_figures_503(make_rig: RigFactory) -> None:
    rig = await make_rig()
    resp = await rig.client.get("/api/dashboard/stats", headers=rig.bearer(await rig.token()))
    assert resp.status == 503 and (await resp.json())["error"] is True
