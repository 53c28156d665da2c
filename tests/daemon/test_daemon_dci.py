"""The built-in DCI pipelines through the whole daemon (the DCI service wired in vssd/app.py, its real store):
CDR export as CSV and Parquet for a date range, lead import from a file of the import directory, the database
backup with pg_dump, `migrate` — each step a child process (`python -m vssd …`, `pg_dump`) — and a daemon
warning landing in the DCI log with its module."""

from __future__ import annotations

import csv
import logging
from typing import Any

import pyarrow.parquet as pq
from daemon_rig import Hub

from tests.daemon.conftest import HubFactory
from tests.dci.rig import final_update


async def _run(hub: Hub, name: str, params: dict[str, Any]) -> dict[str, Any]:
    desk = hub.daemon.dci.desk
    stream = hub.daemon.events.subscribe(["pipeline.update"])
    try:
        checked, problems = desk.check_params(name, params)
        assert problems == []
        await desk.run(name, checked, "admin")
        await final_update(stream, name, timeout_s=60)
    finally:
        stream.close()
    return await desk.status(name)


async def test_builtin_pipelines(hub_factory: HubFactory) -> None:
    hub = await hub_factory()
    state = hub.daemon.config.state.dir
    await hub.query("INSERT INTO calls (attempt_id, call_id, number, status, outcome, originated_at, talk_s) "
                    "SELECT 'a' || n, 'c_' || n, '+38099000' || n, 'ENDED', 'answered', "
                    "'2026-11-20 12:00+00'::timestamptz + n * interval '1 hour', n FROM generate_series(1, 30) n")
    csv_run = await _run(hub, "cdr-export", {"date_from": "2026-11-20", "date_to": "2026-11-20"})
    assert csv_run["status"] == "success", csv_run
    rows = list(csv.DictReader((state / "exports" / "cdr-2026-11-20-2026-11-20.csv").open()))
    assert len(rows) == 11 and rows[0]["call_id"] == "c_1"  # 13:00 … 23:00 UTC of the 20th
    pq_run = await _run(hub, "cdr-export", {"date_from": "2026-11-20", "date_to": "2026-11-22",
                                            "format": "parquet"})
    assert pq_run["status"] == "success", pq_run
    table = pq.read_table(state / "exports" / "cdr-2026-11-20-2026-11-22.parquet")
    assert table.num_rows == 30 and table.column("talk_s").to_pylist()[:2] == [1.0, 2.0]

    await hub.query("INSERT INTO campaigns (id, name) VALUES ('cmp_dci', 'DCI import')")
    (state / "imports" / "leads.csv").write_text("phone,name,city\n+380991112233,Ann,Kyiv\n+380991112234,Bob,\n")
    imported = await _run(hub, "lead-import", {"campaign_id": "cmp_dci", "file": "leads.csv"})
    assert imported["status"] == "success" and "imported 2 leads into campaign cmp_dci" in imported["last_lines"]
    leads = await hub.query("SELECT phone, name FROM autodialer_leads WHERE campaign_id = 'cmp_dci' ORDER BY id")
    assert [(r["phone"], r["name"]) for r in leads] == [("+380991112233", "Ann"), ("+380991112234", "Bob")]
    missing = await _run(hub, "lead-import", {"campaign_id": "cmp_none", "file": "leads.csv"})
    assert missing["status"] == "failed" and missing["exit_code"] == 1
    assert "campaign cmp_none does not exist" in missing["last_lines"]

    backup = await _run(hub, "db-backup", {})
    assert backup["status"] == "success", backup
    dumps = list((state / "backups").glob("vssd-*.dump"))
    assert len(dumps) == 1 and dumps[0].read_bytes()[:5] == b"PGDMP"

    migrated = await _run(hub, "migrate", {})
    assert migrated["status"] == "success" and "nothing to apply" in migrated["last_lines"]


async def test_a_daemon_warning_lands_in_the_dci_log(hub_factory: HubFactory) -> None:
    hub = await hub_factory()
    logging.getLogger("vssd.api.auth").warning("a refused login for %s", "op1")
    await hub.daemon.dci.sink.flush()
    items, _ = await hub.daemon.dci.desk.logs({"module": "POINT", "severity": "warning"}, 10, 0)
    assert [i["message"] for i in items] == ["a refused login for op1"]
    status = await hub.daemon.dci.desk.system_status()
    assert status["status"] == "ok" and status["pipelines"] == 4 and hub.daemon.checks()["dci"] is True
