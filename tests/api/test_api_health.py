"""Health routes: /health and /api/health (same body), /health/live, /health/ready (200 / 503 + failing)."""

from __future__ import annotations

from tests.api.conftest import Rig


async def test_health_and_api_health_same_body_without_token(rig: Rig) -> None:
    bodies = []
    for path in ("/health", "/api/health", "/api/v1/health"):
        resp = await rig.client.get(path)
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
        body.pop("uptime_s")
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["status"] == "ok"
    assert bodies[0]["service"] == "vssd"
    assert bodies[0]["mode"] == "production"
    assert bodies[0]["checks"] == {"store": True, "pbx": True, "devices": True}


async def test_health_says_degraded_but_stays_200(rig: Rig) -> None:
    rig.readiness.facts["pbx"] = False
    resp = await rig.client.get("/health")
    assert resp.status == 200
    assert (await resp.json())["status"] == "degraded"


async def test_live(rig: Rig) -> None:
    resp = await rig.client.get("/health/live")
    assert resp.status == 200
    assert await resp.json() == {"status": "alive"}


async def test_ready_when_every_check_passes(rig: Rig) -> None:
    resp = await rig.client.get("/health/ready")
    assert resp.status == 200
    body = await resp.json()
    assert body["ready"] is True
    assert body["checks"] == {"store": True, "pbx": True, "devices": True}


async def test_not_ready_lists_the_failing_checks(rig: Rig) -> None:
    rig.readiness.facts.update(pbx=False, devices=False)
    resp = await rig.client.get("/health/ready")
    assert resp.status == 503
    body = await resp.json()
    assert body["error"] is True
    assert body["code"] == "NOT_READY"
    assert body["ready"] is False
    assert body["failing"] == ["devices", "pbx"]
    assert body["checks"]["store"] is True
    assert "devices" in body["message"] and "pbx" in body["message"]


async def test_a_readiness_that_raises_is_a_failing_check(make_rig) -> None:
    class Broken:
        def checks(self) -> dict[str, bool]:
            raise RuntimeError("boom")

    rig = await make_rig(readiness=Broken())
    resp = await rig.client.get("/health/ready")
    assert resp.status == 503
    body = await resp.json()
    assert body["failing"] == ["readiness"]
    assert "boom" not in await resp.text()
