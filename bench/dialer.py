"""The autodialer (issue 5): lead → Originate latency and sustained attempts/s, with same-run baselines.

    .venv/bin/python bench/dialer.py [--samples 200] [--warmup 20] [--leads 6000] [--slots 1000] [--operators 100]
        [--ratio 10] [--ring-mean-s 2.0] [--url amqp://guest:guest@127.0.0.1:5672/] [--db-pool N]
        [--skip-latency] [--skip-throughput] [--profile FILE] [--loop uvloop|asyncio]

Everything is the real daemon (`vssd.app.Daemon`) in this process, over a scratch PostgreSQL database
(`vssd_bench_<hex>` on 127.0.0.1:5432, dropped at the end), the PBX simulator (`vssd.sim.pbx`) on loopback, and
RabbitMQ (--url, a unique `bd<hex>.` queue prefix, its topology deleted at the end) or the in-process broker.
Campaigns, leads and operators go through the daemon's HTTP API as a client would send them.

1. Latency, one lead at a time (READY slots and a free operator waiting): a campaign is running (progressive,
   policy none, no retries); each sample imports one lead (`POST /api/autodialer/campaigns/:id/leads`), which the
   daemon stores and publishes. Timestamps, all `time.monotonic()` of this process:
     published  — just before the daemon's `bus.publish_leads` (instance wrapper);
     delivered  — entry of the dialer's lead handler (`Dialer._on_lead`, a bench subclass);
     reserved   — `store.reserve` returned (the PostgreSQL commit of lead → dialing + attempt row);
     on wire    — the simulator's ledger `received_at` for that ActionID (stamped when the simulator has read and
                  parsed the Originate off its socket), converted from simulated to monotonic time exactly
                  (the simulator's clock is `epoch + monotonic × time_scale`; the mapping is sampled at start).
   Reported: p50/p99 of delivered → on wire (the goal's figure) and published → on wire, plus the split.
   Run once over the in-process broker and once over RabbitMQ (4 AUTO slots, 1 operator, simulated busy calls
   of ~1 s at time scale 50 so the slots free up quickly between samples). The first --warmup samples are dropped.
2. Throughput over RabbitMQ: --slots AUTO slots enrolled (1,000 simulator endpoints), --operators operators on
   pre-connected lines, a campaign in mode "ratio" (--ratio calls per free operator, policy none, no retries,
   max_concurrent_calls = --slots) with --leads leads. The simulator runs in a child process (a PBX is not on the
   daemon's loop) in real time (time scale 1) and answers no call: busy or rejected after a lognormal ring of mean
   --ring-mean-s (≈ 1–3 s), so the bench is about the dialer, not about talk time, and operators stay free.
   The leads are published first, operators parked `busy` (nothing dialled; the hopper fills to the prefetch, the
   rest waits in the queue); then every operator goes `online` and the dialing is timed. Attempts/s = Originates in
   the simulator's ledger per second of their arrival: overall (first → last) and steady (the middle 80 %).
   Baseline: bare aio-pika consume+ack (prefetch 2,000, the dialer's ceiling) and publish+confirm (batches of
   1,000) of the same number of messages on the same broker (`bench/amqp.py`'s `bare`). Printed: ours, bare,
   ours/bare, the goal, this process's CPU per attempt, the dialer's counters; every 5 s on stderr the dial rounds
   (duration, dispatches), queue depth and prefetch, live / hopper / outcomes waiting to be stored.
Goals: p99 ≤ 10 ms (lead available → Originate on the wire, reservation commit included); ≥ 300 attempts/s.
--profile FILE writes a cProfile of the throughput phase (pstats format) and prints its top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import multiprocessing as mp
import pstats
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import vssd.services.dialing  # noqa: E402
from bench.amqp import bare as bare_consume  # noqa: E402
from bench.amqp import batches, settings_for  # noqa: E402
from tests.pg import scratch_database  # noqa: E402
from vssd.actors.dialer import Dialer  # noqa: E402
from vssd.adapters.amqp import AmqpSettings, delete_topology  # noqa: E402
from vssd.app import Daemon, SlotPlan  # noqa: E402
from vssd.config.loader import load_config  # noqa: E402
from vssd.config.models import RuntimeConfig  # noqa: E402
from vssd.fsm import SlotState  # noqa: E402
from vssd.log import configure_logging  # noqa: E402
from vssd.loop import run as run_on_loop  # noqa: E402
from vssd.sim.adb import AdbSimulator  # noqa: E402
from vssd.sim.pbx import Endpoint, PbxConfig, PbxSimulator  # noqa: E402

SECRET = "bench-dialer-secret"
GOAL_P99_MS = 10.0
GOAL_ATTEMPTS_PER_S = 300.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FAIL_FAST = {"busy": 1, "rejected": 1, "answered": 0, "no_answer": 0, "congestion": 0, "unavailable": 0}


# ---- instrumentation (bench only) -----------------------------------------------------------------------------
@dataclass
class Stamps:
    """monotonic() per lead id (published, delivered, dispatched, reserved) and attempt id → lead id."""

    published: dict[int, float] = field(default_factory=dict)
    delivered: dict[int, float] = field(default_factory=dict)
    dispatched: dict[int, float] = field(default_factory=dict)
    reserved: dict[int, float] = field(default_factory=dict)
    lead_of: dict[str, int] = field(default_factory=dict)
    rounds: list[tuple[float, int]] = field(default_factory=list)  # (seconds, dispatches) of each dial round


STAMPS = Stamps()


class TimedDialer(Dialer):
    """The daemon's dialer with timestamps at delivery and at the reservation commit; nothing else changes."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.store = self.reservations.store = _TimedStore(self.store)

    async def _on_lead(self, delivery: Any) -> None:
        with contextlib.suppress(Exception):
            STAMPS.delivered[int(orjson.loads(delivery.body)["lead_id"])] = time.monotonic()
        await super()._on_lead(delivery)

    async def _dial_round(self) -> None:
        before = len(self.dispatches)  # the round only starts dispatches (tasks), it does not wait for them
        began = time.monotonic()
        await super()._dial_round()
        if (n := len(self.dispatches) - before) > 0:
            STAMPS.rounds.append((time.monotonic() - began, n))

    async def _dispatch_one(self, run: Any, delivery: Any, msg: dict[str, Any], slot_id: str) -> None:
        STAMPS.dispatched[int(msg["lead_id"])] = time.monotonic()
        await super()._dispatch_one(run, delivery, msg, slot_id)


