"""BatchWriter: slot transitions and call records reach PostgreSQL in batches, never one round-trip per event.

Producers (slot actors, the call tracker) call the synchronous `submit_*` methods; they never wait for the
database. One flusher task writes every `batch_rows` rows or `flush_interval_ms`, with COPY (append-only
tables) or COPY into a session temp table + one upsert (calls, call_legs), all in one transaction — with the
hourly call rollup the dashboards read (`store_rollup`; `rollups=False` only for the benchmark's baseline).

Overflow policy — nothing is dropped silently and producers are never blocked:
- up to `buffer_rows` rows wait in memory;
- beyond that the writer enters *spill mode*: every new row (not only the overflow, so order is kept) is
  queued for the spill file, which the flusher appends to disk in a worker thread. Once PostgreSQL takes
  writes again the memory rows go first, then the spill files in order; spill mode ends when all are in.
  Blocking producers instead would stall the AMI event pump and with it every live call on the farm;
- only if the disk itself cannot keep up (more than `spill_queue_rows` rows waiting for the spill file) is
  a row dropped, counted in `stats.dropped_rows` and logged with its content.
Rows PostgreSQL refuses as invalid (StoreFatal) are moved to a `rejected-*.jsonl` file and counted.
While PostgreSQL is unreachable `ready` is False and the flusher retries with capped exponential backoff.
`close()` writes everything it can within `close_timeout_s` and spills the rest to disk for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from vssd.adapters import store_rollup
from vssd.adapters import store_spill as spill
from vssd.adapters.store_errors import StoreAuthFailed, StoreError, StoreFatal, StoreNotReady, translate
from vssd.adapters.store_rows import CALLS, LEGS, TABLES, TRANSITIONS, TableSpec, merge, to_json_row
from vssd.tasks import TaskSet, wait_event

log = logging.getLogger("vssd.store.writer")

Connect = Callable[[], Awaitable[asyncpg.Connection]]
# After an outage the backlog can be large; it is written in transactions of at most this many rows so
# one COPY never holds the event loop for long.
MAX_TRANSACTION_ROWS = 10_000


class TransitionLike(Protocol):
    """What `submit_transition` reads (vssd.fsm.types.TransitionRecord has exactly this shape)."""

    @property
    def slot_id(self) -> Any: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def cause(self) -> str: ...
    @property
    def at(self) -> datetime: ...


@dataclass
class WriterStats:
    rows_written: int = 0
    copy_calls: int = 0  # COPY commands sent (one per table per batch)
    batches: int = 0  # committed transactions
    failures: int = 0  # failed write attempts (each followed by a backoff)
    spilled_rows: int = 0
    replayed_rows: int = 0
    rejected_rows: int = 0
    dropped_rows: int = 0


class _Batch:
    """Rows per table; keyed tables merge rows with the same key (the newer value wins)."""

    def __init__(self) -> None:
        self.rows: dict[str, Any] = {name: ({} if spec.key else []) for name, spec in TABLES.items()}
        self.size = 0

    def add(self, spec: TableSpec, row: dict[str, Any]) -> None:
        bucket = self.rows[spec.name]
        if spec.key is None:
            bucket.append(row)
            self.size += 1
        elif (key := row[spec.key]) in bucket:
            bucket[key] = merge(bucket[key], row)
        else:
            bucket[key] = row
            self.size += 1

    def iter(self, spec: TableSpec) -> Iterable[dict[str, Any]]:
        bucket = self.rows[spec.name]
        return bucket if spec.key is None else bucket.values()

    def absorb(self, newer: _Batch) -> None:
        for spec in TABLES.values():
            for row in newer.iter(spec):
                self.add(spec, row)

    def split(self) -> tuple[_Batch, _Batch]:
        parts = self.chunks(max(1, (self.size + 1) // 2))
        return parts[0], parts[1] if len(parts) > 1 else _Batch()

    def chunks(self, max_rows: int) -> list[_Batch]:
        """The rows in batches of at most max_rows, order kept."""
        out = [_Batch()]
        for spec in TABLES.values():
            for row in self.iter(spec):
                if out[-1].size >= max_rows:
                    out.append(_Batch())
                out[-1].add(spec, row)
        return out

    def items(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for spec in TABLES.values():
            for row in self.iter(spec):
                yield spec.name, to_json_row(row)


class _Copier:
    """The writer's own connection: one transaction per batch, COPY into each table (keyed tables through a temp
    staging table and a merge). Connection failures other than refused credentials count as an outage."""

    def __init__(self, connect: Connect, rollups: bool = True) -> None:
        self._connect = connect
        self._rollups = rollups
        self._conn: asyncpg.Connection | None = None
        self._staged: set[str] = set()

    async def write(self, batch: _Batch) -> int:
        """Write one batch in one transaction; the number of COPY calls."""
        try:
            conn = await self.connection()
            copies, staged = 0, set(self._staged)
            async with conn.transaction():
                for spec in TABLES.values():
                    records = [spec.record(row) for row in batch.iter(spec)]
                    if records:
                        await self._copy(conn, spec, records, staged)
                        copies += 1
        except StoreError:
            raise
        except Exception as err:
            raise translate(err, f"writing {batch.size} rows") from err
        self._staged = staged  # temp tables created in a rolled-back transaction are gone again
        return copies

    async def _copy(
        self, conn: asyncpg.Connection, spec: TableSpec, records: list[tuple[Any, ...]], staged: set[str]
    ) -> None:
        if spec.key is None:
            await conn.copy_records_to_table(spec.name, records=records, columns=spec.column_names)
            return
        stage = f"vssd_stage_{spec.name}"
        if stage not in staged:
            await conn.execute(spec.stage_ddl(stage))
            staged.add(stage)
        await conn.copy_records_to_table(stage, records=records, columns=spec.column_names)
        rolled = self._rollups and spec is CALLS
        if rolled:
            await store_rollup.before(conn, stage, staged)
        for statement in spec.merge_sql(stage):
            await conn.execute(statement)
        if rolled:
            await store_rollup.after(conn, stage)

    async def connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._staged.clear()
            try:
                self._conn = await self._connect()
            except Exception as err:
                # Anything but refused credentials is an outage here (e.g. 55000 "database is not
                # currently accepting connections"), never a reason to reject rows.
                error = translate(err, "connecting the store writer")
                if not isinstance(error, StoreAuthFailed):
                    error = StoreNotReady(str(error))
                raise error from err
        return self._conn

    async def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()


def _decode_spill(lines: list[bytes]) -> tuple[_Batch, list[tuple[str, dict[str, Any]]]]:
    batch, bad = _Batch(), []
    for line in lines:
        try:
            table, row = spill.decode(line)
            batch.add(TABLES[table], TABLES[table].coerce(row))
        except (ValueError, KeyError, TypeError):
            bad.append(("undecodable", {"line": line.decode("utf-8", "replace")}))
    return batch, bad


class _WriterState:
    """The writer's settings, buffers and flags, and what they say (ready, spilling, backlog); `BatchWriter`
    adds the producers, the flusher and the spill files."""

    def __init__(
        self,
        connect: Connect,
        spill_dir: Path,
        tasks: TaskSet | None = None,
        *,
        batch_rows: int = 500,
        flush_interval_ms: int = 200,
        buffer_rows: int = 50_000,
        spill_queue_rows: int = 100_000,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
        close_timeout_s: float = 10.0,
        rollups: bool = True,
    ) -> None:
        self._copier = _Copier(connect, rollups)
        self.spill_dir = Path(spill_dir)
        self._tasks = tasks or TaskSet("store")
        self.batch_rows = batch_rows
        self.flush_interval_s = flush_interval_ms / 1000
        self.buffer_rows = buffer_rows
        self.spill_queue_rows = spill_queue_rows
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.close_timeout_s = close_timeout_s
        self.stats = WriterStats()
        self._memory = _Batch()
        self._inflight = 0  # rows taken out of memory by a write that has not committed yet
        self._spill_pending: list[bytes] = []
        self._spill_mode = False
        self._disk_rows = 0
        self._ready = False
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._urgent = False
        self._closing = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """True while the last attempt to reach PostgreSQL succeeded."""
        return self._ready

    @property
    def spilling(self) -> bool:
        return self._spill_mode

    @property
    def backlog(self) -> int:
        """Rows submitted but not yet committed (memory + waiting for the spill file + on disk)."""
        return self._memory.size + self._inflight + len(self._spill_pending) + self._disk_rows

    def _set_ready(self, ready: bool) -> None:
        if ready != self._ready:
            log.log(logging.INFO if ready else logging.WARNING, "store writer ready=%s", ready)
        self._ready = ready

    def _drained(self) -> bool:
        return self.backlog == 0 and not self._spill_mode

    async def _wait_drained(self) -> None:
        while not self._drained():
            if self._task is None or self._task.done():
                raise StoreNotReady("store writer is not running")
            await self._progress.wait()

    def _signal_progress(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()


class BatchWriter(_WriterState):

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Count rows left on disk by an earlier run (they are replayed first) and start the flusher."""
        self._disk_rows = await asyncio.to_thread(spill.count_rows, self.spill_dir)
        if self._disk_rows:
            log.warning("replaying %d spilled rows from %s", self._disk_rows, self.spill_dir)
            self._spill_mode = True
        try:
            await self._copier.connection()
            self._set_ready(True)
        except StoreAuthFailed:
            raise
        except StoreError as err:
            log.warning("store writer starts without a database: %s", err)
        self._task = self._tasks.spawn(self._run(), "store-writer")

    async def close(self) -> None:
        """Write everything (within close_timeout_s); what could not be written is spilled to disk."""
        if self._closed:
            return
        self._closing = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._wait_drained(), self.close_timeout_s)
        except (TimeoutError, StoreNotReady):
            log.error("store writer: cannot write at close; spilling %d rows to %s", self.backlog, self.spill_dir)
        await self._stop_task()
        if self._memory.size or self._spill_pending:
            await asyncio.to_thread(self._spill_all_sync)
        await self._copier.drop()
        self._closed = True
        self._ready = False

    async def flush(self, timeout_s: float | None = None) -> None:
        """Write everything submitted so far now (not waiting for the interval); StoreNotReady on timeout."""
        self._urgent = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._wait_drained(), timeout_s)
        except TimeoutError as err:
            raise StoreNotReady(f"flush timed out with {self.backlog} rows waiting") from err

    # ---- producers -------------------------------------------------------------------------------

    def submit_transition(self, record: TransitionLike) -> None:
        """One slot FSM transition (a TransitionRecord-shaped object). Never blocks."""
        self._submit(TRANSITIONS, {
            "slot_id": record.slot_id, "from_state": record.from_state, "to_state": record.to_state,
            "event": record.event, "cause": record.cause or "", "at": record.at,
        })

    def submit_call(self, attempt_id: str, **fields: Any) -> None:
        """Create or complete the CDR of one call attempt (attempt_id = the Originate ActionID).

        Columns: see `store_rows.CALLS`; timestamps may be datetimes or epoch seconds. A later call with
        the same attempt_id fills in or overrides values; None means "unchanged".
        """
        self._submit(CALLS, {"attempt_id": attempt_id, **fields})

    def submit_leg(self, attempt_id: str, uniqueid: str, **fields: Any) -> None:
        """Create or complete one Asterisk channel of a call attempt (keyed by its Uniqueid)."""
        self._submit(LEGS, {"attempt_id": attempt_id, "uniqueid": uniqueid, **fields})

    def _submit(self, spec: TableSpec, fields: Mapping[str, Any]) -> None:
        if self._closing:
            raise StoreError("store writer is closed")
        row = spec.coerce(fields)
        if self._spill_mode or self._memory.size >= self.buffer_rows:
            self._spill(spec, row)
            return
        self._memory.add(spec, row)
        if self._memory.size == 1 or self._memory.size >= self.batch_rows:
            self._wake.set()

    def _spill(self, spec: TableSpec, row: dict[str, Any]) -> None:
        if not self._spill_mode:
            log.warning("store writer buffer full (%d rows): spilling to %s", self.buffer_rows, self.spill_dir)
            self._spill_mode = True
        if len(self._spill_pending) >= self.spill_queue_rows:
            self.stats.dropped_rows += 1
            log.error("store writer DROPPED a row, disk cannot keep up: %s %s", spec.name, to_json_row(row))
            return
        self._spill_pending.append(spill.encode(spec.name, to_json_row(row)))
        self._wake.set()









    # ---- the flusher -----------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._loop()
        except asyncio.CancelledError:
            raise
        except BaseException:
            self._ready = False
            log.critical("store writer died; %d rows wait in memory and will be spilled at close", self.backlog)
            raise
        finally:
            self._signal_progress()  # waiters in flush()/close() see the task is done

    async def _loop(self) -> None:
        delay = self.retry_initial_s
        while True:
            await self._wait_for_work()
            try:
                await self._cycle()
                delay = self.retry_initial_s
            except (StoreNotReady, StoreAuthFailed) as err:
                self.stats.failures += 1
                self._set_ready(False)
                log.warning("store writer: %s; retrying in %.2fs", err, delay)
                await self._copier.drop()
                self._signal_progress()
                await self._backoff(delay)
                delay = min(delay * 2, self.retry_max_s)
                continue
            self._signal_progress()
            await asyncio.sleep(0)  # a cycle with nothing to do must still let others run

    async def _backoff(self, delay_s: float) -> None:
        """Sleep before the next attempt, still moving spilled rows to disk so memory stays bounded."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay_s
        while (left := deadline - loop.time()) > 0:
            self._wake.clear()
            await wait_event(self._wake, left)
            if self._spill_pending:
                with contextlib.suppress(StoreNotReady):
                    await self._write_spill_pending()

    async def _wait_for_work(self) -> None:
        """Return at once when there is a full batch, spill work, or rows and a reason not to wait
        (close, flush); otherwise wait for the first row, then at most flush_interval_ms more."""
        has_rows = self._memory.size > 0
        now = has_rows and (self._closing or self._urgent or self._memory.size >= self.batch_rows)
        self._urgent = False
        if now or self._spill_pending or self._spill_mode:
            return
        self._wake.clear()
        await wait_event(self._wake, self.flush_interval_s if has_rows else None)

    async def _cycle(self) -> None:
        await self._write_spill_pending()
        if self._memory.size:
            await self._flush_memory()
        if self._spill_mode:
            await self._replay()

    async def _flush_memory(self) -> None:
        taken, self._memory = self._memory, _Batch()
        chunks = taken.chunks(MAX_TRANSACTION_ROWS)
        self._inflight = taken.size
        try:
            for done, chunk in enumerate(chunks):
                try:
                    await self._write_or_split(chunk)
                except BaseException:
                    rest = _Batch()
                    for unwritten in chunks[done:]:
                        rest.absorb(unwritten)
                    rest.absorb(self._memory)
                    self._memory = rest
                    raise
                self._inflight -= chunk.size
        finally:
            self._inflight = 0

    async def _write_or_split(self, batch: _Batch) -> None:
        """Write the batch; if PostgreSQL refuses it as invalid, bisect so only the bad rows are rejected."""
        try:
            await self._write(batch)
        except StoreFatal as err:
            if batch.size <= 1:
                await self._reject(batch.items(), batch.size, err)
                return
            for half in batch.split():
                if half.size:
                    await self._write_or_split(half)

    async def _write(self, batch: _Batch) -> None:
        copies = await self._copier.write(batch)
        self.stats.copy_calls += copies
        self.stats.batches += 1
        self.stats.rows_written += batch.size
        self._set_ready(True)




    async def _reject(self, items: Iterable[tuple[str, dict[str, Any]]], count: int, err: StoreError) -> None:
        path = await asyncio.to_thread(spill.reject, self.spill_dir, list(items))
        self.stats.rejected_rows += count
        log.error("store writer: PostgreSQL refused %d rows (%s); kept in %s", count, err, path)

    # ---- spill files -----------------------------------------------------------------------------

    async def _write_spill_pending(self) -> None:
        if not self._spill_pending:
            return
        lines, self._spill_pending = self._spill_pending, []
        try:
            await asyncio.to_thread(spill.append, self.spill_dir, lines)
        except OSError as err:
            log.error("store writer: cannot write spill file in %s: %s", self.spill_dir, err)
            self._spill_pending = lines + self._spill_pending
            raise StoreNotReady(f"spill file: {err}") from err
        self.stats.spilled_rows += len(lines)
        self._disk_rows += len(lines)

    async def _replay(self) -> None:
        """Replay the spill files in order; leave spill mode once memory, queue and disk are all empty."""
        while True:
            files = await asyncio.to_thread(spill.pending_files, self.spill_dir)
            if not files:
                await self._write_spill_pending()
                rotated = await asyncio.to_thread(spill.rotate, self.spill_dir)
                if rotated is None:
                    if not self._spill_pending and self._memory.size == 0:
                        self._spill_mode = False
                        self._disk_rows = 0
                        log.info("store writer: spill files replayed, back to memory buffering")
                    return
                files = [rotated]
            await self._replay_file(files[0])

    async def _replay_file(self, file: Path) -> None:
        offset = await asyncio.to_thread(spill.read_offset, file)
        chunk_rows = max(self.batch_rows * 10, 1000)
        while True:
            lines, end = await asyncio.to_thread(spill.read_chunk, file, offset, chunk_rows)
            if not lines:
                await asyncio.to_thread(spill.finish, file)
                return
            batch, bad = _decode_spill(lines)
            await self._write_or_split(batch)
            if bad:
                await self._reject(bad, len(bad), StoreFatal("undecodable spill lines"))
            await asyncio.to_thread(spill.write_offset, file, end)
            offset = end
            self._disk_rows = max(0, self._disk_rows - len(lines))
            self.stats.replayed_rows += len(lines)
            self._signal_progress()


    def _spill_all_sync(self) -> None:
        lines = [spill.encode(t, r) for t, r in self._memory.items()] + self._spill_pending
        spill.append(self.spill_dir, lines)
        self.stats.spilled_rows += len(lines)
        self._memory, self._spill_pending = _Batch(), []

    async def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
