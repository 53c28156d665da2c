"""How late the dialer fires scheduled retries, vs a fixed-interval hopper refill, same database, same run.

    .venv/bin/python bench/retries.py [--leads 2000] [--spread-s 10] [--dsn postgresql://postgres@127.0.0.1:5432/test]

Creates a scratch database next to --dsn (127.0.0.1 only), migrates it, stores a running campaign with --leads
leads in `retry` whose `next_attempt_at` is spread over the next --spread-s seconds, then measures for every lead
the lateness = (moment its message reaches the broker) - (its due time):
  1. vssd: the dialer's retry loop (`Dialer._retry_loop`: claim_due with FOR UPDATE SKIP LOCKED, sleep until the
     next due time, at most 0.25 s) publishing to the in-process broker;
  2. baseline: the same claim and publish on a fixed 1 s cadence (VICIdial refills its hopper every minute; a
     1 s poll is the generous version).
Goal (issue 5): retries fire within 1 s of due. Prints p50/p99/max lateness and the ratio of p99s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from vssd.actors.dialer import Dialer
from vssd.adapters.broker_local import LocalBus
from vssd.adapters.store import Store
from vssd.adapters.store_dialer_records import DialerRecords
from vssd.api.server import is_loopback
from vssd.fsm import LoopClock


async def prepare(dsn: str, leads: int, spread_s: float) -> tuple[str, float]:
    conn = await asyncpg.connect(dsn)
    try:
        cid = await conn.fetchval("INSERT INTO campaigns (name, status) VALUES ('bench', 'running') RETURNING id")
        start = time.time() + 1.0
        rows = [(cid, f"+7990{i:07d}", "retry", start + spread_s * i / leads) for i in range(leads)]
        await conn.executemany("INSERT INTO autodialer_leads (campaign_id, phone, status, next_attempt_at) "
                               "VALUES ($1, $2, $3, to_timestamp($4))", rows)
        return cid, start + spread_s
    finally:
        await conn.close()


async def lateness(dsn: str, leads: int, spread_s: float, run: Any) -> list[float]:
    """Run `run(records, bus)` until every lead was published; each lead's publish time minus its due time."""
    with tempfile.TemporaryDirectory() as spill:
        store = await Store.connect(dsn, spill_dir=Path(spill), pool_max_size=4)
        bus = LocalBus()
        await bus.start()
        try:
            _, end = await prepare(dsn, leads, spread_s)
            due = {int(r["id"]): float(r["due"]) for r in await store.pool.fetch(
                "SELECT id, extract(epoch FROM next_attempt_at)::float8 AS due FROM autodialer_leads "
                "WHERE status = 'retry'")}
            seen: dict[int, float] = {}

            async def consume(delivery: Any) -> None:
                seen[orjson.loads(delivery.body)["lead_id"]] = time.time()
                await delivery.ack()

            await bus.consume_leads(consume, prefetch=10_000)
            task = asyncio.create_task(run(DialerRecords(store), bus))
            try:
                while len(seen) < len(due) and time.time() < end + 10:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            return [seen[i] - due[i] for i in due if i in seen]
        finally:
            await bus.close()
            await store.close()


async def vssd_loop(records: DialerRecords, bus: LocalBus) -> None:
    pool = SimpleNamespace(on_free=None, free_count=lambda: 0)
    events = SimpleNamespace(publish=lambda *a: None)
    dialer = Dialer(bus, records, records, None, None, None, pool, LoopClock(), events, call_ids=lambda: "",
                    policy_for=lambda s: None)
    await dialer._retry_loop()


async def fixed_poll(records: DialerRecords, bus: LocalBus) -> None:
    while True:
        due = await records.claim_due(time.time(), 500)
        if due:
            rows = await records.lead_rows([lead_id for lead_id, _ in due])
            await bus.publish_leads([(str(r["id"]), orjson.dumps({"lead_id": r["id"]})) for r in rows])
            continue
        await asyncio.sleep(1.0)


def figures(name: str, late: list[float], expected: int) -> float:
    late = sorted(late)
    p99 = late[int(0.99 * (len(late) - 1))]
    print(f"{name:9s} fired {len(late)}/{expected}  lateness p50 {statistics.median(late) * 1000:7.1f} ms  "
          f"p99 {p99 * 1000:7.1f} ms  max {late[-1] * 1000:7.1f} ms  early {sum(x < -0.01 for x in late)}")
    return p99


async def scratch(dsn: str) -> tuple[str, Any]:
    parts = urlsplit(dsn)
    if not is_loopback(parts.hostname or ""):
        raise SystemExit("bench/retries.py talks to loopback databases only")
    name = f"vssd_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    target = urlunsplit(parts._replace(path=f"/{name}"))
    with tempfile.TemporaryDirectory() as spill:
        store = await Store.connect(target, spill_dir=Path(spill))
        await store.migrate()
        await store.close()

    async def drop() -> None:
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return target, drop


async def main(args: argparse.Namespace) -> int:
    results = {}
    for name, loop in (("vssd", vssd_loop), ("baseline", fixed_poll)):
        target, drop = await scratch(args.dsn)
        try:
            results[name] = figures(name, await lateness(target, args.leads, args.spread_s, loop), args.leads)
        finally:
            await drop()
    print(f"p99 lateness vssd/baseline = {results['vssd'] / results['baseline']:.3f} "
          f"(goal: vssd p99 <= 1000 ms: {'met' if results['vssd'] <= 1.0 else 'NOT met'})")
    print(f"reproduce: .venv/bin/python bench/retries.py --leads {args.leads} --spread-s {args.spread_s}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--spread-s", type=float, default=10.0)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    sys.exit(asyncio.run(main(parser.parse_args())))