class _TimedStore:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def reserve_many(self, asks: Any) -> Any:
        out = await self._inner.reserve_many(asks)
        now = time.monotonic()
        for ask in asks:
            STAMPS.reserved[ask.lead_id] = now
            STAMPS.lead_of[ask.attempt_id] = ask.lead_id
        return out


def time_publishes(bus: Any) -> None:
    publish = bus.publish_leads

    async def timed(messages: list[tuple[str, bytes]], *args: Any, **kw: Any) -> Any:
        now = time.monotonic()
        for mid, _ in messages:
            STAMPS.published[int(mid)] = now
        return await publish(messages, *args, **kw)

    bus.publish_leads = timed


def sim_to_monotonic(pbx: PbxSimulator) -> Callable[[float], float]:
    """Simulated time → this process's monotonic(), from the tightest of a few back-to-back samples."""
    best: tuple[float, float, float] | None = None
    for _ in range(20):
        m1 = time.monotonic()
        sim = pbx.clock.now()
        m2 = time.monotonic()
        if best is None or m2 - m1 < best[0]:
            best = (m2 - m1, (m1 + m2) / 2, sim)
    assert best is not None
    _, mono, sim_ref = best
    scale = pbx.clock.time_scale
    return lambda sim_t: mono + (sim_t - sim_ref) / scale


# ---- the rig: scratch database, simulators, daemon, API client -------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RigSpec:
    slots: int
    agents: int
    time_scale: float
    ring_mean_s: float
    amqp_url: str | None
    pbx_process: bool = False
    db_pool: int | None = None  # VSSD_DATABASE__POOL_MAX_SIZE (None: the daemon's default)
    weights: dict[str, float] = field(default_factory=lambda: dict(FAIL_FAST))
    talk_mean_s: float = 2.0
    abandon_message_s: float = 8.0  # the simulated recorded message of an abandoned call
    wrapup_s: float = 0.2  # the slots' POSTCALL and the operators' wrap-up


