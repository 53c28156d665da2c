"""Webhook fan-out: deliveries per second through the notifier, vs a bare aiohttp client posting the same bodies.

    .venv/bin/python bench/webhooks.py [--events 1000] [--hooks 10] [--fail 0.1] [--concurrency 128] [--batch 1024]
                                       [--dsn postgresql://postgres@127.0.0.1:5432/test]

Creates a scratch database next to --dsn (127.0.0.1 only) and a local aiohttp receiver (its own process, as a real
one is) that answers 503 to a --fail share of the requests (seeded), 200 to the rest; both sides on uvloop.
--hooks subscriptions to `system.alert`; --events alerts are emitted on the dispatcher at once, so
events × hooks deliveries are made:
  1. vssd: the notifier's engine (`NotifierEngine.run`, the daemon's loop): each delivery persisted (COPY),
     signed (HMAC-SHA256), posted through `adapters/webhooks.py`, its result written (one UPDATE per round),
     the 503s retried after the backoff (base 10 ms here, so the run is about throughput, not waiting);
  2. baseline: a bare aiohttp session posting the same bodies with the same concurrency, retrying a 503 at
     once — no database, no signature, no backoff.
The figure is sent deliveries per second from the first emit to the last success (vssd: every delivery's
result written). Goal (issue 12): ≥ 1,000 deliveries/s with retries on 10 % failures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson
import uvloop
from aiohttp import ClientSession, TCPConnector, web

from vssd.adapters.store import Store
from vssd.adapters.store_notifier import StoreNotifier
from vssd.adapters.webhooks import WebhookClient
from vssd.api.server import is_loopback
from vssd.events import EventDispatcher, SystemAlert
from vssd.notifier import NotifierEngine, Settings


def serve(port: int, fail: float, seed: int = 12) -> None:
    """The receiver, in a process of its own (as a real one would be): 503 to a `fail` share, else 200."""
    rng = random.Random(seed)

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=503) if rng.random() < fail else web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def run_vssd(args: argparse.Namespace, dsn: str, url: str) -> tuple[float, int, list[bytes]]:
    with tempfile.TemporaryDirectory() as spill:
        store = await Store.connect(dsn, spill_dir=Path(spill), pool_max_size=8)
        await store.migrate()
        rows, events = StoreNotifier(store), EventDispatcher()
        poster = WebhookClient(timeout_s=10.0, concurrency=args.concurrency)
        settings = Settings(max_attempts=20, retry_base_s=0.01, retry_cap_s=0.2, concurrency=args.concurrency,
                            batch=args.batch, queue_size=args.events + 1)
        engine = NotifierEngine(rows, rows, rows, poster, None, events, settings)
        for n in range(args.hooks):
            await rows.create_webhook({"url": url, "events": ["system.alert"], "secret": f"bench-secret-{n:08d}"},
                                      "bench")
        events.listen(engine.on_event)
        loop = asyncio.create_task(engine.run())
        await asyncio.sleep(0.2)  # the loop has loaded its subscriptions
        total, started = args.events * args.hooks, time.perf_counter()
        for n in range(args.events):
            events.emit(SystemAlert(type="bench", severity="info", message=f"alert {n}", timestamp=time.time()))
        while engine.sent < total:  # noqa: ASYNC110 (the engine's counter: no event to wait on)
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        retried = await store.pool.fetchval("SELECT count(*) FROM notifier_deliveries WHERE attempts > 1")
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        bodies = [r["body"].encode() for r in await store.pool.fetch("SELECT body FROM notifier_deliveries")]
        await poster.close()
        await store.close()
    return elapsed, retried, bodies


async def run_bare(args: argparse.Namespace, url: str, bodies: list[bytes]) -> tuple[float, int]:
    retried = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(http: ClientSession) -> None:
        nonlocal retried
        while not queue.empty():
            body = queue.get_nowait()
            key = orjson.loads(body)["id"]
            while True:
                async with http.post(url, data=body, headers={"Idempotency-Key": key}) as resp:
                    await resp.read()
                    if resp.status == 200:
                        break
                    retried += 1

    started = time.perf_counter()
    async with ClientSession(connector=TCPConnector(limit=args.concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(args.concurrency)))
    return time.perf_counter() - started, retried


async def main(args: argparse.Namespace) -> int:
    parts = urlsplit(args.dsn)
    if not is_loopback(parts.hostname or ""):
        print("refusing a database that is not on 127.0.0.1", file=sys.stderr)
        return 2
    name = f"vssd_bench_wh_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    receiver = multiprocessing.Process(target=serve, args=(port, args.fail), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        await wait_up(port)
        dsn = urlunsplit(parts._replace(path=f"/{name}"))
        total = args.events * args.hooks
        vssd_s, vssd_retried, bodies = await run_vssd(args, dsn, url)
        bare_s, bare_retried = await run_bare(args, url, bodies)
        vssd_rate, bare_rate = total / vssd_s, total / bare_s
        print(f"vssd notifier: {total} deliveries in {vssd_s:.2f} s = {vssd_rate:,.0f}/s "
              f"({vssd_retried} deliveries needed a retry)")
        print(f"bare aiohttp:  {total} deliveries in {bare_s:.2f} s = {bare_rate:,.0f}/s ({bare_retried} retries)")
        print(f"ratio vssd/bare = {vssd_rate / bare_rate:.2f}; goal ≥ 1,000 deliveries/s: "
              f"{'met' if vssd_rate >= 1000 else 'NOT met'}")
        print(f"reproduce: .venv/bin/python bench/webhooks.py --events {args.events} --hooks {args.hooks} "
              f"--fail {args.fail} --concurrency {args.concurrency} --batch {args.batch}")
    finally:
        receiver.terminate()
        receiver.join(5)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--hooks", type=int, default=10)
    parser.add_argument("--fail", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    uvloop.install()
    sys.exit(asyncio.run(main(parser.parse_args())))
