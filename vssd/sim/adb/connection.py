"""One client connection to the simulated adb server: host services, transport switch, device services.

Error texts are the real adb server's (adb/transport.cpp acquire_one_transport, adb/sockets.cpp).
"""

from __future__ import annotations

import asyncio
import logging
import re
import struct
from typing import TYPE_CHECKING, Any

from vssd.sim.adb import dumps, wire
from vssd.sim.adb.phone import Phone
from vssd.sim.adb.shell import DeviceShell

if TYPE_CHECKING:
    from vssd.sim.adb.simulator import AdbSimulator

log = logging.getLogger("vssd.sim.adb")

SERVER_VERSION = 41
UNAUTHORIZED = (
    "device unauthorized.\n"
    "This adb server's $ADB_VENDOR_KEYS is not set\n"
    "Try 'adb kill-server' if that seems wrong.\n"
    "Otherwise check for a confirmation dialog on your device."
)
SIM_IDENTITY = "vssd-adb-simulator"  # answered to `host:vssd-sim`; a real adb server says "unknown host service"
_DEVICE_QUERIES = ("features", "get-state", "get-serialno", "get-devpath")
_WAIT_FOR = re.compile(
    r"^(?:host|host-serial:(?P<serial>.+)):wait-for-(?:any|usb|local)-"
    r"(?P<state>device|recovery|rescue|sideload|bootloader|disconnect)$"
)


class TransportError(Exception):
    """The requested device cannot be reached; the message is the adb server's."""


