"""API test rig: in-test SlotDirectory/CallFeed/Readiness (they stand for the daemon's real ones) and the
REAL PostgreSQL behind the UserDirectory — one migrated database per session with the test users, a fresh
Store (pool) per test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import require_service
from vssd.adapters.store import Store
from vssd.adapters.store_users import (
    StoreUserDirectory,
    add_user,
    ensure_admin,
    sync_builtin_roles,
    verify_password,
)
from vssd.api import tokens
from vssd.api.app import make_app
from vssd.api.audit_log import AUDIT
from vssd.api.deps import ApiDeps
from vssd.api.rbac import BUILTIN_ROLES
from vssd.api.realtime import HUB, Hub
from vssd.events import EventDispatcher
from vssd.metrics import Metrics, make_registry

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "test-jwt-secret-0123456789abcdef0123456789"
PASSWORDS = {"admin": "admin123", "op12": "1234-op", "seller1": "s3ll3r!", "gone": "inactive-pw",
             "super1": "sup3rvise", "mgr1": "m4nager", "seller2": "s3ll3r-2"}


def slot(n: int, *, type: str, status: str, fsm_state: str, trunk_id: int, **more: Any) -> dict[str, Any]:
    return {
        "id": n, "status": status, "fsm_state": fsm_state, "online": status != "offline", "type": type,
        "device": "A52" if type == "MF" else "gw-port", "internal_sip_number": str({"AUTO": 6000, "MF": 7000,
                                                                                     "LS": 8000}[type] + n),
        "sip_username": f"slot_{n}@vss.internal", "trunk_id": trunk_id, "trunk_name": f"trunk-{trunk_id}",
        "trunk": f"trunk-{trunk_id}", "user": None, "last_activity": "2026-11-22T10:30:00Z", **more,
    }


SLOTS = [
    slot(1, type="AUTO", status="free", fsm_state="READY", trunk_id=1),
    slot(2, type="AUTO", status="busy", fsm_state="ACTIVE_CALL", trunk_id=1, user="op12"),
    slot(3, type="MF", status="offline", fsm_state="REGISTERING", trunk_id=2, battery=82, temperature=38,
         signal=-71),
    slot(44, type="MF", status="free", fsm_state="READY", trunk_id=2, battery=55, temperature=31, signal=-80),
    slot(5, type="LS", status="error", fsm_state="FAULT", trunk_id=3),
]


@dataclass
class FakeSlots:
    views: list[dict[str, Any]] = field(default_factory=lambda: [dict(v) for v in SLOTS])

    def slot_views(self) -> list[dict[str, Any]]:
        return [dict(v) for v in self.views]

    def slot_view(self, slot_id: str) -> dict[str, Any] | None:
        return next((dict(v) for v in self.views if str(v["id"]) == slot_id), None)


def call(n: int, *, status: str, state: str, slot_id: int, outcome: str | None = None) -> dict[str, Any]:
    return {
        "call_id": f"c_{n}", "id": f"c_{n}", "slot_id": slot_id, "phone_number": f"+38099123{n:04d}",
        "direction": "outbound", "status": status, "state": state, "outcome": outcome, "cause": None,
        "started_at": f"2026-11-22T10:{n % 60:02d}:00Z", "answered_at": None, "ended_at": None,
        "ring_s": None, "talk_s": None, "duration": None,
    }


@dataclass
class FakeCalls:
    """Newest first; applies slot_id/status and records what the route asked for."""

    calls: list[dict[str, Any]] = field(default_factory=lambda: [
        call(n, status=("ringing", "connected", "completed")[n % 3],
             state=("CALLING", "ACTIVE_CALL", "POSTCALL")[n % 3], slot_id=1 + n % 2)
        for n in range(30, 0, -1)
    ])
    asked: list[tuple[int, int, dict[str, str]]] = field(default_factory=list)

    async def recent_calls(self, limit: int, offset: int,
                           filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        self.asked.append((limit, offset, dict(filters)))
        hits = [c for c in self.calls
                if all(str(c.get(k)) == v for k, v in filters.items() if k in ("slot_id", "status"))]
        return [dict(c) for c in hits[offset:offset + limit]], len(hits)


@dataclass
class FakeReadiness:
    facts: dict[str, bool] = field(default_factory=lambda: {"store": True, "pbx": True, "devices": True})

    def checks(self) -> dict[str, bool]:
        return dict(self.facts)


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _seed_users(dsn: str, spill: Path) -> None:
    store = await Store.connect(dsn, spill_dir=spill, pool_max_size=2)
    try:
        await store.migrate()
        await sync_builtin_roles(store, BUILTIN_ROLES)
        await ensure_admin(store, "admin", PASSWORDS["admin"], email="admin@callcenter.com")
        await add_user(store, "op12", PASSWORDS["op12"], role="operator", email="Op12@Example.com",
                       name="Иван Петров")
        await add_user(store, "seller1", PASSWORDS["seller1"], role="seller", email="seller1@example.com")
        await add_user(store, "seller2", PASSWORDS["seller2"], role="seller", email="seller2@example.com")
        await add_user(store, "gone", PASSWORDS["gone"], role="operator", active=False)
        await add_user(store, "super1", PASSWORDS["super1"], role="supervisor", email="super1@example.com")
        await add_user(store, "mgr1", PASSWORDS["mgr1"], role="manager", email="mgr1@example.com")
    finally:
        await store.close()


async def _admin_sql(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def users_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with admin, op12 (operator), seller1 and seller2 (sellers), gone (inactive), super1
    (supervisor) and mgr1 (manager)."""
    require_service("postgresql", 5432)
    name = f"vssd_t_api_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_sql(f"CREATE DATABASE {name}"))
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        asyncio.run(_seed_users(dsn, tmp_path_factory.mktemp("seed-spill")))
        yield dsn
    finally:
        asyncio.run(_admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def user_store(users_dsn: str, tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.connect(users_dsn, spill_dir=tmp_path / "spill", pool_max_size=2)
    try:
        yield store
    finally:
        await store.close()


@dataclass
class Rig:
    client: TestClient
    deps: ApiDeps
    slots: FakeSlots
    calls: FakeCalls
    readiness: FakeReadiness
    clock: Clock
    metrics: Metrics

    async def login(self, username: str = "admin") -> str:
        resp = await self.client.post("/api/auth/login",
                                      json={"username": username, "password": PASSWORDS[username]})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["token"]

    async def flush_audit(self) -> None:
        """Write the audit queue's pending entries now (a test reading the table itself; the API's reads flush)."""
        await self.client.app[AUDIT].flush()  # type: ignore[attr-defined]

    async def token(self, username: str = "admin") -> str:
        """An access token for a stored user, minted without the (slow, argon2) login round-trip."""
        user = await self.deps.users.find_user(username)
        assert user is not None
        return tokens.access_token(self.deps, user)

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


RigFactory = Callable[..., Any]


@pytest.fixture
async def make_rig(user_store: Store) -> AsyncIterator[RigFactory]:
    """`await make_rig(demo=False, **deps_overrides)` → a Rig with a running test client."""
    clients: list[TestClient] = []

    async def build(*, demo: bool = False, **overrides: Any) -> Rig:
        slots, calls, readiness, clock, metrics = FakeSlots(), FakeCalls(), FakeReadiness(), Clock(), make_registry()
        values: dict[str, Any] = dict(
            slots=slots, calls=calls, users=StoreUserDirectory(user_store), readiness=readiness,
            verify_password=verify_password, jwt_secret=SECRET, metrics=metrics, demo=demo, clock=clock,
        )
        deps = ApiDeps(**{**values, **overrides})
        client = TestClient(TestServer(make_app(deps)))
        await client.start_server()
        clients.append(client)
        return Rig(client, deps, deps.slots, deps.calls, deps.readiness, clock, metrics)  # type: ignore[arg-type]

    try:
        yield build
    finally:
        for client in clients:
            await client.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    return await make_rig()


@pytest.fixture
async def demo_rig(make_rig: RigFactory) -> Rig:
    return await make_rig(demo=True)


@pytest.fixture
async def fresh_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated, empty database of its own (for tests that write users)."""
    require_service("postgresql", 5432)
    name = f"vssd_t_apiu_{uuid.uuid4().hex[:10]}"
    await _admin_sql(f"CREATE DATABASE {name}")
    store = None
    try:
        store = await Store.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", spill_dir=tmp_path / "spill",
                                    pool_max_size=2)
        await store.migrate()
        await sync_builtin_roles(store, BUILTIN_ROLES)
        yield store
    finally:
        if store is not None:
            await store.close()
        await _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ---- a live API server with an event dispatcher (the real-time tests) ------------------------------------------
@dataclass
class Live:
    server: TestServer
    deps: ApiDeps
    bus: EventDispatcher
    hub: Hub

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def token(self, username: str = "admin") -> str:
        user = await self.deps.users.find_user(username)
        assert user is not None
        return tokens.access_token(self.deps, user)

    def deps_token(self, user: Any) -> str:
        """An access token for a user record as given (tests: chosen permissions)."""
        return tokens.access_token(self.deps, user)


LiveFactory = Callable[..., Any]


@pytest.fixture
async def live(user_store: Store) -> AsyncIterator[LiveFactory]:
    """`await live(demo=..., **hub_settings)` → an API server on a loopback port with an event bus."""
    servers: list[TestServer] = []

    async def build(*, demo: bool = True, **settings: Any) -> Live:
        bus = EventDispatcher()
        deps = ApiDeps(slots=FakeSlots(), calls=FakeCalls(), users=StoreUserDirectory(user_store),
                       readiness=FakeReadiness(), verify_password=verify_password, jwt_secret=SECRET,
                       metrics=make_registry(), demo=demo, clock=Clock(), events=bus)
        app = make_app(deps)
        app[HUB].configure(**settings)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return Live(server, deps, bus, app[HUB])

    try:
        yield build
    finally:
        for server in servers:
            await server.close()
