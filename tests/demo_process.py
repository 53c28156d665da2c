"""`vssd demo` as a child process, the way a user starts it (blocking helpers: run them in a thread)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def running_demo(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start the demo; whatever happens, stop it with SIGTERM first, so it also stops its simulator children
    (a SIGKILL would leave them holding their ports for the next demo)."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "vssd", "demo"], env=env, stdout=log, stderr=log)
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
