"""The daemon test rig: a `Hub` (daemon + simulators + its database) and helpers to wait and read the store.

The slot plan (`plan`) covers every slot kind the tests need:

- AUTO 6001–6006 and LS 8001, enrolled; MF 7001/7002 on phones 0/1, enrolled;
- AUTO 6009 in the plan but never enrolled (stays IDLE);
- endpoint 6099 and phones 2/3 exist on the simulators but are not in the plan: never to be dialled.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests import pg
from tests.pg import scratch_database
from vssd.app import Daemon, SlotPlan
from vssd.fsm import SlotState
from vssd.sim.adb import AdbSimulator
from vssd.sim.pbx import PbxSimulator

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "daemon-test-secret"
TIME_SCALE = 50.0
ENROLLED_AUTO = [f"600{i}" for i in range(1, 7)]
MF = ["7001", "7002"]
LS = ["8001"]
NOT_ENROLLED = "6009"
NOT_PLANNED = "6099"


@dataclass
class Hub:
    """A running daemon with its peers; `slot(endpoint)` gives the store's slot id of an endpoint."""

    daemon: Daemon
    pbx: PbxSimulator
    adb: AdbSimulator
    dsn: str
    serials: list[str]
    slot_ids: dict[str, str] = field(default_factory=dict)

    def slot(self, endpoint: str) -> str:
        return self.slot_ids[endpoint]

    def core(self, endpoint: str) -> Any:
        return self.daemon.farm.cores[self.slot(endpoint)]

    def state(self, endpoint: str) -> SlotState:
        return self.core(endpoint).state

    async def dial(self, endpoint: str, number: str) -> Any:
        return await self.daemon.farm.command(self.slot(endpoint), "dial", number=number)

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await pg.query(self.dsn, sql, *args)

    async def flush(self) -> None:
        await self.daemon.store.writer.flush(10.0)

    async def calls(self) -> dict[str, asyncpg.Record]:
        """attempt_id → calls row, after a flush."""
        await self.flush()
        return {r["attempt_id"]: r for r in await self.query("SELECT * FROM calls")}

    async def transitions(self, endpoint: str) -> list[tuple[str, str]]:
        """(from_state, to_state) of one slot in order, after a flush."""
        await self.flush()
        rows = await self.query("SELECT from_state, to_state FROM slot_transitions WHERE slot_id = $1 ORDER BY id",
                                int(self.slot(endpoint)))
        return [(r["from_state"], r["to_state"]) for r in rows]

    def originates(self, endpoint: str | None = None) -> list[Any]:
        return [o for o in self.pbx.ledger.originates if endpoint is None or o.endpoint == endpoint]

    def hangup_actions(self) -> list[Any]:
        return [a for a in self.pbx.ledger.actions if a.name.lower() == "hangup"]

    def count_final_records(self) -> Counter[str]:
        """Spy on the store writer: how often each attempt's final (ENDED) call record is submitted."""
        counts: Counter[str] = Counter()
        writer = self.daemon.store.writer
        submit = writer.submit_call

        def counting(attempt_id: str, **fields: Any) -> None:
            if fields.get("status") == "ENDED":
                counts[attempt_id] += 1
            submit(attempt_id, **fields)

        writer.submit_call = counting  # type: ignore[method-assign]
        return counts

    async def run_call(self, endpoint: str, number: str) -> Any:
        """Dial, wait for the call's end and for the slot to be READY again; the finished `Call`."""
        call = await self.dial(endpoint, number)
        await until(lambda: call.outcome is not None and self.state(endpoint) is SlotState.READY)
        return call


async def until(predicate: Callable[[], bool], timeout_s: float = 30.0, step_s: float = 0.02) -> None:
    """Wait for a condition on state other tasks own (no event to wait on); TimeoutError names nothing."""

    async def _loop() -> None:
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(step_s)

    await asyncio.wait_for(_loop(), timeout_s)


async def ready(hub: Hub, endpoints: list[str], timeout_s: float = 10.0) -> None:
    await until(lambda: all(hub.state(e) is SlotState.READY for e in endpoints), timeout_s)


def plan(serials: list[str]) -> list[SlotPlan]:
    out = [SlotPlan(e, "AUTO", enroll_trunk="t-auto") for e in ENROLLED_AUTO]
    out += [SlotPlan(e, "MF", serials[i], f"phone-{i}", enroll_trunk="t-mf") for i, e in enumerate(MF)]
    out += [SlotPlan(e, "LS", enroll_trunk="t-ls") for e in LS]
    out.append(SlotPlan(NOT_ENROLLED, "AUTO"))
    return out


def database() -> contextlib.AbstractAsyncContextManager[str]:
    return scratch_database("vssd_t")


def free_port() -> int:
    """A loopback port nobody listens on now (the API cannot take port 0; the demo's 3000… may be taken)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(dsn: str, pbx: PbxSimulator, adb: AdbSimulator, state_dir: Path, **over: str) -> dict[str, str]:
    env = {
        "VSSD_DATABASE_URL": dsn,
        "VSSD_AMI__PORT": str(pbx.port),
        "VSSD_ADB__PORT": str(adb.port),
        "VSSD_STATE_DIR": str(state_dir),
        "VSSD_HTTP__LISTEN": f'[{{"host": "127.0.0.1", "port": {free_port()}}}]',
        "VSSD_SLOTS__WRAPUP_S": "0.2",
        "VSSD_SLOTS__HEALTH_POLL_INTERVAL_S": "0.2",
        "VSSD_AMI__PING_INTERVAL_S": "0.3",
        "VSSD_AMI__RECONNECT_INITIAL_S": "0.05",
        "VSSD_AMI__RECONNECT_MAX_S": "0.2",
        "VSSD_DATABASE__WRITER__FLUSH_INTERVAL_MS": "20",
        "VSSD_DATABASE__WRITER__RETRY_INITIAL_S": "0.02",
        "VSSD_DATABASE__WRITER__RETRY_MAX_S": "0.2",
    }
    env.update(over)
    return env


HubFactory = Callable[..., Awaitable[Hub]]
