"""ApiServer: one app on several ports; loopback only in demo mode; an all-or-nothing start."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from tests.api.conftest import SECRET, FakeCalls, FakeReadiness, FakeSlots
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.api.server import ApiServer, is_loopback
from vssd.metrics import make_registry


class NoUsers:
    async def find_user(self, login: str):
        return None


def _app(demo: bool):
    deps = ApiDeps(slots=FakeSlots(), calls=FakeCalls(), users=NoUsers(), readiness=FakeReadiness(),
                   verify_password=lambda h, p: False, jwt_secret=SECRET, metrics=make_registry(), demo=demo)
    return make_app(deps), deps


async def test_one_app_on_two_ephemeral_ports() -> None:
    app, deps = _app(demo=True)
    server = ApiServer(app, [("127.0.0.1", 0), ("127.0.0.1", 0)])
    await server.start()
    try:
        ports = [port for _, port in server.addresses]
        assert len(set(ports)) == 2 and 0 not in ports
        async with aiohttp.ClientSession() as session:
            for port in ports:
                async with session.get(f"http://127.0.0.1:{port}/api/slots?limit=1") as resp:
                    assert resp.status == 200
                    assert resp.headers["X-Total-Count"] == "5"
        deps.slots.views.pop()
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{ports[1]}/api/slots") as resp:
            assert resp.headers["X-Total-Count"] == "4"  # the same app state behind both ports
    finally:
        await server.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{ports[0]}/health"):
            pass


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_demo_refuses_a_non_loopback_bind(host: str) -> None:
    app, _ = _app(demo=True)
    with pytest.raises(ValueError, match="loopback"):
        ApiServer(app, [("127.0.0.1", 0), (host, 8083)])


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.3.4.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")


def test_production_may_configure_other_addresses() -> None:
    app, _ = _app(demo=False)
    server = ApiServer(app, [("0.0.0.0", 8083)])  # constructed only; never bound in a test
    assert server.demo is False


async def test_a_taken_port_undoes_the_whole_start() -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    try:
        app, _ = _app(demo=True)
        server = ApiServer(app, [("127.0.0.1", 0), ("127.0.0.1", taken)])
        with pytest.raises(OSError):
            await server.start()
        assert server.addresses == []
        await server.stop()
    finally:
        blocker.close()
