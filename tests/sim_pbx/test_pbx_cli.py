"""`vssd sim pbx` as its own process: AMI via panoramisk, the control API, clean SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp
from panoramisk import Manager
from pbx_testkit import originate_headers

from vssd.sim.pbx.cli import parse_endpoints


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vssd", "sim", "pbx", *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def _ready(proc: asyncio.subprocess.Process) -> dict:
    async with asyncio.timeout(20):
        while True:
            line = (await proc.stderr.readline()).decode()
            assert line, "simulator exited before it was ready"
            if line.startswith("{") and "ami_port" in line:
                return json.loads(line)


async def test_subprocess_with_control_api():
    proc = await _spawn("--host", "127.0.0.1", "--port", "0", "--control-port", "0", "--seed", "7",
                        "--time-scale", "200", "--endpoints", "6001-6002,7001")
    try:
        ports = await _ready(proc)
        base = f"http://127.0.0.1:{ports['control_port']}"
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/script", json={"number": "79006660001", "outcome": "busy",
                                                         "ring_s": 1}) as r:
                assert r.status == 200
            async with http.post(f"{base}/endpoints/7001", json={"registered": False}) as r:
                assert (await r.json())["state"] == "unregistered"
            async with http.post(f"{base}/endpoints/9999", json={"registered": False}) as r:
                assert r.status == 404
            m = Manager(host="127.0.0.1", port=ports["ami_port"], username="vssd", secret="vssd-sim-secret",
                        ping_delay=0, loop=asyncio.get_running_loop())
            await m.connect()
            try:
                replies = await asyncio.wait_for(m.send_action(
                    {"Action": "Originate", "ActionID": "a-cli", **originate_headers("79006660001", "6001", "c-cli")}),
                    10)
                assert replies[-1]["Reason"] == "5"
            finally:
                m.close()
            async with http.post(f"{base}/inbound", json={"endpoint": "6002", "caller": "79001", "talk_s": 1}) as r:
                assert (await r.json())["uniqueid"]
            async with http.get(f"{base}/ledger") as r:
                ledger = await r.json()
        rec = ledger["originates"][0]
        assert (rec["action_id"], rec["channel_id"], rec["endpoint"], rec["outcome"]) == ("a-cli", "c-cli", "6001",
                                                                                          "busy")
        assert any(a["name"] == "Originate" for a in ledger["actions"])
        assert {c["kind"] for c in ledger["channels"]} >= {"local1", "local2", "slot"}
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_refuses_non_loopback_addresses():
    proc = await _spawn("--host", "0.0.0.0", "--port", "0", "--control-port", "0")
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2 and b"loopback" in err


def test_endpoint_ranges():
    assert [e.name for e in parse_endpoints("6001-6003,7001,lab")] == ["6001", "6002", "6003", "7001", "lab"]
