"""vssd's link to the adb server (or the device simulator) through adbutils.

adbutils is blocking: every call runs in a bounded thread pool, never on the loop, and is bounded by a
timeout. adbutils' stock connection runs `adb start-server` when nothing answers on the port; that would
start a real adb server talking to real phones, so `NoSpawnAdbClient` replaces the connection and an
unreachable server is an `AdbNotReady`, never a spawned process.

`watch()` speaks host:track-devices-l directly on asyncio streams (the same protocol adbutils uses) so a
long-lived watch never pins a pool thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import adbutils
from adbutils.errors import AdbConnectionError, AdbTimeout

from vssd.adapters.adb_parse import (
    DeviceInfo,
    parse_battery,
    parse_devices,
    parse_getprop,
    parse_siminfo,
    parse_telephony_registry,
    sim_state,
)

__all__ = [
    "AdbAdapter", "AdbAuthFailed", "AdbError", "AdbFatal", "AdbNotReady", "DeviceHealth", "DeviceInfo",
    "NoSpawnAdbClient", "ShellResult",
]

log = logging.getLogger("vssd.adapters.adb")
T = TypeVar("T")
SIM_IDENTITY = "vssd-adb-simulator"


class AdbError(Exception):
    """Base of the adapter's errors."""


class AdbNotReady(AdbError):
    """Server unreachable, device offline/absent/rebooting or a call timed out: retry later."""


class AdbAuthFailed(AdbError):
    """The device did not authorize this host (`unauthorized`): a human must act; stop retrying."""


class AdbFatal(AdbError):
    """Anything else: protocol errors, ambiguous targets, a closed adapter."""


@dataclass(frozen=True)
class ShellResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class DeviceHealth:
    serial: str
    state: str  # device | offline | unauthorized | absent (not on the server's list)
    usb_path: str | None = None
    hub: str | None = None
    model: str | None = None
    sim_state: str | None = None
    in_service: bool | None = None
    signal_dbm: int | None = None
    signal_level: int | None = None
    battery_level: int | None = None
    battery_temp_c: float | None = None
    iccid: str | None = None
    imsi: str | None = None


class _NoSpawnConnection(adbutils.AdbConnection):
    def _safe_connect(self) -> Any:
        return self._create_socket()  # raises AdbConnectionError/AdbTimeout; never `adb start-server`


class NoSpawnAdbClient(adbutils.AdbClient):
    """An adbutils client that never starts an adb server process."""

    def __init__(self, host: str, port: int, socket_timeout: float | None = None) -> None:
        super().__init__(host=host, port=port, socket_timeout=socket_timeout)
        self._timeout = socket_timeout

    def make_connection(self, timeout: float | None = None) -> adbutils.AdbConnection:
        try:
            conn = _NoSpawnConnection(self.host, self.port)
        except TimeoutError as err:
            raise AdbTimeout("connect to adb server timeout") from err
        if timeout or self._timeout:
            conn.conn.settimeout(timeout or self._timeout)
        return conn


_NOT_READY = ("offline", "not found", "no devices", "still connecting", "closed", "connection")


def classify(err: BaseException) -> AdbError:
    """Map adbutils/socket errors to the adapter's typed errors (the caller raises it `from err`)."""
    text = str(err)
    if isinstance(err, AdbError):
        return err
    if isinstance(err, AdbConnectionError | AdbTimeout | OSError | EOFError | TimeoutError):
        return AdbNotReady(text or type(err).__name__)
    if "unauthorized" in text or "authorizing" in text:
        return AdbAuthFailed(text.splitlines()[0] if text else "device unauthorized")
    if any(word in text for word in _NOT_READY):
        return AdbNotReady(text)
    return AdbFatal(text or type(err).__name__)


