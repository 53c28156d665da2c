"""A presented token that fails verification is 401 in every mode, on every route that needs a caller — the
demo's anonymous read-only visitor is for requests with no credentials at all (SPEC, real-time section).

Every route of the app is tried (path parameters filled with plausible values) with every kind of bad token:
`alg: none`, HS↔RS confusion, another key, a tampered payload, expired, revoked, another audience, garbage.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import jwt
import pytest

from tests.api.conftest import SECRET, Rig, RigFactory
from vssd.api.rbac import needs_of

PLACEHOLDERS = {"slot_id": "44", "call_id": "c_1", "id": "1", "user_id": "1", "username": "admin"}
PUBLIC_PREFIXES = ("/socket.io", "/ws/")
GROUP = re.compile(r"^/api(?:/v1)?/([a-z_-]+)")


def _part(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def bad_tokens(rig: Rig) -> dict[str, str]:
    """Each kind of token that must be refused, made from a real login's claims."""
    login = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    assert login.status == 200
    good = (await login.json())["token"]
    claims = jwt.decode(good, SECRET, algorithms=["HS256"], audience="vssd-api", options={"verify_exp": False})
    head, body, sig = good.split(".")
    tampered = {**claims, "perms": ["#"], "role": "admin", "sub": "0"}
    revoked_login = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    revoked = (await revoked_login.json())["token"]
    out = await rig.client.post("/api/auth/logout", headers=rig.bearer(revoked))
    assert out.status in (200, 204), await out.text()
    return {
        "alg none": f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}.",
        "RS256 header (HS/RS confusion)": f"{_part({'alg': 'RS256', 'typ': 'JWT'})}.{body}.{sig}",
        "other key": jwt.encode(claims, "another-secret-0123456789abcdef0123456789", algorithm="HS256"),
        "tampered payload": f"{head}.{_part(tampered)}.{sig}",
        "expired": jwt.encode({**claims, "exp": claims["iat"] - 3600}, SECRET, algorithm="HS256"),
        "other audience": jwt.encode({**claims, "aud": "another-service"}, SECRET, algorithm="HS256"),
        "no audience": jwt.encode({k: v for k, v in claims.items() if k != "aud"}, SECRET, algorithm="HS256"),
        "revoked": revoked,
        "garbage abc.def.ghi": "abc.def.ghi",
        "placeholder": "YOUR_JWT_TOKEN",
    }


def guarded_routes(rig: Rig) -> list[tuple[str, str]]:
    """(method, concrete path) of every route that declares a permission (not the public ones)."""
    app = rig.client.app
    assert app is not None
    routes = []
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        needs = needs_of(app, route)
        if route.method in ("OPTIONS", "*") or canonical.startswith(PUBLIC_PREFIXES):
            continue
        if needs is None or needs.permission is None:
            continue
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: PLACEHOLDERS.get(m.group(1), "1"), canonical)
        routes.append((route.method, path))
    return sorted(set(routes))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("demo", [True, False], ids=["demo", "production"])
async def test_a_bad_token_is_401_on_every_route_in_every_mode(make_rig: RigFactory, demo: bool) -> None:
    rig: Rig = await make_rig(demo=demo)
    tokens = await bad_tokens(rig)
    routes = guarded_routes(rig)
    groups = {m.group(1) for _, path in routes if (m := GROUP.match(path))}
    assert {"slots", "calls", "users", "auth", "roles", "autodialer", "admin", "cdr"} <= groups, groups
    for method, path in routes:
        for kind, token in tokens.items():
            resp = await rig.client.request(method, path, headers=rig.bearer(token), json={})
            assert resp.status == 401, (kind, method, path, resp.status)
            assert "Bearer" in resp.headers.get("WWW-Authenticate", ""), (kind, method, path)
            if method == "HEAD":
                continue  # no body to read
            body = await resp.json()
            expected = "AUTH_002" if kind == "expired" else "AUTH_FAIL"
            assert body["code"] == expected and body["error"] is True, (kind, method, path, body)


async def test_the_demo_reads_anonymously_only_without_credentials(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(demo=True)
    for path in ("/api/slots", "/api/v1/slots", "/api/slots/44", "/api/calls/feed"):
        assert (await rig.client.get(path)).status == 200, path
    for header in ("Bearer TOKEN", "Bearer <token>", "Bearer YOUR_JWT_TOKEN", "Bearer abc.def.ghi", "Basic x",
                   "Bearer"):
        resp = await rig.client.get("/api/slots", headers={"Authorization": header})
        assert resp.status == 401, header
        assert (await resp.json())["code"] == "AUTH_FAIL", header
    resp = await rig.client.post("/api/users", json={"username": "x", "password": "longenough123"})
    assert resp.status in (401, 403), "the demo visitor only reads"