@dataclass
class Rig:
    daemon: Daemon
    pbx: Any  # LocalPbx | ProcessPbx
    http: aiohttp.ClientSession
    base: str
    headers: dict[str, str]
    dsn: str
    endpoints: list[str]
    agents: list[str]

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        async with self.http.request(method, self.base + path, headers=self.headers, **kw) as resp:
            body = await resp.json(content_type=None)
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {body}")
            return body


def daemon_env(dsn: str, ami_port: int, adb: AdbSimulator, state: Path, spec: RigSpec,
               prefix: str) -> dict[str, str]:
    env = {
        "VSSD_DATABASE_URL": dsn, "VSSD_AMI__PORT": str(ami_port), "VSSD_ADB__PORT": str(adb.port),
        "VSSD_STATE_DIR": str(state), "VSSD_HTTP__LISTEN": f'[{{"host": "127.0.0.1", "port": {free_port()}}}]',
        "VSSD_RATE_LIMITS__ENABLED": "false", "VSSD_SLOTS__WRAPUP_S": str(spec.wrapup_s),
        "VSSD_DATABASE__WRITER__FLUSH_INTERVAL_MS": "20", "VSSD_AMQP__QUEUE_PREFIX": prefix,
    }
    if spec.amqp_url:
        env["VSSD_AMQP_URL"] = spec.amqp_url
    if spec.db_pool:
        env["VSSD_DATABASE__POOL_MAX_SIZE"] = str(spec.db_pool)
    return env


def pbx_config(spec: RigSpec, endpoints: list[str], agents: list[str]) -> PbxConfig:
    return PbxConfig(secret=SECRET, seed=5, time_scale=spec.time_scale, ring_mean_s=spec.ring_mean_s,
                     talk_mean_s=spec.talk_mean_s, abandon_message_s=spec.abandon_message_s,
                     endpoints=[Endpoint(e) for e in endpoints], agent_endpoints=[Endpoint(a) for a in agents],
                     outcome_weights=spec.weights)


class LocalPbx:
    """The simulator on this process's loop: Originates read straight from its ledger."""

    def __init__(self, sim: PbxSimulator) -> None:
        self.sim = sim
        self.port = sim.port

    async def originates(self) -> list[tuple[str, float]]:
        """(ActionID, monotonic() when the simulator read the Originate) in arrival order."""
        to_mono = sim_to_monotonic(self.sim)
        return [(o.action_id, to_mono(o.received_at)) for o in self.sim.ledger.originates]


class ProcessPbx:
    """The simulator in a child process (its own loop and core, as a PBX would be): its ledger's Originates
    come back over a pipe, converted to monotonic() there (CLOCK_MONOTONIC is the same for both processes)."""

    def __init__(self, config: PbxConfig) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_pbx_child, args=(child, config), daemon=True)
        self.port = 0

    async def start(self) -> None:
        self.proc.start()
        self.port = int(await asyncio.to_thread(self.conn.recv))

    async def originates(self) -> list[tuple[str, float]]:
        self.conn.send("ledger")
        return list(await asyncio.to_thread(self.conn.recv))

    async def stop(self) -> None:
        self.conn.send("stop")
        await asyncio.to_thread(self.proc.join, 10.0)


def _pbx_child(conn: Any, config: PbxConfig) -> None:
    async def serve() -> None:
        sim = PbxSimulator(config)
        await sim.start(port=0)
        conn.send(sim.port)
        local = LocalPbx(sim)
        while (cmd := await asyncio.to_thread(conn.recv)) != "stop":
            if cmd == "ledger":
                conn.send(await local.originates())
        await sim.stop()

    asyncio.run(serve())


