"""The login rate limit (per client address, injected clock) and the limiter's bounded memory."""

from __future__ import annotations

from tests.api.conftest import Rig
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
