"""A pipeline run streams its log to a Socket.IO client: every output line, in order, as `pipeline.update`
(`line` set), then the final state — the issue's acceptance. A client without `vssd.pipelines.read` (an
operator) gets none of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer

from tests.api.conftest import SECRET, Clock, FakeCalls, FakeReadiness, FakeSlots
from tests.api.test_api_realtime import until
from tests.dci.rig import DciRig, dci_rig
from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, verify_password
from vssd.api import tokens
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.api.realtime import HUB
from vssd.metrics import make_registry


@pytest.fixture
async def served(user_store: Store, tmp_path: Path) -> AsyncIterator[tuple[TestServer, ApiDeps, DciRig]]:
    rig = await dci_rig(user_store, tmp_path)
    deps = ApiDeps(slots=FakeSlots(), calls=FakeCalls(), users=StoreUserDirectory(user_store),
                   readiness=FakeReadiness(), verify_password=verify_password, jwt_secret=SECRET,
                   metrics=make_registry(), demo=False, clock=Clock(), events=rig.events, dci=rig.desk)
    app = make_app(deps)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, deps, rig
    finally:
        await server.close()
        await rig.close()


async def _client(server: TestServer, deps: ApiDeps, who: str, got: asyncio.Queue[Any]) -> socketio.AsyncClient:
    user = await deps.users.find_user(who)
    assert user is not None
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("pipeline.update", got.put_nowait)
    await sio.connect(f"http://127.0.0.1:{server.port}", transports=["websocket"],
                      auth={"token": tokens.access_token(deps, user)})
    return sio


async def test_a_run_streams_its_log_lines_to_a_socketio_client(
        served: tuple[TestServer, ApiDeps, DciRig]) -> None:
    server, deps, rig = served
    admin_got: asyncio.Queue[Any] = asyncio.Queue()
    operator_got: asyncio.Queue[Any] = asyncio.Queue()
    admin = await _client(server, deps, "admin", admin_got)
    operator = await _client(server, deps, "op12", operator_got)
    try:
        await admin.emit("subscribe:pipelines")
        hub = server.app[HUB]
        await until(lambda: any(c.groups == {"pipelines"} for c in hub.clients.values()), "subscribed")
        await rig.desk.run("echo", {}, "admin")
        updates: list[dict[str, Any]] = []
        async with asyncio.timeout(20):
            while not updates or updates[-1]["status"] == "running":
                updates.append(await admin_got.get())
    finally:
        await admin.disconnect()
        await operator.disconnect()
    lines = [line for u in updates if u["lines"] is not None for line in u["lines"]]
    seqs = [u["seq"] for u in updates if u["lines"] is not None]
    assert seqs == sorted(seqs) and seqs[0] == 1  # numbered in order from the first
    assert [x for x in lines if x.startswith("line ")] == [f"line {i}" for i in range(5)]
    assert lines.index("oops") > lines.index("line 4") and lines[-1] == "second step"
    assert updates[0]["status"] == "running" and updates[0]["name"] == "echo"
    final = updates[-1]
    assert final["status"] == "success" and final["lines"] is None and final["exit_code"] == 0
    assert final["log_url"] == f"/api/dci/logs?pipeline=echo&run_id={final['run_id']}"
    for key in ("id", "name", "branch", "status", "triggered_by", "start_time", "end_time", "log_url"):
        assert key in final
    assert operator_got.empty()  # no vssd.pipelines.read
