"""Throughput of the store's BatchWriter vs bare asyncpg COPY of the same rows, same server, same run.

    .venv/bin/python bench/writer.py [--rows 200000] [--batch-rows 500] [--dsn postgresql://postgres@127.0.0.1:5432/test]

Creates a scratch database next to the one in --dsn (127.0.0.1 only), migrates it, then times
  1. bare:   asyncpg `copy_records_to_table` of pre-built tuples, in batches of --batch-rows, one transaction each;
  1b. the same as one single COPY (an upper bound no live system gets);
  2. writer: `BatchWriter.submit_transition` for every row (validation included) by producers that yield to
             the loop every 100 rows, until `flush()` returns — everything committed.
Goal: the writer sustains >= 50,000 rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from vssd.adapters.store import Store
from vssd.adapters.store_rows import TRANSITIONS
from vssd.adapters.store_writer import MAX_TRANSACTION_ROWS
from vssd.config.models import WriterConfig

GOAL_ROWS_PER_S = 50_000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Transition:
    slot_id: int
    from_state: str
    to_state: str
    event: str
    cause: str
    at: datetime


def make_rows(count: int) -> list[Transition]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    states = ["READY", "CALLING", "ACTIVE_CALL", "POSTCALL"]
    return [
        Transition(n % 64, states[n % 4], states[(n + 1) % 4], "ami", f"bench {n}", start + timedelta(milliseconds=n))
        for n in range(count)
    ]


async def bare_copy(dsn: str, rows: list[Transition], batch_rows: int) -> float:
    records = [(r.slot_id, r.from_state, r.to_state, r.event, r.cause, r.at) for r in rows]
    conn = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        for i in range(0, len(records), batch_rows):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "slot_transitions", records=records[i : i + batch_rows], columns=TRANSITIONS.column_names
                )
        return time.perf_counter() - began
    finally:
        await conn.close()


async def bare_single_copy(dsn: str, rows: list[Transition]) -> float:
    """Upper bound: every row in one COPY, one transaction."""
    return await bare_copy(dsn, rows, len(rows))


async def batch_writer(dsn: str, rows: list[Transition], batch_rows: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as spill:
        cfg = WriterConfig(batch_rows=batch_rows, flush_interval_ms=50, buffer_rows=max(50_000, 4 * batch_rows))
        store = await Store.connect(dsn, spill_dir=Path(spill), writer=cfg)
        try:
            began = time.perf_counter()
            for i in range(0, len(rows), 100):
                for row in rows[i : i + 100]:
                    store.writer.submit_transition(row)
                await asyncio.sleep(0)
            await store.writer.flush()
            elapsed = time.perf_counter() - began
            stats = store.writer.stats
            detail = f"{stats.batches} transactions, {stats.copy_calls} COPY commands, spilled {stats.spilled_rows}"
            return elapsed, detail
        finally:
            await store.close()


async def count_and_truncate(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        n = await conn.fetchval("SELECT count(*) FROM slot_transitions")
        await conn.execute("TRUNCATE slot_transitions")
        return int(n)
    finally:
        await conn.close()


def scratch_dsn(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-rows", type=int, default=500)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    if urlsplit(args.dsn).hostname not in LOOPBACK:
        parser.error("this benchmark only talks to a PostgreSQL on 127.0.0.1")
    name = f"vssd_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = scratch_dsn(args.dsn, name)
    try:
        store = await Store.connect(dsn, spill_dir=Path(tempfile.gettempdir()))
        await store.migrate()
        await store.close()
        rows = make_rows(args.rows)
        await bare_copy(dsn, rows[:1000], args.batch_rows)  # warm-up (catalog caches, WAL segment)
        await count_and_truncate(dsn)
        bare_s = await bare_copy(dsn, rows, args.batch_rows)
        assert await count_and_truncate(dsn) == args.rows
        single_s = await bare_single_copy(dsn, rows)
        assert await count_and_truncate(dsn) == args.rows
        writer_s, detail = await batch_writer(dsn, rows, args.batch_rows)
        assert await count_and_truncate(dsn) == args.rows
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
    bare_rate, writer_rate = args.rows / bare_s, args.rows / writer_s
    print(f"rows: {args.rows}, batch_rows: {args.batch_rows}, server: {urlsplit(args.dsn).netloc}")
    print(f"bare asyncpg copy_records_to_table: {bare_rate:,.0f} rows/s ({bare_s:.2f} s; "
          f"{-(-args.rows // args.batch_rows)} COPYs of {args.batch_rows} rows)")
    print(f"bare asyncpg, one COPY of all rows:  {args.rows / single_s:,.0f} rows/s ({single_s:.2f} s; upper bound)")
    print(f"BatchWriter (submit → committed):   {writer_rate:,.0f} rows/s ({writer_s:.2f} s; {detail})")
    print(f"ratio writer/bare: {writer_rate / bare_rate:.2f} (the writer's batches grow with its backlog, "
          f"up to {MAX_TRANSACTION_ROWS:,} rows per transaction)")
    print(f"goal >= {GOAL_ROWS_PER_S:,} rows/s: {'met' if writer_rate >= GOAL_ROWS_PER_S else 'NOT met'}")
    print(f"reproduce: .venv/bin/python bench/writer.py --rows {args.rows} --batch-rows {args.batch_rows}")
    return 0 if writer_rate >= GOAL_ROWS_PER_S else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
