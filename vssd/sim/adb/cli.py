"""`vssd sim adb --host 127.0.0.1 --port 15037 --phones 8 --control-port 15036`: the simulator as a process.

SIGTERM/SIGINT or a client's `host:kill` stop it cleanly (exit 0). Non-loopback addresses are refused (exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from vssd.sim.adb.control import ControlApi
from vssd.sim.adb.simulator import AdbSimulator, require_loopback


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vssd sim adb", description="adb device simulator (adb host protocol)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15037)
    p.add_argument("--phones", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--boot-time", type=float, default=30.0, help="simulated seconds a reboot takes")
    p.add_argument("--control-port", type=int, default=15036, help="0 picks a free port, -1 disables")
    return p


async def _run(args: argparse.Namespace) -> int:
    sim = AdbSimulator(phones=args.phones, seed=args.seed, time_scale=args.time_scale, boot_time_s=args.boot_time)
    await sim.start(args.host, args.port)
    control = ControlApi(sim) if args.control_port >= 0 else None
    if control is not None:
        await control.start(args.host, args.control_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sim.request_kill)
    control_note = f", control http://{args.host}:{control.port}" if control else ""
    print(f"adb simulator: {len(sim.phones)} phones on {args.host}:{sim.port}{control_note}", flush=True)
    try:
        await sim.wait_stopped()
    finally:
        if control is not None:
            await control.stop()
        await sim.stop()
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        require_loopback(args.host)
    except ValueError as err:
        print(f"vssd sim adb: {err}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args))
