"""`GET /metrics`: the Prometheus text exposition of the daemon's registry (open, like the seeds' curls)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vssd.api.deps import deps_of
from vssd.api.rbac import public
from vssd.api.routing import Route


@public
async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(deps_of(request).metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


ROUTES = (Route("GET", "/metrics", metrics, prefixed=False),)