class Connection:
    def __init__(self, sim: AdbSimulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.sim = sim
        self.reader = reader
        self.writer = writer

    async def serve(self) -> None:
        phone: Phone | None = None
        while True:
            request = await wire.read_request(self.reader)
            if request is None:
                return
            if phone is not None:
                await self._device_service(phone, request)
                return
            phone = await self._host_service(request)
            if phone is None:
                return

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    # ---- host services -------------------------------------------------------------------------------------

    async def _host_service(self, request: str) -> Phone | None:
        """Answer a host request; returns the phone when the connection switched to its transport."""
        serial, query = _split_host_request(request)
        self.sim.record(_target_serial(request, serial), "host", request)
        wait = _WAIT_FOR.match(request)
        try:
            if wait is not None:
                await self._wait_for(wait["serial"], wait["state"])
                return None
            if query is not None:
                await self._device_query(serial, query)
                return None
            return await self._plain_host_service(request)
        except TransportError as err:
            await self._send(wire.fail(str(err)))
            return None

    async def _plain_host_service(self, request: str) -> Phone | None:
        sim = self.sim
        if request == "host:version":
            await self._send(wire.okay(f"{SERVER_VERSION:04x}"))
        elif request == "host:kill":
            await self._send(wire.okay())
            sim.request_kill()
        elif request in ("host:devices", "host:devices-l"):
            await self._send(wire.okay(sim.device_list(long=request.endswith("-l"))))
        elif request in ("host:track-devices", "host:track-devices-l"):
            await self._track(long=request.endswith("-l"))
        elif request == "host:vssd-sim":
            await self._send(wire.okay(SIM_IDENTITY))
        elif request.startswith(("host:transport", "host:tport:")):
            return await self._switch_transport(request)
        else:
            await self._send(wire.fail("unknown host service"))
        return None

    async def _switch_transport(self, request: str) -> Phone:
        sim = self.sim
        rest = request[len("host:") :]
        if rest.startswith("transport:"):
            phone = sim.acquire(serial=rest[len("transport:") :])
        elif rest.startswith("tport:serial:"):
            phone = sim.acquire(serial=rest[len("tport:serial:") :])
        elif rest.startswith("transport-id:") or rest.startswith("tport:id:"):
            phone = sim.acquire(transport_id=_int(rest.rsplit(":", 1)[1]))
        elif rest in ("transport-any", "transport-usb", "tport:any", "tport:usb"):
            phone = sim.acquire()
        else:
            raise TransportError("unknown host service")
        reply = wire.okay()
        if rest.startswith("tport:"):
            reply += struct.pack("<Q", phone.transport_id)
        await self._send(reply)
        return phone

    async def _device_query(self, serial: str | None, query: str) -> None:
        """`host-serial:SERIAL:features` and friends (also `host:features` for the only device)."""
        any_state = query != "features"
        if serial is not None and serial.startswith("id:"):
            phone = self.sim.acquire(transport_id=_int(serial[3:]), any_state=any_state)
        else:
            phone = self.sim.acquire(serial=serial, any_state=any_state)
        answers = {
            "features": lambda: dumps.features(phone),
            "get-state": lambda: phone.state,
            "get-serialno": lambda: phone.serial,
            "get-devpath": lambda: phone.usb_path,
        }
        await self._send(wire.okay(answers[query]()))

    async def _track(self, long: bool) -> None:
        """Push the device list now and after every change until the client goes away.

        Overflow policy: changes coalesce — a slow client gets the newest list, never a backlog."""
        await self._send(wire.okay())
        gone = asyncio.ensure_future(self.reader.read(1))
        last: str | None = None
        try:
            while True:
                changed = self.sim.changed_event()
                text = self.sim.device_list(long=long)
                if text != last:
                    await self._send(wire.block(text))
                    last = text
                if not await _change_or_hangup(changed, gone):
                    return
        finally:
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)

    async def _wait_for(self, serial: str | None, state: str) -> None:
        """`wait-for-TRANSPORT-STATE`: OKAY now, a second OKAY once the condition holds (adb's wait_for_state)."""
        await self._send(wire.okay())
        gone = asyncio.ensure_future(self.reader.read(1))
        try:
            while not self.sim.wait_satisfied(serial, state):
                if not await _change_or_hangup(self.sim.changed_event(), gone):
                    return
            await self._send(wire.okay())
        finally:
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)

    # ---- device services -----------------------------------------------------------------------------------

    async def _device_service(self, phone: Phone, request: str) -> None:
        name, _, command = request.partition(":")
        kind, *options = name.split(",")
        self.sim.record(phone.serial, kind + (",v2" if "v2" in options else ""), command)
        if phone.state != "device" or not phone.plugged:
            await self._send(wire.fail("closed"))
        elif kind in ("shell", "exec"):
            await self._shell(phone, command, v2="v2" in options, pty=kind == "shell" and "raw" not in options)
        elif kind == "reboot":
            await self._send(wire.okay())
            self.sim.begin_reboot(phone.serial)
        else:
            await self._send(wire.fail("closed"))

    async def _shell(self, phone: Phone, command: str, v2: bool, pty: bool) -> None:
        if v2 and "shell_v2" not in dumps.features(phone):
            await self._send(wire.fail("closed"))
            return
        shell = DeviceShell(phone, self.sim.clock.sleep, self.sim.clock.time)
        await self._send(wire.okay())
        result = await shell.run(command)
        out, err = result.stdout.encode(), result.stderr.encode()
        if v2:
            data = b"".join(wire.shell_packet(i, d) for i, d in ((1, out), (2, err)) if d)
            if not result.reboot:
                data += wire.shell_packet(wire.ID_EXIT, bytes([result.exit_code & 0xFF]))
        else:
            data = out + err
            if pty and phone.sdk < 24:  # before Android N, `shell:` always ran under a PTY: CRLF endings
                data = data.replace(b"\n", b"\r\n")
        await self._send(data)
        if result.reboot:
            self.sim.begin_reboot(phone.serial)


async def _change_or_hangup(changed: asyncio.Event, gone: asyncio.Future[bytes]) -> bool:
    """Wait for the next device change (True) or for the client to hang up (False)."""
    waiter = asyncio.ensure_future(changed.wait())
    either: set[asyncio.Future[Any]] = {gone, waiter}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    return not gone.done()


def _split_host_request(request: str) -> tuple[str | None, str | None]:
    """`host-serial:S:Q` → (S, Q); `host:Q` for a device query → (None, Q); anything else → (None, None)."""
    for query in _DEVICE_QUERIES:
        if request == f"host:{query}":
            return None, query
        for prefix in ("host-serial:", "host-transport-id:"):
            if request.startswith(prefix) and request.endswith(f":{query}"):
                serial = request[len(prefix) : -len(query) - 1]
                return (f"id:{serial}" if prefix == "host-transport-id:" else serial), query
    if request.startswith("host-serial:"):
        return request.split(":")[1], None
    return None, None


def _target_serial(request: str, serial: str | None) -> str | None:
    for prefix in ("host:transport:", "host:tport:serial:"):
        if request.startswith(prefix):
            return request[len(prefix) :]
    return serial


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as err:
        raise TransportError(f"invalid transport id '{text}'") from err
