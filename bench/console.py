"""The console in Chromium with 1,000 slots under a call load (issue 11): event → DOM latency, first load, asset size.

    .venv/bin/python bench/console.py [--slots 1000] [--calls 300] [--seconds 20] [--agents 50]

The real daemon (`vssd.app.Daemon`) runs in this process over a scratch PostgreSQL database, with the PBX simulator
in a child process (its own loop, as a PBX would be) and the demo's call load: `vssd demo`'s own intake job
(`campaigns_flowing`: predictive campaigns one after the other, operators online, dispositions as calls end) with
--calls calls in flight at most, at the demo's time scale. Debian's chromium, driven by Playwright (sync API, in a
process of its own), opens the console as a supervisor would.

1. Event → DOM: `window.__vssdTrace` (vssd/console/static/js/live.js) records, for each slot update that changes
   the tile's state, the transition's server time (the slot's `state_since`, epoch; the daemon's clock is
   wall time and Chromium runs on the same host), the Socket.IO client's receive time and the start of the
   frame after the tiles were rendered (painted). Printed: p50/p99 of transition → paint (the goal's figure),
   the same for transition → Socket.IO receive (the baseline: what the page cannot do faster), and the ratio.
   Goal: p99 ≤ 250 ms.
2. First load: a fresh page (session already in sessionStorage, no login typing) from navigation to all tiles
   in the DOM (the first frame that has them, watched from before the page's scripts run); baseline: the same
   page's own fetch of `GET /api/slots?limit=5000` (the data alone). Goal ≤ 1 s. Transferred console assets
   (HTML, JS, CSS, vendor; Resource Timing transferSize, gzip as served): goal ≤ 300 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dialer import SECRET, ProcessPbx, RigSpec, daemon_env, pbx_config  # noqa: E402
from tests.pg import scratch_database  # noqa: E402
from vssd.app import Daemon, SlotPlan  # noqa: E402
from vssd.config.loader import load_config  # noqa: E402
from vssd.demo_campaigns import campaigns_flowing  # noqa: E402
from vssd.fsm import SlotState  # noqa: E402
from vssd.log import configure_logging  # noqa: E402
from vssd.sim.adb import AdbSimulator  # noqa: E402
from vssd.sim.pbx.config import DEFAULT_WEIGHTS  # noqa: E402

GOAL_P99_MS = 250.0
GOAL_LOAD_MS = 1000.0
GOAL_ASSETS_KB = 300.0
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Installed before the page's own scripts: the first frame in which every tile is in the DOM (a watcher polled once
# per frame; Playwright's own evaluate would only start after the load event, later than the grid may be done).
GRID_WATCH = """(() => { const want = %d; const tick = () => {
  if (document.querySelectorAll('.tile').length >= want) window.__gridDone = performance.now();
  else requestAnimationFrame(tick); }; requestAnimationFrame(tick); })();"""
GRID_DONE = """() => new Promise((done) => {
  const check = () => window.__gridDone ? done(window.__gridDone) : requestAnimationFrame(check);
  check();
})"""
BARE_FETCH = """async (token) => { const t0 = performance.now();
  const r = await fetch('/api/slots?limit=5000', { headers: { Authorization: 'Bearer ' + token } });
  await r.json(); return performance.now() - t0; }"""
ASSETS = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .filter((e) => !e.name.includes('/api/') && !e.name.includes('/socket.io/'))
  .map((e) => [e.name, e.transferSize, e.encodedBodySize])"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def until(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # noqa: ASYNC110 (state owned by the daemon's tasks)
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def hub(args: argparse.Namespace):
    """The daemon with --slots AUTO slots, the PBX simulator in a child process and the demo's campaigns."""
    endpoints = [f"{60000 + i}" for i in range(args.slots)]
    agents = [f"{1001 + i}" for i in range(args.agents)]
    spec = RigSpec(slots=args.slots, agents=args.agents, time_scale=args.time_scale, ring_mean_s=8.0,
                   amqp_url=None, pbx_process=True, weights=dict(DEFAULT_WEIGHTS), talk_mean_s=30.0,
                   wrapup_s=1.0)
    async with contextlib.AsyncExitStack() as stack:
        pbx = ProcessPbx(pbx_config(spec, endpoints, agents))
        await pbx.start()
        stack.push_async_callback(pbx.stop)
        adb = AdbSimulator(phones=0, seed=3, time_scale=args.time_scale)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(scratch_database("vssd_bench"))
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vssd-bench-")))
        env = daemon_env(dsn, pbx.port, adb, state, spec, "bc.")
        env["VSSD_DATABASE__WRITER__FLUSH_INTERVAL_MS"] = "100"
        daemon = Daemon(load_config(None, env), slot_plan=[SlotPlan(e, "AUTO", enroll_trunk="t") for e in endpoints],
                        ami_secret=SECRET, stage_timeout_s=300.0,
                        intake_jobs=[("demo-campaigns", campaigns_flowing(agents, args.calls, 2000))])
        stack.push_async_callback(daemon.stop)
        await daemon.start()
        await until(lambda: all(c.state is not SlotState.IDLE for c in daemon.farm.cores.values()), 120.0)
        listen = daemon.config.http.listen[0]
        base = f"http://{listen.host}:{listen.port}"
        async with aiohttp.ClientSession() as http, http.post(
                base + "/api/auth/login", json={"username": "admin", "password": "admin123"}) as resp:
            reply = await resp.json()
        yield base, reply, daemon


