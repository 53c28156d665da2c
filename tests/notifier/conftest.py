"""Notifier rig: a scratch PostgreSQL database (migrated, with users), a real aiohttp receiver on loopback that
verifies each webhook's signature and fails on demand, a clock the test moves (no real time passes: the test
calls `engine.step()` itself)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import require_service
from tests.pg import scratch_database
from vssd.adapters.store import Store
from vssd.adapters.store_notifier import StoreNotifier
from vssd.adapters.store_users import add_user, ensure_admin, sync_builtin_roles
from vssd.adapters.webhooks import WebhookClient
from vssd.api.rbac import BUILTIN_ROLES
from vssd.events import EventDispatcher
from vssd.notifier import NotifierEngine, Settings, verify
from vssd.notifier.desk import NotifierDesk
from vssd.notifier.ports import Mailer

SECRET = "webhook-secret-0123456789"


class ManualClock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Receiver:
    """Answers `fail` (a status) for the first `failures` requests, then 200; records every request."""

    server: TestServer | None = None
    failures: int = 0
    fail_status: int = 503
    secret: str = SECRET
    got: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        self.got.append({"body": orjson.loads(body), "headers": dict(headers),
                         "verified": verify(self.secret, headers.get("X-VSSD-Timestamp", ""), body,
                                            headers.get("X-VSSD-Signature", ""))})
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=self.fail_status, text="try again")
        return web.Response(status=200, text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    rec.server = TestServer(app, host="127.0.0.1")
    await rec.server.start_server()
    try:
        yield rec
    finally:
        await rec.server.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    require_service("postgresql", 5432)
    async with scratch_database("vssd_t_ntf") as dsn:
        st = await Store.connect(dsn, spill_dir=tmp_path / "spill", pool_max_size=4)
        try:
            await st.migrate()
            await sync_builtin_roles(st, BUILTIN_ROLES)
            await ensure_admin(st, "admin", "admin123", email="admin@example.com")
            await add_user(st, "admin2", "admin-two-pw", role="admin")  # no e-mail address
            await add_user(st, "op1", "op-one-pw", role="operator", email="op1@example.com")
            yield st
        finally:
            await st.close()


@dataclass
class Rig:
    engine: NotifierEngine
    desk: NotifierDesk
    rows: StoreNotifier
    events: EventDispatcher
    clock: ManualClock
    poster: WebhookClient

    async def states(self, **filters: str) -> list[dict[str, Any]]:
        items, _ = await self.rows.history(500, 0, filters)
        return items


RigFactory = Callable[..., Any]


@pytest.fixture
async def make_rig(store: Store) -> AsyncIterator[RigFactory]:
    posters: list[WebhookClient] = []

    async def build(mailer: Mailer | None = None, **settings: Any) -> Rig:
        rows, clock, events = StoreNotifier(store), ManualClock(), EventDispatcher()
        poster = WebhookClient(timeout_s=5.0, concurrency=16)
        posters.append(poster)
        engine = NotifierEngine(rows, rows, rows, poster, mailer, events, Settings(**settings), clock=clock,
                                rng=random.Random(7))
        await engine.load()
        events.listen(engine.on_event)
        return Rig(engine, NotifierDesk(engine, rows, rows), rows, events, clock, poster)

    try:
        yield build
    finally:
        for poster in posters:
            await poster.close()
