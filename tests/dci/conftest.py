"""A migrated scratch database of its own per test (runs and logs start empty)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.pg import scratch_database
from vssd.adapters.store import Store


@pytest.fixture
async def dsn() -> AsyncIterator[str]:
    require_service("postgresql", 5432)
    async with scratch_database("vssd_t_dci") as dsn:
        yield dsn


@pytest.fixture
async def store(dsn: str, tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.connect(dsn, spill_dir=tmp_path / "spill", pool_max_size=4)
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()
