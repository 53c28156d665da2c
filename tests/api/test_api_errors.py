"""The error format everywhere: unknown route, wrong method, oversized body, a crashing port; request ids."""

from __future__ import annotations

from structlog.testing import capture_logs

from tests.api.conftest import Rig


async def test_unknown_route_is_404_in_the_error_format(rig: Rig) -> None:
    for path in ("/nope", "/api/slots/1/nothing", "/api/v2/slots"):
        resp = await rig.client.get(path)
        assert resp.status == 404, path
        assert resp.content_type == "application/json"
        assert await resp.json() == {"error": True, "code": "NOT_FOUND", "message": "no such route"}


async def test_wrong_method_is_405_with_allow(rig: Rig) -> None:
    resp = await rig.client.delete("/api/slots")
    assert resp.status == 405
    assert "GET" in resp.headers["Allow"]
    body = await resp.json()
    assert body["error"] is True and body["code"] == "METHOD_NOT_ALLOWED"
    resp = await rig.client.get("/api/auth/login")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) == {"POST", "OPTIONS"}  # OPTIONS: the CORS preflight


async def test_oversized_body_is_413_in_the_error_format(make_rig) -> None:
    rig = await make_rig(max_body_bytes=2048)
    resp = await rig.client.post("/api/auth/login", data=b"{" + b" " * 4096 + b"}",
                                 headers={"Content-Type": "application/json"})
    assert resp.status == 413
    body = await resp.json()
    assert body["error"] is True and body["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_crashing_port_is_a_plain_500_without_a_stack(make_rig) -> None:
    class Exploding:
        def slot_views(self):
            raise RuntimeError("secret internals at /srv/vssd/x.py line 3")

        def slot_view(self, slot_id):
            raise RuntimeError("secret internals")

    rig = await make_rig(slots=Exploding(), demo=True)
    resp = await rig.client.get("/api/slots")
    assert resp.status == 500
    text = await resp.text()
    assert "Traceback" not in text and "secret" not in text
    assert await resp.json() == {"error": True, "code": "INTERNAL_ERROR", "message": "internal error"}


async def test_request_id_is_echoed_or_made(rig: Rig) -> None:
    resp = await rig.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    resp = await rig.client.get("/nope", headers={"X-Request-ID": "bad id with spaces\tand tabs"})
    made = resp.headers["X-Request-ID"]
    assert made != "bad id with spaces\tand tabs" and len(made) == 32
    other = (await rig.client.get("/health")).headers["X-Request-ID"]
    assert other != made


async def test_one_access_line_per_request_probes_at_debug(demo_rig: Rig) -> None:
    with capture_logs() as logs:
        await demo_rig.client.get("/api/slots/44?x=1")
        await demo_rig.client.get("/health")
        await demo_rig.client.post("/nope")
    lines = [entry for entry in logs if entry["event"] == "http.request"]
    assert [(e["method"], e["path"], e["route"], e["status"], e["log_level"]) for e in lines] == [
        ("GET", "/api/slots/44", "/api/slots/{slot_id}", 200, "info"),
        ("GET", "/health", "/health", 200, "debug"),
        ("POST", "/nope", "unmatched", 404, "info"),
    ]
    assert all(e["duration_ms"] >= 0 for e in lines)
