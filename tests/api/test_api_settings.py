"""System settings and info through the API on a fresh REAL PostgreSQL database: the Smart Call Center API's
SystemSettings, the AMI password encrypted in the table (read raw) and never answered, validation (422 with the
failing fields), admin only, audited; the Asterisk test against the PBX simulator and closed, silent and
forbidden hosts (nothing but loopback is ever connected to); the system info from the store and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from tests.api.conftest import Rig
from vssd.adapters.ami_probe import AmiProbe
from vssd.adapters.secret_box import SecretBox, new_key
from vssd.adapters.store import Store
from vssd.adapters.store_settings import StoreSettings
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin
from vssd.api.audit_log import AUDIT
from vssd.sim.pbx import PbxConfig, PbxSimulator

KEY = new_key()
AMI_SECRET = "settings-test-ami-secret"
ASTERISK = {"host": "127.0.0.1", "port": 5038, "username": "callcenter_user", "password": "secure_password",
            "protocol": "AMI", "timeout": 30, "enabled": True}


class Applied:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def __call__(self, values: Any) -> None:
        self.seen.append(dict(values))


@pytest.fixture
async def srig(make_rig, fresh_store: Store) -> Rig:
    await ensure_admin(fresh_store, "admin", "admin123")
    return await make_rig(users=StoreUserDirectory(fresh_store), settings=StoreSettings(fresh_store, SecretBox(KEY)),
                          ami_probe=AmiProbe(), settings_applied=Applied(),
                          settings_defaults={"wrapup_time": 2.5, "asterisk_config": {"port": 5038}})


@pytest.fixture
async def pbx() -> AsyncIterator[PbxSimulator]:
    sim = PbxSimulator(PbxConfig(username="callcenter_user", secret=AMI_SECRET))
    await sim.start(port=0)
    try:
        yield sim
    finally:
        await sim.stop()


async def call(rig: Rig, method: str, path: str, body: Any = None, user: str = "admin",
               raw: bytes | None = None) -> tuple[int, Any]:
    headers = rig.bearer(await rig.token(user))
    if raw is not None:
        headers["Content-Type"] = "application/json"
    resp = await rig.client.request(method, path, json=body if raw is None else None, data=raw, headers=headers)
    return resp.status, await resp.json()


async def raw_row(rig: Rig) -> dict[str, Any]:
    store = rig.deps.settings.store  # type: ignore[union-attr]
    row = await store.pool.fetchrow("SELECT value::text AS value, updated_by::text AS by FROM system_settings")
    return {"value": orjson.loads(row["value"]), "text": row["value"], "by": row["by"]}


async def test_defaults_before_anything_is_saved(srig: Rig) -> None:
    status, body = await call(srig, "GET", "/api/admin/settings")
    assert status == 200
    assert body["wrapup_time"] == 2.5 and body["max_call_duration"] == 3600 and body["call_recording"] is False
    assert body["asterisk_config"]["password"] is None and body["asterisk_config"]["password_set"] is False
    assert body["updated_by"] is None and body["updated_at"] is None


async def test_password_encrypted_at_rest_and_never_answered(srig: Rig) -> None:
    status, body = await call(srig, "PUT", "/api/admin/settings", {"call_recording": True, "asterisk_config": ASTERISK})
    assert status == 200, body
    assert body["asterisk_config"]["password"] == "********" and body["asterisk_config"]["password_set"] is True
    assert body["call_recording"] is True and body["updated_by"] and body["updated_at"]
    row = await raw_row(srig)
    assert "secure_password" not in row["text"] and "password" not in row["value"]["asterisk_config"]
    token = row["value"]["asterisk_config"]["password_encrypted"]
    assert SecretBox(KEY).decrypt(token) == "secure_password"
    with pytest.raises(ValueError):
        SecretBox(new_key()).decrypt(token)  # another key cannot read it
    admin = await srig.deps.users.find_user("admin")
    assert row["by"] == admin.id  # type: ignore[union-attr]
    status, body = await call(srig, "GET", "/api/admin/settings")
    assert "secure_password" not in orjson.dumps(body).decode()

    # the form sends the mask back (or nothing): the stored password stays; "" clears it
    status, body = await call(srig, "PUT", "/api/admin/settings",
                              {**body, "asterisk_config": {**body["asterisk_config"], "port": 5039}})
    assert status == 200, body
    assert SecretBox(KEY).decrypt((await raw_row(srig))["value"]["asterisk_config"]["password_encrypted"]) == \
        "secure_password"
    status, body = await call(srig, "PUT", "/api/admin/settings", {"asterisk_config": {"password": ""}})
    assert status == 200 and body["asterisk_config"]["password_set"] is False
    assert "password_encrypted" not in (await raw_row(srig))["value"]["asterisk_config"]
    assert body["asterisk_config"]["port"] == 5039  # a partial PUT keeps the rest


async def test_a_change_is_applied_and_audited_without_secrets(srig: Rig) -> None:
    status, _ = await call(srig, "PUT", "/api/admin/settings",
                           {"wrapup_time": 7, "api_rate_limit_per_minute": 500, "asterisk_config": ASTERISK})
    assert status == 200
    applied = srig.deps.settings_applied.seen  # type: ignore[union-attr]
    assert applied[-1]["wrapup_time"] == 7.0 and applied[-1]["api_rate_limit_per_minute"] == 500
    entries, _ = await srig.client.app[AUDIT].entries(10, 0, {"action": "PUT /api/admin/settings"})
    assert entries and entries[0]["outcome"] == "ok"
    details = entries[0]["details"]
    assert {"wrapup_time", "api_rate_limit_per_minute", "asterisk_config.username"} <= set(details["changed"])
    assert details["secret_changed"] is True and "secure_password" not in orjson.dumps(entries).decode()


BAD = [
    ({"nonsense": 1}, ["body", "nonsense"]),
    ({"call_recording": "yes"}, ["body", "call_recording"]),
    ({"auto_answer_delay": -1}, ["body", "auto_answer_delay"]),
    ({"max_call_duration": 10**9}, ["body", "max_call_duration"]),
    ({"wrapup_time": "long"}, ["body", "wrapup_time"]),
    ({"api_rate_limit_per_minute": 0}, ["body", "api_rate_limit_per_minute"]),
    ({"asterisk_config": "127.0.0.1"}, ["body", "asterisk_config"]),
    ({"asterisk_config": {"port": 0}}, ["body", "asterisk_config", "port"]),
    ({"asterisk_config": {"host": "bad host!"}}, ["body", "asterisk_config", "host"]),
    ({"asterisk_config": {"protocol": "ARI"}}, ["body", "asterisk_config", "protocol"]),
    ({"asterisk_config": {"timeout": 0}}, ["body", "asterisk_config", "timeout"]),
    ({"asterisk_config": {"extra": 1}}, ["body", "asterisk_config", "extra"]),
]


async def test_bad_input_is_422_with_the_field(srig: Rig) -> None:
    for change, loc in BAD:
        status, body = await call(srig, "PUT", "/api/admin/settings", change)
        assert status == 422, (change, body)
        assert body["error"] is True and body["code"] == "INVALID_PARAMS"
        assert loc in [d["loc"] for d in body["details"]], (change, body)
    for raw in (b"not json", b"[1, 2]"):
        status, body = await call(srig, "PUT", "/api/admin/settings", raw=raw)
        assert 400 <= status < 500 and body["error"] is True
    for change in ({"host": "127.0.0.1"}, {"port": 5038}, {"host": "127.0.0.1", "port": "x"},
                   {"host": "127.0.0.1", "port": 1, "timeout": 99}):
        status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test", change)
        assert status == 422 and body["code"] == "INVALID_PARAMS", (change, body)
    assert await raw_row_or_none(srig) is None  # nothing refused was stored


async def raw_row_or_none(rig: Rig) -> Any:
    store = rig.deps.settings.store  # type: ignore[union-attr]
    return await store.pool.fetchrow("SELECT * FROM system_settings")


ROUTES = [("GET", "/api/admin/settings", None), ("PUT", "/api/admin/settings", {"call_recording": True}),
          ("POST", "/api/admin/settings/asterisk/test", {"host": "127.0.0.1", "port": 1}),
          ("GET", "/api/admin/system/info", None)]


async def others(rig: Rig) -> None:
    store = rig.deps.settings.store  # type: ignore[union-attr]
    for name, role in (("super1", "supervisor"), ("mgr1", "manager"), ("op1", "operator")):
        await add_user(store, name, "secret-pass", role=role)


async def test_admin_only(srig: Rig) -> None:
    await others(srig)
    for user in ("super1", "mgr1", "op1"):
        for method, path, body in ROUTES:
            status, answer = await call(srig, method, path, body, user=user)
            assert (status, answer["code"]) == (403, "PERMISSION_DENIED"), (user, method, path)
    for method, path, body in ROUTES:
        resp = await srig.client.request(method, path, json=body)
        assert resp.status == 401
    assert await raw_row_or_none(srig) is None


async def test_asterisk_test_against_the_pbx_simulator(srig: Rig, pbx: PbxSimulator) -> None:
    target = {"host": "127.0.0.1", "port": pbx.port, "username": "callcenter_user", "protocol": "AMI", "timeout": 5}
    status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test", {**target, "password": AMI_SECRET})
    assert status == 200, body
    assert body["success"] is True and body["data"]["connection_details"]["status"] == "Connected"
    assert body["data"]["asterisk_version"] == pbx.config.ami_version
    assert body["data"]["system"].startswith("Asterisk Call Manager/")

    status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test", {**target, "password": "wrong"})
    assert status == 200 and body["success"] is False
    assert body["data"]["error"] == "Authentication failed" and body["data"]["details"]["result"] == "auth_failed"
    assert body["data"]["troubleshooting"]

    # no password in the body: the stored one is used (the form shows only the mask)
    await call(srig, "PUT", "/api/admin/settings", {"asterisk_config": {**target, "password": AMI_SECRET}})
    status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test", {**target, "host": "localhost"})
    assert status == 200 and body["success"] is True, body
    entries, _ = await srig.client.app[AUDIT].entries(
        10, 0, {"action": "POST /api/admin/settings/asterisk/test"})
    assert entries[0]["details"]["result"] == "connected" and AMI_SECRET not in orjson.dumps(entries).decode()


async def test_asterisk_test_on_a_closed_and_a_silent_loopback_port(srig: Rig) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never says a word
    silent = server.sockets[0].getsockname()[1]
    closed_sock = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    closed = closed_sock.sockets[0].getsockname()[1]
    closed_sock.close()
    await closed_sock.wait_closed()
    try:
        status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test",
                                  {"host": "127.0.0.1", "port": closed, "timeout": 5})
        assert status == 200 and body["success"] is False and body["data"]["details"]["result"] == "refused"
        assert body["data"]["error"] == "Connection refused"
        status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test",
                                  {"host": "127.0.0.1", "port": silent, "timeout": 0.3})
        assert status == 200 and body["data"]["details"]["result"] == "timeout", body
        assert body["message"].startswith("Connection timeout")
    finally:
        server.close()
        await server.wait_closed()


async def test_asterisk_test_refuses_hosts_other_than_loopback(srig: Rig) -> None:
    """The SSRF rule: the documents' LAN host, a public name, an IPv6 non-loopback, a metadata address — all
    refused before any connection (the probe decides on the literal; names are not even resolved)."""
    for host in ("192.168.1.100", "10.0.0.1", "169.254.169.254", "example.com", "::ffff:192.168.1.100", "2001:db8::1",
                 "0.0.0.0"):
        status, body = await call(srig, "POST", "/api/admin/settings/asterisk/test",
                                  {"host": host, "port": 8088, "username": "u", "password": "p", "timeout": 30})
        assert (status, body["code"]) == (422, "HOST_NOT_ALLOWED"), (host, body)
        assert ["body", "host"] in [d["loc"] for d in body["details"]]


async def test_configured_hosts_are_allowed() -> None:
    probe = AmiProbe(["pbx.internal"])
    with pytest.raises(PermissionError):
        await probe.target("192.168.1.100", 5038)
    assert await probe.target("127.0.0.5", 5038) == "127.0.0.5"
    assert await probe.target("::1", 5038) == "::1"
    assert (await AmiProbe(["192.168.1.100"]).target("192.168.1.100", 5038)) == "192.168.1.100"


async def test_system_info(srig: Rig) -> None:
    await others(srig)
    srig.clock.now += 2 * 86_400 + 14 * 3600 + 30 * 60 + 22  # type: ignore[attr-defined]
    status, body = await call(srig, "GET", "/api/admin/system/info")
    assert status == 200, body
    assert (body["users"], body["operators"], body["calls_today"]) == (4, 1, 0)
    assert body["asterisk_connected"] is True and body["database_status"] == "connected"
    assert body["uptime"] == "2 days, 14:30:22"
    srig.readiness.facts["pbx"] = False  # type: ignore[attr-defined]
    srig.readiness.facts["store"] = False  # type: ignore[attr-defined]
    status, body = await call(srig, "GET", "/api/admin/system/info")
    assert body["asterisk_connected"] is False and body["database_status"] == "disconnected"
