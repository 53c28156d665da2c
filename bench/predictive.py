"""Predictive pacing through the real daemon (issue 5): abandons, dial ratio and operator idle time against
progressive on the same seed, with the answer rate swinging between 20 % and 60 %.

    .venv/bin/python bench/predictive.py [--attempts 5000] [--operators 60] [--slots 300] [--phase-s 40]
        [--talk-mean-s 2.0] [--ring-mean-s 2.5] [--url amqp://guest:guest@127.0.0.1:5672/] [--loop uvloop|asyncio]

Each mode runs on a fresh rig from bench/dialer.py: the daemon in this process (`vssd.app.Daemon`), a scratch
PostgreSQL database, RabbitMQ (a unique queue prefix), the PBX simulator on the same loop with seed 5, time scale
1 (the daemon's own timers — the 2 s connect window, wrap-up — are real time too). --operators operators on
pre-connected lines, --slots AUTO slots, one campaign with enough leads for --attempts: no retries, the US-TSR
abandon cap of 3 % on policy `none` (as the demo does: US-TSR's calling window would keep the Russian test
numbers closed most of the day). The simulator's outcome mix is switched every --phase-s seconds between 20 %
and 60 % answered (the rest busy, rejected, congestion — no 15 s no-answers, to keep the run short); talk times
are lognormal around --talk-mean-s, operators wrap up for 0.3 s.

Figures per mode (the same schedule from each run's start):
- abandon rate = abandoned / answered, from the campaign's status (the store), checked against the simulator's
  ledger (answered calls it saw, calls bridged to an operator); goal ≤ 3 %;
- dial ratio = calls in flight right after each pacer decision that placed calls / free operators at that
  decision, a ratio of sums per phase (low = the 20 % phases); goal > 1 in the low phase for predictive;
- operator idle = the share of logged-in operators free (waiting on their line), sampled every 50 ms from
  the first attempt to the last; goal: predictive lower than progressive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dialer import (  # noqa: E402
    LOOPBACK,
    Rig,
    RigSpec,
    add_operators,
    rig,
    set_operators,
    slots_ready,
    start_campaign,
)
from vssd.actors.pacing import Pacer  # noqa: E402
from vssd.config.models import RuntimeConfig  # noqa: E402
from vssd.log import configure_logging  # noqa: E402
from vssd.loop import run as run_on_loop  # noqa: E402

LOW, HIGH = 0.2, 0.6
CAP = 0.03


def weights(answer_rate: float) -> dict[str, float]:
    rest = 1.0 - answer_rate
    return {"answered": answer_rate, "busy": 0.6 * rest, "rejected": 0.3 * rest, "congestion": 0.1 * rest}


@dataclass
class Decisions:
    """What the pacer decided, per phase: sums of (in flight after the decision, free operators) over
    decisions that placed calls."""

    phase: str = "low"
    in_flight: dict[str, int] = field(default_factory=lambda: {"low": 0, "high": 0})
    free: dict[str, int] = field(default_factory=lambda: {"low": 0, "high": 0})

    def ratio(self, phase: str) -> float:
        return self.in_flight[phase] / self.free[phase] if self.free[phase] else float("nan")


DECISIONS = Decisions()


def record_decisions() -> None:
    """Wrap `Pacer.to_dial` (this process only) to sum the in-flight and free-operator figures."""
    to_dial = Pacer.to_dial

    def recorded(self: Pacer, now: float, **kw: Any) -> int:
        n = to_dial(self, now, **kw)
        if n > 0 and kw["free_operators"] > 0:
            DECISIONS.in_flight[DECISIONS.phase] += len(kw["in_flight"]) + n
            DECISIONS.free[DECISIONS.phase] += kw["free_operators"]
        return n

    Pacer.to_dial = recorded  # type: ignore[method-assign]


@dataclass
class ModeResult:
    mode: str
    attempts: int
    answered: int
    abandoned: int
    ledger_answered: int
    ledger_bridged: int
    ledger_abandons: int
    idle: float
    ratio_low: float
    ratio_high: float
    seconds: float

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    def line(self) -> str:
        return (f"  {self.mode:11} attempts {self.attempts:5}  answered {self.answered:5} (ledger "
                f"{self.ledger_answered}, bridged {self.ledger_bridged})  abandoned {self.abandoned:4} (ledger "
                f"{self.ledger_abandons}) = {self.abandon_rate * 100:5.2f} %  dial ratio low {self.ratio_low:5.2f} "
                f"high {self.ratio_high:5.2f}  operator idle {self.idle * 100:5.1f} %  ({self.seconds:.0f} s)")


async def one_mode(mode: str, args: argparse.Namespace) -> ModeResult:
    spec = RigSpec(slots=args.slots, agents=args.operators, time_scale=1.0, ring_mean_s=args.ring_mean_s,
                   amqp_url=args.url, weights=weights(LOW), talk_mean_s=args.talk_mean_s, abandon_message_s=1.0,
                   wrapup_s=0.3)
    global DECISIONS
    DECISIONS = Decisions()
    async with rig(spec) as r:
        await slots_ready(r, 120.0)
        operators = await add_operators(r)
        leads = [{"phone": f"+7999{2000000 + n:07d}", "name": f"L{n}"} for n in range(int(args.attempts * 1.2))]
        campaign = await start_campaign(r, leads, {"policy": "none", "mode": mode, "retry_count": 0,
                                                   "ring_timeout_s": 15, "max_concurrent_calls": args.slots,
                                                   "abandon_cap_pct": CAP * 100,
                                                   "abandon_message": {"seller_name": "Bench",
                                                                       "callback_number": "+10000000000"}})
        began = time.monotonic()
        idle = await drive(r, operators, args)
        seconds = time.monotonic() - began
        await r.call("POST", "/api/autodialer/stop-campaign", json={"campaign_id": campaign})
        await wait_quiet(r, 60.0)
        status = await r.call("GET", f"/api/autodialer/campaigns/{campaign}/status")
        ledger, slots = r.pbx.sim.ledger, set(r.endpoints)
        answered = sum(1 for o in ledger.originates if o.endpoint in slots and o.outcome == "answered")
        return ModeResult(mode, int(status["attempts"]), int(status["answered"]), int(status["abandoned"]),
                          answered, len(ledger.agent_bridges), len(ledger.abandons), idle, DECISIONS.ratio("low"),
                          DECISIONS.ratio("high"), seconds)


async def drive(r: Rig, operators: list[str], args: argparse.Namespace) -> float:
    """Operators online, the answer-rate schedule running, until --attempts attempts; the mean idle share."""
    sim, pool, counters = r.pbx.sim, r.daemon.operators, r.daemon.dialer.counters
    await set_operators(r, operators, "online")
    began, samples = time.monotonic(), []
    while counters.attempts < args.attempts:
        phase = "low" if int((time.monotonic() - began) // args.phase_s) % 2 == 0 else "high"
        if phase != DECISIONS.phase or not samples:
            DECISIONS.phase = phase
            sim.set_weights(weights(LOW if phase == "low" else HIGH))
        if counters.attempts > 0:
            samples.append(pool.free_count() / len(operators))
        await asyncio.sleep(0.05)
    return statistics.fmean(samples)


async def wait_quiet(r: Rig, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while r.daemon.dialer.live and time.monotonic() < deadline:  # noqa: ASYNC110 (state of other tasks)
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)


async def main(args: argparse.Namespace) -> int:
    record_decisions()
    print(f"event loop: {type(asyncio.get_running_loop()).__module__}")
    print(f"predictive vs progressive through the daemon: {args.operators} operators, {args.slots} slots, answer "
          f"rate {LOW:.0%}/{HIGH:.0%} every {args.phase_s:.0f} s, talk ~{args.talk_mean_s} s, >= {args.attempts} "
          f"attempts per mode, abandon cap {CAP:.0%}")
    results = {mode: await one_mode(mode, args) for mode in ("predictive", "progressive")}
    for result in results.values():
        print(result.line())
    p, q = results["predictive"], results["progressive"]
    checks = {
        f"predictive abandon rate {p.abandon_rate * 100:.2f} % <= {CAP:.0%}": p.abandon_rate <= CAP,
        f"predictive dial ratio in the low phase {p.ratio_low:.2f} > 1": p.ratio_low > 1.0,
        f"operator idle predictive {p.idle * 100:.1f} % < progressive {q.idle * 100:.1f} % "
        f"(ratio {p.idle / q.idle if q.idle else float('nan'):.2f})": p.idle < q.idle,
        f"at least {args.attempts} attempts each": min(p.attempts, q.attempts) >= args.attempts,
    }
    for what, ok in checks.items():
        print(f"  {'met' if ok else 'NOT met'}: {what}")
    print(f"command: .venv/bin/python bench/predictive.py --attempts {args.attempts} --operators {args.operators} "
          f"--slots {args.slots} --phase-s {args.phase_s} --talk-mean-s {args.talk_mean_s} --ring-mean-s "
          f"{args.ring_mean_s} --loop {args.loop}")
    return 0 if all(checks.values()) else 1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--operators", type=int, default=60)
    parser.add_argument("--slots", type=int, default=300)
    parser.add_argument("--phase-s", type=float, default=40.0)
    parser.add_argument("--talk-mean-s", type=float, default=2.0)
    parser.add_argument("--ring-mean-s", type=float, default=2.5)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default=RuntimeConfig().event_loop)
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("bench/predictive.py only talks to a broker on 127.0.0.1")
    return args


if __name__ == "__main__":
    configure_logging("warning")
    arguments = parse(sys.argv[1:])
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(run_on_loop(main(arguments), arguments.loop))
