"""Suite-wide guards: no lingering tasks, no blocking calls on the event loop, services real under CI."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from pathlib import Path

import pytest

# shared/ sits beside the clone (../shared); VSSD_CORPUS overrides for a clone placed elsewhere.
CORPUS = Path(os.environ.get("VSSD_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

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


@pytest.fixture(autouse=True)
async def _loop_guards(request: pytest.FixtureRequest):
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_blocking: the test deliberately runs blocking code on the loop")
