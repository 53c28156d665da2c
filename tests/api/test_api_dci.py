"""DCI routes (the routes reference's DATA & CI/CD): pipelines in the document's shape, runs streamed into the
DCI log and `pipeline.update`, params against the schema, one run per pipeline, stop, failures with their exit
code and last lines, the DCI log's reads and posted events, permissions per role, audit of runs and stops.
Real PostgreSQL (the API rig's database), real child processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Rig, RigFactory
from tests.dci.rig import DciRig, dci_rig, final_update, line_seen
from vssd.adapters.store import Store


@pytest.fixture
async def dci(user_store: Store, tmp_path: Path) -> AsyncIterator[DciRig]:
    rig = await dci_rig(user_store, tmp_path, env_extra={"DCI_OK": "yes", "DCI_SECRET": "never-passed"})
    try:
        yield rig
    finally:
        await rig.close()


@pytest.fixture
async def api(make_rig: RigFactory, dci: DciRig) -> Rig:
    return await make_rig(dci=dci.desk, events=dci.events)


async def _as(api: Rig, who: str = "admin") -> dict[str, str]:
    return api.bearer(await api.token(who))


async def _run(api: Rig, dci: DciRig, name: str, params: Any = None, who: str = "admin") -> dict[str, Any]:
    stream = dci.events.subscribe(["pipeline.update"])
    try:
        resp = await api.client.post(f"/api/dci/pipeline/{name}/run", json={"params": params or {}},
                                     headers=await _as(api, who))
        assert resp.status == 202, await resp.text()
        await final_update(stream, name)
    finally:
        stream.close()
    resp = await api.client.get(f"/api/dci/pipeline/{name}/status", headers=await _as(api))
    assert resp.status == 200
    return await resp.json()


async def test_pipelines_list_in_the_documents_shape(api: Rig) -> None:
    resp = await api.client.get("/api/dci/pipelines", headers=await _as(api))
    assert resp.status == 200
    items = await resp.json()
    assert resp.headers["X-Total-Count"] == str(len(items)) == "8"
    first = items[0]
    for key in ("id", "name", "branch", "status", "triggered_by", "start_time", "end_time", "log_url"):
        assert key in first
    assert first["id"] == 1 and first["name"] == "echo" and first["branch"] == "main"
    assert {i["name"]: i for i in items}["count"]["params_schema"]["required"] == ["count"]


async def test_a_run_streams_its_lines_into_the_log_and_ends_success(api: Rig, dci: DciRig) -> None:
    status = await _run(api, dci, "echo")
    assert status["status"] == "success", status
    assert status["exit_code"] == 0 and status["triggered_by"] == "admin"
    assert status["end_time"] and status["start_time"] and status["step"] == "again"
    assert status["last_lines"][-1] == "second step"
    await dci.sink.flush()
    resp = await api.client.get(status["log_url"] + "&limit=100", headers=await _as(api))
    lines = [e["message"] for e in reversed(await resp.json())]
    assert [m for m in lines if m.startswith("line ")] == [f"line {i}" for i in range(5)]
    assert "oops" in lines  # stderr is merged, in order
    assert all(e["module"] == "DCI" for e in await resp.json())
    listed = {p["name"]: p for p in await (await api.client.get("/api/dci/pipelines",
                                                                headers=await _as(api))).json()}
    assert listed["echo"]["status"] == "success" and listed["echo"]["run_id"] == status["run_id"]


async def test_by_numeric_id_too(api: Rig, dci: DciRig) -> None:
    resp = await api.client.get("/api/dci/pipeline/2/status", headers=await _as(api))
    assert resp.status == 200 and (await resp.json())["name"] == "fail"


async def test_a_failing_step_fails_the_run_with_its_exit_code_and_last_lines(api: Rig, dci: DciRig) -> None:
    status = await _run(api, dci, "fail")
    assert status["status"] == "failed" and status["exit_code"] == 3 and status["step"] == "boom"
    assert "exit code 3" in status["error"]
    assert "about to fail" in status["last_lines"]


async def test_a_missing_program_fails_clearly(api: Rig, dci: DciRig) -> None:
    status = await _run(api, dci, "missing")
    assert status["status"] == "failed" and status["exit_code"] == 127
    assert "vssd-no-such-program: not found on PATH" in status["error"]


async def test_a_step_past_its_timeout_fails(api: Rig, dci: DciRig) -> None:
    status = await _run(api, dci, "sleepy")
    assert status["status"] == "failed" and status["exit_code"] == 124 and "timed out" in status["error"]


async def test_params_are_checked_against_the_schema_and_fill_argv_elements(api: Rig, dci: DciRig) -> None:
    headers = await _as(api)
    for bad in ({}, {"count": 0}, {"count": "3"}, {"count": 2, "extra": 1}, {"count": 2, "label": "x" * 21}):
        resp = await api.client.post("/api/dci/pipeline/count/run", json={"params": bad}, headers=headers)
        assert resp.status == 422, bad
        body = await resp.json()
        assert body["error"] is True and body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"][:2] == \
            ["body", "params"]
    resp = await api.client.post("/api/dci/pipeline/count/run", json={"params": []}, headers=headers)
    assert resp.status == 422
    status = await _run(api, dci, "count", {"count": 2, "label": "a b; rm -rf /"})
    assert status["status"] == "success" and status["params"] == {"count": 2, "label": "a b; rm -rf /"}
    assert status["last_lines"][-2:] == ["tick 0 of a b; rm -rf /", "tick 1 of a b; rm -rf /"]  # one argv element


async def test_env_is_the_allow_list_only(api: Rig, dci: DciRig) -> None:
    status = await _run(api, dci, "env")
    names = status["last_lines"][-1].split()
    assert "PATH" in names and "DCI_OK" in names
    assert "DCI_SECRET" not in names and "HOME" not in names


async def test_one_run_per_pipeline_and_stop_sigterm(api: Rig, dci: DciRig) -> None:
    headers = await _as(api)
    stream = dci.events.subscribe(["pipeline.update"])
    try:
        resp = await api.client.post("/api/dci/pipeline/slow/run", headers=headers)
        assert resp.status == 202 and (await resp.json())["status"] == "running"
        await line_seen(stream, "slow", "ready")
        again = await api.client.post("/api/dci/pipeline/slow/run", headers=headers)
        assert again.status == 409 and (await again.json())["code"] == "PIPELINE_BUSY"
        running = await (await api.client.get("/api/dci/status", headers=headers)).json()
        assert running["running"] == ["slow"]
        resp = await api.client.post("/api/dci/pipeline/slow/stop", headers=headers)
        assert resp.status == 200
        body = await resp.json()
    finally:
        stream.close()
    assert body["stopped"] is True and body["status"] == "cancelled" and "stopped by admin" in body["error"]
    assert "got TERM" in body["last_lines"]
    idle = await api.client.post("/api/dci/pipeline/slow/stop", headers=headers)
    assert idle.status == 200 and (await idle.json())["stopped"] is False


async def test_stop_kills_a_step_that_ignores_sigterm(api: Rig, dci: DciRig) -> None:
    headers = await _as(api)
    stream = dci.events.subscribe(["pipeline.update"])
    try:
        await api.client.post("/api/dci/pipeline/stubborn/run", headers=headers)
        await line_seen(stream, "stubborn", "ready")
        body = await (await api.client.post("/api/dci/pipeline/stubborn/stop", headers=headers)).json()
    finally:
        stream.close()
    assert body["status"] == "cancelled" and body["exit_code"] == -9  # SIGKILL after the grace period


async def test_the_overall_bound(make_rig: RigFactory, user_store: Store, tmp_path: Path) -> None:
    rig = await dci_rig(user_store, tmp_path, max_concurrent=1)
    try:
        api = await make_rig(dci=rig.desk, events=rig.events)
        headers = await _as(api)
        stream = rig.events.subscribe(["pipeline.update"])
        assert (await api.client.post("/api/dci/pipeline/slow/run", headers=headers)).status == 202
        await line_seen(stream, "slow", "ready")
        resp = await api.client.post("/api/dci/pipeline/echo/run", headers=headers)
        assert resp.status == 409 and "at most 1" in (await resp.json())["message"]
        await api.client.post("/api/dci/pipeline/slow/stop", headers=headers)
        stream.close()
    finally:
        await rig.close()


async def test_unknown_pipeline_is_404(api: Rig) -> None:
    headers = await _as(api)
    for method, path in (("POST", "/api/dci/pipeline/nope/run"), ("POST", "/api/dci/pipeline/nope/stop"),
                         ("GET", "/api/dci/pipeline/nope/status"), ("GET", "/api/dci/pipeline/99/status")):
        resp = await api.client.request(method, path, headers=headers)
        assert resp.status == 404, path
        assert (await resp.json())["code"] == "NOT_FOUND"


async def test_bad_run_bodies(api: Rig) -> None:
    headers = await _as(api)
    resp = await api.client.post("/api/dci/pipeline/echo/run", data=b"{nope", headers={
        **headers, "Content-Type": "application/json"})
    assert resp.status == 400 and (await resp.json())["code"] == "INVALID_PARAMS"
    resp = await api.client.post("/api/dci/pipeline/echo/run", json={"params": {"x": 1}}, headers=headers)
    assert resp.status == 422


async def test_log_event_as_the_document_shows_it(api: Rig) -> None:
    headers = await _as(api)
    body = {"module": "OTTB", "severity": "info", "message": "Slot 44 restarted",
            "context": {"slot_id": 44, "user": "admin"}, "user_id": "uuid-here"}
    resp = await api.client.post("/api/dci/log-event", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    entry = await resp.json()
    assert entry["module"] == "OTTB" and entry["context"] == {"slot_id": 44, "user": "admin"}
    assert entry["user_id"] == "uuid-here" and entry["timestamp"]
    resp = await api.client.get("/api/dci/logs?module=OTTB&severity=info&limit=5", headers=headers)
    found = await resp.json()
    assert found[0]["id"] == entry["id"] and int(resp.headers["X-Total-Count"]) >= 1
    assert all(e["module"] == "OTTB" and e["severity"] == "info" for e in found)


async def test_bad_log_events_and_filters_are_422(api: Rig) -> None:
    headers = await _as(api)
    for bad in ({"module": "OTTB", "severity": "loud", "message": "x"},
                {"module": "MARS", "severity": "info", "message": "x"},
                {"module": "OTTB", "severity": "info", "message": ""},
                {"module": "OTTB", "severity": "info", "message": "x", "context": [1]},
                {"severity": "info", "message": "x"}):
        resp = await api.client.post("/api/dci/log-event", json=bad, headers=headers)
        assert resp.status == 422, bad
        body = await resp.json()
        assert body["code"] == "INVALID_PARAMS" and body["details"]
    for query in ("severity=loud", "module=MARS", "limit=0", "limit=x", "offset=-1", "run_id=abc",
                  "pipeline=%00x"):
        resp = await api.client.get(f"/api/dci/logs?{query}", headers=headers)
        assert resp.status == 422, query


async def test_a_nul_is_stored_as_a_replacement_character(api: Rig) -> None:
    body = {"module": "DCI", "severity": "error", "message": "bad\x00byte", "context": {"k": "v\x00"}}
    resp = await api.client.post("/api/dci/log-event", json=body, headers=await _as(api))
    assert resp.status == 201, await resp.text()
    entry = await resp.json()
    assert entry["message"] == "bad\ufffdbyte" and entry["context"] == {"k": "v\ufffd"}


async def test_permissions_per_role(api: Rig) -> None:
    routes = (("GET", "/api/dci/pipelines"), ("POST", "/api/dci/pipeline/echo/run"),
              ("POST", "/api/dci/pipeline/echo/stop"), ("GET", "/api/dci/pipeline/echo/status"),
              ("GET", "/api/dci/status"), ("GET", "/api/dci/logs"), ("POST", "/api/dci/log-event"))
    expect_ok = {"super1": {"GET /api/dci/pipelines", "GET /api/dci/pipeline/echo/status", "GET /api/dci/status",
                            "GET /api/dci/logs"},
                 "mgr1": {"GET /api/dci/status"}, "op12": set(), "seller1": set()}
    for who, allowed in expect_ok.items():
        headers = await _as(api, who)
        for method, path in routes:
            resp = await api.client.request(method, path, headers=headers, json={})
            key = f"{method} {path}"
            if key in allowed:
                assert resp.status < 300, (who, key, resp.status)
            else:
                assert resp.status == 403, (who, key, resp.status)
                assert (await resp.json())["code"] == "PERMISSION_DENIED"
    resp = await api.client.get("/api/dci/pipelines")
    assert resp.status == 401


async def test_runs_and_stops_are_audited(api: Rig, dci: DciRig) -> None:
    await _run(api, dci, "echo")
    await api.client.post("/api/dci/pipeline/echo/stop", headers=await _as(api))
    resp = await api.client.get("/api/security/audit?limit=50", headers=await _as(api))
    actions = [(e["action"], e["resource"], e["username"]) for e in await resp.json()]
    assert ("POST /api/dci/pipeline/{pipeline_id}/run", "pipeline_id=echo", "admin") in actions
    assert ("POST /api/dci/pipeline/{pipeline_id}/stop", "pipeline_id=echo", "admin") in actions


async def test_without_a_desk_the_routes_answer_503(make_rig: RigFactory) -> None:
    api = await make_rig()
    resp = await api.client.get("/api/dci/pipelines", headers=await _as(api))
    assert resp.status == 503 and (await resp.json())["code"] == "SERVICE_UNAVAILABLE"
