"""Slot actors at scale (issue 3 acceptance): start time, RSS per slot, call-storm transitions/s, writer rows/s.

"ours" is the daemon's own stack as `vssd/app.py` wires it: a `Supervisor` (one task per slot, through TaskSet),
a `SlotFarm`, a `SlotEnv` whose `TransitionRecorder` hands every record to a counting no-op sink (no bus), and an
in-process fake `Dialer` (the bench measures actors, not the PBX: the fake answers Originate at once and its
calls are advanced by hand through `farm.on_call`, the path the AMI pump feeds). Timers run on a `ManualClock`
(the wrap-up timer is fired by advancing it); the supervisor's own backoff clock is the loop's.

For each size a fresh worker process, per kind:
  1. start: ours = `farm.add` for every slot (supervisor start included), `farm.on_endpoint_list` (every
     endpoint reachable, as PJSIPShowEndpoints at start), then `farm.command(id, "enroll")` for every slot,
     one after the other as the daemon does at start, until every slot is READY.
     baseline = "bare actors": per slot one bare python-statemachine machine with the same states
     (bench/fsm.py's BareSlot) and one task reading a bounded queue; enroll = a queued message the task turns
     into enroll → start_bringup → bringup_ok.
  2. RSS per slot: process RSS after start minus RSS before (psutil, after gc), divided by the slots.
  3. call storm, every slot at once, phase by phase: dial (`farm.dial`, through the mailbox) → answered and
     hangup (call facts through `farm.on_call`) → wrapup_done (the wrap-up timer, advanced clock, through the
     mailbox); transitions counted by the sink. baseline = the same four events sent straight to BareSlot
     machines (no actors), in the same worker.
  "restart path" (information, no goal): `farm.add(spec, start_state=READY)` as a daemon restart restores
     slots from the store, then the endpoint list; no enroll transitions.
Then 4. bench/writer.py (imported, not copied): BatchWriter vs bare asyncpg COPY in a fresh temp database on
127.0.0.1:5432/test.

Reproduce:  .venv/bin/python bench/slots.py [--sizes 1000 10000] [--rounds 3] [--rows 200000] [--no-writer]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import writer  # noqa: E402
from bench.fsm import BareSlot  # noqa: E402
from vssd.actors.farm import SlotFarm  # noqa: E402
from vssd.actors.slot import SlotSpec  # noqa: E402
from vssd.actors.supervisor import Supervisor  # noqa: E402
from vssd.calls.model import Attempt, Call, DialRequest, Leg  # noqa: E402
from vssd.calls.outcomes import Outcome  # noqa: E402
from vssd.fsm import LoopClock, ManualClock, SlotEnv, SlotState, TransitionRecord, TransitionRecorder  # noqa: E402
from vssd.tasks import TaskSet  # noqa: E402

START_GOAL_S = 10.0  # for 10,000 slots
RSS_GOAL_KB = 40.0
WRAPUP_S = 10.0
BARE_MAILBOX = 32  # same bound as vssd.actors.slot.MAILBOX_SIZE


class CountingSink:
    """TransitionSink that only counts; `reach(n)` waits until n records arrived."""

    def __init__(self) -> None:
        self.count = 0
        self._target = 0
        self._reached = asyncio.Event()

    def submit_transition(self, record: TransitionRecord) -> None:
        self.count += 1
        if self.count == self._target:
            self._reached.set()

    async def reach(self, target: int) -> None:
        self._target = target
        self._reached.clear()
        if self.count < target:
            await self._reached.wait()


class NoRecords:
    """CallRecords that drop the CDR rows (the writer has its own figure, section 4)."""

    def submit_call(self, attempt_id: str, **fields: Any) -> None:
        pass

    def submit_leg(self, attempt_id: str, uniqueid: str, **fields: Any) -> None:
        pass


class FakeDialer:
    """In-process Dialer: every Originate is accepted at once; the bench moves its calls on by hand."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: dict[str, Call] = {}

    async def originate(self, req: DialRequest) -> Call:
        now = self.clock.now()
        uid = f"{req.action_id}.1"
        attempt = Attempt(req.action_id, uid, number=req.number, endpoint=req.endpoint, response="Success",
                          queued=True, sent_at=now)
        call = Call(call_id=req.action_id, root=uid, attempt=attempt, started_at=now)
        call.legs[uid] = Leg(uid, channel=f"PJSIP/{req.endpoint}-{len(self.calls):08x}", side="a", created_at=now)
        self.calls[req.endpoint] = call
        return call

    async def hangup(self, channel: str, cause: int = 16) -> None:
        pass

    def open_calls_for(self, endpoint: str) -> list[Call]:
        return []

    async def live_channels(self) -> dict[str, Any]:
        return {}


