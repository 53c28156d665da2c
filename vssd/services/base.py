"""What a service is, and the staged start/stop that runs them: each stage named and timed, bounded by its own
timeout; `stop()` undoes the stages that started, in reverse, so a stuck part cannot keep the daemon from exiting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

log = logging.getLogger("vssd.app")


class Service(Protocol):
    """A part of the daemon. `health()` is cheap and synchronous: readiness is every service's health."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> bool: ...


class Stages:
    """Start services in order, stop them in exact reverse."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.started: list[Service] = []

    async def start(self, services: Sequence[Service]) -> None:
        for service in services:
            self.started.append(service)  # before: a stage that fails half-way is still undone by stop()
            await self._timed(f"start {service.name}", service.start)

    async def stop(self) -> None:
        while self.started:
            service = self.started.pop()
            with contextlib.suppress(Exception):
                await self._timed(f"stop {service.name}", service.stop)

    async def _timed(self, what: str, stage: Callable[[], Awaitable[None]]) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(stage(), self.timeout_s)
        except Exception:
            log.exception("%s failed after %.2fs", what, time.monotonic() - started)
            raise
        log.info("%s done in %.2fs", what, time.monotonic() - started)
