"""The crash rig: the PBX simulator and `vssd run` as real child processes, driven through the HTTP APIs.

The simulator must outlive the daemon (a SIGKILLed daemon leaves its calls on the PBX, as a real crash does), so
both are processes: `SimProcess` (started blocking, from a sync fixture) and `DaemonProcess` (asyncio). A
`CrashRig` owns one daemon's database and setup: one trunk, the AUTO slots created and enrolled through the API
on the first boot (a restarted daemon enrolls them again by itself, and keeps its operators logged in).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp
import asyncpg
from daemon_rig import free_port, until

from tests import pg

SECRET = "crash-test-secret"
SLOTS = [f"60{i:02d}" for i in range(1, 21)]
AGENTS = ["1001", "1002", "1003", "1004"]
WEIGHTS = {"answered": 5, "busy": 2, "no_answer": 1, "rejected": 1}
FINAL_LEAD = {"done", "failed", "unknown"}


class SimProcess:
    """`vssd sim pbx` as its own process; its control API serves the ledger."""

    def __init__(self, workdir: Path, seed: int = 5, time_scale: float = 50.0) -> None:
        self.ready_file = workdir / "pbx-ready.json"
        self.log_path = workdir / "pbx.log"
        argv = [sys.executable, "-m", "vssd", "sim", "pbx", "--port", "0", "--control-port", "0",
                "--ready-file", str(self.ready_file), "--agents", ",".join(AGENTS), "--endpoints",
                f"{SLOTS[0]}-{SLOTS[-1]}", "--time-scale", str(time_scale), "--seed", str(seed),
                "--weights", json.dumps(WEIGHTS), "--ring-mean-s", "3", "--talk-mean-s", "20"]
        env = {**_clean_env(), "VSSD_SIM_AMI_SECRET": SECRET}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
        self.ami_port = self.control_port = 0

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Blocking: for a sync fixture, outside any event loop."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the PBX simulator exited ({self.proc.returncode}); see {self.log_path}")
            with contextlib.suppress(FileNotFoundError, ValueError):
                ports = json.loads(self.ready_file.read_text())
                self.ami_port, self.control_port = int(ports["ami_port"]), int(ports["control_port"])
                return
            time.sleep(0.05)
        raise TimeoutError(f"the PBX simulator did not get ready; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    async def ledger(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.get(
                f"http://127.0.0.1:{self.control_port}/ledger") as resp:
            assert resp.status == 200
            return await resp.json()

    async def script(self, number: str, outcome: str | None, ring_s: float | str = 1.0,
                     talk_s: float | str = 0.0) -> None:
        """As PbxSimulator.script; a time of "hold" lasts until `settle()`."""
        body = {"number": number, "outcome": outcome, "ring_s": ring_s, "talk_s": talk_s}
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{self.control_port}/script", json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def settle(self, key: str | None = None) -> int:
        """As PbxSimulator.settle: end the held phase of live calls (those `key` names); how many."""
        body = {} if key is None else {"key": key}
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{self.control_port}/settle", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return int((await resp.json())["released"])


def _append(path: Path) -> BinaryIO:
    """A log file opened for appending (a local file: instant, also inside a coroutine)."""
    return open(path, "ab")  # noqa: SIM115


def _clean_env() -> dict[str, str]:
    """The parent's environment without any VSSD_* setting (a developer's VSSD_AMQP_URL must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("VSSD_")}


class DaemonProcess:
    """One `vssd run` child process."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.env = {**_clean_env(), **env}
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with _append(self.log_path) as log:
            self.proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "vssd", "run", env=self.env,
                                                             stdout=log, stderr=log)

    async def wait_exit(self, timeout_s: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout_s)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: teardown after the campaign ended (a staged stop waits 5 s for the operators' lines)."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            await self.proc.wait()


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.headers: dict[str, str] = {}

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, headers=self.headers, **kw) as resp:
            return resp.status, await resp.json(content_type=None)

    async def login(self, timeout_s: float = 60.0) -> None:
        """Wait for the API to listen, then log in as the demo admin."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                status, body = await self.call("POST", "/api/auth/login",
                                               json={"username": "admin", "password": "admin123"})
                if status == 200:
                    self.headers = {"Authorization": f"Bearer {body['token']}"}
                    return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the daemon's API did not come up")
            await asyncio.sleep(0.2)


