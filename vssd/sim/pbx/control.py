"""The control API: a tiny aiohttp JSON app on loopback for tests, the demo and benchmarks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vssd.sim.pbx.calls import HOLD
from vssd.sim.pbx.config import OUTCOMES
from vssd.sim.pbx.simulator import PbxSimulator, require_loopback


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": True, "message": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: Any, default: float | None) -> float | None:
    """A ring/talk time from JSON: a number, "hold" (until POST /settle) or absent (the default)."""
    if value is None:
        return default
    if value == "hold":
        return HOLD
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a time: {value!r}")
    return float(value)


def build_app(sim: PbxSimulator) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/ledger")
    async def ledger(_: web.Request) -> web.Response:
        return web.json_response(sim.ledger.to_json())

    @routes.get("/health")
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "ami_port": sim.port, "version": sim.config.version})

    @routes.post("/fault/drop")
    async def drop(_: web.Request) -> web.Response:
        await sim.drop_links()
        return web.json_response({"ok": True})

    @routes.post("/fault/silent")
    async def silent(request: web.Request) -> web.Response:
        sim.go_silent(bool((await _body(request)).get("on", True)))
        return web.json_response({"ok": True, "silent": sim.silent})

    @routes.post("/fault/restart")
    async def restart(_: web.Request) -> web.Response:
        await sim.restart()
        return web.json_response({"ok": True, "startup_at": sim.core.startup_at})

    @routes.post("/fault/slow")
    async def slow(request: web.Request) -> web.Response:
        body = await _body(request)
        sim.set_read_delay(float(body.get("read_delay_s", 0.0)))
        sim.set_write_delay(float(body.get("write_delay_s", 0.0)))
        return web.json_response({"ok": True, "read_delay_s": sim.read_delay_s, "write_delay_s": sim.write_delay_s})

    @routes.post("/endpoints/{name}")
    async def endpoint(request: web.Request) -> web.Response:
        body, name = await _body(request), request.match_info["name"]
        state = body.get("state") or ("registered" if body.get("registered", True) else "unregistered")
        try:
            sim.set_endpoint_state(name, state)
        except KeyError:
            return _bad(f"unknown endpoint {name}", 404)
        except ValueError as exc:
            return _bad(str(exc))
        return web.json_response({"ok": True, "endpoint": name, "state": sim.endpoint_state(name)})

    @routes.post("/weights")
    async def weights(request: web.Request) -> web.Response:
        try:
            new = sim.set_weights(await _body(request))
        except ValueError as exc:
            return _bad(str(exc))
        return web.json_response({"ok": True, "weights": new})

    @routes.post("/agents/{name}")
    async def agent(request: web.Request) -> web.Response:
        body, name = await _body(request), request.match_info["name"]
        if not sim.config.is_agent(name):
            return _bad(f"unknown agent endpoint {name}", 404)
        sim.set_registered(name, bool(body.get("registered", True)))
        return web.json_response({"ok": True, "agent": name, "state": sim.endpoint_state(name)})

    @routes.post("/inbound")
    async def inbound(request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            talk_s = _seconds(body.get("talk_s"), 20.0)
            assert talk_s is not None
            uid = sim.inbound_call(str(body["endpoint"]), str(body.get("caller", "")), talk_s)
        except (KeyError, ValueError) as exc:
            return _bad(f"bad inbound request: {exc}")
        return web.json_response({"ok": True, "uniqueid": uid})

    @routes.post("/script")
    async def script(request: web.Request) -> web.Response:
        body = await _body(request)
        outcome = body.get("outcome")
        if "number" not in body or (outcome is not None and outcome not in OUTCOMES):
            return _bad(f"need number and outcome in {OUTCOMES} (or null to clear)")
        try:
            ring_s, talk_s = _seconds(body.get("ring_s"), None), _seconds(body.get("talk_s"), None)
        except ValueError as exc:
            return _bad(f"bad ring_s/talk_s (seconds or \"hold\"): {exc}")
        sim.script(str(body["number"]), outcome, ring_s=ring_s, talk_s=talk_s)
        return web.json_response({"ok": True})

    @routes.post("/settle")
    async def settle(request: web.Request) -> web.Response:
        key = (await _body(request)).get("key")
        released = sim.settle(None if key is None else str(key))
        return web.json_response({"ok": True, "released": released})

    @routes.post("/blast")
    async def blast(request: web.Request) -> web.Response:
        sent = await sim.blast(int((await _body(request)).get("events", 10_000)))
        return web.json_response({"ok": True, "events": sent})

    app = web.Application()
    app.add_routes(routes)
    return app


class ControlServer:
    def __init__(self, sim: PbxSimulator) -> None:
        self.sim = sim
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        require_loopback(host)
        self._runner = web.AppRunner(build_app(self.sim), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
