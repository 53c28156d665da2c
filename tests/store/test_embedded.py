"""The embedded default: no database URL → a private PostgreSQL (pgserver) in <state_dir>/pg."""

from __future__ import annotations

import psutil
import pytest

from tests.store.conftest import transition
from vssd.adapters.store import Store
from vssd.adapters.store_migrate import load_migrations, migrations_dir
from vssd.config import load_config


@pytest.mark.embedded_pg
async def test_embedded_postgres_starts_migrates_and_stops(tmp_path):
    state = tmp_path / "state"
    config = load_config(None, {"VSSD_STATE_DIR": str(state), "VSSD_DATABASE__WRITER__FLUSH_INTERVAL_MS": "20"})
    assert config.database.url is None
    store = await Store.open(config)
    try:
        assert store.embedded is not None and store.embedded.running
        assert "host=" in store.embedded.dsn and "127.0.0.1" not in store.embedded.dsn  # unix socket only
        pid = store.embedded._server.get_pid()
        assert (state / "pg" / "PG_VERSION").exists()
        assert await store.migrate() == [m.version for m in load_migrations(migrations_dir())]
        store.writer.submit_transition(transition(1, 0))
        store.writer.submit_call("A1", slot_id=1, number="+1", originated_at=1.7e9)
        await store.writer.flush()
        assert await store.count_transitions(1) == 1 and await store.count_calls() == 1
    finally:
        await store.close()
    assert not store.embedded.running
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