@contextlib.asynccontextmanager
async def rig(spec: RigSpec) -> AsyncIterator[Rig]:
    endpoints = [f"{60000 + i}" for i in range(spec.slots)]
    agents = [f"{1000 + i}" for i in range(spec.agents)]
    prefix = f"bd{uuid.uuid4().hex[:10]}."
    async with contextlib.AsyncExitStack() as stack:
        pbx: LocalPbx | ProcessPbx
        if spec.pbx_process:
            pbx = ProcessPbx(pbx_config(spec, endpoints, agents))
            await pbx.start()
            stack.push_async_callback(pbx.stop)
        else:
            sim = PbxSimulator(pbx_config(spec, endpoints, agents))
            await sim.start(port=0)
            stack.push_async_callback(sim.stop)
            pbx = LocalPbx(sim)
        adb = AdbSimulator(phones=0, seed=3, time_scale=spec.time_scale)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(scratch_database("vssd_bench"))
        if spec.amqp_url:
            url = spec.amqp_url
            stack.push_async_callback(lambda: delete_topology(AmqpSettings(url=url, prefix=prefix)))
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vssd-bench-")))
        config = load_config(None, daemon_env(dsn, pbx.port, adb, state, spec, prefix))
        daemon = Daemon(config, slot_plan=[SlotPlan(e, "AUTO", enroll_trunk="t") for e in endpoints],
                        ami_secret=SECRET, stage_timeout_s=300.0)
        stack.push_async_callback(daemon.stop)
        await daemon.start()
        time_publishes(daemon.bus)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        listen = daemon.config.http.listen[0]
        base = f"http://{listen.host}:{listen.port}"
        async with http.post(base + "/api/auth/login", json={"username": "admin", "password": "admin123"}) as r:
            token = (await r.json())["token"]
        yield Rig(daemon, pbx, http, base, {"Authorization": f"Bearer {token}"}, dsn, endpoints, agents)


async def until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.005) -> None:
    async def loop() -> None:
        while not predicate():  # noqa: ASYNC110 (state owned by other tasks; nothing to wait on)
            await asyncio.sleep(step_s)

    await asyncio.wait_for(loop(), timeout_s)


async def add_operators(r: Rig) -> list[str]:
    """One operator user per agent endpoint (inserted directly: no password hashing), logged in one after the
    other (their lines pre-connected), then parked `busy` so that nothing is dialled yet; their ids."""
    conn = await asyncpg.connect(r.dsn)
    try:
        ids = [await conn.fetchval("INSERT INTO users (username, name, password_hash, role, is_active, extension) "
                                   "VALUES ($1, $1, 'x', 'operator', true, $2) RETURNING id::text", f"op{a}", a)
               for a in r.agents]
    finally:
        await conn.close()
    for user_id in ids:  # one at a time: concurrent first logins race on the operators row (409)
        await r.call("PUT", f"/api/operators/{user_id}/status", json={"status": "online"})
    await until(lambda: r.daemon.operators.free_count() == len(ids), 60.0, 0.05)
    await set_operators(r, ids, "busy")
    return ids


async def set_operators(r: Rig, ids: list[str], status: str) -> None:
    """PUT every operator's status, 16 requests at a time."""
    gate = asyncio.Semaphore(16)

    async def put(user_id: str) -> None:
        async with gate:
            await r.call("PUT", f"/api/operators/{user_id}/status", json={"status": status})

    await asyncio.gather(*(put(user_id) for user_id in ids))


async def slots_ready(r: Rig, timeout_s: float) -> None:
    cores = r.daemon.farm.cores
    await until(lambda: all(c.state is SlotState.READY for c in cores.values()), timeout_s, 0.05)


async def start_campaign(r: Rig, leads: list[dict[str, str]], settings: dict[str, Any], *,
                         keep_open: bool = False) -> str:
    """Create and run a campaign. `keep_open`: one extra lead parked as a retry due tomorrow, so the campaign
    is not `completed` while the bench feeds it one lead at a time."""
    parked = [{"phone": "+79990000001", "name": "parked"}] if keep_open else []
    body = await r.call("POST", "/api/autodialer/campaigns", json={"name": "bench", "leads": parked + leads,
                                                                   "settings": settings})
    if keep_open:
        conn = await asyncpg.connect(r.dsn)
        try:
            await conn.execute("UPDATE autodialer_leads SET status = 'retry', next_attempt_at = now() + interval "
                               "'1 day' WHERE campaign_id = $1 AND name = 'parked'", body["id"])
        finally:
            await conn.close()
    await r.call("POST", "/api/autodialer/run-campaign", json={"campaign_id": body["id"]})
    return str(body["id"])


