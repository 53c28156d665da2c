"""`vssd sim pbx`: run the PBX simulator as its own process (stops cleanly on SIGTERM/SIGINT)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from vssd.sim.pbx.config import OUTCOMES, PbxConfig, parse_endpoints
from vssd.sim.pbx.control import ControlServer
from vssd.sim.pbx.simulator import PbxSimulator

log = logging.getLogger("vssd.sim.pbx")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vssd sim pbx", description="Asterisk AMI simulator for vssd")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15038)
    p.add_argument("--control-port", type=int, default=15039)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-scale", type=float, default=50.0)
    p.add_argument("--endpoints", default="6001-6008,7001-7008,8001-8008")
    p.add_argument("--unregistered", default="", help="endpoints that start unregistered, same syntax")
    p.add_argument("--agents", default="", help="operator endpoints (answer at once), e.g. 1001-1020")
    p.add_argument("--weights", default="", help='JSON outcome weights, e.g. {"answered": 5, "busy": 1}')
    p.add_argument("--ring-mean-s", type=float, default=8.0)
    p.add_argument("--talk-mean-s", type=float, default=30.0)
    p.add_argument("--abandon-message-s", type=float, default=8.0, help="simulated length of the abandon message")
    p.add_argument("--ready-file", default="", help="write {ami_port, control_port} as JSON here once listening")
    return p


def build_config(args: argparse.Namespace) -> PbxConfig:
    endpoints = parse_endpoints(args.endpoints)
    down = {e.name for e in parse_endpoints(args.unregistered)}
    for ep in endpoints:
        ep.registered = ep.name not in down
    weights = json.loads(args.weights) if args.weights else None
    if weights is not None and not set(weights) <= set(OUTCOMES):
        raise SystemExit(f"--weights: outcomes must be among {OUTCOMES}")
    cfg = PbxConfig(username="vssd", secret=os.environ.get("VSSD_SIM_AMI_SECRET", "vssd-sim-secret"),
                    seed=args.seed, time_scale=args.time_scale, endpoints=endpoints,
                    ring_mean_s=args.ring_mean_s, talk_mean_s=args.talk_mean_s, agent_endpoints=args.agents,
                    abandon_message_s=args.abandon_message_s)
    for agent in cfg.agents:
        agent.registered = agent.name not in down
    if weights is not None:
        cfg.outcome_weights = weights
    return cfg


async def serve(args: argparse.Namespace) -> int:
    sim = PbxSimulator(build_config(args))
    control = ControlServer(sim)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await sim.start(args.host, args.port)
    await control.start(args.host, args.control_port)
    ready = {"ami_port": sim.port, "control_port": control.port, "pid": os.getpid()}
    log.info("ready: %s", ready)
    print(json.dumps(ready), file=sys.stderr, flush=True)
    if args.ready_file:
        await asyncio.to_thread(Path(args.ready_file).write_text, json.dumps(ready), "utf-8")
    await stop.wait()
    log.info("stopping")
    await control.stop()
    await sim.stop()
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return asyncio.run(serve(args))
    except ValueError as exc:
        print(f"vssd sim pbx: {exc}", file=sys.stderr)
        return 2