class AdbAdapter:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 15037,
        workers: int = 8,
        timeout_s: float = 10.0,
        *,
        backoff_s: tuple[float, float] = (0.2, 5.0),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._client = NoSpawnAdbClient(host, port, socket_timeout=timeout_s)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="adb")
        # Bounded queue: at most `workers` calls are handed to the pool; the rest wait here (inside their timeout).
        self._slots = asyncio.Semaphore(workers)
        self._devices: dict[str, adbutils.AdbDevice] = {}
        self._features: dict[str, set[str]] = {}
        self._backoff = backoff_s
        self._sleep = sleep
        self._closed = False

    async def _call(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        if self._closed:
            raise AdbFatal("adb adapter is closed")
        loop = asyncio.get_running_loop()
        limit = timeout_s or self.timeout_s
        try:
            async with asyncio.timeout(limit), self._slots:
                return await loop.run_in_executor(self._pool, fn, *args)
        except TimeoutError as err:
            raise AdbNotReady(f"adb call timed out after {limit}s") from err
        except AdbError:
            raise
        except (adbutils.AdbError, OSError, EOFError, ValueError) as err:
            raise classify(err) from err

    def _device(self, serial: str) -> adbutils.AdbDevice:
        device = self._devices.get(serial)
        if device is None:
            device = self._devices[serial] = adbutils.AdbDevice(self._client, serial=serial)
        return device

    # ---- server ----------------------------------------------------------------------------------------------

    async def server_version(self) -> int:
        return await self._call(self._client.server_version)

    async def is_simulator(self) -> bool:
        """True only when the peer is vssd's device simulator (a real adb server says "unknown host service")."""

        def ask() -> str:
            with self._client.make_connection() as c:
                c.send_command("host:vssd-sim")
                c.check_okay()
                return c.read_string_block()

        try:
            return await self._call(ask) == SIM_IDENTITY
        except AdbFatal:
            return False

    async def devices(self) -> list[DeviceInfo]:
        def listing() -> str:
            with self._client.make_connection() as c:
                c.send_command("host:devices-l")
                c.check_okay()
                return c.read_string_block()

        return parse_devices(await self._call(listing))

    # ---- per device ------------------------------------------------------------------------------------------

    async def shell(self, serial: str, argv: list[str], timeout_s: float | None = None) -> ShellResult:
        """Run argv on the device, every element shlex-quoted. Exit codes need shell v2 (Android 7+); older
        devices get adbutils' `; echo X4EXIT:$?` fallback and their PTY's CRLF turned back into LF."""
        if not argv:
            raise ValueError("argv must not be empty")
        command = " ".join(shlex.quote(str(a)) for a in argv)
        limit = timeout_s or self.timeout_s

        def run() -> ShellResult:
            device = self._device(serial)
            features = self._features.get(serial)
            if features is None:
                features = self._features[serial] = set(device.get_features().split(","))
            v2 = "shell_v2" in features
            result = device.shell2(command, timeout=limit, v2=v2)
            if v2:
                return ShellResult(result.returncode, result.stdout, result.stderr)
            return ShellResult(result.returncode, result.output.replace("\r\n", "\n"), "")

        try:
            return await self._call(run, timeout_s=limit)
        except AdbError:
            self._forget(serial)
            raise

    def _forget(self, serial: str) -> None:
        """Drop cached per-device state (after a reboot or an error the device may come back different)."""
        self._devices.pop(serial, None)
        self._features.pop(serial, None)

    async def _text(self, serial: str, argv: list[str]) -> str:
        return (await self.shell(serial, argv)).stdout

    async def reboot(self, serial: str) -> None:
        def run() -> None:
            with self._device(serial).open_transport(timeout=self.timeout_s) as c:
                c.send_command("reboot:")
                c.check_okay()
                c.read_until_close()

        try:
            await self._call(run)
        finally:
            self._forget(serial)

    async def health(self, serial: str) -> DeviceHealth:
        """State from the server's list; SIM, network, signal, battery and SIM ids from the device itself."""
        info = next((d for d in await self.devices() if d.serial == serial), None)
        if info is None:
            return DeviceHealth(serial=serial, state="absent")
        base = DeviceHealth(serial, info.state, info.usb_path, info.hub, info.model)
        if info.state != "device":
            return base
        siminfo = ["content", "query", "--uri", "content://telephony/siminfo", "--projection", "icc_id:imsi"]
        commands = (["getprop"], ["dumpsys", "battery"], ["dumpsys", "telephony.registry"], siminfo)
        results = await asyncio.gather(*(self._text(serial, argv) for argv in commands), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        props_text, battery_text, radio_text, sim_text = (str(r) for r in results)
        return _health(base, props_text, battery_text, radio_text, sim_text)

    # ---- device list changes ---------------------------------------------------------------------------------

    async def watch(self) -> AsyncIterator[list[DeviceInfo]]:
        """Yield the device list now and after every change (host:track-devices-l), reconnecting with
        exponential backoff when the server goes away. Nothing is yielded while the server is unreachable."""
        delay = self._backoff[0]
        while not self._closed:
            try:
                async with contextlib.aclosing(self._track_once()) as lists:
                    async for devices in lists:
                        delay = self._backoff[0]
                        yield devices
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as err:
                log.info("adb track-devices lost (%s); retrying in %.1fs", err, delay)
            if self._closed:
                return
            await self._sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _track_once(self) -> AsyncGenerator[list[DeviceInfo], None]:
        async with asyncio.timeout(self.timeout_s):
            reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            request = b"host:track-devices-l"
            writer.write(b"%04x" % len(request) + request)
            await writer.drain()
            async with asyncio.timeout(self.timeout_s):
                status = await reader.readexactly(4)
            if status != b"OKAY":
                raise AdbFatal(f"track-devices refused: {status!r}")
            while True:  # no timeout: the server speaks only when something changes
                size = int(await reader.readexactly(4), 16)
                yield parse_devices((await reader.readexactly(size)).decode("utf-8", "replace"))
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def close(self) -> None:
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)


def _health(base: DeviceHealth, props_text: str, battery_text: str, radio_text: str, sim_text: str) -> DeviceHealth:
    props = parse_getprop(props_text)
    battery = parse_battery(battery_text)
    radio = parse_telephony_registry(radio_text)
    sim = parse_siminfo(sim_text)
    state = sim_state(props)
    return DeviceHealth(
        serial=base.serial, state=base.state, usb_path=base.usb_path, hub=base.hub,
        model=props.get("ro.product.model") or base.model,
        sim_state=state,
        in_service=bool(radio.in_service) and state in ("READY", None) if radio.in_service is not None else None,
        signal_dbm=radio.signal_dbm, signal_level=radio.signal_level,
        battery_level=battery.level, battery_temp_c=battery.temperature_c,
        iccid=sim.get("icc_id"), imsi=sim.get("imsi"),
    )
