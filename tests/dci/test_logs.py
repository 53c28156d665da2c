"""The DCI log's way in: the sink's bound (drop-oldest, counted), batched COPY, a batch that fails kept for the
next try; the daemon's own warnings and errors (structlog and stdlib) with their module; retention by age and
count."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.pg import query
from vssd.adapters.store import Store
from vssd.adapters.store_dci import StoreDci
from vssd.dci.loghandler import DciLogHandler, module_of
from vssd.dci.logsink import LogSink, log_row
from vssd.log import configure_logging, get_logger
from vssd.tasks import TaskSet


async def test_the_sink_drops_the_oldest_when_full_and_writes_the_rest(store: Store, dsn: str) -> None:
    sink = LogSink(StoreDci(store), TaskSet("t"), max_rows=100, batch_rows=30)  # not started: nothing drains
    for n in range(250):
        sink.submit(log_row("DCI", "info", f"line {n}"))
    assert sink.queued == 100 and sink.dropped == 150
    await sink.flush()
    rows = await query(dsn, "SELECT message FROM dci_logs ORDER BY id")
    assert [r["message"] for r in rows] == [f"line {n}" for n in range(150, 250)]
    assert sink.written == 100


class _Flaky:
    def __init__(self, inner: StoreDci) -> None:
        self.inner, self.fail = inner, True

    async def insert_logs(self, rows: Any) -> None:
        if self.fail:
            self.fail = False
            raise ConnectionError("database gone")
        await self.inner.insert_logs(rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_failed_batch_is_kept_in_order(store: Store, dsn: str) -> None:
    flaky = _Flaky(StoreDci(store))
    sink = LogSink(flaky, TaskSet("t"), max_rows=100, batch_rows=10)  # type: ignore[arg-type]
    for n in range(15):
        sink.submit(log_row("DCI", "info", f"line {n}"))
    assert await sink.flush() is False  # the first batch fails: stops, keeps everything
    assert sink.failed_batches == 1 and sink.queued == 15
    await sink.flush()
    rows = await query(dsn, "SELECT message FROM dci_logs ORDER BY id")
    assert [r["message"] for r in rows] == [f"line {n}" for n in range(15)]


def test_module_by_logger_name() -> None:
    assert module_of("vssd.dci.runner") == "DCI"
    assert module_of("vssd.api.auth") == "POINT"
    assert module_of("vssd.api.crm.routes") == "WORKSPACE"
    assert module_of("vssd.actors.dialer") == "OTTB"
    assert module_of("vssd.dcix") == "OTTB"


async def test_the_daemons_warnings_and_errors_land_with_their_module(store: Store, dsn: str,
                                                                      tmp_path: Path) -> None:
    configure_logging("info", json=True, stream=(tmp_path / "log.txt").open("w"))
    tasks = TaskSet("t")
    sink = LogSink(StoreDci(store), tasks, max_rows=1000, batch_rows=100)
    sink.start()
    handler = DciLogHandler(sink)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        get_logger("vssd.api.auth").warning("auth.refused", user="op12")
        logging.getLogger("vssd.actors.dialer").error("dialer %s stalled", "c1")
        get_logger("vssd.dci.runner").info("dci.quiet")  # below warning: not kept
        logging.getLogger("vssd.dci.logsink").warning("never fed back")
    finally:
        root.removeHandler(handler)
        await sink.close()
        await tasks.cancel_all()
    rows = await query(dsn, "SELECT module, severity, message, context::text AS context FROM dci_logs ORDER BY id")
    got = [(r["module"], r["severity"], r["message"]) for r in rows]
    assert got == [("POINT", "warning", "auth.refused"), ("OTTB", "error", "dialer c1 stalled")]
    assert '"user": "op12"' in rows[0]["context"] and '"logger": "vssd.api.auth"' in rows[0]["context"]


async def test_retention_by_age_and_count(store: Store, dsn: str) -> None:
    logs, now = StoreDci(store), datetime.now(UTC)
    old = [log_row("OTTB", "info", f"old {n}", at=now - timedelta(days=40)) for n in range(5)]
    new = [log_row("OTTB", "info", f"new {n}", at=now) for n in range(10)]
    await logs.insert_logs([*old, *new])
    gone = await logs.prune_logs(now - timedelta(days=30), keep_rows=4)
    assert gone == 11
    rows = await query(dsn, "SELECT message FROM dci_logs ORDER BY id")
    assert [r["message"] for r in rows] == [f"new {n}" for n in range(6, 10)]
