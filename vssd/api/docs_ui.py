"""`GET /docs`: Swagger UI from the `swagger-ui-bundle-v2` package's dist files, served by this app.

Nothing is fetched from a CDN: the page, its scripts and styles come from `/docs/…`, the initializer is ours
(it points at `/openapi.json` and turns the online validator badge off, which would call validator.swagger.io).
Only the files the page needs are served (an allowlist, no directory walking); they are read once per process.
"""

from __future__ import annotations

import functools
import mimetypes

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from vssd.api.errors import not_found
from vssd.api.rbac import public
from vssd.api.routing import Route

FILES = ("index.html", "index.css", "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
         "favicon-16x16.png", "favicon-32x32.png", "oauth2-redirect.html", "oauth2-redirect.js")
INITIALIZER = b"""window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
"""


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    """(bytes, content type) of one dist file; the initializer is ours."""
    if name == "swagger-initializer.js":
        return INITIALIZER, "application/javascript"
    body = (swagger_ui_path / name).read_bytes()
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return body, "application/javascript" if name.endswith(".js") else kind


@public
async def docs_redirect(request: web.Request) -> web.Response:
    """`/docs` → `/docs/`: the page's relative asset links resolve under the directory form."""
    raise web.HTTPFound("/docs/")


@public
async def docs_index(request: web.Request) -> web.Response:
    body, kind = _asset("index.html")
    return web.Response(body=body, content_type=kind)


@public
async def docs_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in FILES and name != "swagger-initializer.js":
        raise not_found("no such documentation file")
    body, kind = _asset(name)
    return web.Response(body=body, content_type=kind, headers={"Cache-Control": "public, max-age=3600"})


def setup(app: web.Application) -> None:
    for name in FILES:  # read at start-up (once per process), never on the event loop while serving
        _asset(name)


ROUTES = (
    Route("GET", "/docs", docs_redirect, prefixed=False),
    Route("GET", "/docs/", docs_index, prefixed=False),
    Route("GET", "/docs/{name}", docs_file, prefixed=False),
)
