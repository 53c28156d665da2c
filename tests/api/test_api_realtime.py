"""Real-time: /ws/events and Socket.IO on the API app, fed by the in-process bus (vssd.bus) as the daemon feeds it.

Real clients over loopback: aiohttp's WebSocket client, python-socketio's AsyncClient, the npm socket.io-client
(run with node). The users behind tokens are the REAL PostgreSQL ones of tests/api/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.api.conftest import LiveFactory
from vssd.calls.model import Attempt, Call
from vssd.events import CallUpdate, SlotUpdate
from vssd.views.calls import call_view

NPM = Path(__file__).resolve().parents[2] / ".npm" / "node_modules" / "socket.io-client"


def a_call(n: int = 882, *, answered: bool = False, ended: bool = False) -> dict[str, Any]:
    """A call view exactly as the daemon publishes it (vssd.views.calls.call_view)."""
    call = Call(call_id=f"c_{n}", root="ch-1", attempt=Attempt(action_id="a1", channel_id="ch-1",
                                                               number="+380991234567", sent_at=1_790_000_000.0),
                started_at=1_790_000_000.0, ringing_at=1_790_000_001.0)
    if answered:
        call.answered_at = 1_790_000_003.0
    if ended:
        from vssd.calls.model import Outcome

        call.ended_at, call.outcome = 1_790_000_010.0, Outcome.ANSWERED
    return call_view(call, "44")


async def until(predicate: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Wait for a condition on state other tasks own (no event to wait on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def ws_frames(ws: aiohttp.ClientWebSocketResponse, want: str, count: int = 1) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while len(got) < count:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg  # text frames: a browser hands binary ones over as a Blob
        frame = json.loads(msg.data)
        if frame["type"] == want:
            got.append(frame)
    return got


# ---- Socket.IO ---------------------------------------------------------------------------------------------------
async def test_python_socketio_client_receives_call_update_as_the_seeds_show(live: LiveFactory) -> None:
    rig = await live(demo=True)
    sio = socketio.AsyncClient(reconnection=False)
    got: asyncio.Queue[Any] = asyncio.Queue()
    sio.on("call.update", got.put_nowait)
    await sio.connect(rig.base, transports=["websocket"])
    try:
        await sio.emit("subscribe:calls")
        await until(lambda: rig.hub.clients and next(iter(rig.hub.clients.values())).groups == {"calls"},
                    "subscribed")
        view = a_call(answered=True)
        rig.bus.emit(CallUpdate(view))
        data = await asyncio.wait_for(got.get(), 5)
    finally:
        await sio.disconnect()
    assert data["call_id"] == "c_882" and data["slot"] == 44 and data["state"] == "ACTIVE_CALL"
    assert data == json.loads(json.dumps(view))


async def test_socketio_refuses_a_client_without_token_outside_the_demo(live: LiveFactory) -> None:
    rig = await live(demo=False)
    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(rig.base, transports=["websocket"], wait_timeout=5)
    await sio.disconnect()
    got: asyncio.Queue[Any] = asyncio.Queue()
    authed = socketio.AsyncClient(reconnection=False)
    authed.on("call.update", got.put_nowait)
    await authed.connect(rig.base, transports=["websocket"], auth={"token": await rig.token("admin")})
    try:
        await until(lambda: len(rig.hub.clients) == 1, "joined")
        assert next(iter(rig.hub.clients.values())).who.username == "admin"
        rig.bus.emit(CallUpdate(a_call(7)))
        assert (await asyncio.wait_for(got.get(), 5))["call_id"] == "c_7"
    finally:
        await authed.disconnect()


NODE_SCRIPT = """
import { io } from "socket.io-client";
const socket = io(process.argv[2], { transports: ["websocket"], reconnection: false });
socket.on("connect", () => { socket.emit("subscribe:calls"); console.log("READY"); });
socket.on("call.update", (data) => { console.log(JSON.stringify(data)); socket.close(); process.exit(0); });
socket.on("connect_error", (err) => { console.error(err.message); process.exit(2); });
setTimeout(() => process.exit(3), 8000);
"""


@pytest.mark.skipif(shutil.which("node") is None or (not NPM.is_dir() and os.environ.get("CI") != "true"),
                    reason="node or .npm/node_modules/socket.io-client missing (make tools)")
async def test_npm_socketio_client_receives_call_update(live: LiveFactory, tmp_path: Path) -> None:
    rig = await live(demo=True)
    script = NPM.parents[1] / f"rt-test-{os.getpid()}.mjs"  # beside node_modules so the import resolves
    script.write_text(NODE_SCRIPT)
    proc = await asyncio.create_subprocess_exec("node", str(script), rig.base, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = await asyncio.wait_for(proc.stdout.readline(), 8)
        assert ready.strip() == b"READY", (ready, await proc.stderr.read() if proc.stderr else b"")
        await until(lambda: any(c.groups == {"calls"} for c in rig.hub.clients.values()), "node subscribed")
        rig.bus.emit(CallUpdate(a_call(901)))
        line = await asyncio.wait_for(proc.stdout.readline(), 8)
        assert await asyncio.wait_for(proc.wait(), 8) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        script.unlink(missing_ok=True)
    assert json.loads(line)["call_id"] == "c_901"


# ---- /ws/events --------------------------------------------------------------------------------------------------
async def test_ws_demo_anonymous_reads_events_in_seed_framing(live: LiveFactory) -> None:
    rig = await live(demo=True)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
        hello = (await ws_frames(ws, "connected"))[0]
        assert hello["data"]["anonymous"] is True
        rig.bus.emit(CallUpdate(a_call(5, answered=True)))
        frame = (await ws_frames(ws, "call.update"))[0]
        assert frame["event"] == "call.update" and frame["data"]["call_id"] == "c_5"
        started = (await ws_frames(ws, "call_started"))[0]
        assert started["data"]["call_id"] == "c_5" and started["data"]["caller_number"] == "+380991234567"
        assert (await ws_frames(ws, "call_answered"))[0]["data"]["answer_time"] is not None
        rig.bus.emit(CallUpdate(a_call(5, answered=True, ended=True)))
        ended = (await ws_frames(ws, "call_ended"))[0]
        assert ended["data"]["status"] == "completed"


async def test_ws_outside_demo_needs_a_token(live: LiveFactory) -> None:
    rig = await live(demo=False, auth_timeout_s=0.3)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{rig.base}/ws/events?token=not-a-jwt")
        assert refused.value.status == 401
        async with http.ws_connect(f"{rig.base}/ws/events") as ws:  # no token, no first message
            error = (await ws_frames(ws, "error"))[0]
            assert error["data"]["code"] == "AUTH_FAIL"
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4401
        async with http.ws_connect(f"{rig.base}/ws/events") as ws:  # first-message token (Smart Call Center API)
            await ws.send_json({"type": "auth", "token": await rig.token("op12")})
            assert (await ws_frames(ws, "connected"))[0]["data"]["user"] == "op12"
        async with http.ws_connect(f"{rig.base}/ws/events", params={"token": await rig.token()}) as ws:
            assert (await ws_frames(ws, "connected"))[0]["data"]["user"] == "admin"


async def test_ws_subscribe_narrows_to_the_groups_asked_for(live: LiveFactory) -> None:
    rig = await live(demo=True)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
        await ws_frames(ws, "connected")
        await ws.send_json({"type": "subscribe:slots"})
        await until(lambda: any(c.groups == {"slots"} for c in rig.hub.clients.values()), "subscribed")
        rig.bus.emit(CallUpdate(a_call(1)))
        rig.bus.emit(SlotUpdate({"id": 44, "status": "busy", "fsm_state": "CALLING"}))
        msg = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert msg["type"] == "slot.update"
        assert msg["data"] == {"slot_id": 44, "id": 44, "status": "busy", "fsm_state": "CALLING"}


def _stuck_socket(port: int) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads (tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    return sock


async def test_a_client_that_never_reads_is_dropped_while_others_get_everything(live: LiveFactory) -> None:
    rig = await live(demo=True, buffer=32)
    loop = asyncio.get_running_loop()
    stuck = _stuck_socket(rig.server.port)
    await loop.sock_connect(stuck, ("127.0.0.1", rig.server.port))
    await loop.sock_sendall(stuck, (
        b"GET /ws/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
    received: list[str] = []
    total = 600

    async def read_all(ws: aiohttp.ClientWebSocketResponse) -> None:
        while len(received) < total:
            received.extend(f["data"]["call_id"] for f in await ws_frames(ws, "call.update"))

    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
            await until(lambda: len(rig.hub.clients) == 2, "both joined")
            reader = asyncio.ensure_future(read_all(ws))
            padding = "x" * 16_384
            for n in range(total):
                rig.bus.emit(CallUpdate({**a_call(n), "note": padding}))
                if n >= len(received) + 8:  # a pace the reading client keeps up with
                    await until(lambda n=n: n < len(received) + 8 or reader.done(), "reader caught up")
            await asyncio.wait_for(reader, 10)
            await until(lambda: rig.hub.dropped == 1, "slow client dropped")
            assert len(rig.hub.clients) == 1
    finally:
        stuck.close()
    assert received == [f"c_{n}" for n in range(total)]


# ---- slot.update coalescing --------------------------------------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, Callable[[], None], Any]] = []

    def call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        handle = asyncio.get_running_loop().call_later(3600, lambda: None)  # a real, cancellable handle
        self.timers.append((self.now + delay, fn, handle))
        return handle

    def advance(self, to: float) -> None:
        for at, fn, handle in sorted(self.timers, key=lambda t: t[0]):
            if at <= to and not handle.cancelled():
                self.now = at
                handle.cancel()
                fn()
        self.timers = [t for t in self.timers if not t[2].cancelled()]
        self.now = to


async def test_coalescer_sends_at_most_ten_per_second_and_always_the_last_state() -> None:
    from vssd.api.realtime import Coalescer

    clock = FakeTime()
    sent: list[tuple[float, int]] = []
    coalescer = Coalescer(0.1, lambda data: sent.append((clock.now, data["n"])), lambda: clock.now,
                          clock.call_later)
    for n in range(100):
        clock.advance(n * 0.01)
        coalescer.offer("44", {"n": n})
    clock.advance(2.0)
    coalescer.close()
    times = [t for t, _ in sent]
    window = 1.0 - 1e-9  # one second, give or take float rounding of the 0.1 s steps
    assert max(sum(1 for t in times if start <= t < start + window) for start in times) <= 10
    assert len(sent) >= 10  # not merely one per burst: the latest state keeps flowing at the capped rate
    assert sent[0][1] == 0 and sent[-1][1] == 99
    assert [n for _, n in sent] == sorted(n for _, n in sent)


async def test_slot_updates_are_coalesced_per_slot_over_the_wire(live: LiveFactory) -> None:
    rig = await live(demo=True)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
        await ws_frames(ws, "connected")
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(100):
            rig.bus.emit(SlotUpdate({"id": 44, "status": "busy", "seq": n}))
            rig.bus.emit(SlotUpdate({"id": 45, "status": "free", "seq": n}))
            await asyncio.sleep(0.002)
        seen: dict[int, list[int]] = {44: [], 45: []}
        while seen[44][-1:] != [99] or seen[45][-1:] != [99]:
            frame = (await ws_frames(ws, "slot.update"))[0]
            seen[frame["data"]["id"]].append(frame["data"]["seq"])
        elapsed = loop.time() - started
    # at most 10 a second per slot, however long a loaded machine took to emit the 100 (≥ 0.2 s)
    cap = 2 + int(elapsed * 10)
    for seqs in seen.values():
        assert len(seqs) <= cap and seqs[0] == 0 and seqs[-1] == 99, (seqs, elapsed)
        assert len(seqs) < 100  # coalesced, not one frame per update


async def test_a_socketio_client_that_never_reads_is_dropped_while_others_get_everything(live: LiveFactory) -> None:
    rig = await live(demo=True, buffer=32)
    loop = asyncio.get_running_loop()
    stuck = _stuck_socket(rig.server.port)
    await loop.sock_connect(stuck, ("127.0.0.1", rig.server.port))
    await loop.sock_sendall(stuck, (  # engine.io v4 over WebSocket, then the Socket.IO CONNECT packet "40"
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + b"\x81\x82\x00\x00\x00\x0040"))  # one masked text frame (zero mask), payload "40"
    got: list[str] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("call.update", lambda data: got.append(data["call_id"]))
    try:
        await sio.connect(rig.base, transports=["websocket"])
        await until(lambda: len(rig.hub.clients) == 2, "both joined")
        padding = "x" * 16_384
        total = 400
        for n in range(total):
            rig.bus.emit(CallUpdate({**a_call(n), "note": padding}))
            if n >= len(got) + 8:
                await until(lambda n=n: n < len(got) + 8, "the reading client caught up")
        await until(lambda: len(got) == total, "every event at the reading client")
        await until(lambda: rig.hub.dropped == 1, "stuck client dropped")
        assert len(rig.hub.clients) == 1
    finally:
        await sio.disconnect()
        stuck.close()
    assert got == [f"c_{n}" for n in range(total)]


async def test_a_call_published_on_the_bus_reaches_clients_as_the_rest_feed_shows_it(live: LiveFactory) -> None:
    """The daemon publishes the same view its CallFeed serves: what a client is pushed is what REST returns."""
    rig = await live(demo=True)
    view = a_call(4242, answered=True)
    rig.deps.calls.calls.insert(0, view)  # the fake feed now knows the call, as the daemon's would
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{rig.base}/ws/events") as ws:
        await ws_frames(ws, "connected")
        rig.bus.emit(CallUpdate(view))
        pushed = (await ws_frames(ws, "call.update"))[0]["data"]
        async with http.get(f"{rig.base}/api/calls/feed", params={"limit": "1"}) as resp:
            assert resp.status == 200, await resp.text()
            listed = await resp.json()
    rows = listed  # a bare JSON array (the WORKSPACE API)
    assert rows and rows[0]["call_id"] == "c_4242"
    assert {k: pushed[k] for k in ("call_id", "slot", "status", "state", "phone_number")} == \
        {k: rows[0][k] for k in ("call_id", "slot", "status", "state", "phone_number")}


async def test_cors_exempt_names_exactly_the_realtime_routes(live: LiveFactory) -> None:
    from vssd.api.realtime import cors_exempt

    rig = await live(demo=True)
    exempt = {r.resource.canonical for r in rig.server.app.router.routes() if r.resource and cors_exempt(r)}
    assert exempt == {"/ws/events", "/socket.io/"}
