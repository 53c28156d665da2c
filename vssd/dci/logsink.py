"""The DCI log's way in: `submit()` never blocks (any thread), a writer task inserts batches with one COPY.

Overflow policy: the queue holds at most `max_rows` lines; when full the OLDEST line is dropped (counted in
`dropped`) — the newest lines are the ones a person looking at a failing run needs, and neither a pipeline nor
the daemon's logging may ever wait on the database. A batch the database cannot take now (ConnectionError) is
retried after a pause (meanwhile the queue keeps its bound); a batch it refuses (bad data) is dropped, counted,
never retried forever; `close()` flushes what is left within its timeout.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from vssd.dci.ports import LogStore
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.dci.logsink")  # never fed back into the sink (see DciLogHandler)
MODULES = ("OTTB", "POINT", "DCI", "WORKSPACE")
SEVERITIES = ("debug", "info", "warning", "error", "critical")
RETRY_S = 1.0


def log_row(module: str, severity: str, message: str, context: Mapping[str, Any] | None = None, *,
            user_id: str | None = None, pipeline: str | None = None, run_id: int | None = None,
            at: datetime | None = None) -> tuple[Any, ...]:
    """One row in the store's column order (`vssd.adapters.store_dci.LOG_COLUMNS`)."""
    context_json = orjson.dumps(dict(context or {}), default=str).decode()
    return (at or datetime.now(UTC), module, severity, _no_nul(message),
            context_json.replace("\\u0000", "\\ufffd"), _no_nul(user_id), pipeline, run_id)


def _no_nul(text: str | None) -> Any:
    """PostgreSQL text holds no NUL: one would fail the whole batch."""
    return text.replace("\x00", "\ufffd") if text else text


class LogSink:
    def __init__(self, store: LogStore, tasks: TaskSet, *, max_rows: int = 20_000, batch_rows: int = 1000,
                 flush_interval_s: float = 0.2) -> None:
        self.store, self.tasks = store, tasks
        self.max_rows, self.batch_rows, self.flush_interval_s = max_rows, batch_rows, flush_interval_s
        self._queue: deque[tuple[Any, ...]] = deque()
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()  # one batch at a time: ids follow the order lines were submitted
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self.dropped = self.written = self.failed_batches = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self.tasks.spawn(self._write_loop(), "dci-log-writer")

    @property
    def queued(self) -> int:
        return len(self._queue)

    def submit(self, row: tuple[Any, ...]) -> None:
        with self._lock:
            if len(self._queue) >= self.max_rows:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(row)
            wake = len(self._queue) >= self.batch_rows
        if wake:
            self._poke()

    def _poke(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def _take(self) -> list[tuple[Any, ...]]:
        with self._lock:
            n = min(self.batch_rows, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    async def _write_loop(self) -> None:
        while True:
            if len(self._queue) < self.batch_rows:
                try:
                    async with asyncio.timeout(self.flush_interval_s):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self._wake.clear()
            if not await self.flush():
                await asyncio.sleep(RETRY_S)

    async def _write(self, batch: list[tuple[Any, ...]]) -> bool:
        try:
            await self.store.insert_logs(batch)
        except asyncio.CancelledError:
            self._requeue(batch)
            raise
        except ConnectionError as err:  # the database is away: keep the batch for the next try
            self.failed_batches += 1
            log.warning("dci.log_batch_failed rows=%d error=%r", len(batch), err)
            self._requeue(batch)
            return False
        except Exception as err:  # the rows themselves are refused: retrying would refuse them forever
            self.failed_batches += 1
            self.dropped += len(batch)
            log.error("dci.log_batch_refused rows=%d error=%r", len(batch), err)
            return True
        self.written += len(batch)
        return True

    def _requeue(self, batch: list[tuple[Any, ...]]) -> None:
        """Back in front; the bound still applies (the oldest go first)."""
        with self._lock:
            self._queue.extendleft(reversed(batch))
            while len(self._queue) > self.max_rows:
                self._queue.popleft()
                self.dropped += 1

    async def flush(self) -> bool:
        """Write everything queued now (the writer's rounds, reads that must see every line accepted so far,
        shutdown); False when the database could not take a batch (it stays queued)."""
        while self._queue:
            async with self._writing:
                if not self._queue:
                    break
                if not await self._write(self._take()):
                    return False
        return True

    async def close(self, timeout_s: float = 5.0) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            async with asyncio.timeout(timeout_s):
                await self.flush()
        except TimeoutError:
            log.warning("dci.log_flush_timeout left=%d", len(self._queue))
        self._loop = None
