"""Migrations: applied once, idempotent, checksum-guarded, safe under concurrent starters, shipped."""

from __future__ import annotations

import asyncio
import shutil

import asyncpg
import pytest

from vssd.adapters.store import Store, StoreFatal
from vssd.adapters.store_migrate import LOCK_KEY, apply_migrations, load_migrations, migrations_dir

SEED_TABLES = {
    "users", "roles", "trunks", "slots", "calls", "campaigns", "autodialer_leads", "crm_leads", "gacs_scripts",
    "rtmp_streams", "guacamole_sessions_audit", "security_audit_log", "slot_transitions", "call_legs",
}
ALL = [m.version for m in load_migrations(migrations_dir())]  # [1, 2, …]: every shipped migration


async def tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_apply_once_then_idempotent(db, tmp_path):
    store = await Store.connect(db, spill_dir=tmp_path)
    try:
        assert await store.migrate() == ALL
        assert await store.migrate() == []
        assert await store.schema_version() == ALL[-1]
        rows = await store.pool.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["name"]) for r in rows][0] == (1, "init")
        assert rows[0]["checksum"] == load_migrations(migrations_dir())[0].checksum
        roles = {r["name"] for r in await store.pool.fetch("SELECT name FROM roles")}
        assert roles == {"admin", "manager", "supervisor", "operator", "seller"}
    finally:
        await store.close()
    assert SEED_TABLES | {"schema_migrations"} <= await tables(db)


async def test_changed_checksum_is_refused(db, tmp_path):
    changed = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), changed)
    store = await Store.connect(db, spill_dir=tmp_path / "spill")
    try:
        await store.migrate(changed)
        first = changed / "0001_init.sql"
        first.write_text(first.read_text() + "\n-- edited after release\n")
        with pytest.raises(StoreFatal, match="changed after it was applied"):
            await store.migrate(changed)
    finally:
        await store.close()


async def test_unknown_applied_version_is_refused(db, tmp_path):
    store = await Store.connect(db, spill_dir=tmp_path)
    try:
        await store.migrate()
        await store.pool.execute("INSERT INTO schema_migrations VALUES ($1, 'future', 'x', now())", ALL[-1] + 1)
        with pytest.raises(StoreFatal, match="newer release"):
            await store.migrate()
    finally:
        await store.close()


async def test_failed_migration_rolls_back_alone(db, tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), directory)
    broken = directory / f"{ALL[-1] + 1:04d}_broken.sql"
    broken.write_text("CREATE TABLE half_done (x int);\nSELECT no_such_function();\n")
    store = await Store.connect(db, spill_dir=tmp_path / "spill")
    try:
        with pytest.raises(StoreFatal):
            await store.migrate(directory)
        assert await store.schema_version() == ALL[-1]  # the others committed each in its own transaction
        assert "half_done" not in await tables(db)
    finally:
        await store.close()


async def test_gap_in_versions_is_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(StoreFatal, match="without gaps"):
        load_migrations(tmp_path)


async def test_concurrent_migrate_is_serialised(db):
    migrations = load_migrations(migrations_dir())
    conns = [await asyncpg.connect(db) for _ in range(4)]
    blocker = await asyncpg.connect(db)
    try:
        # Hold the lock so all four starters queue up on it, then let them race.
        await blocker.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        runs = [asyncio.ensure_future(apply_migrations(c, migrations)) for c in conns]
        for _ in range(2000):
            queued = await blocker.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
                LOCK_KEY & 0xFFFFFFFF,
            )
            if queued == len(conns):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the starters never queued on the migration lock")
        await blocker.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        results = await asyncio.gather(*runs)
    finally:
        for c in [*conns, blocker]:
            await c.close()
    assert sorted(results) == [[], [], [], ALL]


def test_migrations_ship_in_the_wheel_config():
    """pyproject installs migrations/*.sql as data files, where migrations_dir() looks when installed."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    data_files = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert data_files["share/vssd/migrations"] == ["migrations/*.sql"]
    assert migrations_dir() == root / "migrations"
