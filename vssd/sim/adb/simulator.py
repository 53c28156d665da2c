"""AdbSimulator: a farm of phones behind the adb host protocol on TCP, with fault controls and a ledger."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import random
from dataclasses import dataclass, replace
from typing import Any

from vssd.sim.adb.clock import SimClock
from vssd.sim.adb.connection import UNAUTHORIZED, Connection, TransportError
from vssd.sim.adb.phone import SIM_STATES, STATES, Phone, personalise
from vssd.sim.adb.profiles import load_profile, profile_names
from vssd.sim.adb.wire import ProtocolError
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.sim.adb")

FAULTS = ("unplug", "plug", "offline", "unauthorized", "sim_absent", "hot_battery", "low_battery",
          "out_of_service", "reboot", "clear")
HOT_TEMP_C = 47.0
LOW_LEVEL = 4


@dataclass(frozen=True)
class LedgerEntry:
    """One request the simulator received. `at` is simulated epoch seconds (see SimClock)."""

    serial: str | None
    service: str
    command: str
    at: float


def require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to bind {host!r}: the simulators listen on loopback only")


class AdbSimulator:
    """See docs/device-simulator.md. Phones sit `ports_per_hub` to a USB hub: usb:1-1.1 … usb:1-1.4, usb:1-2.1 …"""

    def __init__(
        self,
        phones: int | list[Phone] = 8,
        seed: int = 0,
        time_scale: float = 1.0,
        boot_time_s: float = 30.0,
        ports_per_hub: int = 4,
        ledger_size: int = 100_000,
        clock: SimClock | None = None,
    ) -> None:
        self.clock = clock or SimClock(time_scale)
        self.boot_time_s = boot_time_s
        self._rng = random.Random(seed)
        self._next_transport = 1
        # Ledger overflow policy: the oldest entries drop once `ledger_size` is reached.
        self._ledger: collections.deque[LedgerEntry] = collections.deque(maxlen=ledger_size)
        self.phones: dict[str, Phone] = {}
        self._baseline: dict[str, Phone] = {}
        self._build_phones(phones, ports_per_hub)
        self._changed = asyncio.Event()
        self._tasks = TaskSet("adb-sim")
        self._control = TaskSet("adb-sim-control")
        self._boots: dict[str, asyncio.Task[Any]] = {}
        self._conn_tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._stopped = asyncio.Event()
        self.port = 0

    def _build_phones(self, phones: int | list[Phone], ports_per_hub: int) -> None:
        """Generated phones get seeded health values; given `Phone`s keep theirs and only fill blanks."""
        names = profile_names()
        generated = not isinstance(phones, list)
        given = [Phone() for _ in range(phones)] if isinstance(phones, int) else phones
        for i, phone in enumerate(given):
            personalise(phone, load_profile(phone.profile or names[i % len(names)]), self._rng, i)
            hub, port = divmod(i, ports_per_hub)
            phone.hub = phone.hub or f"1-{hub + 1}"
            phone.usb_path = phone.usb_path or f"usb:{phone.hub}.{port + 1}"
            if generated:
                phone.battery_level = self._rng.randint(55, 98)
                phone.battery_temp_c = round(self._rng.uniform(26.0, 33.0), 1)
                phone.signal_dbm = self._rng.randint(-108, -78)
            phone.transport_id = self._new_transport_id()
            phone.booted_at = self.clock.time() - self._rng.randint(3600, 5 * 86400)
            if phone.serial in self.phones:
                raise ValueError(f"duplicate serial {phone.serial}")
            self.phones[phone.serial] = phone
            self._baseline[phone.serial] = replace(phone, props=dict(phone.props), settings={})

    def _new_transport_id(self) -> int:
        self._next_transport += 1
        return self._next_transport - 1

    # ---- lifecycle -----------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        require_loopback(host)
        self._server = await asyncio.start_server(self._on_client, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("adb simulator on %s:%d with %d phones", host, self.port, len(self.phones))

    async def stop(self) -> None:
        """Close the listener and every client connection; cancel boots. Safe to call twice."""
        if self._server is not None:
            self._server.close()
            self._server = None
        me = asyncio.current_task()
        conns = [t for t in self._conn_tasks if t is not me]
        for task in conns:
            task.cancel()
        if conns:
            await asyncio.wait(conns, timeout=5)
        await self._tasks.cancel_all()
        self._stopped.set()

    async def wait_stopped(self) -> None:
        """Returns once the simulator stopped (by `stop()` or a client's `host:kill`)."""
        await self._stopped.wait()

    def request_kill(self) -> None:
        self._control.spawn(self.stop(), "host-kill")

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conn_tasks.add(task)
        try:
            await Connection(self, reader, writer).serve()
        except (ProtocolError, ConnectionError, asyncio.IncompleteReadError) as err:
            log.debug("adb client dropped: %s", err)
        except asyncio.CancelledError:
            pass  # stop() cancels handlers; ending normally keeps asyncio's stream callback from logging it
        finally:
            self._conn_tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    # ---- what clients see ----------------------------------------------------------------------------------

    def record(self, serial: str | None, service: str, command: str) -> None:
        self._ledger.append(LedgerEntry(serial, service, command, self.clock.time()))

    @property
    def ledger(self) -> list[LedgerEntry]:
        return list(self._ledger)

    def changed_event(self) -> asyncio.Event:
        return self._changed

    def _notify(self) -> None:
        """Wake every track-devices client; a fresh event catches the next change."""
        self._changed.set()
        self._changed = asyncio.Event()

    def device_list(self, long: bool) -> str:
        return "".join(_list_line(p, long) for p in self.phones.values() if p.plugged)

    def acquire(self, serial: str | None = None, transport_id: int | None = None, any_state: bool = False) -> Phone:
        """Find the one device a request targets, failing with the adb server's words."""
        plugged = [p for p in self.phones.values() if p.plugged]
        if serial is not None:
            found = [p for p in plugged if p.serial == serial]
            missing = f"device '{serial}' not found"
        elif transport_id is not None:
            found = [p for p in plugged if p.transport_id == transport_id]
            missing = f"no device with transport id '{transport_id}'"
        else:
            found, missing = plugged, "no devices/emulators found"
        if not found:
            raise TransportError(missing)
        if len(found) > 1:
            raise TransportError("more than one device/emulator")
        phone = found[0]
        if not any_state and phone.state == "unauthorized":
            raise TransportError(UNAUTHORIZED)
        if not any_state and phone.state == "offline":
            raise TransportError("device offline")
        return phone

    def wait_satisfied(self, serial: str | None, state: str) -> bool:
        """For wait-for-STATE: is some (or the named) phone in `state`? `disconnect`: is it (are all) gone?
        Simulated phones never enter recovery/bootloader/sideload, so those waits last until the client leaves."""
        plugged = [p for p in self.phones.values() if p.plugged and serial in (None, p.serial)]
        if state == "disconnect":
            return not plugged
        return any(p.state == state for p in plugged)

    # ---- fault controls ------------------------------------------------------------------------------------

    def _phone(self, serial: str) -> Phone:
        try:
            return self.phones[serial]
        except KeyError:
            raise KeyError(f"no simulated phone {serial!r}") from None

    def unplug(self, serial: str) -> None:
        phone = self._phone(serial)
        self._cancel_boot(serial)
        phone.plugged = False
        self._notify()

    def plug(self, serial: str) -> None:
        phone = self._phone(serial)
        if not phone.plugged:
            phone.plugged = True
            phone.transport_id = self._new_transport_id()
            self._notify()

    def set_state(self, serial: str, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        phone = self._phone(serial)
        self._cancel_boot(serial)
        if phone.state != state:
            phone.state = state
            self._notify()

    def set_sim(self, serial: str, state: str) -> None:
        if state not in SIM_STATES:
            raise ValueError(f"SIM state must be one of {SIM_STATES}")
        self._phone(serial).sim_state = state

    def set_battery(self, serial: str, level: int | None = None, temp_c: float | None = None) -> None:
        phone = self._phone(serial)
        if level is not None:
            phone.battery_level = max(0, min(100, int(level)))
        if temp_c is not None:
            phone.battery_temp_c = float(temp_c)

    def set_service(self, serial: str, in_service: bool = True, signal_dbm: int | None = None) -> None:
        phone = self._phone(serial)
        phone.in_service = in_service
        if signal_dbm is not None:
            phone.signal_dbm = signal_dbm

    def apply_fault(self, serial: str, fault: str) -> None:
        """The control API's named faults; `clear` restores the phone as it was built."""
        actions = {
            "unplug": lambda: self.unplug(serial),
            "plug": lambda: self.plug(serial),
            "offline": lambda: self.set_state(serial, "offline"),
            "unauthorized": lambda: self.set_state(serial, "unauthorized"),
            "sim_absent": lambda: self.set_sim(serial, "ABSENT"),
            "hot_battery": lambda: self.set_battery(serial, temp_c=HOT_TEMP_C),
            "low_battery": lambda: self.set_battery(serial, level=LOW_LEVEL),
            "out_of_service": lambda: self.set_service(serial, in_service=False),
            "reboot": lambda: self.begin_reboot(serial),
            "clear": lambda: self._clear(serial),
        }
        if fault not in actions:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        self._phone(serial)
        actions[fault]()

    def _clear(self, serial: str) -> None:
        base = self._baseline[serial]
        self.plug(serial)
        self.set_state(serial, "device")
        self.set_sim(serial, base.sim_state)
        self.set_battery(serial, level=base.battery_level, temp_c=base.battery_temp_c)
        self.set_service(serial, base.in_service, base.signal_dbm)

    # ---- reboot on the accelerated clock -------------------------------------------------------------------

    def begin_reboot(self, serial: str) -> None:
        """The phone drops offline now and is back as `device` after `boot_time_s` simulated seconds."""
        phone = self._phone(serial)
        self._cancel_boot(serial)
        phone.state = "offline"
        self._notify()
        self._boots[serial] = self._tasks.spawn(self._boot(phone), f"boot-{serial}")

    async def _boot(self, phone: Phone) -> None:
        await self.clock.sleep(self.boot_time_s)
        self._boots.pop(phone.serial, None)
        phone.state = "device"
        phone.booted_at = self.clock.time()
        phone.transport_id = self._new_transport_id()
        self._notify()

    def _cancel_boot(self, serial: str) -> None:
        task = self._boots.pop(serial, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def _list_line(phone: Phone, long: bool) -> str:
    """adb/transport.cpp append_transport(): `%-22s %s` then devpath, product:, model:, device:, transport_id:."""
    if not long:
        return f"{phone.serial}\t{phone.state}\n"
    parts = [f"{phone.serial:<22} {phone.state}", phone.usb_path]
    if phone.state == "device":
        model = "".join(c if c.isalnum() else "_" for c in phone.model)
        parts += [f"product:{phone.props.get('ro.product.name', '')}", f"model:{model}",
                  f"device:{phone.props.get('ro.product.device', '')}"]
    parts.append(f"transport_id:{phone.transport_id}")
    return " ".join(parts) + "\n"