# ---- 1. latency ----------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def idle(r: Rig) -> bool:
    d = r.daemon
    return (not d.dialer.live and d.operators.free_count() > 0
            and all(c.state is SlotState.READY and c.call is None for c in d.farm.cores.values()))


async def latency(url: str | None, samples: int, warmup: int) -> dict[str, list[float]]:
    spec = RigSpec(slots=4, agents=1, time_scale=50.0, ring_mean_s=1.0, amqp_url=url)
    async with rig(spec) as r:
        await slots_ready(r, 60.0)
        await set_operators(r, await add_operators(r), "online")
        ledger = r.pbx.sim.ledger
        to_mono = sim_to_monotonic(r.pbx.sim)
        campaign = await start_campaign(r, [], {"policy": "none", "mode": "progressive", "retry_count": 0,
                                                "ring_timeout_s": 15}, keep_open=True)
        out: dict[str, list[float]] = {"delivered→wire": [], "published→wire": [], "delivered→dispatched": [],
                                       "dispatched→reserved": [], "reserved→wire": []}
        for n in range(warmup + samples):
            await until(lambda: idle(r), 30.0)
            await asyncio.sleep(0.01)
            seen = len(ledger.originates)
            await r.call("POST", f"/api/autodialer/campaigns/{campaign}/leads",
                         json={"leads": [{"phone": f"+7999{5000000 + n:07d}", "name": f"L{n}"}]})
            await until(lambda s=seen: len(ledger.originates) > s, 30.0)
            rec = ledger.originates[-1]
            lead = STAMPS.lead_of[rec.action_id]
            wire = to_mono(rec.received_at)
            if n >= warmup:
                out["delivered→wire"].append(wire - STAMPS.delivered[lead])
                out["published→wire"].append(wire - STAMPS.published[lead])
                out["delivered→dispatched"].append(STAMPS.dispatched[lead] - STAMPS.delivered[lead])
                out["dispatched→reserved"].append(STAMPS.reserved[lead] - STAMPS.dispatched[lead])
                out["reserved→wire"].append(wire - STAMPS.reserved[lead])
        return out


def print_latency(broker: str, res: dict[str, list[float]]) -> float:
    for what, values in res.items():
        ms = [v * 1000 for v in values]
        print(f"  {broker:10} {what:20} p50 {pct(ms, 0.5):7.2f} ms   p99 {pct(ms, 0.99):7.2f} ms   "
              f"mean {statistics.fmean(ms):7.2f} ms   max {max(ms):7.2f} ms   (n={len(ms)})")
    return pct([v * 1000 for v in res["delivered→wire"]], 0.99)


# ---- 2. throughput -------------------------------------------------------------------------------------------
@dataclass
class Throughput:
    attempts: int
    overall: float
    steady: float
    seconds: float
    ours_by_dialer: int
    publish_s: float
    counters: dict[str, Any]
    cpu_s: float  # this process's CPU time over the dialing phase


