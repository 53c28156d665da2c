"""`vssd demo`: a simulated hub with calls flowing, on loopback only.

Starts the PBX simulator (AMI on 15038) and the device simulator (adb on 15037) as child processes — separate
network peers, as Asterisk and the adb server are — checks the AMI peer really is the simulator, then dials
through the 24 simulated slots (8 AUTO 6xxx, 8 MF 7xxx, 8 LS 8xxx) and prints one JSON line per finished call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys

from vssd.adapters.ami import AmiSettings
from vssd.adapters.ami_calls import CallPump, DialRequest
from vssd.calls.model import Call

AMI_PORT, AMI_CONTROL_PORT, ADB_PORT, ADB_CONTROL_PORT = 15038, 15039, 15037, 15036
ENDPOINTS = [f"{base + i}" for base in (6001, 7001, 8001) for i in range(8)]
SIM_SECRET = "vssd-sim-secret"


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VSSD_SIM_AMI_SECRET=os.environ.get("VSSD_SIM_AMI_SECRET", SIM_SECRET))
    return subprocess.Popen([sys.executable, "-m", "vssd", *args], env=env)


def start_simulators(time_scale: float) -> list[subprocess.Popen[bytes]]:
    return [
        _spawn(["sim", "pbx", "--host", "127.0.0.1", "--port", str(AMI_PORT), "--control-port", str(AMI_CONTROL_PORT),
                "--time-scale", str(time_scale), "--endpoints", "6001-6008,7001-7008,8001-8008"]),
        _spawn(["sim", "adb", "--host", "127.0.0.1", "--port", str(ADB_PORT), "--control-port", str(ADB_CONTROL_PORT),
                "--phones", "8"]),
    ]


def _print_call(call: Call) -> None:
    if call.attempt is not None:
        print(json.dumps(call.as_dict(), ensure_ascii=False), flush=True)


async def dial_forever(pump: CallPump, concurrency: int, stop: asyncio.Event) -> None:
    """Keep up to ``concurrency`` calls in flight, each on a slot with no live call."""
    rng = random.Random()
    while not stop.is_set():
        busy = {c.attempt.endpoint for c in pump.tracker.open_calls() if c.attempt}
        free = [ep for ep in ENDPOINTS if ep not in busy]
        if pump.link.is_up and free and len(busy) < concurrency:
            number = f"7{rng.randint(900_000_0000, 999_999_9999)}"
            await pump.originate(DialRequest(number=number, endpoint=rng.choice(free), ring_timeout_s=30))
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def run(concurrency: int) -> int:
    settings = AmiSettings(port=AMI_PORT, username="vssd", secret=os.environ.get("VSSD_SIM_AMI_SECRET", SIM_SECRET))
    pump = CallPump(settings, on_final=_print_call)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await pump.start()
    try:
        await pump.link.wait_up(15)
        if "vssd-sim" not in pump.link.version:
            peer = pump.link.version
            print(f"vssd demo: the AMI peer on {AMI_PORT} is not the simulator ({peer!r})", file=sys.stderr)
            return 2
        print(f"vssd demo: AMI link up ({pump.link.version}); dialling through {len(ENDPOINTS)} slots", flush=True)
        await dial_forever(pump, concurrency, stop)
        return 0
    finally:
        await pump.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vssd demo", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=12, help="calls in flight (default 12)")
    parser.add_argument("--time-scale", type=float, default=10.0, help="simulated seconds per real second")
    args = parser.parse_args(argv)
    children = start_simulators(args.time_scale)
    try:
        return asyncio.run(run(args.concurrency))
    finally:
        for child in children:
            child.terminate()
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
