"""What an audited request pays for its audit row: the trail through `AuditQueue` (what the API wires) vs an
awaited INSERT per entry (`StoreAuditLog.record`, the old way), same server, same run.

    .venv/bin/python bench/audit.py [--entries 20000] [--dsn postgresql://postgres@127.0.0.1:5432/test]

Creates a scratch database next to the one in --dsn (127.0.0.1 only) and migrates it, then 50 concurrent
"requests" each record their entries: (1) direct — each awaits its INSERT; (2) queued — each appends to the queue,
the writer drains it in batches, timed until `flush()` returns (everything committed). Prints the caller's p99
latency per record and the rows/s until committed for both, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vssd.adapters.store import Store  # noqa: E402
from vssd.adapters.store_audit import StoreAuditLog  # noqa: E402
from vssd.api.audit_queue import AuditQueue  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WORKERS = 50


def entry(i: int) -> dict[str, object]:
    return {"at": None, "user_id": str(uuid.uuid4()), "username": f"op{i % 1000}", "role": "operator",
            "action": "GET /api/users", "resource": None, "object_type": "users", "object_id": None,
            "outcome": "denied", "ip": "127.0.0.1", "details": {"status": 403, "code": "PERMISSION_DENIED"}}


async def run(record: Callable[[dict[str, object]], Awaitable[None]], n: int) -> list[float]:
    waits: list[float] = []

    async def worker(w: int) -> None:
        for i in range(w, n, WORKERS):
            t0 = time.perf_counter()
            await record(entry(i))
            waits.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker(w) for w in range(WORKERS)))
    return waits


def p99_us(waits: list[float]) -> float:
    return statistics.quantiles(waits, n=100)[98] * 1e6


async def bench(dsn: str, n: int) -> None:
    store = await Store.connect(dsn, spill_dir=tempfile.mkdtemp(), pool_max_size=10)
    try:
        await store.migrate()
        sink = StoreAuditLog(store)
        t0 = time.perf_counter()
        direct = await run(sink.record, n)
        direct_s = time.perf_counter() - t0
        queue = AuditQueue(sink, max_pending=n + 1)
        await queue.start()
        t0 = time.perf_counter()
        queued = await run(queue.record, n)
        await queue.flush()
        queued_s = time.perf_counter() - t0
        await queue.stop()
        rows = await store.pool.fetchval("SELECT count(*) FROM security_audit_log")
        assert rows == 2 * n, rows
    finally:
        await store.close()
    print(f"direct INSERT : caller p99 {p99_us(direct):9.1f} µs   {n / direct_s:9.0f} rows/s committed")
    print(f"AuditQueue    : caller p99 {p99_us(queued):9.1f} µs   {n / queued_s:9.0f} rows/s committed")
    print(f"ratio         : caller p99 {p99_us(direct) / p99_us(queued):.0f}x lower, "
          f"throughput {direct_s / queued_s:.1f}x higher (queued vs direct, same run)")
    print(f"reproduce     : .venv/bin/python bench/audit.py --entries {n}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    url = urlsplit(args.dsn)
    if url.hostname not in LOOPBACK:
        raise SystemExit("loopback databases only")
    name = f"vssd_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await bench(urlunsplit(url._replace(path=f"/{name}")), args.entries)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
