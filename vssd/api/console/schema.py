"""OpenAPI entries of the console's pages and files."""

from __future__ import annotations

from vssd.api.console.routes import PAGES
from vssd.api.openapi_base import STR, Op

PAGE = Op("The web console (one page; the view follows the path)", STR, content_type="text/html", tag="console")
SCHEMAS = {
    **{("GET", path): PAGE for path in PAGES},
    ("GET", "/ui/{name}"): Op("The console's files (scripts, styles, vendored libraries)", STR,
                              content_type="*/*", tag="console"),
}
