"""A DCI runner over a real store for tests: test pipelines (small `python -c` programs as argv, no shell), the
real sink and run store, an event dispatcher to await `pipeline.update` on (never time)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vssd.adapters.store import Store
from vssd.adapters.store_dci import StoreDci
from vssd.dci.desk import DciDesk
from vssd.dci.logsink import LogSink
from vssd.dci.pipelines import Pipeline, Step
from vssd.dci.runner import FINAL, PipelineRunner, RunnerSettings
from vssd.events import EventDispatcher
from vssd.tasks import TaskSet

PY = sys.executable


def py(name: str, code: str, **more: Any) -> Step:
    return Step(name, (PY, "-c", code), **more)


# Literal braces in an argv element are doubled (`str.format` rules: `{name}` is a placeholder).
ECHO = "import sys\nfor i in range(5): print(f'line {{i}}', flush=True)\nprint('oops', file=sys.stderr, flush=True)"
FAIL = "import sys\nprint('about to fail', flush=True)\nsys.exit(3)"
# Prints "ready", then waits; on SIGTERM says so and exits 143 (stop's polite path).
SLOW = ("import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(143)))\n"
        "print('ready', flush=True)\ntime.sleep(60)")
# Ignores SIGTERM: only SIGKILL ends it.
STUBBORN = ("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
            "time.sleep(60)")
ENV = "import os\nprint(' '.join(sorted(os.environ)), flush=True)"
COUNT = "import sys\nn = int(sys.argv[1])\nfor i in range(n): print('tick', i, 'of', sys.argv[2], flush=True)"


def sample_pipelines() -> list[Pipeline]:
    return [
        Pipeline(1, "echo", "five lines and one on stderr", (py("say", ECHO), py("again", "print('second step')"))),
        Pipeline(2, "fail", "exits 3 in its second step", (py("ok", "print('fine')"), py("boom", FAIL))),
        Pipeline(3, "slow", "waits until stopped", (py("wait", SLOW),)),
        Pipeline(4, "stubborn", "ignores SIGTERM", (py("wait", STUBBORN),)),
        Pipeline(5, "env", "prints its environment's names", (py("env", ENV, env_allow=("PATH", "DCI_OK")),)),
        Pipeline(6, "count", "prints `count` ticks", (Step("count", (PY, "-c", COUNT, "{count}", "{label}")),),
                 {"type": "object", "required": ["count"], "additionalProperties": False,
                  "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 10},
                                 "label": {"type": "string", "maxLength": 20, "default": "run"}}}),
        Pipeline(7, "sleepy", "times out", (py("nap", "import time\nprint('napping', flush=True)\ntime.sleep(60)",
                                                 timeout_s=0.5),)),
        Pipeline(8, "missing", "its program is not on PATH", (Step("nope", ("vssd-no-such-program", "x")),)),
    ]


@dataclass
class DciRig:
    desk: DciDesk
    runner: PipelineRunner
    sink: LogSink
    runs: StoreDci
    events: EventDispatcher
    tasks: TaskSet

    async def close(self) -> None:
        await self.runner.close()
        await self.sink.close()
        await self.tasks.cancel_all()


async def dci_rig(store: Store, workdir: Path, events: EventDispatcher | None = None, *,
                  max_concurrent: int = 3, grace_s: float = 0.3,
                  env_extra: Mapping[str, str] | None = None) -> DciRig:
    events = events or EventDispatcher()
    tasks, runs = TaskSet("test-dci"), StoreDci(store)
    sink = LogSink(runs, tasks, max_rows=10_000, batch_rows=100, flush_interval_s=0.05)
    sink.start()
    runner = PipelineRunner(sample_pipelines(), runs, sink, events, tasks,
                            RunnerSettings(max_concurrent=max_concurrent, stop_grace_s=grace_s, tail_lines=5,
                                           workdir=str(workdir), env_extra=dict(env_extra or {})))
    await runner.recover()
    desk = DciDesk(runner, sink, runs, lambda: {"runner": True})
    return DciRig(desk, runner, sink, runs, events, tasks)


async def final_update(stream: Any, name: str, timeout_s: float = 20.0) -> Mapping[str, Any]:
    """The next `pipeline.update` of `name` with a final status."""
    async with asyncio.timeout(timeout_s):
        while True:
            item = await stream.get()
            if item.data["name"] == name and item.data["status"] in FINAL and item.data["lines"] is None:
                return item.data


async def line_seen(stream: Any, name: str, text: str, timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            item = await stream.get()
            if item.data["name"] == name and text in (item.data["lines"] or ()):
                return
