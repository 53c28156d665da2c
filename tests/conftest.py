"""Suite-wide guards: no lingering tasks, no blocking calls on the event loop, services real under CI."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import structlog


def _find_corpus() -> Path:
    """The third-party captures: `VSSD_CORPUS`, else `shared/corpus` beside this checkout, else beside the
    checkout it was cloned from (a fresh `git clone` into a temporary directory)."""
    if os.environ.get("VSSD_CORPUS"):
        return Path(os.environ["VSSD_CORPUS"])
    repo = Path(__file__).resolve().parents[1]
    candidates = [repo.parent / "shared" / "corpus"]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        origin = subprocess.run(["git", "-C", str(repo), "config", "--get", "remote.origin.url"],
                                capture_output=True, text=True, timeout=5).stdout.strip()
        if origin and Path(origin).is_dir():
            candidates.append(Path(origin).resolve().parent / "shared" / "corpus")
    return next((c for c in candidates if c.is_dir()), candidates[0])


CORPUS = _find_corpus()

BLOCKING_THRESHOLD_S = float(os.environ.get("VSSD_TEST_BLOCKING_S", "0.5"))
_SLOW = re.compile(r"Executing (?P<what>.+) took (?P<secs>[\d.]+) seconds")


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"corpus not found at {CORPUS}"
    return CORPUS


class _SlowCallbackCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.hits: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if _SLOW.search(msg):
            self.hits.append(msg)


GC_EVERY_TESTS = 25
_gc_state = {"tests": 0}


@pytest.fixture(autouse=True)
def _plain_tracebacks():
    """structlog's default console renderer (in-process daemons log through it) draws rich tracebacks with
    locals: most of a second on a loaded CPU for a test's deliberate crash, which the blocking guard then flags.
    Tests that configure logging themselves are unaffected (configure_logging replaces this)."""
    if not structlog.is_configured():
        processors = list(structlog.get_config()["processors"])
        processors[-1] = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        structlog.configure(processors=processors)
    yield


@pytest.fixture(autouse=True)
def _gc_outside_the_loop():
    """A full garbage collection of the heap a long session builds up (hundreds of MB: hypothesis, schemathesis,
    simulators) takes most of a second, and whichever loop callback triggers it is then flagged as blocking.
    So: a full collection every GC_EVERY_TESTS tests here, outside any event loop, and whatever survives is
    frozen, so the collections during a test only scan what that test made."""
    _gc_state["tests"] += 1
    if _gc_state["tests"] % GC_EVERY_TESTS == 1:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    yield


@pytest.fixture(autouse=True)
async def _loop_guards(request: pytest.FixtureRequest, _gc_outside_the_loop):
    """Fail a test that blocks the loop longer than the threshold or leaves tasks running behind it."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = BLOCKING_THRESHOLD_S
    catcher = _SlowCallbackCatcher()
    aio_log = logging.getLogger("asyncio")
    aio_log.addHandler(catcher)
    before = set(asyncio.all_tasks())
    try:
        yield
    finally:
        aio_log.removeHandler(catcher)
    await asyncio.sleep(0)
    lingering = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task() and not t.done()]
    for task in lingering:
        task.cancel()
    if lingering:
        await asyncio.wait(lingering, timeout=2)
    if request.node.get_closest_marker("allow_blocking") is None:
        assert not catcher.hits, f"blocking call on the event loop: {catcher.hits[:3]}"
    assert not lingering, f"tasks left running: {[t.get_name() for t in lingering]}"


def service_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Under CI a missing service is a failure, elsewhere a skip."""
    if service_up(port):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not running on 127.0.0.1:{port}")
    pytest.skip(f"{name} not running on 127.0.0.1:{port}")


def require_tool(name: str) -> None:
    """A command a test drives (rabbitmqctl, pg_ctlcluster): under CI its absence is a failure, elsewhere a skip."""
    import shutil

    if shutil.which(name) is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed")
    pytest.skip(f"{name} not available")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_blocking: the test deliberately runs blocking code on the loop")
    config.addinivalue_line("markers", "broker_restart: restarts RabbitMQ for real (serial)")
    config.addinivalue_line("markers", "pg_restart: restarts the machine's PostgreSQL server (serial, rare)")
    config.addinivalue_line("markers", "embedded_pg: starts a private PostgreSQL with pgserver (slow)")