def browse(base: str, reply: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Blocking: Chromium via Playwright's sync API (run in a child process: the daemon owns this one)."""
    from playwright.sync_api import sync_playwright

    session = {"token": reply["access_token"], "refresh": reply.get("refresh_token"),
               "expiresAt": time.time() * 1000 + reply.get("expires_in", 3600) * 1000,
               "lifetime": reply.get("expires_in", 3600) * 1000, "user": reply.get("user"),
               "role": reply.get("role"), "permissions": reply.get("permissions", [])}
    init = (f"sessionStorage.setItem('vssd.session', {json.dumps(json.dumps(session))}); window.__vssdTrace = [];"
            + GRID_WATCH % args.slots)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            loads = [first_load(browser, base, init, args.slots, reply["access_token"]) for _ in range(3)]
            page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            page.add_init_script(init)
            page.goto(base + "/")
            page.evaluate(GRID_DONE)
            page.evaluate("() => { window.__vssdTrace.length = 0; }")
            time.sleep(args.seconds)  # the measuring window: the demo's calls flow meanwhile
            trace = page.evaluate("() => window.__vssdTrace")
        finally:
            browser.close()
    return {"loads": loads, "trace": trace}


def first_load(browser: Any, base: str, init: str, slots: int, token: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = context.new_page()
        page.add_init_script(init)
        page.goto(base + "/")
        grid_ms = page.evaluate(GRID_DONE)
        bare_ms = page.evaluate(BARE_FETCH, token)
        assets = page.evaluate(ASSETS)
        return {"grid_ms": grid_ms, "bare_ms": bare_ms, "assets": assets}
    finally:
        context.close()


def report(result: dict[str, Any], args: argparse.Namespace) -> int:
    changes = [e for e in result["trace"] if e["at"] and e["prev"] != e["state"]]
    paint = [e["painted"] - e["at"] for e in changes]
    recv = [e["received"] - e["at"] for e in changes]
    loads = result["loads"]
    grid = statistics.median(x["grid_ms"] for x in loads)
    bare = statistics.median(x["bare_ms"] for x in loads)
    assets_kb = sum(a[1] for a in loads[-1]["assets"]) / 1024
    first_kb = sum(a[1] for a in loads[0]["assets"]) / 1024
    print(f"console bench: {args.slots} slots, ≤ {args.calls} calls in flight, {args.seconds:.0f} s window, "
          f"{len(changes)} state changes painted, {result['calls']} calls finished meanwhile")
    print(f"  event → DOM (transition → painted)   p50 {pct(paint, .5):7.1f} ms  p99 {pct(paint, .99):7.1f} ms "
          f"(goal ≤ {GOAL_P99_MS:.0f})")
    print(f"  baseline (transition → Socket.IO rx) p50 {pct(recv, .5):7.1f} ms  p99 {pct(recv, .99):7.1f} ms  "
          f"ratio p99 {pct(paint, .99) / max(pct(recv, .99), 1e-9):.2f}")
    print(f"  first load to a complete grid: {grid:.0f} ms (median of {len(loads)}; goal ≤ {GOAL_LOAD_MS:.0f}); "
          f"bare GET /api/slots in the same page {bare:.0f} ms; ratio {grid / max(bare, 1e-9):.2f}")
    print(f"  console assets transferred: {first_kb:.1f} KB on a cold cache, {assets_kb:.1f} KB revisiting "
          f"(goal ≤ {GOAL_ASSETS_KB:.0f} KB gzipped)")
    for name, size, body in sorted(loads[0]["assets"], key=lambda a: -a[1])[:6]:
        print(f"    {size / 1024:6.1f} KB  {name.split('/', 3)[-1]} (body {body / 1024:.1f} KB)")
    print(f"  reproduce: .venv/bin/python bench/console.py --slots {args.slots} --calls {args.calls} "
          f"--seconds {args.seconds:.0f} --agents {args.agents}")
    ok = pct(paint, .99) <= GOAL_P99_MS and grid <= GOAL_LOAD_MS and first_kb <= GOAL_ASSETS_KB
    return 0 if ok and changes else 1


async def main(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    async with hub(args) as (base, reply, daemon):
        before = daemon.finished_calls
        # The browser's driver in a process of its own: in a thread it would share the daemon's GIL (its JSON
        # traffic with Chromium would then delay the very events it measures).
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            result = await asyncio.get_running_loop().run_in_executor(pool, browse, base, reply, args)
        result["calls"] = daemon.finished_calls - before
    return report(result, args)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300, help="most campaign calls in flight")
    parser.add_argument("--agents", type=int, default=50, help="operators (simulated agent lines)")
    parser.add_argument("--seconds", type=float, default=20.0, help="the measuring window")
    parser.add_argument("--time-scale", type=float, default=10.0, help="simulated seconds per real second (demo)")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
