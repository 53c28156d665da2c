"""What the admin routes do to slots and devices, and what monitoring measures, over the farm, the store's
slot rows and the adb link (all taken as Protocols: this module imports no adapter).

- `SlotControl`: create/patch/delete/enroll/disable/restart a slot (row in the store + actor in the farm).
- `DeviceControl`: reboot a slot's phone, run an (already validated) argv on it.
- `Monitor`: host (psutil), USB hubs from the adb topology, network (AMI round-trip, interface counters), slots.

Errors follow `vssd.api.ports`: `LookupError` (no such slot/trunk), `ValueError(code, message)` (refused),
`ConnectionError` (device or adb server unreachable), `TimeoutError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import psutil

from vssd.actors.farm import SlotFarm
from vssd.actors.slot import SlotBusy, SlotCore, SlotSpec
from vssd.actors.supervisor import ActorStatus
from vssd.config.models import NumberingConfig
from vssd.fsm import SlotState, SlotType, TransitionNotAllowed

log = logging.getLogger("vssd.actors.control")
SLOT_TYPES = tuple(t.value for t in SlotType)
PATCHABLE = ("name", "device_model", "trunk_id")
LIVE_HEALTH_TIMEOUT_S = 3.0
AMI_PING_TIMEOUT_S = 2.0


class SlotRows(Protocol):
    """The store's slot rows and trunk lookup (`vssd.adapters.store_trunks.TrunkStore`)."""

    async def insert_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def patch_slot(self, slot_id: int, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def get_slot_row(self, slot_id: int) -> dict[str, Any] | None: ...

    async def delete_slot(self, slot_id: int) -> bool: ...

    async def used_sip_numbers(self) -> set[str]: ...

    async def get_trunk(self, trunk_id: int) -> dict[str, Any] | None: ...

    async def list_trunks(self) -> list[dict[str, Any]]: ...

    async def create_trunk(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def update_trunk(self, trunk_id: int, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def delete_trunk(self, trunk_id: int) -> None: ...


class DeviceLink(Protocol):
    """The adb link (`vssd.adapters.adb.AdbAdapter`): devices have .serial .state .hub .usb_path; shell
    results .exit_code .stdout .stderr; health has .battery_level .battery_temp_c .signal_dbm …"""

    async def devices(self) -> list[Any]: ...

    async def shell(self, serial: str, argv: list[str], timeout_s: float | None = None) -> Any: ...

    async def reboot(self, serial: str) -> None: ...

    async def health(self, serial: str) -> Any: ...


def _row_id(slot_id: str) -> int:
    if not slot_id.isdigit():
        raise LookupError(slot_id)
    return int(slot_id)


def _live_call(core: SlotCore) -> bool:
    return core.call is not None and core.call.outcome is None


class SlotControl:
    """`vssd.api.ports.SlotAdmin`, `TrunkAdmin` and `SlotDirectory` over the farm and the store's rows.

    As the slot directory it adds what the farm's views lack: the trunk a slot is bound to before it is
    enrolled, and the trunk's name (kept from the trunk writes that pass here; `load()` reads them at start).
    The views are the farm's cached ones (`SlotFarm.slot_views`): every edit here goes through the farm's
    methods (`update_spec`, `name_trunk` …) so that the cache hears of it.

    `line_state` (the PBX's PJSIPShowEndpoints rows, e.g. `CallPump.endpoints`) tells a slot created at run
    time whether its endpoint is already reachable: registration events only report changes. `numbering`
    (`slots.numbering`) is the block a new slot's SIP number is taken from, per type (SPEC: configurable)."""

    def __init__(self, farm: SlotFarm, rows: SlotRows,
                 line_state: Callable[[], Awaitable[Sequence[Mapping[str, str]]]] | None = None, *,
                 numbering: NumberingConfig | None = None) -> None:
        self.farm = farm
        self.rows = rows
        self.line_state = line_state
        self.numbering = numbering if numbering is not None else NumberingConfig()
        self._create_lock = asyncio.Lock()  # the next free SIP number is read, then written
        self._busy: set[str] = set()  # slots with an admin operation under way (one at a time per slot)

    async def load(self) -> None:
        """Read the trunks' names (call once before serving)."""
        await self.list_trunks()

    # ---- SlotDirectory ---------------------------------------------------------------------------------------
    def slot_views(self) -> list[dict[str, Any]]:
        """Shared dicts (the farm's cache): do not mutate them."""
        return self.farm.slot_views()

    def slot_view(self, slot_id: str) -> dict[str, Any] | None:
        return self.farm.slot_view(slot_id)

    def views_version(self) -> int:
        """Changes whenever a view may have (`SlotFarm.views_version`)."""
        return self.farm.views_version()

    # ---- TrunkAdmin (through to the rows, keeping the names) -------------------------------------------------
    def _named(self, trunk: dict[str, Any]) -> dict[str, Any]:
        self.farm.name_trunk(str(trunk["id"]), trunk["name"])
        return trunk

    async def list_trunks(self) -> list[dict[str, Any]]:
        trunks = await self.rows.list_trunks()
        self.farm.name_trunks({str(t["id"]): t["name"] for t in trunks})
        return trunks

    async def get_trunk(self, trunk_id: int) -> dict[str, Any] | None:
        trunk = await self.rows.get_trunk(trunk_id)
        return self._named(trunk) if trunk is not None else None

    async def create_trunk(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._named(await self.rows.create_trunk(fields))

    async def update_trunk(self, trunk_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._named(await self.rows.update_trunk(trunk_id, fields))

    async def delete_trunk(self, trunk_id: int) -> None:
        await self.rows.delete_trunk(trunk_id)
        self.farm.forget_trunk(str(trunk_id))  # slots.trunk_id is ON DELETE SET NULL

    # ---- SlotAdmin -------------------------------------------------------------------------------------------

    def _core(self, slot_id: str) -> SlotCore:
        core = self.farm.cores.get(slot_id)
        if core is None:
            raise LookupError(slot_id)
        return core

    def _view(self, slot_id: str) -> dict[str, Any]:
        view = self.slot_view(slot_id)
        if view is None:
            raise LookupError(slot_id)
        return view

    async def _trunk(self, trunk_id: Any, slot_type: str | None) -> int:
        try:
            number = int(trunk_id)
        except (TypeError, ValueError):
            raise ValueError("INVALID_PARAMS", "trunk_id must be an integer") from None
        trunk = await self.get_trunk(number)
        if trunk is None:
            raise ValueError("SLOT_003", f"no trunk {number}")
        if slot_type is not None and str(trunk["type"]).upper() != slot_type:
            raise ValueError("TRUNK_002", f"trunk {number} is {trunk['type']}, the slot is {slot_type}")
        return number

    async def create_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        kind = str(fields.get("type") or fields.get("device_type") or "").upper()
        if kind not in SLOT_TYPES:
            raise ValueError("INVALID_PARAMS", f"type must be one of {', '.join(SLOT_TYPES)}")
        values: dict[str, Any] = {"type": kind}
        if fields.get("trunk_id") is not None:
            values["trunk_id"] = await self._trunk(fields["trunk_id"], kind)
        for name in ("device_id", "name", "device_model"):
            if fields.get(name):
                values[name] = str(fields[name])
        async with self._create_lock:
            endpoint = str(fields.get("internal_sip_number") or await self._next_number(kind))
            values.update(internal_sip_number=endpoint, sip_username=endpoint)
            row = await self.rows.insert_slot(values)
        spec = SlotSpec(slot_id=str(row["id"]), type=kind, endpoint=endpoint, device_serial=row.get("device_id"),
                        trunk_id=str(row["trunk_id"]) if row.get("trunk_id") is not None else None,
                        device_model=row.get("device_model") or "")
        await self.farm.add(spec)
        await self._learn_line(endpoint)
        return self._view(spec.slot_id)

    async def _learn_line(self, endpoint: str) -> None:
        if self.line_state is None:
            return
        try:
            rows = await self.line_state()
        except Exception as err:  # the PBX link is down: registration events will tell later
            log.warning("slot %s: endpoint state unknown (%r)", endpoint, err)
            return
        self.farm.on_endpoint_list([r for r in rows if r.get("objectname") == endpoint])

    async def _next_number(self, kind: str) -> str:
        """The lowest free number of the type's block; SLOT_001 when the block is full."""
        used = await self.rows.used_sip_numbers()
        block = self.numbering.block(SlotType(kind))
        number = next((n for n in range(block.first, block.last + 1) if str(n) not in used), None)
        if number is None:
            raise ValueError("SLOT_001", f"no free SIP number left in the {kind} block {block.first}-{block.last}")
        return str(number)

    async def patch_slot(self, slot_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self._exclusive(slot_id):
            return await self._patch(slot_id, fields)

    async def _patch(self, slot_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        core = self._core(slot_id)
        unknown = set(fields) - set(PATCHABLE)
        if unknown:
            raise ValueError("INVALID_PARAMS", f"cannot change {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {k: str(v) for k, v in fields.items() if k != "trunk_id"}
        rebind = "trunk_id" in fields and fields["trunk_id"] is not None
        if rebind:
            values["trunk_id"] = await self._trunk(fields["trunk_id"], core.spec.type)
            if _live_call(core):
                raise ValueError("SLOT_BUSY", f"slot {slot_id} has a live call")
        await self.rows.patch_slot(_row_id(slot_id), values)
        if "device_model" in values:
            self.farm.update_spec(slot_id, device_model=values["device_model"])
        if rebind:
            self.farm.update_spec(slot_id, trunk_id=str(values["trunk_id"]))
            if core.state is not SlotState.IDLE:
                await self._command(slot_id, "unassign", cause="trunk changed")
                await self._command(slot_id, "enroll", trunk_id=core.spec.trunk_id, cause="trunk changed")
        return self._view(slot_id)

    async def delete_slot(self, slot_id: str) -> None:
        with self._exclusive(slot_id):
            await self._delete(slot_id)

    async def _delete(self, slot_id: str) -> None:
        known = slot_id in self.farm.cores
        await self.farm.remove(slot_id)  # hangs a live call up and waits for its record first
        deleted = await self.rows.delete_slot(_row_id(slot_id))
        if not (known or deleted):
            raise LookupError(slot_id)

    async def enroll(self, slot_id: str, trunk_id: str | None, operator: str | None) -> dict[str, Any]:
        with self._exclusive(slot_id):
            return await self._enroll(slot_id, trunk_id, operator)

    async def _enroll(self, slot_id: str, trunk_id: str | None, operator: str | None) -> dict[str, Any]:
        core = self._core(slot_id)
        wanted = trunk_id if trunk_id is not None else core.spec.trunk_id
        if wanted is None:
            raise ValueError("INVALID_PARAMS", "trunk_id is required: the slot is bound to no trunk")
        number = await self._trunk(wanted, core.spec.type)
        await self._command(slot_id, "enroll", trunk_id=str(number), operator=operator, cause="enrolled by API")
        self.farm.update_spec(slot_id, trunk_id=str(number))
        # fsm_state ASSIGNED marks the slot enrolled in the store: a restarted daemon enrolls it again
        await self.rows.patch_slot(_row_id(slot_id), {"trunk_id": number, "enabled": True, "fsm_state": "ASSIGNED"})
        return self._view(slot_id)

    async def disable(self, slot_id: str) -> dict[str, Any]:
        self._core(slot_id)
        with self._exclusive(slot_id):
            await self._command(slot_id, "unassign", cause="disabled by API")
            await self.rows.patch_slot(_row_id(slot_id), {"enabled": False, "fsm_state": "IDLE"})
        return self._view(slot_id)

    async def restart(self, slot_id: str) -> dict[str, Any]:
        """Bring-up from scratch on the same trunk; a slot whose actor was given up on gets a new one first."""
        with self._exclusive(slot_id):
            return await self._restart(slot_id)

    async def _restart(self, slot_id: str) -> dict[str, Any]:
        core = self._core(slot_id)
        trunk = core.machine.facts.trunk_id or core.spec.trunk_id
        if core.state is SlotState.IDLE or trunk is None:
            raise ValueError("SLOT_STATE", f"slot {slot_id} is not enrolled: enroll it instead")
        if _live_call(core):
            raise ValueError("SLOT_BUSY", f"slot {slot_id} has a live call")
        await self._revive(slot_id, core)
        await self._command(slot_id, "unassign", cause="restart requested")
        await self._command(slot_id, "enroll", trunk_id=trunk, cause="restart requested")
        view = self._view(slot_id)
        return {"status": "restarting", "slot": view["id"], "fsm_state": view["fsm_state"]}

    @contextlib.contextmanager
    def _exclusive(self, slot_id: str) -> Iterator[None]:
        """One admin operation per slot at a time: a second one (a double-clicked delete) is refused, never
        interleaved with the first."""
        if slot_id in self._busy:
            raise ValueError("SLOT_BUSY", f"another operation on slot {slot_id} is under way")
        self._busy.add(slot_id)
        try:
            yield
        finally:
            self._busy.discard(slot_id)

    async def _revive(self, slot_id: str, core: SlotCore) -> None:
        """A slot whose restart budget is spent has no actor: give it a fresh one (and a fresh budget)."""
        supervisor = self.farm.supervisor
        if supervisor.status(slot_id) not in (ActorStatus.FAULTED, ActorStatus.FINISHED):
            return
        await supervisor.remove(slot_id)
        supervisor.add(slot_id, lambda: self.farm._actor(core))  # noqa: SLF001 (the farm's own actor factory)
        log.info("slot %s: actor revived by an admin restart", slot_id)

    async def _command(self, slot_id: str, name: str, **args: Any) -> Any:
        try:
            return await self.farm.command(slot_id, name, **args)
        except KeyError:
            raise LookupError(slot_id) from None
        except SlotBusy as err:
            raise ValueError("SLOT_BUSY", str(err)) from None
        except TransitionNotAllowed as err:
            state = self.farm.cores[slot_id].state.value if slot_id in self.farm.cores else "?"
            raise ValueError("SLOT_STATE", f"slot {slot_id} cannot {name} now ({state}): {err}") from None


async def _on_device(call: Awaitable[Any]) -> Any:
    """Any failure of the adb link becomes a `ConnectionError` (timeouts stay `TimeoutError`)."""
    try:
        return await call
    except TimeoutError:
        raise
    except Exception as err:
        raise ConnectionError(f"device unavailable: {err}") from err


class DeviceControl:
    """`vssd.api.ports.DeviceCommands` over the farm (which slot is which phone) and the adb link."""

    def __init__(self, farm: SlotFarm, adb: DeviceLink) -> None:
        self.farm = farm
        self.adb = adb

    def _serial(self, slot_id: str) -> tuple[Any, str]:
        core = self.farm.cores.get(slot_id)
        if core is None:
            raise LookupError(slot_id)
        if not core.spec.device_serial:
            raise ValueError("NO_DEVICE", f"slot {slot_id} ({core.spec.type}) has no adb device")
        return int(slot_id) if slot_id.isdigit() else slot_id, core.spec.device_serial

    async def reboot_device(self, slot_id: str) -> dict[str, Any]:
        slot, serial = self._serial(slot_id)
        await _on_device(self.adb.reboot(serial))
        return {"status": "rebooting", "slot": slot, "device": serial}

    async def device_shell(self, slot_id: str, argv: list[str], timeout_s: float,
                           max_output: int) -> dict[str, Any]:
        slot, serial = self._serial(slot_id)
        result = await _on_device(self.adb.shell(serial, list(argv), timeout_s=timeout_s))
        stdout, stderr = str(result.stdout), str(result.stderr)
        truncated = len(stdout) > max_output or len(stderr) > max_output
        return {"status": "completed" if result.exit_code == 0 else "failed", "slot": slot, "device": serial,
                "argv": list(argv), "exit_code": result.exit_code, "stdout": stdout[:max_output],
                "stderr": stderr[:max_output], "truncated": truncated}


def _duration(seconds: float) -> str:
    """The seeds' uptime words: "14h32m" (days fold into hours)."""
    minutes = int(seconds) // 60
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _system_sample(started_at: float) -> dict[str, Any]:
    """Blocking (/proc reads): runs in a worker thread."""
    now = time.time()
    memory = psutil.virtual_memory()
    load = psutil.getloadavg()
    return {
        "cpu": round(psutil.cpu_percent(interval=None)), "ram": round(memory.percent),
        "uptime": _duration(now - psutil.boot_time()), "uptime_s": int(now - psutil.boot_time()),
        "daemon_uptime_s": int(now - started_at), "cpu_count": psutil.cpu_count(),
        "load_avg": [round(x, 2) for x in load], "ram_total_mb": memory.total // 2**20,
        "ram_available_mb": memory.available // 2**20, "disk": round(psutil.disk_usage("/").percent),
    }


def _interfaces_sample() -> dict[str, dict[str, Any]]:
    counters = psutil.net_io_counters(pernic=True)
    stats = psutil.net_if_stats()
    out: dict[str, dict[str, Any]] = {}
    for name, c in counters.items():
        st = stats.get(name)
        out[name] = {"is_up": bool(st and st.isup), "speed_mbps": st.speed if st else 0,
                     "bytes_sent": c.bytes_sent, "bytes_recv": c.bytes_recv, "packets_sent": c.packets_sent,
                     "packets_recv": c.packets_recv, "errin": c.errin, "errout": c.errout, "dropin": c.dropin,
                     "dropout": c.dropout}
    return out


class Monitor:
    """`vssd.api.ports.MonitorFacts`. Every answer is measured when asked (nothing cached but the USB topology
    memory and the previous interface sample that turns counters into rates).

    `ami_ping` sends one AMI `Ping` and returns when it is answered (the network latency is its round-trip).
    A phone once seen on a hub stays counted in that hub's `total` (unplugged → `online` drops); phones of
    enrolled slots never seen at all are counted under the hub "unknown"."""

    def __init__(self, farm: SlotFarm, adb: DeviceLink | None, ami_ping: Callable[[], Awaitable[Any]] | None,
                 started_at: float | None = None) -> None:
        self.farm = farm
        self.adb = adb
        self.ami_ping = ami_ping
        self.started_at = started_at if started_at is not None else time.time()
        self._hub_of: dict[str, str] = {}  # serial → hub; bounded by the phones ever attached
        self._last_net: tuple[float, dict[str, dict[str, Any]]] | None = None
        psutil.cpu_percent(interval=None)  # primes the counter: the next call measures since now

    async def system(self) -> dict[str, Any]:
        sample = await asyncio.to_thread(_system_sample, self.started_at)
        counts: dict[str, int] = {}
        for view in self.farm.slot_views():
            counts[view["status"]] = counts.get(view["status"], 0) + 1
        return {**sample, "slots": {"total": sum(counts.values()), **counts}}

    async def usb(self) -> list[dict[str, Any]]:
        if self.adb is None:
            raise ConnectionError("no adb link configured")
        present = {d.serial: d for d in await _on_device(self.adb.devices())}
        for serial, device in present.items():
            self._hub_of[serial] = device.hub or self._hub_of.get(serial) or "unknown"
        slot_of = {c.spec.device_serial: sid for sid, c in self.farm.cores.items() if c.spec.device_serial}
        for serial in slot_of:
            self._hub_of.setdefault(serial, "unknown")
        hubs: dict[str, list[dict[str, Any]]] = {}
        for serial, hub in sorted(self._hub_of.items()):
            device = present.get(serial)
            hubs.setdefault(hub, []).append({
                "serial": serial, "state": device.state if device else "absent",
                "usb_path": device.usb_path if device else None, "slot_id": slot_of.get(serial),
            })
        return [{"hub": hub, "online": sum(d["state"] == "device" for d in devices), "total": len(devices),
                 "devices": devices} for hub, devices in sorted(hubs.items())]

    async def network(self) -> dict[str, Any]:
        latency_ms = await self._ami_rtt_ms()
        now = time.monotonic()
        sample = await asyncio.to_thread(_interfaces_sample)
        previous, self._last_net = self._last_net, (now, sample)
        interfaces = []
        for name, facts in sorted(sample.items()):
            rates = {"rx_bps": None, "tx_bps": None}
            if previous is not None and name in previous[1] and now > previous[0]:
                span, old = now - previous[0], previous[1][name]
                rates = {"rx_bps": round((facts["bytes_recv"] - old["bytes_recv"]) * 8 / span),
                         "tx_bps": round((facts["bytes_sent"] - old["bytes_sent"]) * 8 / span)}
            interfaces.append({"name": name, **facts, **rates})
        speeds = [i["speed_mbps"] for i in interfaces if i["is_up"] and i["name"] != "lo" and i["speed_mbps"]]
        return {"bandwidth_mbps": max(speeds, default=0), "latency_ms": latency_ms,
                "ami_up": latency_ms is not None, "interfaces": interfaces}

    async def _ami_rtt_ms(self) -> float | None:
        if self.ami_ping is None:
            return None
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.ami_ping(), AMI_PING_TIMEOUT_S)
        except Exception:
            return None
        return round((time.monotonic() - started) * 1000, 2)

    async def slots(self) -> list[dict[str, Any]]:
        return [_slot_metrics(self.farm.cores[sid], None) for sid in list(self.farm.cores)]

    async def slot(self, slot_id: str) -> dict[str, Any] | None:
        """One slot; an MF slot's phone is asked now (falling back to the last polled facts)."""
        core = self.farm.cores.get(slot_id)
        if core is None:
            return None
        live = None
        if self.adb is not None and core.spec.device_serial:
            try:
                live = await asyncio.wait_for(self.adb.health(core.spec.device_serial), LIVE_HEALTH_TIMEOUT_S)
            except Exception:
                live = None
        return _slot_metrics(core, live)


def _slot_metrics(core: SlotCore, live: Any) -> dict[str, Any]:
    view_id = int(core.spec.slot_id) if core.spec.slot_id.isdigit() else core.spec.slot_id
    health = core.health
    facts = {
        "adb_state": getattr(live, "state", None) or health.adb_state,
        "battery": getattr(live, "battery_level", None) if live is not None else health.battery_pct,
        "temperature": getattr(live, "battery_temp_c", None) if live is not None else health.temperature_c,
        "signal": getattr(live, "signal_dbm", None),
        "sim_ready": (live.sim_state == "READY") if live is not None and live.sim_state else health.sim_ready,
        "in_service": getattr(live, "in_service", None) if live is not None else health.in_service,
    }
    return {
        "slot_id": view_id, "type": core.spec.type, "fsm_state": core.state.value,
        "sip_reachable": health.sip_reachable, "device": core.spec.device_serial,
        "measured": "now" if live is not None else "last_poll", **facts,
        "cpu": None, "ram": None, "latency": None,  # the seeds' phone CPU/RAM/latency: not measured (yet)
        "current_call_id": core.call.call_id if _live_call(core) and core.call is not None else None,
        "dropped_timers": core.dropped_timers, "mailbox": core.mailbox.qsize(),
    }
