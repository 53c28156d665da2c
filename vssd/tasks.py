"""The one place long-lived tasks are created: named, strongly referenced, never fire-and-forget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("vssd.tasks")


class TaskSet:
    """Owns a set of named tasks; a task that dies with an exception is logged, never silently lost."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.owner}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s died", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def settle(self, grace_s: float, timeout_s: float = 5.0) -> None:
        """Let the tasks finish within `grace_s`, then cancel what is left."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_s)
        await self.cancel_all(timeout_s)

    async def cancel_all(self, timeout_s: float = 5.0) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)


async def wait_event(event: asyncio.Event, timeout_s: float | None) -> None:
    """Until `event` is set or `timeout_s` passed (None: no limit). `asyncio.timeout`, not `wait_for`: on 3.11
    `wait_for` can turn a cancellation that races its timeout into a TimeoutError, which a loop suppressing it
    would lose — and never stop."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return
