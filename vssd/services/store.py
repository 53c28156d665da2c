"""The store service: PostgreSQL (embedded or configured), migrated at start, probed while it runs."""

from __future__ import annotations

import asyncio

from vssd.actors.loops import Loops
from vssd.adapters.store import Store
from vssd.config.models import Config
from vssd.tasks import TaskSet


class StoreService:
    """Healthy while the writer can write and the probe's last `SELECT 1` answered: an idle daemon notices a
    database that went away (the writer alone would only notice at its next write)."""

    name = "store"

    def __init__(self, config: Config, tasks: TaskSet, loops: Loops) -> None:
        self.config, self.tasks, self.loops = config, tasks, loops
        self._store: Store | None = None
        self.reachable = True

    @property
    def current(self) -> Store | None:
        """The store once opened (None before)."""
        return self._store

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store service has not started")
        return self._store

    async def start(self) -> None:
        self._store = await Store.open(self.config, self.tasks)
        await self._store.migrate()
        self.loops.start("store-probe", self._probe)

    async def stop(self) -> None:
        await self.loops.remove("store-probe")
        if self._store is not None:
            await self._store.close()

    def health(self) -> bool:
        return self._store is not None and self._store.ready and self.reachable

    async def _probe(self) -> None:
        interval_s = self.config.database.health_check_interval_s
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.reachable = await asyncio.wait_for(self.store.ping(), timeout=interval_s)
            except TimeoutError:
                self.reachable = False
