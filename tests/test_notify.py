"""sd_notify against a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vssd import notify
from vssd.fsm import ManualClock
from vssd.notify import Notifier, keep_alive


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(1.0)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def test_module_functions_speak_the_protocol(listener, monkeypatch: pytest.MonkeyPatch) -> None:
    sock, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert notify.ready()
    assert sock.recv(4096) == b"READY=1"
    assert notify.status("42 slots READY\n3 FAULT")
    assert sock.recv(4096) == b"STATUS=42 slots READY 3 FAULT"
    assert notify.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notify.stopping("draining calls")
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=draining calls"


def test_abstract_namespace_socket() -> None:
    name = f"vssd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(1.0)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready("up")
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.ready() is False
    assert notify.watchdog() is False


def test_a_missing_socket_is_reported_not_raised(tmp_path: Path) -> None:
    assert Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}).watchdog() is False


def test_watchdog_interval() -> None:
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval_s() == 30.0
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_interval_s() == 30.0
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}).watchdog_interval_s() is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_interval_s() is None
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_interval_s() is None
    assert Notifier({}).watchdog_interval_s() is None


async def test_keep_alive_pings_at_half_the_period_while_healthy(listener) -> None:
    sock, path = listener
    sock.setblocking(False)
    clock, state = ManualClock(), {"healthy": True}
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    task = asyncio.get_running_loop().create_task(keep_alive(notifier, clock, lambda: state["healthy"]))
    try:
        pings = []
        for step in range(4):
            await asyncio.sleep(0)
            pings.append(_drain(sock))
            state["healthy"] = step < 1
            clock.advance(15)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert pings == [1, 1, 0, 0]


async def test_keep_alive_without_watchdog_returns() -> None:
    await asyncio.wait_for(keep_alive(Notifier({}), ManualClock()), 1)


def _drain(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            assert sock.recv(4096) == b"WATCHDOG=1"
        except BlockingIOError:
            return count
        count += 1
