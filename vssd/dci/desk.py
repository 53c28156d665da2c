"""What the DCI routes reach (`vssd.api.ports.DciDesk`): the pipelines in the document's shape, run/stop/status,
the DCI log's reads and posted events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vssd.dci.logsink import LogSink, log_row
from vssd.dci.pipelines import Pipeline
from vssd.dci.ports import LogStore
from vssd.dci.runner import PipelineRunner, log_url


class DciDesk:
    def __init__(self, runner: PipelineRunner, sink: LogSink, logs: LogStore,
                 health: Callable[[], Mapping[str, Any]]) -> None:
        self.runner, self.sink, self.log_store, self.health = runner, sink, logs, health

    def _find(self, key: str) -> Pipeline:
        return self.runner.find(key)

    def pipeline_view(self, pipeline: Pipeline) -> dict[str, Any]:
        """The document's fields (`id`, `name`, `branch`, `status`, `triggered_by`, `start_time`, `end_time`,
        `log_url`) from the pipeline's newest run, plus what a run needs (`params_schema`, `steps`)."""
        run = self.runner.latest.get(pipeline.name) or {}
        active = self.runner.active.get(pipeline.name)
        if active is not None and active.row.get("id"):
            run = active.row
        run_id = run.get("id")
        return {
            "id": pipeline.id, "name": pipeline.name, "branch": pipeline.branch,
            "status": run.get("status", "idle"), "triggered_by": run.get("triggered_by"),
            "start_time": _iso(run.get("start_time")), "end_time": _iso(run.get("end_time")),
            "log_url": log_url(pipeline.name, run_id), "description": pipeline.description,
            "run_id": run_id, "params_schema": pipeline.params_schema,
            "steps": [{"name": s.name, "argv": list(s.argv), "timeout_s": s.timeout_s} for s in pipeline.steps],
        }

    def status_view(self, pipeline: Pipeline) -> dict[str, Any]:
        run = self.runner.latest.get(pipeline.name) or {}
        active = self.runner.active.get(pipeline.name)
        tail = list(active.tail) if active is not None else run.get("last_lines") or []
        view = self.pipeline_view(pipeline)
        return {**{k: view[k] for k in ("id", "name", "branch", "status", "triggered_by", "start_time", "end_time",
                                        "log_url", "run_id")},
                "step": run.get("step"), "exit_code": run.get("exit_code"), "error": run.get("error"),
                "params": run.get("params") or {}, "last_lines": tail}

    # ---- the port --------------------------------------------------------------------------------------------------
    def pipelines(self) -> list[dict[str, Any]]:
        return [self.pipeline_view(p) for p in self.runner.pipelines.values()]

    def check_params(self, key: str, params: Any) -> tuple[dict[str, Any], list[tuple[list[str | int], str]]]:
        return self._find(key).check(params)

    async def run(self, key: str, params: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        pipeline = self._find(key)
        await self.runner.start(pipeline, params, by)
        return self.status_view(pipeline)

    async def stop(self, key: str, by: str | None) -> dict[str, Any]:
        pipeline = self._find(key)
        stopped = await self.runner.stop(pipeline, by)
        return {**self.status_view(pipeline), "stopped": stopped}

    async def status(self, key: str) -> dict[str, Any]:
        return self.status_view(self._find(key))

    async def system_status(self) -> dict[str, Any]:
        runner, sink = self.runner, self.sink
        health = dict(self.health())
        return {
            "status": "ok" if all(health.values()) else "degraded", "checks": health,
            "pipelines": len(runner.pipelines), "running": sorted(runner.active),
            "max_concurrent_runs": runner.settings.max_concurrent,
            "interrupted_at_start": [{"pipeline": r["pipeline"], "run_id": r["id"]} for r in runner.interrupted],
            "logs": {"queued": sink.queued, "written": sink.written, "dropped": sink.dropped,
                     "failed_batches": sink.failed_batches, "queue_limit": sink.max_rows},
        }

    async def logs(self, filters: Mapping[str, Any], limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Every line accepted so far is in the answer (the queue is flushed first): a page that subscribed to
        `pipeline.update` and then reads a run's lines misses none."""
        await self.sink.flush()
        rows, total = await self.log_store.logs(filters, limit, offset)
        return [_log_view(r) for r in rows], total

    async def log_event(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        row = log_row(entry["module"], entry["severity"], entry["message"], entry.get("context"),
                      user_id=entry.get("user_id"))
        return _log_view(await self.log_store.add_log(row))


def _log_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "timestamp": _iso(row["at"]), "module": row["module"], "severity": row["severity"],
            "message": row["message"], "context": row["context"], "user_id": row["user_id"],
            "pipeline": row["pipeline"], "run_id": row["run_id"]}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
