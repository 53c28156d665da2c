"""CDR export: the `calls` rows of a date range streamed out of PostgreSQL (a server-side cursor, in chunks) into
a CSV file, or a Parquet file through pyarrow (one row group per chunk). Written to `<name>.part` and renamed when
complete, so a half-written export never looks finished."""

from __future__ import annotations

import csv
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg

COLUMNS = ("call_id", "attempt_id", "slot_id", "number", "caller_id", "direction", "status", "outcome",
           "hangup_cause", "hangup_cause_text", "ring_s", "talk_s", "originated_at", "answered_at", "ended_at",
           "campaign_id", "lead_id", "user_id")
CHUNK = 5000
_SQL = (f"SELECT {', '.join(c + '::text' if c == 'user_id' else c for c in COLUMNS)} FROM calls "
        "WHERE originated_at >= $1 AND originated_at < $2 ORDER BY originated_at, id")


async def _chunks(conn: asyncpg.Connection, first: date, last: date) -> AsyncIterator[list[asyncpg.Record]]:
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    async with conn.transaction():
        cursor = await conn.cursor(_SQL, start, end)
        while rows := await cursor.fetch(CHUNK):
            yield rows


async def export_cdr(dsn: str, first: date, last: date, fmt: str, out: Path,
                     progress: Callable[[int], None]) -> int:
    """Write the calls originated on `first`..`last` (inclusive, UTC days) to `out`; returns the row count."""
    conn = await asyncpg.connect(dsn)
    part = out.with_name(out.name + ".part")
    try:
        writer = _ParquetWriter(part) if fmt == "parquet" else _CsvWriter(part)
        total = 0
        try:
            async for rows in _chunks(conn, first, last):
                writer.write(rows)
                total += len(rows)
                progress(total)
        finally:
            writer.close()
        os.replace(part, out)
        return total
    finally:
        part.unlink(missing_ok=True)
        await conn.close()


class _CsvWriter:
    def __init__(self, path: Path) -> None:
        self.file = path.open("w", newline="", encoding="utf-8")
        self.csv = csv.writer(self.file)
        self.csv.writerow(COLUMNS)

    def write(self, rows: list[Any]) -> None:
        self.csv.writerows([_cell(v) for v in row] for row in rows)

    def close(self) -> None:
        self.file.close()


class _ParquetWriter:
    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.schema([(c, _arrow_type(pa, c)) for c in COLUMNS])
        self.writer = pq.ParquetWriter(str(path), self.schema)

    def write(self, rows: list[Any]) -> None:
        columns = {c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)}
        self.writer.write_table(self.pa.table(columns, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def _arrow_type(pa: Any, column: str) -> Any:
    if column in ("originated_at", "answered_at", "ended_at"):
        return pa.timestamp("us", tz="UTC")
    if column in ("ring_s", "talk_s"):
        return pa.float64()
    if column in ("slot_id", "hangup_cause", "lead_id"):
        return pa.int64()
    return pa.string()


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else "" if value is None else value
