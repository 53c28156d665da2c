"""The login rate limit (per client address, injected clock) and the limiter's bounded memory."""

from __future__ import annotations

import asyncio
import threading

from tests.api.conftest import Rig
from vssd.adapters.store_users import verify_password
from vssd.api.ratelimit import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_window_slides() -> None:
    clock = Clock()
    limiter = SlidingWindow(2, 60.0, clock)
    assert limiter.hit("a") is None
    clock.now += 10
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 50
    assert limiter.hit("b") is None
    clock.now += 50
    assert limiter.hit("a") is None  # the first hit left the window
    assert limiter.hit("a") == 10


def test_memory_is_bounded() -> None:
    limiter = SlidingWindow(1, 60.0, Clock(), max_keys=3)
    for n in range(10):
        assert limiter.hit(f"client-{n}") is None
    assert len(limiter) == 3
    assert limiter.hit("client-9") == 60  # recent clients are still remembered


async def test_login_is_limited_per_client(make_rig) -> None:
    rig: Rig = await make_rig(auth_per_minute=2)
    bad = {"username": "nobody", "password": "x"}
    assert (await rig.client.post("/api/auth/login", json=bad)).status == 401
    assert (await rig.client.post("/api/auth/login", json=bad)).status == 401
    resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "60"
    body = await resp.json()
    assert body["error"] is True and body["code"] == "RATE_LIMITED"
    rig.clock.now += 61
    resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    assert resp.status == 200


async def test_password_checks_in_flight_are_bounded(make_rig) -> None:
    """With one check allowed in flight, a second concurrent login is refused at once, not queued."""
    started, release = threading.Event(), threading.Event()

    def held_verify(password_hash: str, password: str) -> bool:
        started.set()
        release.wait(10)
        return verify_password(password_hash, password)

    rig: Rig = await make_rig(verify_password=held_verify, password_queue=1)
    good = {"username": "admin", "password": "admin123"}
    first = asyncio.ensure_future(rig.client.post("/api/auth/login", json=good))
    try:
        assert await asyncio.to_thread(started.wait, 10)
        second = await rig.client.post("/api/auth/login", json=good)
        assert second.status == 429
        assert (await second.json())["code"] == "RATE_LIMITED"
    finally:
        release.set()
    assert (await first).status == 200
