"""Event → WebSocket client latency: vssd's `/ws/events` (bus → hub → per-client buffers) vs a bare aiohttp
WebSocket broadcast, same clients, same rate, same run.

    .venv/bin/python bench/realtime.py [--clients 50] [--rate 1000] [--seconds 5]

The server (ours: `make_app` with the in-process `EventDispatcher`, demo mode, anonymous clients; baseline: one bare
aiohttp handler, the publisher JSON-encodes each event once and awaits `send_str` on every socket in turn) runs in
this process; the clients run in a child process (one loop, aiohttp's WebSocket client), so their reading does
not share the server's loop. Each `call.update` carries `time.monotonic()` of its publish (CLOCK_MONOTONIC is
system-wide on Linux); latency = receive time − publish time, over every event at every client.
Goal: p99 ≤ 50 ms at 1,000 events/s to 50 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.events import CallUpdate, EventDispatcher
from vssd.log import configure_logging
from vssd.metrics import make_registry

GOAL_P99_MS = 50.0
LIVE_CALLS = 300
SECRET = "bench-realtime-secret-0123456789abcdef0123"


class _Nothing:
    """Stand-ins for the ports the real-time path never calls."""

    def slot_views(self) -> list[dict[str, Any]]:
        return []

    def slot_view(self, slot_id: str) -> None:
        return None

    async def recent_calls(self, limit: int, offset: int, filters: Mapping[str, str]) -> tuple[list, int]:
        return [], 0

    async def find_user(self, login: str) -> None:
        return None

    def checks(self) -> dict[str, bool]:
        return {}


def _never(password_hash: str, password: str) -> bool:
    return False


# ---- clients (child process) -------------------------------------------------------------------------------------
async def _client(url: str, expect: int, lat: list[float], ready: asyncio.Event, joined: list[int]) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:
        joined[0] += 1
        if joined[0] >= joined[1]:
            ready.set()
        got = 0
        async for msg in ws:
            now = time.monotonic()
            frame = orjson.loads(msg.data)
            if frame.get("type") != "call.update":
                continue
            lat.append(now - frame["data"]["t"])
            got += 1
            if got >= expect:
                return


async def _clients_main(url: str, clients: int, expect: int, conn: Any) -> None:
    lat: list[float] = []
    ready = asyncio.Event()
    joined = [0, clients]
    tasks = [asyncio.ensure_future(_client(url, expect, lat, ready, joined)) for _ in range(clients)]
    await ready.wait()
    conn.send("ready")
    done, pending = await asyncio.wait(tasks, timeout=expect / 100 + 30)
    for task in pending:
        task.cancel()
    conn.send((lat, len(pending)))


def _clients_proc(url: str, clients: int, expect: int, conn: Any) -> None:
    asyncio.run(_clients_main(url, clients, expect, conn))


# ---- servers -----------------------------------------------------------------------------------------------------
def _ours() -> tuple[web.Application, Any]:
    bus = EventDispatcher()
    nothing = _Nothing()
    deps = ApiDeps(slots=nothing, calls=nothing, users=nothing, readiness=nothing, verify_password=_never,
                   jwt_secret=SECRET, metrics=make_registry(), demo=True, events=bus)
    return make_app(deps), lambda view: bus.emit(CallUpdate(view))


def _bare() -> tuple[web.Application, Any]:
    sockets: set[web.WebSocketResponse] = set()
    outbox: asyncio.Queue[bytes] = asyncio.Queue(100_000)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            sockets.discard(ws)
        return ws

    async def broadcaster() -> None:
        while True:
            data = await outbox.get()
            for ws in list(sockets):
                await ws.send_bytes(data)

    async def start(app: web.Application) -> None:
        app["task"] = asyncio.get_running_loop().create_task(broadcaster())

    async def stop(app: web.Application) -> None:
        app["task"].cancel()

    app = web.Application()
    app.router.add_get("/ws/events", handler)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)

    def publish(view: dict[str, Any]) -> None:
        outbox.put_nowait(orjson.dumps({"type": "call.update", "event": "call.update", "data": view}))

    return app, publish


async def _run(kind: str, clients: int, rate: int, seconds: float) -> tuple[list[float], int]:
    app, publish = _ours() if kind == "vssd" else _bare()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    expect = int(rate * seconds)
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_clients_proc,
                                           args=(f"http://127.0.0.1:{port}/ws/events", clients, expect, child))
    proc.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, parent.recv)
    await asyncio.sleep(0.5)
    tick, per_tick, n = 0.01, max(1, rate // 100), 0
    start = loop.time()
    while n < expect:
        for _ in range(min(per_tick, expect - n)):
            call_id = f"c_{n % LIVE_CALLS}"  # updates of a few hundred live calls, as the AMI pump sends them
            publish({"call_id": call_id, "state": "CALLING", "status": "ringing", "slot": 44, "t": time.monotonic()})
            n += 1
        await asyncio.sleep(max(0.0, start + (n // per_tick) * tick - loop.time()))
    lat, stuck = await loop.run_in_executor(None, parent.recv)
    proc.join(10)
    await runner.cleanup()
    return lat, stuck


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    configure_logging("warning")
    print(f"event → WebSocket latency, {args.clients} clients, {args.rate} events/s for {args.seconds:g} s")
    results = {}
    for kind in ("bare", "vssd"):
        lat, stuck = asyncio.run(_run(kind, args.clients, args.rate, args.seconds))
        results[kind] = (_pct(lat, 0.5), _pct(lat, 0.99))
        want = int(args.rate * args.seconds) * args.clients
        mean = statistics.fmean(lat) * 1000 if lat else float("nan")
        print(f"  {kind:5s} p50 {results[kind][0]:7.2f} ms  p99 {results[kind][1]:7.2f} ms  mean {mean:7.2f} ms  "
              f"received {len(lat)}/{want}  clients unfinished {stuck}")
    ours_p99, bare_p99 = results["vssd"][1], results["bare"][1]
    print(f"  p99 ratio vssd/bare {ours_p99 / bare_p99:.2f}; goal p99 ≤ {GOAL_P99_MS:g} ms: "
          f"{'met' if ours_p99 <= GOAL_P99_MS else 'NOT met'}")
    print(f"  reproduce: .venv/bin/python bench/realtime.py --clients {args.clients} --rate {args.rate} "
          f"--seconds {args.seconds:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
