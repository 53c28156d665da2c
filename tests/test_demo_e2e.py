"""`vssd demo` as a user runs it: a child process, real PostgreSQL, the simulators as separate peers.

Checked: ready, 24 slots over the API, calls completing, the phones on the adb port, SIGTERM → exit 0, and the
store holding exactly the calls the PBX simulator's ledger says were dialled.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import urllib.request

import asyncpg
import pytest

from tests.conftest import require_service
from tests.demo_process import running_demo, stop
from tests.pg import scratch_database

PG = "postgresql://postgres@127.0.0.1:5432"


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback only)
        return json.loads(resp.read())


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError as err:
            last = err
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} ({last})")


@pytest.fixture
async def demo_db():
    require_service("PostgreSQL", 5432)
    async with scratch_database("vssd_demo_t") as dsn:
        yield dsn


async def _rows(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT attempt_id, call_id, status, outcome FROM calls")
    finally:
        await conn.close()


async def test_demo_end_to_end(demo_db, tmp_path):
    env = dict(os.environ, VSSD_DATABASE_URL=demo_db, VSSD_STATE_DIR=str(tmp_path))
    feed = await asyncio.to_thread(_demo_run, env, tmp_path / "demo.log")
    ledger = json.loads((tmp_path / "pbx-ledger.json").read_text())
    dialled = {o["action_id"] for o in ledger["originates"]}
    rows = await _rows(demo_db)
    assert len(rows) == len(dialled) and {r["attempt_id"] for r in rows} == dialled
    assert all(r["status"] == "ENDED" and r["outcome"] for r in rows), "the writer was flushed with every outcome"
    assert {c["call_id"] for c in feed} <= dialled, "every call the API shows was dialled on the PBX"


def _demo_run(env: dict[str, str], log_path) -> list[dict]:
    """Start the demo, check it while it runs, SIGTERM it: exit 0 (blocking; run in a thread)."""
    with running_demo(env, log_path) as proc:
        feed = _run_checks()
        assert stop(proc) == 0
        return feed


def _run_checks() -> list[dict]:
    """Blocking checks against the running demo (HTTP and the stock adb client); returns the calls feed seen."""
    ready = _wait(lambda: _get("http://127.0.0.1:3000/health/ready")["ready"], 60, "/health/ready")
    assert ready is True
    slots = _get("http://127.0.0.1:8001/api/slots")
    assert len(slots) == 24 and {s["type"] for s in slots} == {"AUTO", "MF", "LS"}
    feed = _wait(
        lambda: [c for c in _get("http://127.0.0.1:8081/api/calls/feed?limit=200") if c["state"] == "ENDED"][5:] and
        _get("http://127.0.0.1:8081/api/calls/feed?limit=200"),
        60, "calls completing",
    )
    if shutil.which("adb"):
        out = subprocess.run(["adb", "-P", "15037", "devices", "-l"], capture_output=True, text=True, timeout=20)
        phones = [ln for ln in out.stdout.splitlines() if " device " in ln and "usb:" in ln]
        assert len(phones) == 8, out.stdout
    elif os.environ.get("CI") == "true":
        pytest.fail("the stock adb client is missing (make tools installs it)")
    return feed
