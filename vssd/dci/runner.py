"""The pipeline runner: one run at a time per pipeline, at most `max_concurrent` overall; each step a child
process (`vssd.dci.process`), every output line into the DCI log and a `pipeline.update` event; each run's
state in the store, so that it survives a restart — a run in flight when the daemon starts again is marked
`interrupted` (`recover()`), never shown as running."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vssd.dci.logsink import LogSink, log_row
from vssd.dci.pipelines import Pipeline, Step
from vssd.dci.ports import RunStore
from vssd.dci.process import StepProcess, StepResult
from vssd.events import EventDispatcher, PipelineUpdate
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.dci.runner")
FINAL = frozenset({"success", "failed", "cancelled", "interrupted"})


@dataclass
class Run:
    """A run in flight (the store's row is the record; this is what the runner holds meanwhile)."""

    row: dict[str, Any]
    pipeline: Pipeline
    tail: deque[str]
    process: StepProcess | None = None
    stopping: bool = False
    by: str | None = None
    lines: int = 0
    task: asyncio.Task[Any] | None = None

    @property
    def id(self) -> int:
        return int(self.row["id"])


@dataclass
class RunnerSettings:
    max_concurrent: int = 2
    stop_grace_s: float = 5.0
    tail_lines: int = 20
    workdir: str = "."
    context: Mapping[str, str] = field(default_factory=dict)  # placeholders every step may use
    env_extra: Mapping[str, str] = field(default_factory=dict)  # offered to steps (still behind their allow-list)


class PipelineRunner:
    def __init__(self, pipelines: Sequence[Pipeline], runs: RunStore, sink: LogSink, events: EventDispatcher,
                 tasks: TaskSet, settings: RunnerSettings, now: Callable[[], datetime] | None = None) -> None:
        self.pipelines = {p.name: p for p in pipelines}
        self.by_id = {str(p.id): p for p in pipelines}
        self.runs, self.sink, self.events, self.tasks, self.settings = runs, sink, events, tasks, settings
        self.now = now or (lambda: datetime.now(UTC))
        self.active: dict[str, Run] = {}
        self.latest: dict[str, dict[str, Any]] = {}
        self.interrupted: list[dict[str, Any]] = []

    def find(self, key: str) -> Pipeline:
        """By name or numeric id; LookupError otherwise."""
        pipeline = self.pipelines.get(key) or self.by_id.get(key)
        if pipeline is None:
            raise LookupError(key)
        return pipeline

    async def recover(self) -> None:
        """At start: runs the store still shows in flight belonged to a daemon that is gone."""
        self.interrupted = await self.runs.mark_interrupted(self.now(), "the daemon restarted during the run")
        for row in self.interrupted:
            log.warning("dci.run_interrupted pipeline=%s run_id=%s", row["pipeline"], row["id"])
        self.latest = await self.runs.latest_runs()

    # ---- run / stop ----------------------------------------------------------------------------------------------
    async def start(self, pipeline: Pipeline, params: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        """A new run (ValueError PIPELINE_BUSY when this pipeline runs already or the overall bound is reached)."""
        if pipeline.name in self.active:
            raise ValueError("PIPELINE_BUSY", f"pipeline {pipeline.name} is running already "
                                              f"(run {self.active[pipeline.name].id})")
        if len(self.active) >= self.settings.max_concurrent:
            raise ValueError("PIPELINE_BUSY", f"{len(self.active)} pipelines are running: at most "
                                              f"{self.settings.max_concurrent} at once")
        placeholder = Run({"id": 0}, pipeline, deque(maxlen=self.settings.tail_lines), by=by)
        self.active[pipeline.name] = placeholder  # held across the insert: a second request meanwhile is busy
        try:
            row = await self.runs.create_run(pipeline.name, "running", by, params)
        except BaseException:
            del self.active[pipeline.name]
            raise
        placeholder.row = row
        self.latest[pipeline.name] = row
        self._emit(placeholder)
        placeholder.task = self.tasks.spawn(self._execute(placeholder, dict(params)),
                                            f"pipeline-{pipeline.name}-{row['id']}")
        return row

    async def stop(self, pipeline: Pipeline, by: str | None) -> bool:
        """SIGTERM to the running step (SIGKILL after the grace period), the run's row final on return; False
        when the pipeline was not running (nothing to stop)."""
        run = self.active.get(pipeline.name)
        if run is None or run.row.get("id") == 0:
            return False
        run.stopping, run.by = True, by
        self._lines(run, [f"stop requested by {by or 'unknown'}"], severity="warning")
        if run.process is not None:
            await run.process.stop()
        if run.task is not None:  # its row final before the answer
            await asyncio.wait([run.task], timeout=self.settings.stop_grace_s + 5)
        return True

    async def close(self) -> None:
        """Daemon stop: stop every run (their rows end `cancelled`)."""
        runs = list(self.active.values())
        for run in runs:
            run.stopping, run.by = True, run.by or "the daemon's stop"
            if run.process is not None:
                await run.process.stop()
        tasks = [r.task for r in runs if r.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=self.settings.stop_grace_s + 5)

    # ---- one run ---------------------------------------------------------------------------------------------------
    async def _execute(self, run: Run, params: dict[str, Any]) -> None:
        status, result, step_name = "success", StepResult(0), None
        try:
            for step in run.pipeline.steps:
                if run.stopping:
                    break
                step_name = step.name
                await self.runs.update_run(run.id, step=step.name)
                result = await self._step(run, step, params)
                if result.exit_code != 0 or run.stopping:
                    break
            status = "cancelled" if run.stopping else "success" if result.exit_code == 0 else "failed"
        except Exception as err:
            log.exception("dci.run_crashed pipeline=%s run_id=%s", run.pipeline.name, run.id)
            status, result = "failed", StepResult(result.exit_code or 1, f"runner error: {err!r}")
        finally:
            await self._finish(run, status, result, step_name)

    async def _step(self, run: Run, step: Step, params: Mapping[str, Any]) -> StepResult:
        values = {**self.settings.context, **params, "run_id": str(run.id),
                  "stamp": self.now().strftime("%Y%m%dT%H%M%SZ")}
        try:
            argv = step.render(values)
        except KeyError as err:
            return StepResult(2, str(err.args[0]))
        env = {k: v for k, v in {**os.environ, **self.settings.env_extra}.items() if k in step.env_allow}
        self._lines(run, [f"$ {' '.join(argv)}"], step=step.name)
        process = StepProcess(argv, step.cwd or self.settings.workdir, env, step.timeout_s,
                              lambda lines: self._lines(run, lines, step=step.name), self.settings.stop_grace_s)
        run.process = process
        try:
            result = await process.run()
        finally:
            run.process = None
        if result.exit_code != 0:
            why = result.error or f"exited with code {result.exit_code}"
            self._lines(run, [f"step {step.name}: {why}"], step=step.name, severity="error")
        return result

    async def _finish(self, run: Run, status: str, result: StepResult, step: str | None) -> None:
        error = None
        if status == "failed":
            error = f"step {step} failed (exit code {result.exit_code})" + (f": {result.error}" if result.error
                                                                            else "")
        elif status == "cancelled":
            error = f"stopped by {run.by or 'the daemon'}"
        fields: dict[str, Any] = {"status": status, "exit_code": result.exit_code, "error": error,
                                  "last_lines": list(run.tail), "end_time": self.now(), "step": step}
        run.row = {**run.row, **fields}
        self.latest[run.pipeline.name] = run.row
        self.active.pop(run.pipeline.name, None)
        try:
            await self.runs.update_run(run.id, **fields)
        except Exception:
            log.exception("dci.run_not_saved pipeline=%s run_id=%s", run.pipeline.name, run.id)
        self._emit(run)

    def _lines(self, run: Run, texts: list[str], *, step: str | None = None, severity: str = "info") -> None:
        """Output lines of the run, in order: its tail, the DCI log (each line its own row, numbered `seq`), and one
        `pipeline.update` carrying them (`lines`, the first one's `seq`)."""
        first = run.lines + 1
        run.tail.extend(texts)
        submit, name = self.sink.submit, run.pipeline.name
        for seq, text in enumerate(texts, start=first):
            context: dict[str, Any] = {"seq": seq, "step": step} if step else {"seq": seq}
            submit(log_row("DCI", severity, text, context, pipeline=name, run_id=run.id))
        run.lines += len(texts)
        self._emit(run, lines=texts, step=step, seq=first)

    def _emit(self, run: Run, *, lines: list[str] | None = None, step: str | None = None,
              seq: int | None = None) -> None:
        row = run.row
        self.events.emit(PipelineUpdate(
            id=str(run.pipeline.id), name_=run.pipeline.name, branch=run.pipeline.branch,
            status=str(row.get("status", "running")), triggered_by=row.get("triggered_by"),
            start_time=_iso(row.get("start_time")), end_time=_iso(row.get("end_time")),
            log_url=log_url(run.pipeline.name, run.id), run_id=run.id, step=step or row.get("step"),
            lines=tuple(lines) if lines is not None else None, seq=seq, exit_code=row.get("exit_code")))


def log_url(pipeline: str, run_id: int | None) -> str | None:
    return None if run_id is None else f"/api/dci/logs?pipeline={pipeline}&run_id={run_id}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value
