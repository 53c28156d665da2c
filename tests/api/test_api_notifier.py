"""The notifier's routes on a live API server over the real PostgreSQL users: a send reaches its addressee's
WebSocket and nobody else's, bad input answers 422 in the error format, roles are enforced, changes are audited,
webhook subscriptions keep their secret to themselves."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.api.conftest import SECRET, Clock, FakeCalls, FakeReadiness, FakeSlots
from vssd.adapters.store import Store
from vssd.adapters.store_notifier import StoreNotifier
from vssd.adapters.store_users import StoreUserDirectory, verify_password
from vssd.adapters.webhooks import WebhookClient
from vssd.api import tokens
from vssd.api.app import make_app
from vssd.api.audit_log import AUDIT
from vssd.api.deps import ApiDeps
from vssd.events import EventDispatcher
from vssd.metrics import make_registry
from vssd.notifier import NotifierEngine
from vssd.notifier.desk import NotifierDesk


@dataclass
class Site:
    server: TestServer
    deps: ApiDeps
    app: Any

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    async def token(self, username: str) -> str:
        user = await self.deps.users.find_user(username)
        assert user is not None
        return tokens.access_token(self.deps, user)

    async def call(self, method: str, path: str, who: str = "admin", body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        async with aiohttp.ClientSession() as http, \
                http.request(method, self.url(path), json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def site(user_store: Store) -> AsyncIterator[Site]:
    bus, rows = EventDispatcher(), StoreNotifier(user_store)
    poster = WebhookClient(timeout_s=2.0, concurrency=4)
    engine = NotifierEngine(rows, rows, rows, poster, None, bus, rng=random.Random(1))
    await engine.load()
    bus.listen(engine.on_event)
    deps = ApiDeps(slots=FakeSlots(), calls=FakeCalls(), users=StoreUserDirectory(user_store),
                   readiness=FakeReadiness(), verify_password=verify_password, jwt_secret=SECRET,
                   metrics=make_registry(), clock=Clock(), events=bus, notifier=NotifierDesk(engine, rows, rows))
    app = make_app(deps)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Site(server, deps, app)
    finally:
        await server.close()
        await poster.close()


async def _notifications(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        frame = json.loads(msg.data)
        if frame["type"] == "notification":
            return frame["data"]


async def test_a_notification_reaches_only_its_addressee(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        op = await http.ws_connect(site.url(f"/ws/events?token={await site.token('op12')}"))
        sup = await http.ws_connect(site.url(f"/ws/events?token={await site.token('super1')}"))
        status, sent = await site.call("POST", "/api/notifier/send", body={"user": "op12", "title": "Перерыв",
                                                                           "message": "через 5 минут"})
        assert status == 202, sent
        got = await _notifications(op)
        assert got["id"] == sent["id"] and got["title"] == "Перерыв"
        # super1 may read everything, yet the first notification it receives is the one addressed to it
        status, second = await site.call("POST", "/api/notifier/send", body={"user": "super1", "title": "b",
                                                                             "message": "for super1"})
        assert status == 202
        assert (await _notifications(sup))["id"] == second["id"]
        await op.close()
        await sup.close()
    status, rows = await site.call("GET", f"/api/notifier/history?notification_id={sent['id']}")
    assert status == 200 and [(r["channel"], r["state"], r["attempts"]) for r in rows] == [("websocket", "sent", 1)]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/notifier/webhooks", {"url": "ftp://example.com/x", "events": ["system.alert"]}, "url"),
    ("/api/notifier/webhooks", {"url": "javascript:alert(1)", "events": ["system.alert"]}, "url"),
    ("/api/notifier/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["no.such.event"]}, "events"),
    ("/api/notifier/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["system.alert"], "colour": 1}, "colour"),
    ("/api/notifier/send", {"user": "op12", "role": "admin", "title": "t", "message": "m"}, None),
    ("/api/notifier/send", {"role": "admin", "message": "m"}, "title"),
    ("/api/notifier/send", {"role": "admin", "title": "t", "message": "m", "severity": "loud"}, "severity"),
    ("/api/notifier/send", {"role": "admin", "title": "t", "message": "m", "channels": ["sms"]}, "channels"),
    ("/api/notifier/send", {"channel": "email", "title": "t", "message": "m"}, "address"),
    ("/api/notifier/send", {"role": "admin", "title": "t", "message": "m", "extra": 1}, "extra"),
])
async def test_bad_input_is_422_naming_the_field(site: Site, path: str, body: dict, field: str | None) -> None:
    status, answer = await site.call("POST", path, body=body)
    assert status == 422 and answer["error"] is True and answer["code"] == "INVALID_PARAMS", answer
    if field is not None:
        assert field in {d["loc"][-1] for d in answer["details"]}, answer


async def test_unknown_user_and_bad_filters_are_422(site: Site) -> None:
    status, answer = await site.call("POST", "/api/notifier/send", body={"user": "ghost", "title": "t",
                                                                         "message": "m"})
    assert (status, answer["code"]) == (422, "NOTIFIER_001")
    status, answer = await site.call("GET", "/api/notifier/history?state=lost")
    assert status == 422 and answer["details"][0]["loc"] == ["query", "state"]


async def test_roles_are_enforced_and_changes_audited(site: Site) -> None:
    body = {"role": "admin", "title": "t", "message": "m"}
    assert (await site.call("POST", "/api/notifier/send", "op12", body))[0] == 403
    assert (await site.call("GET", "/api/notifier/history", "op12"))[0] == 403
    assert (await site.call("GET", "/api/notifier/history", "super1"))[0] == 200
    assert (await site.call("POST", "/api/notifier/webhooks", "super1",
                            {"url": "http://127.0.0.1:9/x", "events": ["call.update"]}))[0] == 403
    assert (await site.call("POST", "/api/notifier/send", "admin", body))[0] == 202
    entries, _ = await site.app[AUDIT].entries(50, 0, {"action": "POST /api/notifier/send"})
    assert [e["outcome"] for e in entries][:2] == ["ok", "denied"]


async def test_webhook_subscriptions_crud_and_the_secret_shown_once(site: Site) -> None:
    status, hook = await site.call("POST", "/api/notifier/webhooks",
                                   body={"url": "https://crm.example.com/vssd", "events": ["call.update"]})
    assert status == 201 and len(hook["secret"]) >= 32 and hook["events"] == ["call.update"]
    status, again = await site.call("GET", f"/api/notifier/webhooks/{hook['id']}")
    assert status == 200 and "secret" not in again
    status, changed = await site.call("PATCH", f"/api/notifier/webhooks/{hook['id']}",
                                      body={"events": ["call.update", "system.alert"], "active": False})
    assert status == 200 and changed["events"] == ["call.update", "system.alert"] and changed["active"] is False
    status, listed = await site.call("GET", "/api/notifier/webhooks")
    assert status == 200 and hook["id"] in [h["id"] for h in listed] and all("secret" not in h for h in listed)
    assert (await site.call("DELETE", f"/api/notifier/webhooks/{hook['id']}"))[0] == 200
    assert (await site.call("GET", f"/api/notifier/webhooks/{hook['id']}"))[0] == 404
    assert (await site.call("DELETE", f"/api/notifier/webhooks/{hook['id']}"))[0] == 404


async def test_text_with_nul_characters_is_stored_not_a_server_error(site: Site) -> None:
    status, sent = await site.call("POST", "/api/notifier/send", body={"role": "admin", "title": "a\x00b",
                                                                       "message": "m\x00"})
    assert status == 202, sent
    status, hook = await site.call("POST", "/api/notifier/webhooks", body={
        "url": "http://127.0.0.1:9/x", "events": ["campaign.update"], "description": "d\x00", "secret": "s\x00" * 10})
    assert status == 201, hook
    status, rows = await site.call("GET", "/api/notifier/history?recipient=x%00y")
    assert status == 200 and rows == []