async def throughput(args: argparse.Namespace, profiler: cProfile.Profile | None) -> Throughput:
    """Leads are published first (operators logged in but `busy`: the pacer dials nothing, the hopper holds a
    prefetch's worth, the rest waits in the queue), then every operator goes `online` and the dialing is timed."""
    spec = RigSpec(slots=args.slots, agents=args.operators, time_scale=1.0, ring_mean_s=args.ring_mean_s,
                   amqp_url=args.url, pbx_process=True, db_pool=args.db_pool)
    async with rig(spec) as r:
        await slots_ready(r, 300.0)
        operators = await add_operators(r)
        leads = [{"phone": f"+7999{1000000 + n:07d}", "name": f"L{n}"} for n in range(args.leads)]
        began = time.monotonic()
        campaign = await start_campaign(r, leads, {"policy": "none", "mode": "ratio", "ratio": args.ratio,
                                                   "retry_count": 0, "ring_timeout_s": 15,
                                                   "max_concurrent_calls": args.slots})
        await all_queued(r, campaign, 60.0 + args.leads / 20)
        publish_s = time.monotonic() - began
        began, cpu = time.monotonic(), time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            await set_operators(r, operators, "online")
            await wait_dialled(r, args.leads, 60.0 + args.leads / 20)
        finally:
            if profiler is not None:
                profiler.disable()
        cpu = time.process_time() - cpu
        await asyncio.sleep(1.0)  # the last Originates reach the simulator
        times = sorted(t for _, t in await r.pbx.originates())
        n = len(times)
        lo, hi = n // 10, n - 1 - n // 10
        return Throughput(n, (n - 1) / (times[-1] - times[0]), (hi - lo) / (times[hi] - times[lo]),
                          time.monotonic() - began, r.daemon.dialer.counters.attempts, publish_s,
                          dict(vars(r.daemon.dialer.counters)), cpu)


async def all_queued(r: Rig, campaign: str, timeout_s: float) -> None:
    """Until no lead of the campaign is `pending` (every one published and confirmed by the broker)."""
    conn = await asyncpg.connect(r.dsn)
    try:
        async def loop() -> None:
            while await conn.fetchval(  # noqa: ASYNC110 (the store is polled: nothing to wait on)
                    "SELECT count(*) FROM autodialer_leads WHERE campaign_id = $1 AND status = 'pending'", campaign):
                await asyncio.sleep(0.2)

        await asyncio.wait_for(loop(), timeout_s)
    finally:
        await conn.close()


async def wait_dialled(r: Rig, count: int, timeout_s: float) -> None:
    """Until the dialer placed `count` attempts; a progress line every 5 s (stderr)."""
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    counters = r.daemon.dialer.counters
    last_cpu = (time.process_time(), time.monotonic())
    STAMPS.rounds.clear()
    while counters.attempts < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{counters.attempts} of {count} attempts in {timeout_s:.0f} s")
        await asyncio.sleep(0.1)
        if time.monotonic() - last >= 5.0:
            last = time.monotonic()
            stats = r.daemon.dialer.stats()
            cpu, cpu_at = time.process_time(), time.monotonic()
            rounds, STAMPS.rounds[:] = list(STAMPS.rounds), []
            if rounds:
                print(f"    {len(rounds)} dial rounds, mean {statistics.fmean(d for d, _ in rounds) * 1000:.0f} ms, "
                      f"mean {statistics.fmean(n for _, n in rounds):.1f} dispatches each; this process's CPU "
                      f"{(cpu - last_cpu[0]) / (cpu_at - last_cpu[1]) * 100:.0f} %", file=sys.stderr)
            last_cpu = (cpu, cpu_at)
            bus = r.daemon.bus
            sub = getattr(bus, "_leads", None)
            if hasattr(bus, "depth"):
                depth = await bus.depth(bus.names.leads)
                print(f"    queue depth {depth}, prefetch limit {sub.limit}, credit {sub.credit}, "
                      f"unsettled {sum(sub.unsettled.values())}", file=sys.stderr)
            print(f"    … {counters.attempts} attempts, live {stats['live']}, hopper {stats['hopper']}, "
                  f"to store {len(r.daemon.dialer.finished)}, "
                  f"ready slots {len(r.daemon.dialer.slots.ready_slots(None))}", file=sys.stderr)


async def baseline(url: str, count: int) -> tuple[float, float]:
    """Bare aio-pika on the same broker, `count` messages: publish+confirm (batches of 1,000, as the dialer
    publishes) and consume+ack (prefetch 2,000, the dialer's ceiling); messages/s of each."""
    publish_s, consume_s = await bare_consume(settings_for(url, count), batches(count, 1000), 2000)
    return count / publish_s, count / consume_s


def print_profile(profiler: cProfile.Profile, path: str) -> None:
    profiler.dump_stats(path)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(f"profile (throughput phase, by own time) written to {path}:")
    print("\n".join(out.getvalue().splitlines()[:45]))


