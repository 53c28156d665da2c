"""The DCI service: the DCI log's sink (and the daemon's own warnings into it), the pipeline runner (runs in
flight at the last stop marked `interrupted`), and the retention loop. Started after the store, before the API;
stopping ends the running steps (SIGTERM, then SIGKILL) and flushes the log."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from vssd.actors.loops import Loops
from vssd.adapters.store_dci import StoreDci
from vssd.config.models import Config
from vssd.dci.builtin import builtin_pipelines
from vssd.dci.desk import DciDesk
from vssd.dci.dsn import pg_env
from vssd.dci.loghandler import DciLogHandler
from vssd.dci.logsink import LogSink
from vssd.dci.pipelines import Pipeline
from vssd.dci.runner import PipelineRunner, RunnerSettings
from vssd.events import EventDispatcher
from vssd.services.store import StoreService
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.dci")


class DciService:
    name = "dci"

    def __init__(self, config: Config, stores: StoreService, events: EventDispatcher, tasks: TaskSet,
                 loops: Loops, pipelines: Sequence[Pipeline] | None = None) -> None:
        self.config, self.stores, self.events, self.tasks, self.loops = config, stores, events, tasks, loops
        self.pipeline_list = list(pipelines) if pipelines is not None else builtin_pipelines()
        self.sink: LogSink | None = None
        self.runner: PipelineRunner | None = None
        self.desk: DciDesk | None = None
        self._handler: DciLogHandler | None = None

    async def start(self) -> None:
        dci, store = self.config.dci, StoreDci(self.stores.store)
        self.sink = LogSink(store, self.tasks, max_rows=dci.log_queue_rows, batch_rows=dci.log_batch_rows,
                            flush_interval_s=dci.log_flush_interval_ms / 1000)
        self.sink.start()
        self._handler = DciLogHandler(self.sink, logging.getLevelName(dci.daemon_log_level.upper()))
        logging.getLogger().addHandler(self._handler)
        self.runner = PipelineRunner(self.pipeline_list, store, self.sink, self.events, self.tasks,
                                     self._settings())
        await self.runner.recover()
        self.desk = DciDesk(self.runner, self.sink, store, self._checks)
        self.loops.start("dci-retention", lambda: self._retention(store))

    async def stop(self) -> None:
        await self.loops.remove("dci-retention")
        if self.runner is not None:
            await self.runner.close()
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler = None
        if self.sink is not None:
            await self.sink.close()

    def health(self) -> bool:
        return self.runner is not None and self.loops.running("dci-retention")

    def _checks(self) -> dict[str, bool]:
        return {"runner": self.runner is not None, "retention": self.loops.running("dci-retention"),
                "store": self.stores.health()}

    def _settings(self) -> RunnerSettings:
        cfg, state = self.config, self.config.state.dir
        dirs = {name: state / name for name in ("exports", "imports", "backups", "dci")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        dsn = self._dsn()
        return RunnerSettings(
            max_concurrent=cfg.dci.max_concurrent_runs, stop_grace_s=cfg.dci.stop_grace_s,
            tail_lines=cfg.dci.tail_lines, workdir=str(dirs["dci"]),
            context={"python": sys.executable, "export_dir": str(dirs["exports"]),
                     "import_dir": str(dirs["imports"]), "backup_dir": str(dirs["backups"])},
            env_extra={"VSSD_DCI_DSN": dsn, **pg_env(dsn)} if dsn else {})

    def _dsn(self) -> str:
        url = self.config.database.url
        if url is not None:
            return url.get_secret_value()
        embedded = self.stores.store.embedded
        return embedded.dsn if embedded is not None else ""

    async def _retention(self, store: StoreDci) -> None:
        dci = self.config.dci
        while True:
            cutoff = datetime.now(UTC) - timedelta(days=dci.log_retention_days)
            gone = await store.prune_logs(cutoff, dci.log_retention_rows)
            if gone:
                log.info("dci.logs_pruned rows=%d", gone)
            await asyncio.sleep(dci.retention_interval_s)
