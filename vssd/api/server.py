"""Serve one aiohttp app on several addresses (the demo: 127.0.0.1 ports 3000, 8001, 8081, 8082, 8083)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from vssd.api.deps import DEPS
from vssd.log import get_logger

log = get_logger("vssd.api.server")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    """One `AppRunner`, one `TCPSite` per address. Port 0 binds an ephemeral port (see `addresses`).

    With `demo` (default: the app's `ApiDeps.demo`) every address must be loopback: a demo never listens
    beyond this machine.
    """

    def __init__(self, app: web.Application, listen: Sequence[tuple[str, int]], *, demo: bool | None = None,
                 shutdown_timeout_s: float = 10.0) -> None:
        if not listen:
            raise ValueError("nothing to listen on")
        self.demo = demo if demo is not None else (DEPS in app and app[DEPS].demo)
        if self.demo:
            outside = [f"{h}:{p}" for h, p in listen if not is_loopback(h)]
            if outside:
                raise ValueError(f"demo mode binds loopback only; refused {', '.join(outside)}")
        self.app = app
        self.listen = list(listen)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=shutdown_timeout_s)
        self._started = False

    async def start(self) -> None:
        """Bind every address or none: a failed bind undoes the ones already made and re-raises."""
        await self._runner.setup()
        try:
            for host, port in self.listen:
                await web.TCPSite(self._runner, host, port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        self._started = True
        log.info("api.listening", addresses=[f"{h}:{p}" for h, p in self.addresses])

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The bound (host, port) pairs, with real port numbers for port 0."""
        return [(str(a[0]), int(a[1])) for a in self._runner.addresses]

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self._runner.cleanup()
