"""DCI log ingest: lines/s into `dci_logs`, against bare asyncpg COPY and executemany of the same rows, same run.

    .venv/bin/python bench/dci_logs.py [--lines 100000] [--batch-rows 5000] [--rounds 3] [--dsn postgresql://…/test]

Creates a scratch database next to the one in --dsn (127.0.0.1 only), migrates it, then times
  1. bare COPY:        asyncpg `copy_records_to_table` of pre-built rows, --batch-rows per COPY;
  1b. bare executemany: asyncpg `executemany` INSERT of the same rows, --batch-rows per call;
  2. sink:             `LogSink.submit(log_row(...))` per line (the row built, context to JSON) by producers that
                       yield every 100 lines — the daemon's own warnings take this path — until every line is
                       committed;
  3. pipeline:         a real run of the runner: a child process (`python -c`) prints --lines lines, each one read
                       from its pipe (a read's worth at a time), kept in the run's tail, sent in `pipeline.update`
                       events (a read's lines each) and into the sink line by line,
                       from the run's start until the run is final and every line is committed.
Each mode runs --rounds times, interleaved, and reports its best round (other work on the machine hits every
mode alike). Goal: >= 20,000 lines/s (the issue's DCI log ingest), for the sink and for a pipeline's output.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from vssd.adapters.store import Store
from vssd.adapters.store_dci import LOG_COLUMNS, StoreDci
from vssd.config.models import DciConfig
from vssd.dci.logsink import LogSink, log_row
from vssd.dci.pipelines import Pipeline, Step
from vssd.dci.runner import FINAL, PipelineRunner, RunnerSettings
from vssd.events import EventDispatcher
from vssd.tasks import TaskSet

GOAL_LINES_PER_S = 20_000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PRINTER = ("import sys\nw = sys.stdout.write\n"
           "for i in range(int(sys.argv[1])): w('step output line %d of the run\\n' % i)")


def rows(count: int) -> list[tuple[object, ...]]:
    return [log_row("DCI", "info", f"step output line {n} of the run", {"step": "bench", "seq": n},
                    pipeline="bench", run_id=1) for n in range(count)]


async def bare_copy(dsn: str, records: list[tuple[object, ...]], batch_rows: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        for i in range(0, len(records), batch_rows):
            await conn.copy_records_to_table("dci_logs", columns=LOG_COLUMNS, records=records[i:i + batch_rows])
        return time.perf_counter() - began
    finally:
        await conn.close()


async def bare_executemany(dsn: str, records: list[tuple[object, ...]], batch_rows: int) -> float:
    sql = f"INSERT INTO dci_logs ({', '.join(LOG_COLUMNS)}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)"
    conn = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        for i in range(0, len(records), batch_rows):
            await conn.executemany(sql, records[i:i + batch_rows])
        return time.perf_counter() - began
    finally:
        await conn.close()


async def through_sink(store: Store, count: int, batch_rows: int) -> tuple[float, str]:
    tasks = TaskSet("bench")
    sink = LogSink(StoreDci(store), tasks, max_rows=max(count, 20_000), batch_rows=batch_rows,
                   flush_interval_s=0.05)
    sink.start()
    try:
        began = time.perf_counter()
        for i in range(0, count, 100):
            for n in range(i, min(i + 100, count)):
                sink.submit(log_row("DCI", "info", f"step output line {n} of the run", {"step": "bench", "seq": n},
                                    pipeline="bench", run_id=1))
            await asyncio.sleep(0)
        await sink.flush()
        elapsed = time.perf_counter() - began
        return elapsed, f"dropped {sink.dropped}, failed batches {sink.failed_batches}"
    finally:
        await sink.close()
        await tasks.cancel_all()


async def through_pipeline(store: Store, count: int, batch_rows: int) -> tuple[float, str]:
    tasks, events, runs = TaskSet("bench"), EventDispatcher(), StoreDci(store)
    sink = LogSink(runs, tasks, max_rows=max(count, 20_000), batch_rows=batch_rows, flush_interval_s=0.05)
    sink.start()
    pipeline = Pipeline(1, "bench", "prints lines", (Step("print", (sys.executable, "-c", PRINTER, str(count)),
                                                          timeout_s=600),))
    runner = PipelineRunner([pipeline], runs, sink, events, tasks, RunnerSettings(workdir=tempfile.gettempdir()))
    stream = events.subscribe(["pipeline.update"], maxsize=16)  # a subscriber that falls behind loses the oldest
    try:
        await runner.recover()
        began = time.perf_counter()
        await runner.start(pipeline, {}, "bench")
        while True:
            item = await stream.get()
            if item.data["lines"] is None and item.data["status"] in FINAL:
                break
        await sink.flush()
        elapsed = time.perf_counter() - began
        status = item.data["status"]
        return elapsed, f"run {status}, events dropped by the slow subscriber {stream.dropped}, sink dropped " \
                        f"{sink.dropped}"
    finally:
        stream.close()
        await runner.close()
        await sink.close()
        await tasks.cancel_all()


async def count_and_truncate(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        n = await conn.fetchval("SELECT count(*) FROM dci_logs WHERE pipeline = 'bench'")
        await conn.execute("TRUNCATE dci_logs")
        return int(n)
    finally:
        await conn.close()


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch-rows", type=int, default=DciConfig().log_batch_rows)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    if urlsplit(args.dsn).hostname not in LOOPBACK:
        parser.error("this benchmark only talks to a PostgreSQL on 127.0.0.1")
    name = f"vssd_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = urlunsplit(urlsplit(args.dsn)._replace(path=f"/{name}"))
    n = args.lines
    best: dict[str, float] = {}
    details: dict[str, str] = {}
    try:
        store = await Store.connect(dsn, spill_dir=Path(tempfile.gettempdir()))
        try:
            await store.migrate()
            records = rows(n)
            await bare_copy(dsn, records[:1000], args.batch_rows)  # warm-up
            await count_and_truncate(dsn)
            for _ in range(args.rounds):  # interleaved rounds, the best of each: a busy machine's noise hits all
                for mode in ("copy", "many", "sink", "pipe"):
                    if mode == "copy":
                        seconds, detail = await bare_copy(dsn, records, args.batch_rows), ""
                    elif mode == "many":
                        seconds, detail = await bare_executemany(dsn, records, args.batch_rows), ""
                    elif mode == "sink":
                        seconds, detail = await through_sink(store, n, args.batch_rows)
                    else:
                        seconds, detail = await through_pipeline(store, n, args.batch_rows)
                    assert await count_and_truncate(dsn) == n + (mode == "pipe")  # + the runner's `$ argv` line
                    if n / seconds > best.get(mode, 0):
                        best[mode], details[mode] = n / seconds, detail
        finally:
            await store.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
    copy_rate, many_rate, sink_rate, pipe_rate = best["copy"], best["many"], best["sink"], best["pipe"]
    print(f"lines: {n} per round, best of {args.rounds} interleaved rounds, batch_rows: {args.batch_rows}, "
          f"server: {urlsplit(args.dsn).netloc}")
    print(f"bare asyncpg COPY:        {copy_rate:>10,.0f} lines/s")
    print(f"bare asyncpg executemany: {many_rate:>10,.0f} lines/s")
    print(f"LogSink (submit→commit):  {sink_rate:>10,.0f} lines/s ({details['sink']}) — "
          f"{sink_rate / copy_rate:.2f}× bare COPY, {sink_rate / many_rate:.2f}× executemany")
    print(f"pipeline (stdout→commit): {pipe_rate:>10,.0f} lines/s ({details['pipe']}) — "
          f"{pipe_rate / copy_rate:.2f}× bare COPY, {pipe_rate / many_rate:.2f}× executemany")
    ok = min(sink_rate, pipe_rate) >= GOAL_LINES_PER_S
    print(f"goal >= {GOAL_LINES_PER_S:,} lines/s: {'met' if ok else 'NOT met'}")
    print(f"reproduce: .venv/bin/python bench/dci_logs.py --lines {n} --batch-rows {args.batch_rows} "
          f"--rounds {args.rounds} --dsn {args.dsn}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
