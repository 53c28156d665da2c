"""Monitoring (the routes reference, the operating manual and the WORKSPACE API):
`GET /api/monitor/system|usb|network|slots|slots/{id}`, every value measured when asked (see
`vssd.api.ports.MonitorFacts`)."""

from __future__ import annotations

from aiohttp import web

from vssd.api.deps import deps_of
from vssd.api.errors import not_found, port_call, port_or_503
from vssd.api.ports import MonitorFacts
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route


def _monitor(request: web.Request) -> MonitorFacts:
    return port_or_503(deps_of(request).monitor, "monitoring")


@needs("vssd.monitor.read")
async def system(request: web.Request) -> web.Response:
    return json_response(await _monitor(request).system())


@needs("vssd.monitor.read")
async def usb(request: web.Request) -> web.Response:
    return json_response(await port_call(_monitor(request).usb(), "adb"))


@needs("vssd.monitor.read")
async def network(request: web.Request) -> web.Response:
    return json_response(await _monitor(request).network())


@needs("vssd.monitor.read")
async def slots(request: web.Request) -> web.Response:
    return json_response(await _monitor(request).slots())


@needs("vssd.monitor.read")
async def slot(request: web.Request) -> web.Response:
    slot_id = request.match_info["slot_id"]
    facts = await _monitor(request).slot(slot_id)
    if facts is None:
        raise not_found(f"slot {slot_id} not found")
    return json_response(facts)


ROUTES = (
    Route("GET", "/monitor/system", system),
    Route("GET", "/monitor/usb", usb),
    Route("GET", "/monitor/network", network),
    Route("GET", "/monitor/slots", slots),
    Route("GET", "/monitor/slots/{slot_id}", slot),
)
