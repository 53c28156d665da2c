"""Slot FSM benchmark: vssd's SlotMachine vs a bare python-statemachine machine with the same states.

For each size (default 1,000 and 10,000 instances) and each kind, a fresh worker process
  1. creates and activates that many machines (timed) and measures the RSS they added (per instance);
  2. brings every machine to READY (not counted), then runs a call storm: every slot dials at once
     (originate_accepted), 80 % answer then hang up, 20 % fail, and every slot wraps up — pass by pass,
     so all calls are in flight together — and counts transitions per second.

"ours" is `vssd.fsm.SlotMachine` with its real listeners: timers armed/disarmed on the running loop
(`LoopClock`), every transition recorded to a counting sink and bus. "bare" is a StateMachine with the
same states and events, no guards, no listeners, and one no-op async callback so that it runs on the same
AsyncEngine (without one python-statemachine picks its sync engine).

Reproduce:  .venv/bin/python bench/fsm.py [--sizes 1000 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
from statemachine import State, StateMachine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vssd.fsm import Health, LoopClock, SlotEnv, SlotMachine, SlotType, TransitionRecord, TransitionRecorder  # noqa: E402


class BareSlot(StateMachine):
    idle = State("IDLE", initial=True)
    assigned = State("ASSIGNED")
    registering = State("REGISTERING")
    ready = State("READY")
    calling = State("CALLING")
    active_call = State("ACTIVE_CALL")
    postcall = State("POSTCALL")
    fault = State("FAULT")

    enroll = idle.to(assigned)
    start_bringup = assigned.to(registering)
    bringup_ok = registering.to(ready)
    bringup_timeout = registering.to(fault)
    originate_accepted = ready.to(calling)
    inbound_call = ready.to(active_call)
    contact_lost = ready.to(registering)
    health_fault = ready.to(registering)
    answered = calling.to(active_call)
    call_failed = calling.to(postcall)
    ring_timeout = calling.to(postcall)
    hangup = active_call.to(postcall)
    max_duration = active_call.to(postcall)
    wrapup_done = postcall.to(ready)
    unassign = ready.to(idle) | postcall.to(idle) | fault.to(idle)
    budget_exhausted = registering.to(fault) | postcall.to(fault)
    recovered = fault.to(registering)

    async def on_enter_idle(self) -> None:
        """No-op; being async puts this machine on the AsyncEngine, like SlotMachine."""


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def submit_transition(self, record: TransitionRecord) -> None:
        self.count += 1

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.count += 1


HEALTHY = Health(sip_reachable=True)


async def create(kind: str, n: int) -> list[Any]:
    if kind == "bare":
        machines: list[Any] = [BareSlot() for _ in range(n)]
    else:
        clock, sink = LoopClock(), CountingSink()
        env = SlotEnv(clock, TransitionRecorder(clock, sink, sink))
        machines = [SlotMachine(f"slot-{i}", SlotType.AUTO, env, lambda fired: None) for i in range(n)]
    for machine in machines:
        await machine.activate_initial_state()
    return machines


async def bring_up(kind: str, machines: list[Any]) -> None:
    for machine in machines:
        if kind == "ours":
            machine.observe(HEALTHY)
            await machine.enroll(trunk_id="trunk-1")
        else:
            await machine.enroll()
        await machine.start_bringup()
        await machine.bringup_ok()


async def storm(machines: list[Any], rounds: int) -> tuple[int, float]:
    """Every slot dials at once, pass by pass; returns (transitions, seconds)."""
    answered = [i % 5 != 0 for i in range(len(machines))]
    transitions = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for machine in machines:
            await machine.send("originate_accepted")
        for machine, ok in zip(machines, answered, strict=True):
            await machine.send("answered" if ok else "call_failed")
        for machine, ok in zip(machines, answered, strict=True):
            if ok:
                await machine.send("hangup")
        for machine in machines:
            await machine.send("wrapup_done")
        transitions += len(machines) * 3 + sum(answered)
    return transitions, time.perf_counter() - started


async def worker(kind: str, n: int, rounds: int) -> dict[str, float]:
    proc = psutil.Process()
    gc.collect()
    rss_before = proc.memory_info().rss
    started = time.perf_counter()
    machines = await create(kind, n)
    create_s = time.perf_counter() - started
    gc.collect()
    rss_kb = (proc.memory_info().rss - rss_before) / n / 1024
    await bring_up(kind, machines)
    transitions, storm_s = await storm(machines, rounds)
    return {"create_s": create_s, "rss_kb": rss_kb, "transitions": transitions, "tps": transitions / storm_s}


def run_worker(kind: str, n: int, rounds: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", kind, str(n), "--rounds", str(rounds)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3, help="storm passes (each: one call per slot)")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, n = args.worker
        print(json.dumps(asyncio.run(worker(kind, int(n), args.rounds))))
        return
    print(f"python {sys.version.split()[0]}, python-statemachine {_version()}, rounds={args.rounds}")
    header = f"{'instances':>9} {'kind':>5} {'create+activate s':>17} {'RSS KB/inst':>11} {'transitions/s':>13}"
    print(header)
    for n in args.sizes:
        results = {kind: run_worker(kind, n, args.rounds) for kind in ("ours", "bare")}
        for kind, r in results.items():
            print(f"{n:>9} {kind:>5} {r['create_s']:>17.2f} {r['rss_kb']:>11.1f} {r['tps']:>13,.0f}")
        speed = results["ours"]["tps"] / results["bare"]["tps"]
        memory = results["ours"]["rss_kb"] / results["bare"]["rss_kb"]
        print(f"{n:>9} ratio ours/bare: throughput {speed:.2f}, memory {memory:.2f}")
    print("reproduce: .venv/bin/python bench/fsm.py " + " ".join(sys.argv[1:]))


def _version() -> str:
    from importlib.metadata import version

    return version("python-statemachine")


if __name__ == "__main__":
    main()
