"""Plain-SQL migrations: `NNNN_name.sql`, applied in order, each in its own transaction, exactly once.

`schema_migrations` records version, name, sha256 and time. An applied migration whose file changed, or
a database that has migrations this code does not know, is a hard error (StoreFatal). Concurrent
starters are serialised by a session-level advisory lock, so the second waits and then finds nothing to do.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from vssd.adapters.store_errors import StoreFatal, translate

log = logging.getLogger("vssd.store.migrate")

# pg_advisory_lock key: the first 8 bytes of sha256("vssd.schema_migrations"), as a signed bigint.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"vssd.schema_migrations").digest()[:8], "big", signed=True)
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer     PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations_dir() -> Path:
    """Where the .sql files are: the source tree's `migrations/`, else the wheel's data files
    (`<prefix>/share/vssd/migrations`, see `[tool.setuptools.data-files]` in pyproject.toml)."""
    source_tree = Path(__file__).resolve().parents[2] / "migrations"
    candidates = [source_tree]
    for prefix in dict.fromkeys((sys.prefix, sysconfig.get_path("data"), sys.base_prefix)):
        candidates.append(Path(prefix) / "share" / "vssd" / "migrations")
    for path in candidates:
        if path.is_dir() and any(path.glob("*.sql")):
            return path
    raise StoreFatal(f"no migrations found; looked in {', '.join(map(str, candidates))}")


def load_migrations(directory: Path) -> list[Migration]:
    found: list[Migration] = []
    for file in sorted(directory.glob("*.sql")):
        match = _NAME.match(file.name)
        if match is None:
            raise StoreFatal(f"migration file {file.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match["version"]), match["name"], file.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreFatal(f"migration versions must run 1, 2, 3 … without gaps; found {versions}")
    return found


async def apply_migrations(conn: asyncpg.Connection, migrations: list[Migration]) -> list[int]:
    """Apply what is pending; returns the versions applied by this call (empty when up to date)."""
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    except Exception as err:
        raise translate(err, "taking the migration lock") from err
    try:
        await conn.execute(_CREATE_TABLE)
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        applied = {r["version"]: r for r in rows}
        _verify_applied(applied, migrations)
        done = []
        for migration in migrations:
            if migration.version not in applied:
                await _apply_one(conn, migration)
                done.append(migration.version)
        return done
    except StoreFatal:
        raise
    except Exception as err:
        raise translate(err, "applying migrations") from err
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


def _verify_applied(applied: dict[int, asyncpg.Record], migrations: list[Migration]) -> None:
    known = {m.version: m for m in migrations}
    for version, row in applied.items():
        migration = known.get(version)
        if migration is None:
            raise StoreFatal(
                f"database has migration {version} ({row['name']}) that this vssd does not know; "
                "it was migrated by a newer release"
            )
        if row["checksum"] != migration.checksum:
            raise StoreFatal(
                f"migration {version:04d}_{migration.name}.sql changed after it was applied "
                f"(recorded sha256 {row['checksum'][:12]}…, file {migration.checksum[:12]}…); "
                "add a new migration instead of editing an applied one"
            )


async def _apply_one(conn: asyncpg.Connection, migration: Migration) -> None:
    log.info("applying migration %04d_%s", migration.version, migration.name)
    async with conn.transaction():
        await conn.execute(migration.sql)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            migration.version, migration.name, migration.checksum,
        )
