"""The route table: one `(method, path, handler)` row per operation, registered once under each API prefix.

Each area lists its rows in `ROUTES` (paths relative to the prefix: `Route("GET", "/slots/{slot_id}", get_slot)`
answers at `/api/slots/{slot_id}` and `/api/v1/slots/{slot_id}`) and, for the few routes outside the API
prefixes (`/health`, `/metrics`, `/openapi.json`, `/docs`), `Route(..., prefixed=False)` with the full path.
`register(app, table)` adds them: the unprefixed rows first, then every prefixed row under `/api`, then under
`/api/v1`, each prefix in table order (so `/calls/stats` still comes before `/calls/{call_id}`). A GET also
answers HEAD, as `add_get` does. What a handler needs stays declared on the handler (`rbac.needs`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import hdrs, web

API_PREFIXES = ("/api", "/api/v1")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    prefixed: bool = True

    def paths(self) -> tuple[str, ...]:
        return tuple(prefix + self.path for prefix in API_PREFIXES) if self.prefixed else (self.path,)


def register(app: web.Application, table: Iterable[Route]) -> None:
    rows = list(table)
    for path, row in [(r.path, r) for r in rows if not r.prefixed] + [
            (prefix + r.path, r) for prefix in API_PREFIXES for r in rows if r.prefixed]:
        if row.method == hdrs.METH_GET:
            app.router.add_get(path, row.handler)
        else:
            app.router.add_route(row.method, path, row.handler)
