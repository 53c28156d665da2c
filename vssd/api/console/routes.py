"""The console's pages and files: `/`, `/calls`, `/campaigns`, `/dashboard`, `/admin`, `/workspace`, `/crm`,
`/notifier`, `/dci` answer the one page (`index.html`; the page's router picks the view from the path),
`/ui/{name}` its files (`vssd.console`).

The pages are public — they hold no data; everything they show comes from the API with the user's token.
Files are sent gzipped to a client that accepts it, with an ETag; `index.html` is never cached (it names the
module versions), the other files revalidate.
"""

from __future__ import annotations

from aiohttp import web

from vssd.api.errors import not_found
from vssd.api.rbac import public
from vssd.api.routing import Route
from vssd.console import Asset, Assets

ASSETS = web.AppKey("console_assets", Assets)
PAGES = ("/", "/calls", "/campaigns", "/dashboard", "/admin", "/workspace", "/crm", "/notifier", "/dci")


def setup(app: web.Application) -> None:
    app[ASSETS] = Assets()  # read once at start-up, never on the loop while serving


def _send(request: web.Request, asset: Asset, cache: str) -> web.Response:
    headers = {"Cache-Control": cache, "ETag": asset.etag, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    if request.headers.get("If-None-Match") == asset.etag:
        return web.Response(status=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body, headers["Content-Encoding"] = asset.gzipped, "gzip"
    return web.Response(body=body, headers={**headers, "Content-Type": asset.content_type})


@public
async def page(request: web.Request) -> web.Response:
    asset = request.app[ASSETS].get("index.html")
    if asset is None:
        raise not_found("the console is not installed")
    return _send(request, asset, "no-cache")


@public
async def file(request: web.Request) -> web.Response:
    asset = request.app[ASSETS].get(request.match_info["name"])
    if asset is None:
        raise not_found("no such console file")
    return _send(request, asset, "no-cache")


ROUTES = (
    *(Route("GET", path, page, prefixed=False) for path in PAGES),
    Route("GET", "/ui/{name:.+}", file, prefixed=False),
)
