"""A throwaway PostgreSQL database on the machine's real server, for one test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg

SERVER = "postgresql://postgres@127.0.0.1:5432"


@contextlib.asynccontextmanager
async def scratch_database(prefix: str = "vssd_t") -> AsyncIterator[str]:
    """Create `<prefix>_<random>`, yield its DSN, drop it (forcing out any session left) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(f"{SERVER}/test")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin = await asyncpg.connect(f"{SERVER}/test")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def query(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """Read a store's tables over a connection of our own (a daemon's pool is not the test's)."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
