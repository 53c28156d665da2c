"""The simulator's control API: a tiny JSON HTTP service on loopback for tests, demos and benches.

GET /phones · GET /ledger[?since=N] · POST /phones/{serial}/fault with `{"fault": "unplug"}` (or the bare
JSON string `"unplug"`); faults: see FAULTS.
"""

from __future__ import annotations

import dataclasses
import json

from aiohttp import web

from vssd.sim.adb.simulator import FAULTS, AdbSimulator, require_loopback


def build_app(sim: AdbSimulator) -> web.Application:
    async def phones(_: web.Request) -> web.Response:
        return web.json_response([p.to_json() for p in sim.phones.values()])

    async def ledger(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0") or 0)
        return web.json_response([dataclasses.asdict(e) for e in sim.ledger[since:]])

    async def fault(request: web.Request) -> web.Response:
        serial = request.match_info["serial"]
        if serial not in sim.phones:
            return web.json_response({"error": f"no simulated phone {serial!r}"}, status=404)
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = None
        name = body.get("fault") if isinstance(body, dict) else body
        if name not in FAULTS:
            return web.json_response({"error": f"fault must be one of {list(FAULTS)}"}, status=400)
        sim.apply_fault(serial, name)
        return web.json_response(sim.phones[serial].to_json())

    app = web.Application()
    app.router.add_get("/phones", phones)
    app.router.add_get("/ledger", ledger)
    app.router.add_post("/phones/{serial}/fault", fault)
    return app


class ControlApi:
    def __init__(self, sim: AdbSimulator) -> None:
        self._runner = web.AppRunner(build_app(sim), access_log=None)
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        require_loopback(host)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()