def answer(call: Call, at: float) -> None:
    call.answered_at = at
    call.answer_evidence = "DialEnd ANSWER"
    call.legs[call.root].answered_at = at


def hang_up(call: Call, at: float) -> None:
    call.ended_at = call.legs[call.root].ended_at = at
    call.outcome, call.cause, call.cause_txt = Outcome.ANSWERED, 16, "Normal Clearing"


# ---- ours: the daemon's actors ----------------------------------------------------------------------------------
class Farm:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.sink = CountingSink()
        env = SlotEnv(self.clock, TransitionRecorder(self.clock, self.sink))
        self.supervisor = Supervisor(LoopClock(), random.Random(1))
        self.dialer = FakeDialer(self.clock)
        self.farm = SlotFarm(self.supervisor, env, self.dialer, NoRecords())

    async def start(self, n: int, restore: bool = False) -> None:
        """Enroll every slot to READY; `restore`: add them in READY as a restart restores them from the store."""
        specs = [SlotSpec(str(i), "AUTO", str(600_000 + i)) for i in range(n)]
        for spec in specs:
            await self.farm.add(spec, start_state=SlotState.READY if restore else None)
        self.farm.on_endpoint_list([{"objectname": s.endpoint, "devicestate": "Not in use", "contacts": "c"}
                                    for s in specs])
        if restore:  # each woken actor applies the health in its next step: a few loop passes
            for _ in range(100):
                if not any(core.health_dirty for core in self.farm.cores.values()):
                    return
                await asyncio.sleep(0)
            raise RuntimeError("actors did not apply the endpoint list")
        for spec in specs:
            await self.farm.command(spec.slot_id, "enroll", trunk_id="trunk-1", cause="enrolled at start")
        await self.sink.reach(3 * n)
        assert all(core.state is SlotState.READY for core in self.farm.cores.values())

    async def storm(self, rounds: int) -> tuple[int, float]:
        n, farm = len(self.farm.cores), self.farm
        began, base = time.perf_counter(), self.sink.count
        for r in range(rounds):
            await asyncio.gather(*(farm.dial(f"+7900{i:07d}", slot_id) for i, slot_id in enumerate(farm.cores)))
            for step, target in ((answer, 2), (hang_up, 3)):
                for call in self.dialer.calls.values():
                    step(call, self.clock.now())
                    farm.on_call(call, step.__name__)
                await self.sink.reach(base + (4 * r + target) * n)
            self.clock.advance(WRAPUP_S)
            await self.sink.reach(base + 4 * (r + 1) * n)
        return self.sink.count - base, time.perf_counter() - began

    async def stop(self) -> None:
        await self.supervisor.stop()


# ---- baseline: bare python-statemachine machines, bare actor tasks -----------------------------------------------
class BareActors:
    def __init__(self) -> None:
        self.machines: list[BareSlot] = []
        self.mailboxes: list[asyncio.Queue[str]] = []
        self.tasks = TaskSet("bench-bare")
        self.ready = 0
        self.all_ready = asyncio.Event()

    async def start(self, n: int) -> None:
        for i in range(n):
            machine, mailbox = BareSlot(), asyncio.Queue[str](BARE_MAILBOX)
            await machine.activate_initial_state()
            self.machines.append(machine)
            self.mailboxes.append(mailbox)
            self.tasks.spawn(self.run(machine, mailbox, n), f"bare:{i}")
        for mailbox in self.mailboxes:
            mailbox.put_nowait("enroll")
        await self.all_ready.wait()

    async def run(self, machine: BareSlot, mailbox: asyncio.Queue[str], n: int) -> None:
        while True:
            await mailbox.get()
            for event in ("enroll", "start_bringup", "bringup_ok"):
                await machine.send(event)
            self.ready += 1
            if self.ready == n:
                self.all_ready.set()

    async def storm(self, rounds: int) -> tuple[int, float]:
        began = time.perf_counter()
        for _ in range(rounds):
            for event in ("originate_accepted", "answered", "hangup", "wrapup_done"):
                for machine in self.machines:
                    await machine.send(event)
        return 4 * rounds * len(self.machines), time.perf_counter() - began

    async def stop(self) -> None:
        await self.tasks.cancel_all()


