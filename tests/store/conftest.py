"""Per-test PostgreSQL isolation: a fresh database `vssd_t_<random>` on 127.0.0.1:5432, dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import require_service
from vssd.adapters.store import Store
from vssd.adapters.store_migrate import apply_migrations, load_migrations, migrations_dir
from vssd.config.models import WriterConfig

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"



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
def tmp_path() -> Iterator[Path]:
    """A private temp dir, not under pytest's rotating basetemp: concurrent pytest sessions on this
    machine prune each other's `pytest-N` dirs, which broke the (slower) spill and pgserver tests."""
    path = Path(tempfile.mkdtemp(prefix="vssd-store-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    require_service("postgresql", 5432)
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        yield conn
    finally:
        await conn.close()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _dsn(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


_TEMPLATE: dict[str, str] = {}


async def _migrated_template() -> str:
    """Created and migrated once per session; each test copies it (CREATE DATABASE … TEMPLATE)."""
    if "name" not in _TEMPLATE:
        name = f"vssd_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        await _admin(f"CREATE DATABASE {name}")
        conn = await asyncpg.connect(_dsn(name))
        try:
            await apply_migrations(conn, load_migrations(migrations_dir()))
        finally:
            await conn.close()
        _TEMPLATE["name"] = name
    return _TEMPLATE["name"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    name = _TEMPLATE.pop("name", None)
    if name is not None:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _fresh_database(template: str | None) -> AsyncIterator[str]:
    """Short admin connections each time: they must survive a server restart inside the test."""
    require_service("postgresql", 5432)
    name = f"vssd_t_{uuid.uuid4().hex[:12]}"
    await _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield _dsn(name)
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def db() -> AsyncIterator[str]:
    """DSN of a fresh, empty database."""
    async for dsn in _fresh_database(None):
        yield dsn


@pytest.fixture
async def migrated_db() -> AsyncIterator[str]:
    """DSN of a fresh database at the current schema version."""
    require_service("postgresql", 5432)
    template = await _migrated_template()
    async for dsn in _fresh_database(template):
        yield dsn


@pytest.fixture
async def store(migrated_db: str, tmp_path) -> AsyncIterator[Store]:
    """A migrated store with a quick writer (20 ms interval, 200-row batches)."""
    s = await Store.connect(migrated_db, spill_dir=tmp_path / "spill", writer=fast_writer(), pool_max_size=4)
    assert await s.migrate() == []
    try:
        yield s
    finally:
        await s.close()