# ---- main ----------------------------------------------------------------------------------------------------
async def main(args: argparse.Namespace) -> int:
    vssd.services.dialing.Dialer = TimedDialer  # type: ignore[misc]  # the daemon builds this subclass (timestamps only)
    print(f"event loop: {type(asyncio.get_running_loop()).__module__} (the daemon's runtime.event_loop default: "
          f"{RuntimeConfig().event_loop}; --loop picks)")
    ok = True
    if not args.skip_latency:
        print(f"1. lead → Originate on the wire, one lead at a time ({args.samples} samples after {args.warmup} "
              f"warm-up; goal p99 <= {GOAL_P99_MS:.0f} ms for delivered→wire)")
        for broker, url in (("in-process", None), ("RabbitMQ", args.url)):
            p99 = print_latency(broker, await latency(url, args.samples, args.warmup))
            ok = ok and p99 <= GOAL_P99_MS
    if not args.skip_throughput:
        profiler = cProfile.Profile() if args.profile else None
        t = await throughput(args, profiler)
        bare_pub, bare_con = await baseline(args.url, t.attempts)
        print(f"2. sustained attempts/s over RabbitMQ: {args.slots} slots, {args.operators} operators, ratio "
              f"{args.ratio}, {args.leads} leads, busy/rejected after ~{args.ring_mean_s:.1f} s ring (time scale 1)")
        print(f"  dialing: ours steady {t.steady:7.1f} attempts/s (middle 80 %), overall {t.overall:7.1f}/s "
              f"({t.attempts} Originates, dialer counted {t.ours_by_dialer}; {t.seconds:.1f} s)")
        print(f"           bare aio-pika consume+ack, same broker, {t.attempts} messages: {bare_con:9.0f} msg/s   "
              f"ours/bare {t.steady / bare_con:.3f}   goal >= {GOAL_ATTEMPTS_PER_S:.0f}/s: "
              f"{'met' if t.steady >= GOAL_ATTEMPTS_PER_S else 'NOT met'}")
        print(f"  daemon process CPU while dialing: {t.cpu_s:.1f} s over {t.seconds:.1f} s "
              f"({t.cpu_s / t.seconds * 100:.0f} % of a core), {t.cpu_s / t.ours_by_dialer * 1000:.2f} ms per attempt "
              f"(300/s needs <= {1000 / GOAL_ATTEMPTS_PER_S:.1f} ms on a core of its own)")
        print(f"  dialer counters: {t.counters}")
        ours_pub = args.leads / t.publish_s
        print(f"  publishing the leads (run-campaign → none pending, before dialing): ours {ours_pub:7.0f} leads/s "
              f"({t.publish_s:.1f} s); bare aio-pika publish+confirm {bare_pub:7.0f} msg/s; ours/bare "
              f"{ours_pub / bare_pub:.3f}")
        ok = ok and t.steady >= GOAL_ATTEMPTS_PER_S
        if profiler is not None:
            print_profile(profiler, args.profile)
    print(f"command: .venv/bin/python bench/dialer.py --samples {args.samples} --warmup {args.warmup} --leads "
          f"{args.leads} --slots {args.slots} --operators {args.operators} --ratio {args.ratio} --ring-mean-s "
          f"{args.ring_mean_s} --loop {args.loop}")
    return 0 if ok else 1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--leads", type=int, default=6_000)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--operators", type=int, default=100)
    parser.add_argument("--ratio", type=float, default=10.0)
    parser.add_argument("--ring-mean-s", type=float, default=2.0)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--db-pool", type=int, default=None, help="the daemon's PostgreSQL pool size (throughput "
                        "phase; default: the daemon's own default)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default=RuntimeConfig().event_loop,
                        help="the event loop the daemon (and the bare baseline) run on (default: the daemon's default)")
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("bench/dialer.py only talks to a broker on 127.0.0.1")
    return args


if __name__ == "__main__":
    configure_logging("warning")
    arguments = parse(sys.argv[1:])
    sys.exit(run_on_loop(main(arguments), arguments.loop))
