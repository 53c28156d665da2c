"""The API at scale (issue 4 acceptance): `GET /api/slots` with 1,000 slots under a call load vs a bare aiohttp
handler, logins per second, and event → WebSocket latency (bench/realtime.py, imported).

    .venv/bin/python bench/api.py [--slots 1000] [--requests 3000] [--connections 32] [--call-rate 100]
                                  [--logins 60] [--ws-clients 50] [--ws-rate 1000] [--ws-seconds 5]
                                  [--slots-only] [--profile PATH]

1. `GET /api/slots`: each server runs in its own (spawned) process, the load generator (aiohttp ClientSession,
   `--connections` concurrent requests, `--requests` in all after a warm-up) in this one; 127.0.0.1 only.
   Both server processes build the same farm: bench/slots.py's `Farm` (Supervisor + SlotFarm + actors, the
   in-process fake dialer), `--slots` SIP-only slots enrolled to READY, and run the same background call load
   on their loop: `--call-rate` calls/s dialled on READY slots through `farm.dial`, answered and hung up on the
   next ticks through `farm.on_call` (the AMI pump's path), wrap-up timers fired by a ManualClock running 10×
   real time (a slot is busy about one real second per call).
   ours = `make_app` (every middleware, JWT auth, RBAC, audit) over `SlotControl` (the daemon's SlotDirectory,
   with an in-memory `SlotRows`), an admin token; the views come from the farm's per-slot cache (rebuilt for the
   slots that changed) and the serialised body is kept per views version (vssd/api/slots/routes.py).
   bare = one aiohttp handler returning a snapshot of the same 1,000 views (taken after start) serialised
   with the same JSON library and options (`vssd.api.respond.dumps`, orjson), no auth.
2. logins/s: `POST /api/auth/login` against ours (real argon2id verify on the app's password pool, an
   in-memory user directory, rate limits off), 8 concurrent. Absolute: there is no baseline.
3. event → WebSocket latency: bench/realtime.py's `_run` for "bare" and "vssd" (50 clients, 1,000 events/s).
Goals: slots ratio ≥ 0.8 and ours p99 ≤ 50 ms at 32 connections; WebSocket p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import realtime  # noqa: E402
from bench.slots import Farm, answer, hang_up  # noqa: E402
from vssd.actors.control import SlotControl  # noqa: E402
from vssd.adapters.store_users import hash_password, verify_password  # noqa: E402
from vssd.api import tokens  # noqa: E402
from vssd.api.app import make_app  # noqa: E402
from vssd.api.deps import ApiDeps  # noqa: E402
from vssd.api.rbac import BUILTIN_ROLES  # noqa: E402
from vssd.api.respond import dumps  # noqa: E402
from vssd.config.models import RuntimeConfig  # noqa: E402
from vssd.fsm import SlotState  # noqa: E402
from vssd.log import configure_logging  # noqa: E402
from vssd.loop import run as run_on_loop  # noqa: E402
from vssd.metrics import make_registry  # noqa: E402
from vssd.tasks import TaskSet  # noqa: E402
from vssd.users import UserRecord  # noqa: E402

SECRET = "bench-api-secret-0123456789abcdef0123456789"
ADMIN_PASSWORD = "bench-admin-pw"
LOOP = RuntimeConfig().event_loop  # the servers (ours and the bare baseline alike) run on the daemon's default loop
RATIO_GOAL = 0.8
P99_GOAL_MS = 50.0
TICK_S = 0.02
MAX_BURST = 200  # calls dialled by one late tick at most
CLOCK_SPEED = 10.0  # ManualClock seconds per real second: the 10 s wrap-up lasts one real second
WARMUP = 200
LOGIN_CONCURRENCY = 8


# ---- in-memory ports -----------------------------------------------------------------------------------------
class MemoryRows:
    """`vssd.actors.control.SlotRows` in memory: one trunk; the GET path reads only the trunk names."""

    def __init__(self) -> None:
        self.trunks = {1: {"id": 1, "name": "bench-trunk", "type": "AUTO"}}
        self.slots: dict[int, dict[str, Any]] = {}

    async def insert_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        row = {"id": max(self.slots, default=0) + 1, **fields}
        self.slots[row["id"]] = row
        return row

    async def patch_slot(self, slot_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        self.slots.setdefault(slot_id, {"id": slot_id}).update(fields)
        return self.slots[slot_id]

    async def get_slot_row(self, slot_id: int) -> dict[str, Any] | None:
        return self.slots.get(slot_id)

    async def delete_slot(self, slot_id: int) -> bool:
        return self.slots.pop(slot_id, None) is not None

    async def used_sip_numbers(self) -> set[str]:
        return {str(r.get("internal_sip_number")) for r in self.slots.values()}

    async def get_trunk(self, trunk_id: int) -> dict[str, Any] | None:
        return self.trunks.get(trunk_id)

    async def list_trunks(self) -> list[dict[str, Any]]:
        return list(self.trunks.values())

    async def create_trunk(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        trunk = {"id": max(self.trunks) + 1, **fields}
        self.trunks[trunk["id"]] = trunk
        return trunk

    async def update_trunk(self, trunk_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        self.trunks[trunk_id].update(fields)
        return self.trunks[trunk_id]

    async def delete_trunk(self, trunk_id: int) -> None:
        self.trunks.pop(trunk_id, None)


class MemoryUsers:
    """UserDirectory with one admin (argon2id hash made once at start)."""

    def __init__(self) -> None:
        self.admin = UserRecord(id="1", username="admin", email="admin@bench.local", role="admin",
                                password_hash=hash_password(ADMIN_PASSWORD), permissions=BUILTIN_ROLES["admin"])

    async def find_user(self, login: str) -> UserRecord | None:
        return self.admin if login.casefold() in ("admin", "admin@bench.local") else None


class NoCalls:
    async def recent_calls(self, limit: int, offset: int, filters: Mapping[str, str]) -> tuple[list, int]:
        return [], 0


class Ready:
    def checks(self) -> dict[str, bool]:
        return {"store": True, "pbx": True, "devices": True}


# ---- the background call load --------------------------------------------------------------------------------
class CallLoad:
    """Per tick: hang up what was answered last tick, answer what was dialled last tick, dial the calls owed
    to `rate` since the start on READY slots (round robin; a late tick catches up, at most MAX_BURST at once),
    advance the ManualClock (fires wrap-up timers). The rate holds however busy the loop is."""

    def __init__(self, bench: Farm, rate: int) -> None:
        self.bench = bench
        self.rate = rate
        self.dialled: list[Any] = []
        self.answered: list[Any] = []
        self.placed = self.completed = 0
        self.started = self.elapsed = 0.0
        self._next = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.started = last = loop.time()
        while True:
            await asyncio.sleep(TICK_S)
            self._advance_calls()
            now = loop.time()
            await self._dial(min(MAX_BURST, int(self.rate * (now - self.started)) - self.placed))
            self.bench.clock.advance((now - last) * CLOCK_SPEED)
            last, self.elapsed = now, now - self.started

    def _advance_calls(self) -> None:
        farm, now = self.bench.farm, self.bench.clock.now()
        for call in self.answered:
            hang_up(call, now)
            farm.on_call(call, "hangup")
        self.completed += len(self.answered)
        for call in self.dialled:
            answer(call, now)
            farm.on_call(call, "answer")
        self.answered, self.dialled = self.dialled, []

    async def _dial(self, owed: int) -> None:
        cores = list(self.bench.farm.cores.values())
        picked = []
        for _ in range(len(cores) if owed > 0 else 0):
            core = cores[self._next % len(cores)]
            self._next += 1
            if core.state is SlotState.READY and core.call is None:
                picked.append(core)
                if len(picked) == owed:
                    break
        self.placed += len(picked)
        results = await asyncio.gather(*(self.bench.farm.dial(f"+7900{i:07d}", core.spec.slot_id)
                                         for i, core in enumerate(picked, self._next)), return_exceptions=True)
        self.dialled = [self.bench.dialer.calls[c.spec.endpoint] for c, r in zip(picked, results, strict=True)
                        if not isinstance(r, BaseException)]


# ---- servers (child processes) -------------------------------------------------------------------------------
async def _ours(bench: Farm) -> tuple[web.Application, str, Callable[[], list[dict[str, Any]]]]:
    control = SlotControl(bench.farm, MemoryRows())
    await control.load()
    users = MemoryUsers()
    deps = ApiDeps(slots=control, calls=NoCalls(), users=users, readiness=Ready(), verify_password=verify_password,
                   jwt_secret=SECRET, metrics=make_registry(), auth_per_minute=None, slot_admin=control,
                   trunks=control)
    return make_app(deps), tokens.access_token(deps, users.admin), control.slot_views


async def _bare(bench: Farm) -> tuple[web.Application, str, Callable[[], list[dict[str, Any]]]]:
    snapshot = SlotControl(bench.farm, MemoryRows()).slot_views()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=dumps(snapshot), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/slots", handler)
    return app, "", lambda: snapshot


def _breakdown(views: Callable[[], list[dict[str, Any]]], rounds: int = 50) -> dict[str, float]:
    """Milliseconds per request spent getting the list and serialising it (measured in the server process)."""
    began = time.perf_counter()
    for _ in range(rounds):
        got = views()
    mid = time.perf_counter()
    for _ in range(rounds):
        dumps(got)
    return {"views_ms": (mid - began) * 1000 / rounds, "dumps_ms": (time.perf_counter() - mid) * 1000 / rounds}


async def _serve(kind: str, slots: int, call_rate: int, conn: Any) -> None:
    configure_logging("warning")
    bench = Farm()
    await bench.start(slots)
    app, token, views = await (_ours(bench) if kind == "ours" else _bare(bench))
    load, tasks = CallLoad(bench, call_rate), TaskSet(f"bench-{kind}")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    tasks.spawn(load.run(), "call-load")
    conn.send((runner.addresses[0][1], token))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # "stop"
    states, breakdown = bench.farm.states(), _breakdown(views)
    await tasks.cancel_all()
    await runner.cleanup()
    await bench.stop()
    conn.send({"calls_completed": load.completed, "calls_per_s": load.completed / max(load.elapsed, 1e-9),
               "states": {f"{s}": n for (s, _), n in states.items()},
               **breakdown})


def _server_proc(kind: str, slots: int, call_rate: int, conn: Any, profile: str | None = None) -> None:
    if profile is None:
        run_on_loop(_serve(kind, slots, call_rate, conn), LOOP)
        return
    profiler = cProfile.Profile()
    profiler.runcall(run_on_loop, _serve(kind, slots, call_rate, conn), LOOP)
    profiler.dump_stats(profile)


# ---- load generator (this process) ---------------------------------------------------------------------------
class Server:
    """A server child process: `start` waits for its port, `stop` collects what its call load did."""

    def __init__(self, kind: str, slots: int, call_rate: int, profile: str | None = None) -> None:
        self.conn, child = mp.Pipe()
        self.proc = mp.get_context("spawn").Process(target=_server_proc,
                                                    args=(kind, slots, call_rate, child, profile))
        self.port, self.token = 0, ""

    def start(self) -> None:
        self.proc.start()
        self.port, self.token = self.conn.recv()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> dict[str, Any]:
        self.conn.send("stop")
        facts = self.conn.recv()
        self.proc.join(10)
        return facts


async def _hammer(http: aiohttp.ClientSession, url: str, requests: int, connections: int,
                  expect: int) -> tuple[list[float], float]:
    """`requests` GETs over `connections` concurrent workers; per-request latency and the wall time."""
    lat: list[float] = []
    left = [requests]

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            began = time.perf_counter()
            async with http.get(url) as resp:
                body = await resp.read()
                if resp.status != 200 or body.count(b'"fsm_state"') != expect:
                    raise RuntimeError(f"GET {url}: {resp.status}, {len(body)} bytes")
            lat.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return lat, time.perf_counter() - began


async def slots_figure(server: Server, args: argparse.Namespace) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {server.token}"} if server.token else {}
    connector = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        url = server.url("/api/slots")
        await _hammer(http, url, WARMUP, args.connections, args.slots)
        lat, wall = await _hammer(http, url, args.requests, args.connections, args.slots)
    return {"rps": len(lat) / wall, "p50": realtime._pct(lat, 0.5), "p99": realtime._pct(lat, 0.99)}  # noqa: SLF001


async def logins_figure(server: Server, logins: int) -> tuple[float, int]:
    body = {"username": "admin", "password": ADMIN_PASSWORD}
    left, ok = [logins], [0]

    async def worker(http: aiohttp.ClientSession) -> None:
        while left[0] > 0:
            left[0] -= 1
            async with http.post(server.url("/api/auth/login"), json=body) as resp:
                ok[0] += resp.status == 200 and bool((await resp.json()).get("token"))

    async with aiohttp.ClientSession() as http:
        began = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(LOGIN_CONCURRENCY)))
        return ok[0] / (time.perf_counter() - began), ok[0]


def argon2_alone(verifies: int, threads: int) -> float:
    """Context for the login figure: argon2id verifies/s on `threads` threads, nothing else (no HTTP)."""
    password_hash = hash_password(ADMIN_PASSWORD)
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        if not all(pool.map(verify_password, [password_hash] * verifies, [ADMIN_PASSWORD] * verifies)):
            raise RuntimeError("argon2id verify failed")
    return verifies / (time.perf_counter() - began)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run_slots(args: argparse.Namespace) -> tuple[dict[str, dict[str, float]], float]:
    figures: dict[str, dict[str, float]] = {}
    login_rate = 0.0
    for kind in ("bare", "ours"):
        profile = f"{args.profile}.{kind}" if args.profile else None
        server = Server(kind, args.slots, args.call_rate, profile)
        server.start()
        try:
            figures[kind] = asyncio.run(slots_figure(server, args))
            if kind == "ours" and not args.slots_only:
                login_rate, done = asyncio.run(logins_figure(server, args.logins))
                figures["logins"] = {"rate": login_rate, "ok": done}
        finally:
            facts = server.stop()
        f = figures[kind]
        print(f"  {kind:4s} {f['rps']:8,.0f} req/s  p50 {f['p50']:6.1f} ms  p99 {f['p99']:6.1f} ms   "
              f"(call load meanwhile: {facts['calls_completed']:,} calls completed, {facts['calls_per_s']:.0f}/s; "
              f"slots at the end "
              f"{facts['states']})")
        print(f"       per request in the server: the list {facts['views_ms']:.2f} ms, "
              f"orjson {facts['dumps_ms']:.2f} ms")
    ratio = figures["ours"]["rps"] / figures["bare"]["rps"]
    return figures, ratio


def websocket_figure(args: argparse.Namespace) -> float:
    """bench/realtime.py's own run, bare then vssd; returns vssd's p99 (ms)."""
    p99: dict[str, float] = {}
    for kind in ("bare", "vssd"):
        lat, stuck = run_on_loop(realtime._run(kind, args.ws_clients, args.ws_rate, args.ws_seconds), LOOP)  # noqa: SLF001
        p50, p99[kind] = realtime._pct(lat, 0.5), realtime._pct(lat, 0.99)  # noqa: SLF001
        want = int(args.ws_rate * args.ws_seconds) * args.ws_clients
        print(f"  {kind:4s} p50 {p50:6.2f} ms  p99 {p99[kind]:6.2f} ms  received {len(lat):,}/{want:,}  "
              f"clients unfinished {stuck}")
    print(f"  p99 ratio vssd/bare {p99['vssd'] / p99['bare']:.2f}; goal vssd p99 <= {realtime.GOAL_P99_MS:g} ms: "
          f"{verdict(p99['vssd'] <= realtime.GOAL_P99_MS)}")
    return p99["vssd"]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=3000, help="GET /api/slots per server, after a warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--call-rate", type=int, default=100, help="background calls per second")
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--ws-clients", type=int, default=50)
    parser.add_argument("--ws-rate", type=int, default=1000, help="events per second")
    parser.add_argument("--ws-seconds", type=float, default=5.0)
    parser.add_argument("--slots-only", action="store_true", help="only part 1 (GET /api/slots)")
    parser.add_argument("--profile", metavar="PATH", help="cProfile each server process into PATH.bare, PATH.ours "
                        "(read with python -m pstats)")
    return parser.parse_args()


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in psutil.getloadavg())


def other_figures(args: argparse.Namespace, figures: dict[str, dict[str, float]]) -> bool:
    """Parts 2 and 3; True when the WebSocket goal is met."""
    logins = figures["logins"]
    print(f"\n2. POST /api/auth/login (argon2id verify, {LOGIN_CONCURRENCY} concurrent, rate limits off): "
          f"{logins['rate']:.1f} logins/s ({logins['ok']:.0f} logins; absolute, no baseline)")
    threads = ApiDeps.__dataclass_fields__["password_threads"].default
    print(f"  for context, argon2id verify alone on {threads} threads (no HTTP, no server): "
          f"{argon2_alone(args.logins, threads):.1f} verifies/s")
    print(f"\n3. event -> WebSocket latency (bench/realtime.py), {args.ws_clients} clients, {args.ws_rate} events/s "
          f"for {args.ws_seconds:g} s")
    return websocket_figure(args) <= realtime.GOAL_P99_MS


def main() -> int:
    args = parse()
    configure_logging("warning")
    print(f"python {sys.version.split()[0]}, {psutil.cpu_count()} CPUs, load average {load_avg()}; servers on {LOOP}")
    print(f"\n1. GET /api/slots, {args.slots:,} slots, {args.connections} connections, {args.requests:,} requests "
          f"(+{WARMUP} warm-up), background load {args.call_rate} calls/s; servers in child processes")
    figures, ratio = run_slots(args)
    ours = figures["ours"]
    slots_ok = ratio >= RATIO_GOAL and ours["p99"] <= P99_GOAL_MS
    print(f"  ratio ours/bare {ratio:.2f} (goal >= {RATIO_GOAL:g}: {verdict(ratio >= RATIO_GOAL)}); ours p99 "
          f"{ours['p99']:.1f} ms (goal <= {P99_GOAL_MS:g} ms: {verdict(ours['p99'] <= P99_GOAL_MS)})")
    ws_ok = args.slots_only or other_figures(args, figures)
    print(f"\nload average at the end {load_avg()} (other work on the machine skews every figure; compare ratios)")
    print("reproduce: .venv/bin/python bench/api.py " + " ".join(sys.argv[1:]))
    return 0 if slots_ok and ws_ok else 1


if __name__ == "__main__":
    sys.exit(main())
