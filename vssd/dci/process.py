"""One step as a child process: `asyncio.create_subprocess_exec` (no shell), its own process group, stdout and
stderr merged and read line by line, a timeout, and a stop that sends SIGTERM to the group and SIGKILL after a
grace period."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

MAX_LINE = 16 * 1024  # a longer line is cut into pieces of this size
READ_CHUNK = 64 * 1024
NOT_FOUND = 127  # what a shell answers for a missing command
TIMED_OUT = 124  # what timeout(1) answers


@dataclass(slots=True)
class StepResult:
    exit_code: int
    error: str | None = None  # why, when the step did not exit 0 by itself


class StepProcess:
    """Run `argv`; its output lines go to `on_lines` in order, as many as one read brought (one, for a step that
    prints slowly; a burst's worth for a fast one) — synchronous, must not block."""

    def __init__(self, argv: Sequence[str], cwd: str, env: Mapping[str, str], timeout_s: float,
                 on_lines: Callable[[list[str]], None], grace_s: float) -> None:
        self.argv, self.cwd, self.env, self.timeout_s = list(argv), cwd, dict(env), timeout_s
        self.on_lines, self.grace_s = on_lines, grace_s
        self.proc: asyncio.subprocess.Process | None = None
        self._stopping = False

    async def run(self) -> StepResult:
        exe = shutil.which(self.argv[0], path=self.env.get("PATH"))
        if exe is None:
            return StepResult(NOT_FOUND, f"{self.argv[0]}: not found on PATH")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                exe, *self.argv[1:], cwd=self.cwd, env=self.env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        except OSError as err:
            return StepResult(NOT_FOUND, f"{self.argv[0]}: {err.strerror or err}")
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._pump()
                code = await self.proc.wait()
        except TimeoutError:
            await self.stop()
            return StepResult(TIMED_OUT, f"timed out after {self.timeout_s:g} s")
        except asyncio.CancelledError:
            await self.stop()
            raise
        return StepResult(code, "stopped" if self._stopping else None)

    async def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        rest = b""
        while chunk := await self.proc.stdout.read(READ_CHUNK):
            *done, rest = (rest + chunk).split(b"\n")
            while len(rest) > MAX_LINE:
                done.append(rest[:MAX_LINE])
                rest = rest[MAX_LINE:]
            if done:
                self.on_lines([_text(raw) for raw in done])
        if rest:
            self.on_lines([_text(rest)])

    async def stop(self) -> None:
        """SIGTERM to the step's process group, SIGKILL after the grace period; returns once it exited."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        self._stopping = True
        _signal(proc.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(self.grace_s):
                await proc.wait()
        except TimeoutError:
            _signal(proc.pid, signal.SIGKILL)
            await proc.wait()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
