"""A tiny sd_notify client: tell systemd we are ready, alive (watchdog), stopping, and what we are doing.

Datagrams go to `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Without it — not started
by systemd with Type=notify — every call is a no-op returning False. Sends never block: the socket is
non-blocking, and a full receiver queue drops the message (systemd reads it promptly; the next watchdog
ping follows anyway).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

from vssd.fsm.clock import LoopClock, sleep
from vssd.fsm.types import Clock

log = logging.getLogger("vssd.notify")

__all__ = ["Notifier", "keep_alive", "ready", "status", "stopping", "watchdog", "watchdog_interval_s"]


class Notifier:
    """Sends sd_notify messages; reads `NOTIFY_SOCKET`/`WATCHDOG_*` from `env` (default: os.environ)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env if env is not None else os.environ

    @property
    def address(self) -> str | None:
        raw = self._env.get("NOTIFY_SOCKET")
        if not raw:
            return None
        return "\0" + raw[1:] if raw.startswith("@") else raw

    def send(self, *assignments: str) -> bool:
        """Send `KEY=value` lines as one datagram; True if it was handed to the socket."""
        address = self.address
        if address is None:
            return False
        message = "\n".join(assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.setblocking(False)
                sock.sendto(message, address)
        except OSError as exc:
            log.warning("sd_notify to %r failed: %s", self._env.get("NOTIFY_SOCKET"), exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        return self.send("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text.replace(chr(10), ' ')}")

    def watchdog_interval_s(self) -> float | None:
        """The watchdog period systemd expects pings within (`WatchdogSec=`), or None if not enabled.

        Ping at half of it. `WATCHDOG_PID`, when set, must be this process (else the setting was inherited).
        """
        usec = self._env.get("WATCHDOG_USEC")
        pid = self._env.get("WATCHDOG_PID")
        if not usec or (pid and pid != str(os.getpid())):
            return None
        try:
            value = int(usec)
        except ValueError:
            return None
        return value / 1_000_000 if value > 0 else None


def ready(status: str | None = None) -> bool:
    return Notifier().ready(status)


def watchdog() -> bool:
    return Notifier().watchdog()


def stopping(status: str | None = None) -> bool:
    return Notifier().stopping(status)


def status(text: str) -> bool:
    return Notifier().status(text)


def watchdog_interval_s() -> float | None:
    return Notifier().watchdog_interval_s()


async def keep_alive(
    notifier: Notifier | None = None, clock: Clock | None = None, healthy: Callable[[], bool] | None = None
) -> None:
    """Ping the watchdog at half its period for as long as it runs (spawn it through `TaskSet`).

    Returns at once when systemd set no watchdog. A ping is skipped while `healthy()` is false, so a daemon
    that is alive but stuck (e.g. its AMI pump wedged) gets restarted by systemd.
    """
    notifier = notifier if notifier is not None else Notifier()
    interval_s = notifier.watchdog_interval_s()
    if interval_s is None:
        return
    clock = clock if clock is not None else LoopClock()
    while True:
        if healthy is None or healthy():
            notifier.watchdog()
        else:
            log.warning("watchdog ping withheld: daemon reports itself unhealthy")
        await sleep(clock, interval_s / 2)