@dataclass
class CrashRig:
    """A daemon's database, environment and setup over a shared simulator; `boot()` starts (or restarts) it."""

    sim: SimProcess
    dsn: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None
    daemon: DaemonProcess | None = None
    api: Api | None = None
    slot_ids: list[int] = field(default_factory=list)
    operator_ids: list[str] = field(default_factory=list)
    trunk_id: int | None = None
    boots: int = 0

    def env(self, failpoints: str | None) -> dict[str, str]:
        port = free_port()
        env = {
            "VSSD_DATABASE_URL": self.dsn, "VSSD_AMI__PORT": str(self.sim.ami_port), "VSSD_AMI_SECRET": SECRET,
            "VSSD_ADB__PORT": str(free_port()), "VSSD_STATE_DIR": str(self.workdir / "state"),
            "VSSD_HTTP__LISTEN": f'[{{"host": "127.0.0.1", "port": {port}}}]', "VSSD_RATE_LIMITS__ENABLED": "false",
            "VSSD_SLOTS__WRAPUP_S": "0.2", "VSSD_AMI__PING_INTERVAL_S": "0.3",
            "VSSD_AMI__RECONNECT_INITIAL_S": "0.05", "VSSD_AMI__RECONNECT_MAX_S": "0.2",
            "VSSD_DATABASE__WRITER__FLUSH_INTERVAL_MS": "20", "VSSD_DATABASE__WRITER__RETRY_INITIAL_S": "0.02",
            "VSSD_DATABASE__WRITER__RETRY_MAX_S": "0.2", "VSSD_LOG__FORMAT": "console", **self.extra_env,
        }
        if failpoints:
            env["VSSD_FAILPOINTS"] = failpoints
        return env

    async def boot(self, failpoints: str | None = None) -> Api:
        """Start the daemon; create (first boot) or enroll again (later boots) the slots; operators online."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
        env = self.env(failpoints)
        self.daemon = DaemonProcess(env, self.workdir / "daemon.log")
        self.boots += 1
        with _append(self.workdir / "daemon.log") as log:
            log.write(f"\n===== boot {self.boots} failpoints={failpoints}\n".encode())
        await self.daemon.start()
        port = json.loads(env["VSSD_HTTP__LISTEN"])[0]["port"]
        self.api = api = Api(self.session, f"http://127.0.0.1:{port}")
        await api.login()
        if not self.slot_ids:
            await self._create_slots(api)
            await self._enroll(api)
        else:  # a restarted daemon enrolls the slots an admin enrolled before, by itself
            await self._all_ready(api)
        await self._operators_online(api)
        return api

    async def _create_slots(self, api: Api) -> None:
        status, trunk = await api.call("POST", "/api/trunks", json={"name": "crash", "type": "auto", "capacity": 50})
        assert status == 201, trunk
        self.trunk_id = int(trunk["id"])
        for endpoint in SLOTS:
            status, view = await api.call("POST", "/api/slots", json={"trunk_id": trunk["id"], "type": "auto",
                                                                      "internal_sip_number": endpoint})
            assert status == 201, view
            self.slot_ids.append(int(view["id"]))

    async def _enroll(self, api: Api) -> None:
        """Enroll every slot on the trunk, then wait until all are READY."""
        answers = await asyncio.gather(*(api.call("POST", f"/api/slots/{slot_id}/enroll",
                                                   json={"trunk_id": self.trunk_id}) for slot_id in self.slot_ids))
        assert all(status == 200 for status, _ in answers), answers
        await self._all_ready(api)

    async def _all_ready(self, api: Api) -> None:
        async def all_ready() -> bool:
            _, views = await api.call("GET", "/api/slots")
            return sum(1 for v in views if v["fsm_state"] == "READY") == len(self.slot_ids)

        await poll(all_ready, 30.0, "every slot READY")

    async def _operators_online(self, api: Api) -> None:
        if not self.operator_ids:
            for ext in AGENTS:
                status, user = await api.call("POST", "/api/users", json={
                    "username": f"op{ext}", "password": "op-password", "role": "operator", "extension": ext,
                    "email": f"op{ext}@example.org"})
                assert status == 201, user
                self.operator_ids.append(str(user["id"]))
        for user_id in self.operator_ids:  # one by one: concurrent PUTs once met a 409 on the extension's key
            status, body = await api.call("PUT", f"/api/operators/{user_id}/status", json={"status": "online"})
            assert status == 200, body

    async def run_campaign(self, numbers: Iterable[str], settings: Mapping[str, Any], may_die: bool = False) -> str:
        """Create and run a campaign; its id. `may_die`: an armed failpoint may kill the daemon before it
        answers the run request (the dial loop reserves as soon as the leads are published)."""
        assert self.api is not None
        leads = [{"phone": n, "name": f"Client {i}"} for i, n in enumerate(numbers)]
        status, body = await self.api.call("POST", "/api/autodialer/campaigns",
                                           json={"name": "crash", "leads": leads, "settings": dict(settings)})
        assert status == 201 and body["leads_rejected"] == [], body
        campaign_id = str(body["id"])
        try:
            status, body = await self.api.call("POST", "/api/autodialer/run-campaign",
                                               json={"campaign_id": campaign_id})
        except aiohttp.ClientConnectionError:
            if not may_die:
                raise
            return campaign_id
        assert status == 200 and str(body["campaign_id"]) == campaign_id, body
        return campaign_id

    async def status(self, campaign_id: str) -> dict[str, Any]:
        assert self.api is not None
        status, body = await self.api.call("GET", f"/api/autodialer/campaigns/{campaign_id}/status")
        assert status == 200, body
        return body

    async def finished(self, campaign_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
        """Poll until no lead is pending and no call live; the last status."""
        last: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal last
            last = await self.status(campaign_id)
            return last["pending"] == 0 and last["live_calls"] == 0

        try:
            await poll(done, timeout_s, f"campaign {campaign_id} finished")
        except TimeoutError as err:
            raise TimeoutError(f"campaign {campaign_id} not finished; last status {last}") from err
        return last

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await pg.query(self.dsn, sql, *args)

    async def close(self) -> None:
        if self.daemon is not None:
            await self.daemon.kill()
        if self.session is not None:
            await self.session.close()


async def poll(check: Any, timeout_s: float, what: str, step_s: float = 0.2) -> None:
    """Wait until `await check()` is true; TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(step_s)


__all__ = ["AGENTS", "FINAL_LEAD", "SLOTS", "Api", "CrashRig", "DaemonProcess", "SimProcess", "poll", "until"]
