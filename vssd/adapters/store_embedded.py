"""The embedded default: a private PostgreSQL in `<state_dir>/pg`, started with the `pgserver` package.

Same SQL, same driver as production. pgserver listens on a unix socket only (no TCP port to collide
with or to expose). Starting and stopping block for a second or two, so both run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from vssd.adapters.store_errors import StoreFatal

log = logging.getLogger("vssd.store.embedded")


class EmbeddedPostgres:
    def __init__(self, state_dir: Path | str) -> None:
        self.pgdata = Path(state_dir).expanduser() / "pg"
        self._server: Any = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> str:
        """Start (or attach to) the server; returns an asyncpg DSN over its unix socket."""
        if self._server is None:
            try:
                self._server = await asyncio.to_thread(self._start_sync)
            except Exception as err:
                raise StoreFatal(f"embedded PostgreSQL in {self.pgdata} failed to start: {err}") from err
        return self.dsn

    @property
    def dsn(self) -> str:
        if self._server is None:
            raise StoreFatal("embedded PostgreSQL is not running")
        return str(self._server.get_uri())

    def _start_sync(self) -> Any:
        import pgserver  # imported here: it touches the filesystem at import time

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return server

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.cleanup)
            log.info("embedded PostgreSQL in %s stopped", self.pgdata)
