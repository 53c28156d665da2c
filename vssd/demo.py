"""`vssd demo`: a whole simulated hub on loopback — simulators, embedded store, 24 enrolled slots, 8 operators,
one predictive campaign after another: calls flowing.

The PBX simulator (AMI on 15038) and the device simulator (adb on 15037) run as child processes: separate
network peers, as Asterisk and the adb server are, which outlive a killed daemon. The daemon checks that the AMI
peer really is the simulator before dialling anything. `VSSD_DATABASE_URL` swaps the embedded PostgreSQL for a
real one; `VSSD_STATE_DIR` moves the state directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from vssd import loop
from vssd.adapters.adb import AdbAdapter, AdbError
from vssd.app import Daemon, SlotPlan
from vssd.config.loader import load_config
from vssd.config.models import Config
from vssd.demo_campaigns import campaigns_flowing
from vssd.log import configure_logging
from vssd.run import serve

AMI_PORT, ADB_PORT = 15038, 15037  # defaults; VSSD_AMI__PORT / VSSD_ADB__PORT move the simulators with the daemon
SIM_SECRET = "vssd-sim-secret"
TYPES = (("AUTO", 6001), ("MF", 7001), ("LS", 8001))
AGENTS = [str(1001 + i) for i in range(8)]  # the simulated operators' extensions


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VSSD_SIM_AMI_SECRET=os.environ.get("VSSD_SIM_AMI_SECRET", SIM_SECRET))
    # Own session: a Ctrl-C or a group-wide SIGTERM reaches the daemon only, which then ends its calls against
    # simulators that are still there, and stops them last.
    return subprocess.Popen([sys.executable, "-m", "vssd", *args], env=env, stdout=subprocess.DEVNULL,
                            start_new_session=True)


def control_ports(config: Config) -> tuple[int, int]:
    """The simulators' control ports sit beside their protocol ports: AMI + 1 and adb - 1."""
    return config.ami.port + 1, config.adb.port - 1


def start_simulators(time_scale: float, config: Config) -> list[subprocess.Popen[bytes]]:
    ami_control, adb_control = control_ports(config)
    return [
        _spawn(["sim", "pbx", "--host", "127.0.0.1", "--port", str(config.ami.port), "--control-port", str(ami_control),
                "--time-scale", str(time_scale), "--endpoints", "6001-6008,7001-7008,8001-8008",
                "--agents", f"{AGENTS[0]}-{AGENTS[-1]}"]),
        _spawn(["sim", "adb", "--host", "127.0.0.1", "--port", str(config.adb.port), "--control-port", str(adb_control),
                "--phones", "8", "--time-scale", str(time_scale)]),
    ]


async def _phones(adb_port: int) -> list[tuple[str, str]]:
    """(serial, model) of the simulated phones, once the device simulator answers (and is the simulator)."""
    adb = AdbAdapter(port=adb_port, timeout_s=2.0)
    try:
        for _ in range(100):
            with contextlib.suppress(AdbError, OSError):
                if not await adb.is_simulator():
                    raise SystemExit(f"vssd demo: the adb server on {adb_port} is not the simulator")
                devices = await adb.devices()
                if len(devices) >= 8:
                    return sorted((d.serial, d.model or "") for d in devices)
            await asyncio.sleep(0.1)
        raise SystemExit("vssd demo: the device simulator did not come up")
    finally:
        await adb.close()


def slot_plan(phones: list[tuple[str, str]]) -> list[SlotPlan]:
    plan = []
    for slot_type, first in TYPES:
        for i in range(8):
            serial, model = phones[i] if slot_type == "MF" and i < len(phones) else (None, "")
            plan.append(SlotPlan(str(first + i), slot_type, serial, model, enroll_trunk=f"demo-{slot_type.lower()}"))
    return plan


def demo_config(env: dict[str, str]) -> Config:
    """The embedded defaults, pointed at the simulators (the environment may still override any of it)."""
    env.setdefault("VSSD_AMI__PORT", str(AMI_PORT))
    env.setdefault("VSSD_ADB__PORT", str(ADB_PORT))
    env.setdefault("VSSD_SLOTS__WRAPUP_S", "1")
    return load_config(env.get("VSSD_CONFIG"), env)


async def run(concurrency: int, env: dict[str, str], config: Config) -> int:
    plan = slot_plan(await _phones(config.adb.port))
    daemon = Daemon(config, slot_plan=plan, ami_secret=env.get("VSSD_SIM_AMI_SECRET", SIM_SECRET),
                    intake_jobs=[("demo-campaigns", campaigns_flowing(AGENTS, concurrency))], require_simulator=True)
    try:
        return await serve(daemon, announce=_announce)
    finally:
        saved = await save_ledger(config.state.dir, control_ports(config)[0])
        print(f"vssd demo: stopped; {daemon.finished_calls} calls finished; PBX ledger saved to {saved}", flush=True)


def _announce(daemon: Daemon) -> None:
    ports = ", ".join(str(a.port) for a in daemon.config.http.listen)
    farm, pump = daemon.farm, daemon.pump
    assert farm is not None and pump is not None, "announced once the daemon is up"
    print(f"vssd demo: {len(farm.cores)} slots, AMI {pump.link.version}, ready={daemon.ready()}; "
          f"API on 127.0.0.1 ports {ports} (admin / admin123)", flush=True)


async def save_ledger(state_dir: Path, ami_control_port: int) -> Path | None:
    """Keep the PBX simulator's ledger of this run beside the store: the oracle for what was really dialled."""
    path = state_dir / "pbx-ledger.json"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"http://127.0.0.1:{ami_control_port}/ledger") as resp,
        ):
            body = await resp.read()
    except (aiohttp.ClientError, TimeoutError):
        return None
    await asyncio.to_thread(path.write_bytes, body)
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vssd demo", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=24, help="most campaign calls in flight (default 24)")
    parser.add_argument("--time-scale", type=float, default=10.0, help="simulated seconds per real second")
    args = parser.parse_args(argv)
    configure_logging("info")
    env = dict(os.environ)
    config = demo_config(env)
    children = start_simulators(args.time_scale, config)
    try:
        return loop.run(run(args.concurrency, env, config), config.runtime.event_loop)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
