"""The web console: static files served by the daemon itself (no CDN, no build step at install or run time).

`static/` holds the pages (ES modules, `js/`), their styles and the vendored libraries (`vendor/`, each with its
licence: Preact + htm, socket.io-client, uPlot; `make ui` refreshes them from npm). `Assets` reads every file
once at start-up and keeps it with a gzip copy, so serving never touches the disk or compresses on the loop.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain", ".png": "image/png"}
COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".svg", ".json", ".txt")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


class Assets:
    """Every file under `root`, by its path relative to it (`js/main.js`)."""

    def __init__(self, root: Path = STATIC) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            if path.is_file():
                self.files[path.relative_to(root).as_posix()] = _load(path)

    def get(self, name: str) -> Asset | None:
        return self.files.get(name)


def _load(path: Path) -> Asset:
    body = path.read_bytes()
    kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    packed = gzip.compress(body, 9, mtime=0) if path.suffix in COMPRESSIBLE else None
    return Asset(body, packed, kind, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
