"""The DCI tables: `dci_pipeline_runs` (`vssd.dci.ports.RunStore`) and `dci_logs` (`vssd.dci.ports.LogStore`:
binary COPY batches in, filtered newest-first reads out, pruning by age and count)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate

__all__ = ["LOG_COLUMNS", "StoreDci"]

LOG_COLUMNS = ("at", "module", "severity", "message", "context", "user_id", "pipeline", "run_id")
_LOG_FILTERS = {"module": "module = {}", "severity": "severity = {}", "pipeline": "pipeline = {}",
                "run_id": "run_id = ({}::text)::bigint"}
_RUN_COLS = ("id, pipeline, status, triggered_by, params::text AS params, step, exit_code, error, "
             "last_lines::text AS last_lines, start_time, end_time")
_OPEN = ("queued", "running")


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _run_view(row: Any) -> dict[str, Any]:
    return {**dict(row), "params": orjson.loads(row["params"]), "last_lines": orjson.loads(row["last_lines"])}


def _log_view(row: Any) -> dict[str, Any]:
    return {**dict(row), "context": orjson.loads(row["context"])}


class StoreDci:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        try:
            return await getattr(self.store.pool, method)(sql, *args)
        except Exception as err:
            raise translate(err, "dci") from err

    # ---- runs ----------------------------------------------------------------------------------------------------
    async def create_run(self, pipeline: str, status: str, triggered_by: str | None,
                         params: Mapping[str, Any]) -> dict[str, Any]:
        row = await self._run("fetchrow", f"INSERT INTO dci_pipeline_runs (pipeline, status, triggered_by, params) "
                                          f"VALUES ($1, $2, $3, $4::jsonb) RETURNING {_RUN_COLS}",
                              pipeline, status, triggered_by, _json(params))
        return _run_view(row)

    async def update_run(self, run_id: int, **fields: Any) -> None:
        allowed = {"status", "step", "exit_code", "error", "last_lines", "end_time"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"dci_pipeline_runs has no column(s) {sorted(unknown)}")
        values = {k: _json(v) if k == "last_lines" else v for k, v in fields.items()}
        sets = ", ".join(f"{k} = ${i}{'::jsonb' if k == 'last_lines' else ''}"
                         for i, k in enumerate(values, start=2))
        await self._run("execute", f"UPDATE dci_pipeline_runs SET {sets} WHERE id = $1", run_id, *values.values())

    async def latest_runs(self) -> dict[str, dict[str, Any]]:
        """Each pipeline's newest run, by pipeline name."""
        rows = await self._run("fetch", f"SELECT DISTINCT ON (pipeline) {_RUN_COLS} FROM dci_pipeline_runs "
                                        "ORDER BY pipeline, id DESC")
        return {r["pipeline"]: _run_view(r) for r in rows}

    async def mark_interrupted(self, at: datetime, reason: str) -> list[dict[str, Any]]:
        """Every run still queued or running (its daemon is gone): `interrupted`, ended `at`."""
        rows = await self._run("fetch", f"UPDATE dci_pipeline_runs SET status = 'interrupted', end_time = $1, "
                                        f"error = $2 WHERE status = ANY($3::text[]) RETURNING {_RUN_COLS}",
                               at, reason, list(_OPEN))
        return [_run_view(r) for r in rows]

    # ---- logs ----------------------------------------------------------------------------------------------------
    async def insert_logs(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows in LOG_COLUMNS order (`context` as JSON text), one binary COPY."""
        try:
            async with self.store.pool.acquire() as conn:
                await conn.copy_records_to_table("dci_logs", columns=LOG_COLUMNS, records=rows)
        except Exception as err:
            raise translate(err, "dci log insert") from err

    async def add_log(self, row: tuple[Any, ...]) -> dict[str, Any]:
        got = await self._run("fetchrow", f"INSERT INTO dci_logs ({', '.join(LOG_COLUMNS)}) VALUES "
                                          "($1, $2, $3, $4, $5::jsonb, $6, $7, $8) RETURNING id, "
                                          f"{', '.join(LOG_COLUMNS[:4])}, context::text AS context, "
                                          f"{', '.join(LOG_COLUMNS[5:])}", *row)
        return _log_view(got)

    async def logs(self, filters: Mapping[str, Any], limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        args: list[Any] = []
        clauses = []
        for name, value in filters.items():
            if name in _LOG_FILTERS and value is not None:
                args.append(str(value))
                clauses.append(_LOG_FILTERS[name].format(f"${len(args)}"))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        n = len(args)
        rows = await self._run("fetch", f"SELECT id, {', '.join(LOG_COLUMNS[:4])}, context::text AS context, "
                                        f"{', '.join(LOG_COLUMNS[5:])} FROM dci_logs {where} "
                                        f"ORDER BY id DESC LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
        total = await self._run("fetchval", f"SELECT count(*) FROM dci_logs {where}", *args)
        return [_log_view(r) for r in rows], int(total)

    async def prune_logs(self, older_than: datetime, keep_rows: int) -> int:
        """Delete lines older than `older_than`, then all but the newest `keep_rows`; returns how many went."""
        aged = await self._run("execute", "DELETE FROM dci_logs WHERE at < $1", older_than)
        counted = await self._run("execute", "DELETE FROM dci_logs WHERE id <= (SELECT id FROM dci_logs "
                                             "ORDER BY id DESC OFFSET $1 LIMIT 1)", keep_rows)
        return int(aged.split()[-1]) + int(counted.split()[-1])
