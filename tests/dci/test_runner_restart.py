"""A run's state survives a daemon restart: a run in flight when a new runner starts on the same store is marked
`interrupted` (never shown as running), and a finished run keeps its status, exit code and last lines."""

from __future__ import annotations

from pathlib import Path

from tests.dci.rig import dci_rig, final_update, line_seen
from tests.pg import query
from vssd.adapters.store import Store


async def test_a_run_in_flight_at_start_is_interrupted(store: Store, dsn: str, tmp_path: Path) -> None:
    first = await dci_rig(store, tmp_path)
    stream = first.events.subscribe(["pipeline.update"])
    await first.desk.run("slow", {}, "admin")
    await line_seen(stream, "slow", "ready")
    # The daemon dies: its runner never writes another word. A new one starts on the same database.
    second = await dci_rig(store, tmp_path)
    try:
        status = await second.desk.status("slow")
        assert status["status"] == "interrupted" and status["end_time"] is not None
        assert "restarted" in status["error"]
        listed = {p["name"]: p for p in second.desk.pipelines()}
        assert listed["slow"]["status"] == "interrupted"
        system = await second.desk.system_status()
        assert system["interrupted_at_start"] == [{"pipeline": "slow", "run_id": status["run_id"]}]
        assert system["running"] == []
        rows = await query(dsn, "SELECT status FROM dci_pipeline_runs WHERE id = $1", status["run_id"])
        assert rows[0]["status"] == "interrupted"
    finally:
        stream.close()
        await second.close()
        await first.tasks.cancel_all()  # the dead daemon's child: a cancelled step stops its process
        await first.sink.close()


async def test_a_finished_run_keeps_its_state_across_a_restart(store: Store, tmp_path: Path) -> None:
    first = await dci_rig(store, tmp_path)
    stream = first.events.subscribe(["pipeline.update"])
    await first.desk.run("fail", {}, "admin")
    await final_update(stream, "fail")
    stream.close()
    await first.close()
    second = await dci_rig(store, tmp_path)
    try:
        status = await second.desk.status("fail")
        assert status["status"] == "failed" and status["exit_code"] == 3 and status["triggered_by"] == "admin"
        assert "about to fail" in status["last_lines"]
        assert second.runner.interrupted == []
    finally:
        await second.close()
