"""POST /api/auth/login against the real users table, and bearer tokens on the reading routes."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from tests.api.conftest import PASSWORDS, SECRET, Rig


def _error(body: dict, code: str) -> None:
    assert body["error"] is True
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in json.dumps(body)


async def test_login_by_username_answers_the_seed_fields(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    assert resp.status == 200
    body = await resp.json()
    assert body["token"] == body["access_token"]
    assert body["token_type"] == "bearer"
    assert body["expires"] == body["expires_in"] == 3600
    assert body["role"] == "admin"
    assert body["permissions"] == ["#"]
    assert body["refresh_token"] and body["refresh_token"] != body["token"]
    user = body["user"]
    assert user["username"] == "admin"
    assert user["email"] == "admin@callcenter.com"
    assert user["role"] == "admin" and user["roles"] == ["admin"]
    assert user["is_active"] is True
    assert len(user["id"]) == 36  # the users.id uuid
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"], audience="vssd-api", options={"verify_exp": False})
    assert claims["sub"] == user["id"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] == int(rig.clock.now)


async def test_login_by_email_case_insensitive_on_v1_path(rig: Rig) -> None:
    resp = await rig.client.post("/api/v1/auth/login", json={"email": "op12@example.COM", "password": "1234-op"})
    assert resp.status == 200
    body = await resp.json()
    assert body["user"]["username"] == "op12"
    assert body["user"]["name"] == "Иван Петров"
    assert body["role"] == "operator"
    assert "vssd.slots.read" in body["permissions"]


async def test_login_with_a_form_body(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", data={"username": "op12", "password": PASSWORDS["op12"]})
    assert resp.status == 200
    assert (await resp.json())["role"] == "operator"


async def test_json_sent_as_a_form_like_curl_without_content_type(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", data=b'{"username": "admin", "password": "admin123"}',
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200


async def test_wrong_password_and_unknown_user_are_the_same_401(rig: Rig) -> None:
    wrong = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    unknown = await rig.client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status == unknown.status == 401
    wrong_body, unknown_body = await wrong.json(), await unknown.json()
    _error(wrong_body, "AUTH_FAIL")
    assert wrong_body == unknown_body
    assert "token" not in wrong_body


async def test_inactive_user_is_refused_after_a_correct_password(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", json={"username": "gone", "password": PASSWORDS["gone"]})
    assert resp.status == 403
    _error(await resp.json(), "AUTH_004")
    wrong = await rig.client.post("/api/auth/login", json={"username": "gone", "password": "x"})
    assert wrong.status == 401


async def test_missing_fields_are_422_with_details(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", json={"username": "admin"})
    assert resp.status == 422
    body = await resp.json()
    _error(body, "INVALID_PARAMS")
    assert body["details"] == [{"loc": ["body", "password"], "msg": "field required"}]
    resp = await rig.client.post("/api/auth/login", json={"password": 5})
    body = await resp.json()
    assert resp.status == 422
    assert [d["loc"] for d in body["details"]] == [["body", "username"], ["body", "password"]]


async def test_malformed_and_non_object_json(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", data=b'{"username": "admin",',
                                 headers={"Content-Type": "application/json"})
    assert resp.status == 400
    _error(await resp.json(), "INVALID_PARAMS")
    resp = await rig.client.post("/api/auth/login", json=["admin", "admin123"])
    assert resp.status == 422
    assert (await resp.json())["details"][0]["loc"] == ["body"]
    resp = await rig.client.post("/api/auth/login")
    assert resp.status == 422


async def test_token_opens_the_reading_routes(rig: Rig) -> None:
    token = await rig.login("admin")
    resp = await rig.client.get("/api/slots", headers=rig.bearer(token))
    assert resp.status == 200
    resp = await rig.client.get("/api/calls/feed", headers=rig.bearer(token))
    assert resp.status == 200


async def test_token_required_outside_demo(rig: Rig) -> None:
    for path in ("/api/slots", "/api/slots/44", "/api/calls/feed", "/api/v1/slots"):
        resp = await rig.client.get(path)
        assert resp.status == 401, path
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        _error(await resp.json(), "AUTH_FAIL")
    resp = await rig.client.get("/api/slots", headers={"Authorization": "Basic YWRtaW46YWRtaW4xMjM="})
    assert resp.status == 401


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_alg_none_token_is_refused(rig: Rig) -> None:
    token = await rig.token("admin")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="vssd-api", options={"verify_exp": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    resp = await rig.client.get("/api/slots", headers=rig.bearer(unsigned))
    assert resp.status == 401
    _error(await resp.json(), "AUTH_FAIL")


async def test_tampered_token_is_refused(rig: Rig) -> None:
    token = await rig.token("seller1")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(role="admin", perms=["#"])
    resp = await rig.client.get("/api/slots", headers=rig.bearer(f"{header}.{_b64(claims)}.{signature}"))
    assert resp.status == 401
    _error(await resp.json(), "AUTH_FAIL")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_secret_and_other_algorithm_are_refused(rig: Rig) -> None:
    token = await rig.token("admin")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="vssd-api", options={"verify_exp": False})
    for key, alg in (("another-secret-another-secret-0123456789", "HS256"), (SECRET, "HS512")):
        forged = jwt.encode(claims, key, algorithm=alg)
        resp = await rig.client.get("/api/slots", headers=rig.bearer(forged))
        assert resp.status == 401, alg


async def test_expired_token_by_the_injected_clock(rig: Rig) -> None:
    token = await rig.token("admin")
    rig.clock.now += 3600 + 60
    resp = await rig.client.get("/api/slots", headers=rig.bearer(token))
    assert resp.status == 401
    _error(await resp.json(), "AUTH_002")


async def test_refresh_token_is_not_a_bearer_token(rig: Rig) -> None:
    resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    refresh = (await resp.json())["refresh_token"]
    resp = await rig.client.get("/api/slots", headers=rig.bearer(refresh))
    assert resp.status == 401


async def test_role_permissions_from_the_store_decide(rig: Rig) -> None:
    seller = await rig.token("seller1")
    resp = await rig.client.get("/api/slots", headers=rig.bearer(seller))
    assert resp.status == 403
    _error(await resp.json(), "PERMISSION_DENIED")
    resp = await rig.client.get("/api/calls/feed", headers=rig.bearer(seller))
    assert resp.status == 200
    operator = await rig.token("op12")
    resp = await rig.client.get("/api/slots/44", headers=rig.bearer(operator))
    assert resp.status == 200


async def test_demo_allows_anonymous_reads_but_refuses_the_documents_placeholder_tokens(demo_rig: Rig) -> None:
    for path in ("/api/slots", "/api/slots/44", "/api/calls/feed"):
        resp = await demo_rig.client.get(path)
        assert resp.status == 200, path
    for header in ("Bearer TOKEN", "Bearer <token>", "Bearer YOUR_JWT_TOKEN", "Basic x"):
        resp = await demo_rig.client.get("/api/slots", headers={"Authorization": header})
        assert resp.status == 401, header
        _error(await resp.json(), "AUTH_FAIL")


async def test_demo_still_honours_a_valid_token_with_its_own_rights(demo_rig: Rig) -> None:
    seller = await demo_rig.token("seller1")
    resp = await demo_rig.client.get("/api/slots", headers=demo_rig.bearer(seller))
    assert resp.status == 403


async def test_user_directory_down_is_503(rig: Rig, user_store) -> None:
    await user_store.pool.close()
    resp = await rig.client.post("/api/auth/login", json={"username": "admin", "password": "admin123"})
    assert resp.status == 503
    _error(await resp.json(), "DB_001")
