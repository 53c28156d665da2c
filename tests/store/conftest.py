"""Per-test PostgreSQL isolation: a fresh database `vssd_t_<random>` on 127.0.0.1:5432, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest

from tests.conftest import require_service
from vssd.adapters.store import Store
from vssd.config.models import WriterConfig

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg_restart: restarts the machine's PostgreSQL server (serial, rare)")
    config.addinivalue_line("markers", "embedded_pg: starts a private PostgreSQL with pgserver (slow)")


@dataclass(frozen=True)
class Transition:
    """Shaped like vssd.fsm.types.TransitionRecord."""

    slot_id: int
    from_state: str
    to_state: str
    event: str
    cause: str
    at: datetime


def transition(slot_id: int, n: int) -> Transition:
    return Transition(slot_id, "READY", "CALLING", "originate", f"seq={n}", datetime.now(UTC))


def fast_writer(**overrides: object) -> WriterConfig:
    values = {"batch_rows": 200, "flush_interval_ms": 20, "retry_initial_s": 0.02, "retry_max_s": 0.2,
              "close_timeout_s": 10.0}
    return WriterConfig(**{**values, **overrides})


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    require_service("postgresql", 5432)
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def db() -> AsyncIterator[str]:
    """DSN of a fresh, empty database (short admin connections: they must survive a server restart)."""
    require_service("postgresql", 5432)
    name = f"vssd_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


@pytest.fixture
async def store(db: str, tmp_path) -> AsyncIterator[Store]:
    """A migrated store with a quick writer (20 ms interval, 200-row batches)."""
    s = await Store.connect(db, spill_dir=tmp_path / "spill", writer=fast_writer(), pool_max_size=4)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()
