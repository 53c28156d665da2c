"""The store adapter: PostgreSQL via asyncpg — connection pool, migrations, batch writer, query helpers.

All of vssd's SQL lives in this module family (`store_*.py`). Use:

    store = await Store.open(config, tasks)          # or Store.connect(dsn, spill_dir=...)
    await store.migrate()
    store.writer.submit_transition(record)           # never blocks; batched COPY
    store.writer.submit_call(action_id, slot_id=…, number=…, originated_at=…)
    ...
    await store.close()                              # flushes the writer, stops the embedded server
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from vssd.adapters.store_embedded import EmbeddedPostgres
from vssd.adapters.store_errors import StoreAuthFailed, StoreError, StoreFatal, StoreNotReady, translate
from vssd.adapters.store_migrate import apply_migrations, load_migrations, migrations_dir
from vssd.adapters.store_writer import BatchWriter, TransitionLike, WriterStats
from vssd.config.models import Config, WriterConfig
from vssd.tasks import TaskSet

__all__ = [
    "BatchWriter",
    "CallRecordSink",
    "EmbeddedPostgres",
    "Store",
    "StoreAuthFailed",
    "StoreError",
    "StoreFatal",
    "StoreNotReady",
    "TransitionLike",
    "TransitionSink",
    "WriterStats",
]

log = logging.getLogger("vssd.store")


class TransitionSink(Protocol):
    """Persists slot transitions without blocking (BatchWriter implements it)."""

    def submit_transition(self, record: TransitionLike) -> None: ...


class CallRecordSink(Protocol):
    """Persists call attempts and their legs without blocking (BatchWriter implements it)."""

    def submit_call(self, attempt_id: str, **fields: Any) -> None: ...

    def submit_leg(self, attempt_id: str, uniqueid: str, **fields: Any) -> None: ...


SLOT_COLUMNS = frozenset({
    "slot_number", "name", "type", "internal_sip_number", "sip_username", "trunk_id", "device_id",
    "device_model", "sim_index", "exclusive_group", "iccid", "imsi", "usb_path", "user_id", "campaign_id",
    "enabled", "fsm_state", "fault_cause", "battery_pct", "temperature_c", "signal_dbm", "last_activity",
    "last_event",
})
CALL_FILTERS = {
    "slot_id": "slot_id = {}", "outcome": "outcome = {}", "campaign_id": "campaign_id = {}",
    "number": "number = {}", "user_id": "user_id = {}",
    "date_from": "originated_at >= {}", "date_to": "originated_at < {}",
}


class Store:
    def __init__(
        self, pool: asyncpg.Pool, writer: BatchWriter, embedded: EmbeddedPostgres | None = None
    ) -> None:
        self.pool = pool
        self.writer = writer
        self.embedded = embedded

    # ---- lifecycle -------------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        spill_dir: Path | str,
        tasks: TaskSet | None = None,
        writer: WriterConfig | None = None,
        pool_min_size: int = 1,
        pool_max_size: int = 10,
        connect_timeout_s: float = 5.0,
        command_timeout_s: float = 30.0,
        application_name: str = "vssd",
        embedded: EmbeddedPostgres | None = None,
    ) -> Store:
        """Open the pool and start the batch writer. StoreNotReady/StoreAuthFailed if unreachable/refused."""
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=pool_min_size, max_size=pool_max_size, timeout=connect_timeout_s,
                command_timeout=command_timeout_s, server_settings={"application_name": application_name},
            )
        except Exception as err:
            raise translate(err, "connecting to PostgreSQL") from err

        def connect_writer() -> Any:
            return asyncpg.connect(
                dsn, timeout=connect_timeout_s, command_timeout=command_timeout_s,
                server_settings={"application_name": f"{application_name}-writer"},
            )

        cfg = writer or WriterConfig()
        batch_writer = BatchWriter(
            connect_writer, Path(spill_dir), tasks, batch_rows=cfg.batch_rows,
            flush_interval_ms=cfg.flush_interval_ms, buffer_rows=cfg.buffer_rows,
            spill_queue_rows=cfg.spill_queue_rows,
            retry_initial_s=cfg.retry_initial_s, retry_max_s=cfg.retry_max_s, close_timeout_s=cfg.close_timeout_s,
        )
        try:
            await batch_writer.start()
        except BaseException:
            await pool.close()
            raise
        return cls(pool, batch_writer, embedded)

    @classmethod
    async def open(cls, config: Config, tasks: TaskSet | None = None) -> Store:
        """From the configuration: `database.url`, or else the embedded server in `<state.dir>/pg`."""
        db = config.database
        embedded = None
        if db.url is not None:
            dsn = db.url.get_secret_value()
        else:
            embedded = EmbeddedPostgres(config.state.dir)
            dsn = await embedded.start()
        try:
            return await cls.connect(
                dsn, spill_dir=config.state.dir / "spill", tasks=tasks, writer=db.writer,
                pool_min_size=db.pool_min_size, pool_max_size=db.pool_max_size,
                connect_timeout_s=db.connect_timeout_s, command_timeout_s=db.command_timeout_s,
                embedded=embedded,
            )
        except BaseException:
            if embedded is not None:
                await embedded.stop()
            raise

    async def migrate(self, directory: Path | None = None) -> list[int]:
        """Apply pending migrations (serialised across processes); returns the versions applied now."""
        migrations = await asyncio.to_thread(lambda: load_migrations(directory or migrations_dir()))
        try:
            async with self.pool.acquire() as conn:
                return await apply_migrations(conn, migrations)
        except StoreError:
            raise
        except Exception as err:
            raise translate(err, "migrating") from err

    async def close(self) -> None:
        """Flush and stop the writer, close the pool, stop the embedded server (in that order)."""
        try:
            await self.writer.close()
        finally:
            await self.pool.close()
            if self.embedded is not None:
                await self.embedded.stop()

    @property
    def ready(self) -> bool:
        return self.writer.ready

    # ---- queries ---------------------------------------------------------------------------------

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.run("fetch", sql, *args)

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        return await self.run("fetchval", sql, *args)

    async def run(self, method: str, sql: str, *args: Any) -> Any:
        """One idempotent query (`method`: fetch, fetchrow, fetchval, execute); retried once on a transient
        error, because after a server restart the pool hands out a dead connection first."""
        for attempt in (1, 2):
            try:
                return await getattr(self.pool, method)(sql, *args)
            except Exception as err:
                error = translate(err, "query")
                if attempt == 2 or not isinstance(error, StoreNotReady):
                    raise error from err
        raise AssertionError("unreachable")

    async def ping(self) -> bool:
        try:
            return await self._fetchval("SELECT 1") == 1
        except StoreError:
            return False

    async def schema_version(self) -> int:
        return int(await self._fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    async def upsert_slot(self, *, internal_sip_number: str, type: str, id: int | None = None,
                          **fields: Any) -> int:
        """Insert or update a slot (keyed by its internal SIP number); returns its id."""
        unknown = set(fields) - SLOT_COLUMNS
        if unknown:
            raise ValueError(f"slots has no column(s) {sorted(unknown)}")
        values: dict[str, Any] = {"internal_sip_number": internal_sip_number, "type": type, **fields}
        if id is not None:
            values["id"] = id
        cols = list(values)
        params = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != "internal_sip_number")
        sql = (
            f"INSERT INTO slots ({', '.join(cols)}) VALUES ({params}) "
            f"ON CONFLICT (internal_sip_number) DO UPDATE SET {updates}, updated_at = now() RETURNING id"
        )
        return int(await self._fetchval(sql, *values.values()))

    async def get_slot(self, slot_id: int) -> dict[str, Any] | None:
        rows = await self._fetch("SELECT * FROM slots WHERE id = $1", slot_id)
        return dict(rows[0]) if rows else None

    async def list_slots(self, type: str | None = None) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT * FROM slots WHERE ($1::text IS NULL OR type = $1) ORDER BY id", type
        )
        return [dict(r) for r in rows]

    async def delete_slot(self, slot_id: int) -> bool:
        return await self._fetchval("DELETE FROM slots WHERE id = $1 RETURNING true", slot_id) is True

    async def count_calls(self, **filters: Any) -> int:
        where, args = _where(filters)
        return int(await self._fetchval(f"SELECT count(*) FROM calls{where}", *args))

    async def list_calls(self, *, limit: int = 50, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
        where, args = _where(filters)
        n = len(args)
        sql = f"SELECT * FROM calls{where} ORDER BY originated_at DESC NULLS LAST, id DESC " \
              f"LIMIT ${n + 1} OFFSET ${n + 2}"
        return [dict(r) for r in await self._fetch(sql, *args, limit, offset)]

    async def get_call(self, *, attempt_id: str | None = None, call_id: str | None = None) -> dict[str, Any] | None:
        if (attempt_id is None) == (call_id is None):
            raise ValueError("give exactly one of attempt_id, call_id")
        column, value = ("attempt_id", attempt_id) if attempt_id is not None else ("call_id", call_id)
        rows = await self._fetch(f"SELECT * FROM calls WHERE {column} = $1", value)
        return dict(rows[0]) if rows else None

    async def unfinished_calls(self) -> list[dict[str, Any]]:
        """Attempts recorded as started but never ended (e.g. the daemon died mid-call): for reconcile."""
        rows = await self._fetch("SELECT * FROM calls WHERE ended_at IS NULL ORDER BY originated_at, id")
        return [dict(r) for r in rows]

    async def list_legs(self, attempt_id: str) -> list[dict[str, Any]]:
        rows = await self._fetch("SELECT * FROM call_legs WHERE attempt_id = $1 ORDER BY id", attempt_id)
        return [dict(r) for r in rows]

    async def count_transitions(self, slot_id: int | None = None) -> int:
        return int(await self._fetchval(
            "SELECT count(*) FROM slot_transitions WHERE ($1::bigint IS NULL OR slot_id = $1)", slot_id
        ))

    async def list_transitions(self, slot_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT slot_id, from_state, to_state, event, cause, at FROM slot_transitions "
            "WHERE slot_id = $1 ORDER BY at, id LIMIT $2", slot_id, limit,
        )
        return [dict(r) for r in rows]


def _where(filters: Mapping[str, Any]) -> tuple[str, Sequence[Any]]:
    unknown = set(filters) - set(CALL_FILTERS)
    if unknown:
        raise ValueError(f"unknown call filter(s) {sorted(unknown)}; known: {sorted(CALL_FILTERS)}")
    clauses, args = [], []
    for name, value in filters.items():
        if value is None:
            continue
        if name in ("date_from", "date_to") and not isinstance(value, datetime):
            raise TypeError(f"{name} must be a datetime")
        args.append(value)
        clauses.append(CALL_FILTERS[name].format(f"${len(args)}"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args
