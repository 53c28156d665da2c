"""The audit trail off the hot path: `AuditQueue` wraps the app's `AuditLog` sink. `record` only appends to a
bounded in-memory queue and returns; one writer task drains it in batches (`record_many` when the sink has it:
one round trip per batch). Reads (`entries`) flush what is pending first, so the API always sees its own writes.

Overflow policy: at most `max_pending` entries wait. Beyond that a new entry is dropped and counted (per
outcome); when the queue has room again, the writer records one `audit.dropped` entry carrying those counts, so
the trail shows its own gap instead of hiding it. A sink that fails (the database gone) keeps the batch queued
and is retried after a capped backoff; entries arriving meanwhile are subject to the same bound.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.api.ports import AuditLog
from vssd.log import get_logger
from vssd.tasks import TaskSet, wait_event

log = get_logger("vssd.api.audit")


class AuditQueue:
    """`AuditLog` that batches writes into `sink` (see the module's overflow policy)."""

    def __init__(self, sink: AuditLog, *, max_pending: int = 10_000, batch: int = 500,
                 clock: Callable[[], float] | None = None, retry_s: float = 1.0, max_retry_s: float = 30.0) -> None:
        self.sink = sink
        self.max_pending = max_pending
        self.batch = batch
        self.retry_s, self.max_retry_s = retry_s, max_retry_s
        self._clock = clock
        self._pending: deque[dict[str, Any]] = deque()
        self._dropped: Counter[str] = Counter()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._tasks = TaskSet("audit")
        self._running = False
        self.written = 0

    @property
    def dropped(self) -> int:
        return sum(self._dropped.values())

    async def record(self, entry: dict[str, Any]) -> None:
        if len(self._pending) >= self.max_pending:
            self._dropped[str(entry.get("outcome", "ok"))] += 1
            return
        self._pending.append(entry)
        self._wake.set()

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        try:
            await self.flush()
        except Exception as err:  # the read still answers what the sink has
            log.warning("audit.flush_failed", error=repr(err), pending=len(self._pending))
        return await self.sink.entries(limit, offset, filters)

    async def flush(self) -> None:
        """Write everything pending now (raises what the sink raises; the entries stay queued)."""
        async with self._lock:
            while self._pending or self._dropped:
                self._note_drops()
                batch = [self._pending[i] for i in range(min(self.batch, len(self._pending)))]
                await self._write(batch)
                for _ in batch:
                    self._pending.popleft()
                self.written += len(batch)

    def _note_drops(self) -> None:
        if not self._dropped or len(self._pending) >= self.max_pending:
            return
        now = self._clock() if self._clock else datetime.now(UTC).timestamp()
        counts, self._dropped = dict(self._dropped), Counter()
        log.warning("audit.dropped", counts=counts)
        self._pending.append({"at": datetime.fromtimestamp(now, UTC).isoformat(), "action": "audit.dropped",
                              "outcome": "failed", "details": {"dropped": counts}})

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        many = getattr(self.sink, "record_many", None)
        if many is not None:
            await many(batch)
            return
        for entry in batch:
            await self.sink.record(entry)

    async def _run(self) -> None:
        delay = self.retry_s
        while self._running:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                delay = self.retry_s
            except Exception as err:
                log.warning("audit.write_failed", error=repr(err), pending=len(self._pending))
                await wait_event(asyncio.Event(), delay)
                delay = min(delay * 2, self.max_retry_s)
                self._wake.set()

    async def start(self) -> None:
        if not self._running:
            self._running = True
            self._tasks.spawn(self._run(), "writer")

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the writer, then one last flush within `timeout_s` (what cannot be written is logged)."""
        self._running = False
        self._wake.set()
        await self._tasks.settle(0.1)
        try:
            await asyncio.wait_for(self.flush(), timeout_s)
        except Exception as err:
            log.warning("audit.lost_on_stop", error=repr(err), pending=len(self._pending))
