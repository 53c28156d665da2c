"""Real-time auth as the Smart Call Center API's WebSocket example does it, and as an attacker would try it.

- `/ws/events` sends text frames (a browser's `JSON.parse(e.data)` works); its first message
  `{"type": "auth", "token": …}` is answered with a `connected` frame naming the authenticated user, or with an
  `error` frame and close 4401 — in the demo too.
- A presented token that fails (forged, garbage, revoked) is refused at the handshake in every mode, on the
  WebSocket (401 before the upgrade) and on Socket.IO (connect_error); the demo's anonymous reader is only
  the client that presents nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest
import socketio

from tests.api.conftest import LiveFactory
from tests.api.test_api_realtime import ws_frames
from vssd.api.authn import STATE


def _alg_none(token: str) -> str:
    body = token.split(".")[1]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


async def _revoked(rig: Any) -> str:
    token = await rig.token("admin")
    who = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    await rig.server.app[STATE].revoke(who["jti"], who["exp"])
    return token


async def test_ws_auth_message_is_answered_with_the_authenticated_identity_in_the_demo(live: LiveFactory) -> None:
    rig = await live(demo=True)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
        assert (await ws_frames(ws, "connected"))[0]["data"]["anonymous"] is True
        await ws.send_str(json.dumps({"type": "auth", "token": await rig.token("admin")}))
        hello = (await ws_frames(ws, "connected"))[0]["data"]
        assert hello["anonymous"] is False and hello["authenticated"] is True
        assert hello["user"] == "admin" and hello["role"] == "admin"
        client = next(iter(rig.hub.clients.values()))
        assert client.who.username == "admin" and not client.who.anonymous


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "production"])
async def test_ws_auth_message_with_a_bad_token_gets_an_error_and_close(live: LiveFactory, demo: bool) -> None:
    rig = await live(demo=demo)
    good = await rig.token("admin")
    for token in ("abc.def.ghi", _alg_none(good), await _revoked(rig), 42):
        params = {"token": good} if not demo else None  # production: authenticate first, then re-auth badly
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events", params=params) as ws:
            await ws_frames(ws, "connected")
            await ws.send_str(json.dumps({"type": "auth", "token": token}))
            error = (await ws_frames(ws, "error"))[0]["data"]
            assert error["code"] == "AUTH_FAIL", (token, error)
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4401, (token, msg)
        assert not rig.hub.clients, "the refused client is gone"


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "production"])
async def test_ws_handshake_with_a_bad_token_is_401_in_every_mode(live: LiveFactory, demo: bool) -> None:
    rig = await live(demo=demo)
    bad = {"garbage": "abc.def.ghi", "alg none": _alg_none(await rig.token()), "revoked": await _revoked(rig),
           "placeholder": "YOUR_JWT_TOKEN"}
    async with aiohttp.ClientSession() as http:
        for kind, token in bad.items():
            for how in ({"params": {"token": token}}, {"headers": {"Authorization": f"Bearer {token}"}}):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"{rig.base}/ws/events", **how)
                assert refused.value.status == 401, (kind, how)
        with pytest.raises(aiohttp.WSServerHandshakeError) as malformed:
            await http.ws_connect(f"{rig.base}/ws/events", headers={"Authorization": "Basic eDp5"})
        assert malformed.value.status == 401


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "production"])
async def test_socketio_refuses_a_bad_token_in_every_mode(live: LiveFactory, demo: bool) -> None:
    rig = await live(demo=demo)
    for token in ("abc.def.ghi", _alg_none(await rig.token()), await _revoked(rig)):
        sio = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(rig.base, transports=["websocket"], auth={"token": token}, wait_timeout=5)
        await sio.disconnect()
    assert not rig.hub.clients
    if demo:  # nothing presented: the demo's anonymous reader
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(rig.base, transports=["websocket"], wait_timeout=5)
        try:
            assert next(iter(rig.hub.clients.values())).who.anonymous
        finally:
            await sio.disconnect()
