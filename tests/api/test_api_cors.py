"""CORS (aiohttp-cors): preflights and responses for the configured origins only; the Socket.IO and WebSocket
routes are left to themselves and keep working with an `Origin` header. Users are the REAL PostgreSQL ones."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.api.conftest import SECRET, Clock, FakeCalls, FakeReadiness, FakeSlots, Rig
from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, verify_password
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.config.models import DEMO_CORS_ORIGINS, HttpConfig
from vssd.events import EventDispatcher
from vssd.metrics import make_registry

FRONT = "http://localhost:5173"
EVIL = "http://evil.example"
ACAO = "Access-Control-Allow-Origin"


def preflight(origin: str, method: str = "GET", headers: str = "authorization") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def test_the_demo_default_is_the_front_ends_on_this_machine() -> None:
    assert HttpConfig().cors_allow_origins == list(DEMO_CORS_ORIGINS)
    assert {"http://localhost:3000", "http://127.0.0.1:5173", "http://localhost:8080"} <= set(DEMO_CORS_ORIGINS)


async def test_preflight_from_an_allowed_origin_gets_the_headers(rig: Rig) -> None:
    for path, method in (("/api/slots", "GET"), ("/api/auth/login", "POST"), ("/api/v1/slots/3", "PATCH"),
                         ("/api/users/7", "DELETE")):
        resp = await rig.client.options(path, headers=preflight(FRONT, method, "authorization,content-type"))
        assert resp.status == 200, (path, await resp.text())
        assert resp.headers[ACAO] == FRONT
        assert method in resp.headers["Access-Control-Allow-Methods"]
        allowed = {h.strip().lower() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        assert "Access-Control-Allow-Credentials" not in resp.headers  # bearer tokens, never cookies


async def test_preflight_from_another_origin_gets_none(rig: Rig) -> None:
    resp = await rig.client.options("/api/slots", headers=preflight(EVIL))
    assert resp.status == 403
    assert ACAO not in resp.headers and "Access-Control-Allow-Methods" not in resp.headers


async def test_responses_carry_the_headers_for_allowed_origins_only(rig: Rig) -> None:
    auth = rig.bearer(await rig.token("admin"))
    resp = await rig.client.get("/api/slots", headers={**auth, "Origin": FRONT})
    assert resp.status == 200 and resp.headers[ACAO] == FRONT
    assert "X-Total-Count" in resp.headers["Access-Control-Expose-Headers"].split(",")
    assert len(await resp.json()) == int(resp.headers["X-Total-Count"])
    denied = await rig.client.get("/api/slots", headers={"Origin": FRONT})  # errors readable by the front-end
    assert denied.status == 401 and denied.headers[ACAO] == FRONT
    other = await rig.client.get("/api/slots", headers={**auth, "Origin": EVIL})
    assert other.status == 200 and ACAO not in other.headers
    plain = await rig.client.get("/api/slots", headers=auth)  # no Origin: the route's own expose header stays
    assert ACAO not in plain.headers and plain.headers["Access-Control-Expose-Headers"] == "X-Total-Count"


async def _client(store: Store, origins: list[str] | None) -> TestClient:
    deps = ApiDeps(slots=FakeSlots(), calls=FakeCalls(), users=StoreUserDirectory(store), readiness=FakeReadiness(),
                   verify_password=verify_password, jwt_secret=SECRET, metrics=make_registry(), clock=Clock(),
                   events=EventDispatcher())
    client = TestClient(TestServer(make_app(deps, cors_origins=origins), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.mark.parametrize(("origins", "allowed", "refused"), [
    (["https://ops.example.com"], "https://ops.example.com", FRONT),
    ([], None, FRONT),
])
async def test_the_configured_origins_replace_the_default(user_store: Store, origins: list[str],
                                                          allowed: str | None, refused: str) -> None:
    client = await _client(user_store, origins)
    try:
        if allowed is not None:
            resp = await client.options("/api/slots", headers=preflight(allowed))
            assert resp.status == 200 and resp.headers[ACAO] == allowed
        resp = await client.options("/api/slots", headers=preflight(refused))
        assert resp.status in (403, 405) and ACAO not in resp.headers
    finally:
        await client.close()


async def test_realtime_routes_are_left_alone_and_keep_working(rig: Rig) -> None:
    """No aiohttp-cors preflight on /ws/events or /socket.io/; both still answer a browser (with an Origin)."""
    for path in ("/ws/events", "/socket.io/"):
        routes = [r for r in rig.client.app.router.routes() if r.resource and r.resource.canonical == path]
        assert routes and not any(r.handler.__module__.startswith("aiohttp_cors") for r in routes)
    token = await rig.token("admin")
    polling = await rig.client.get("/socket.io/", params={"EIO": "4", "transport": "polling"},
                                   headers={"Origin": FRONT})
    assert polling.status == 200, await polling.text()
    assert (await polling.text()).startswith("0{")  # engine.io's open packet
    stranger = await rig.client.get("/socket.io/", params={"EIO": "4", "transport": "polling"},
                                    headers={"Origin": EVIL})
    assert stranger.status == 400  # engine.io's own check, with the same origins
    ws = await rig.client.ws_connect(f"/ws/events?token={token}", headers={"Origin": FRONT})
    try:
        await ws.send_json({"type": "subscribe", "channel": "slots"})
        msg: Any = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
    finally:
        await ws.close()