async def worker(kind: str, n: int, rounds: int) -> dict[str, float]:
    proc = psutil.Process()
    gc.collect()
    rss_before = proc.memory_info().rss
    subject = BareActors() if kind == "bare" else Farm()
    began = time.perf_counter()
    await (subject.start(n, restore=True) if isinstance(subject, Farm) and kind == "restored" else subject.start(n))
    start_s = time.perf_counter() - began
    gc.collect()
    rss_kb = (proc.memory_info().rss - rss_before) / n / 1024
    try:
        transitions, storm_s = await subject.storm(rounds) if kind != "restored" else (0, 1.0)
    finally:
        await subject.stop()
    return {"start_s": start_s, "rss_kb": rss_kb, "transitions": transitions, "tps": transitions / storm_s}


def run_worker(kind: str, n: int, rounds: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", kind, str(n), "--rounds", str(rounds)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {kind} {n} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in psutil.getloadavg())


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(n: int, ours: Mapping[str, float], bare: Mapping[str, float], restored: Mapping[str, float]) -> None:
    print(f"\n{n:,} SIP-only slots (ours = Supervisor + SlotFarm + SlotActor + SlotMachine; bare = bare actors)")
    start_goal = f"; goal <= {START_GOAL_S:g} s: {verdict(ours['start_s'] <= START_GOAL_S)}" if n >= 10_000 else ""
    print(f"  1. start to READY  ours {ours['start_s']:7.2f} s   bare {bare['start_s']:7.2f} s   "
          f"ratio {ours['start_s'] / bare['start_s']:.2f}{start_goal}")
    print(f"     restart path    ours {restored['start_s']:7.2f} s   (farm.add in READY as restored from the store + "
          f"endpoint list; no enroll)")
    rss_goal = f"; goal <= {RSS_GOAL_KB:g} KB: {verdict(ours['rss_kb'] <= RSS_GOAL_KB)}" if n >= 10_000 else ""
    print(f"  2. RSS per slot    ours {ours['rss_kb']:7.1f} KB  bare {bare['rss_kb']:7.1f} KB  "
          f"ratio {ours['rss_kb'] / bare['rss_kb']:.2f}{rss_goal}")
    print(f"  3. storm trans/s   ours {ours['tps']:7,.0f}     bare {bare['tps']:7,.0f}     "
          f"ratio {ours['tps'] / bare['tps']:.2f}  ({ours['transitions']:,.0f} transitions, "
          f"bare = python-statemachine sends without actors)")


def writer_section(rows: int) -> int:
    print(f"\n4. transition writer (bench/writer.py, {rows:,} rows, fresh temp database on 127.0.0.1:5432/test)")
    try:
        return asyncio.run(writer.main(["--rows", str(rows)]))
    except OSError as err:
        print(f"   skipped: PostgreSQL not reachable on 127.0.0.1:5432 ({err})")
        return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3, help="storm passes (each: one call per slot)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the writer section")
    parser.add_argument("--no-writer", action="store_true", help="skip section 4 (needs PostgreSQL)")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, n = args.worker
        print(json.dumps(asyncio.run(worker(kind, int(n), args.rounds))))
        return 0
    print(f"python {sys.version.split()[0]}, {psutil.cpu_count()} CPUs, load average {load()}, "
          f"storm rounds={args.rounds}; sink: counting no-op; dialer: in-process fake")
    goals_met = True
    for n in args.sizes:
        ours, bare = run_worker("ours", n, args.rounds), run_worker("bare", n, args.rounds)
        report(n, ours, bare, run_worker("restored", n, args.rounds))
        if n >= 10_000:
            goals_met &= ours["start_s"] <= START_GOAL_S and ours["rss_kb"] <= RSS_GOAL_KB
    if not args.no_writer:
        goals_met &= writer_section(args.rows) == 0
    print(f"\nload average at the end {load()} (other work on the machine skews every figure; compare ratios)")
    print("reproduce: .venv/bin/python bench/slots.py " + " ".join(sys.argv[1:]))
    return 0 if goals_met else 1


if __name__ == "__main__":
    sys.exit(main())
