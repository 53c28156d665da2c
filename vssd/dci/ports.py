"""What the DCI parts need from the store (`vssd.adapters.store_dci.StoreDci` implements both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol


class RunStore(Protocol):
    """Pipeline runs: a row per run (id, pipeline, status, triggered_by, params, step, exit_code, error,
    last_lines, start_time, end_time)."""

    async def create_run(self, pipeline: str, status: str, triggered_by: str | None,
                         params: Mapping[str, Any]) -> dict[str, Any]: ...

    async def update_run(self, run_id: int, **fields: Any) -> None: ...

    async def latest_runs(self) -> dict[str, dict[str, Any]]: ...

    async def mark_interrupted(self, at: datetime, reason: str) -> list[dict[str, Any]]: ...


class LogStore(Protocol):
    """The DCI log: rows (at, module, severity, message, context JSON text, user_id, pipeline, run_id)."""

    async def insert_logs(self, rows: Sequence[tuple[Any, ...]]) -> None: ...

    async def add_log(self, row: tuple[Any, ...]) -> dict[str, Any]: ...

    async def logs(self, filters: Mapping[str, Any], limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def prune_logs(self, older_than: datetime, keep_rows: int) -> int: ...
