"""`/openapi.json` (valid OpenAPI 3.1, every router route in it, start-up refuses an undocumented route) and
`/docs` (Swagger UI served from this app, no CDN)."""

from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from tests.api.conftest import RigFactory
from vssd.api import openapi
from vssd.api.rbac import public


async def test_document_is_valid_openapi_31_and_covers_every_route(make_rig: RigFactory) -> None:
    rig = await make_rig()
    resp = await rig.client.get("/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"] == "3.1.0"
    await asyncio.to_thread(validate, doc)  # the validator takes seconds: not on the loop
    app = rig.client.server.app
    routes = [(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"]
    assert len(routes) > 90  # /api and /api/v1 twins, health, real-time, docs
    for method, path in routes:
        listed = doc["paths"][openapi.documented_path(path)]
        assert method.lower() in listed, (method, path)


async def test_operations_carry_permission_security_parameters_and_error_shape(make_rig: RigFactory) -> None:
    rig = await make_rig()
    doc = await (await rig.client.get("/openapi.json")).json()
    get_slot = doc["paths"]["/api/slots/{slot_id}"]["get"]
    assert "`vssd.slots.{slot_id}.read`" in get_slot["description"]
    assert get_slot["security"] == [{"bearer": []}]
    assert get_slot["parameters"] == [{"name": "slot_id", "in": "path", "required": True,
                                       "schema": {"type": "string"}}]
    assert get_slot["responses"]["4XX"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    login = doc["paths"]["/api/auth/login"]["post"]
    assert login["security"] == [] and "public" in login["description"]
    assert "password" in login["requestBody"]["content"]["application/json"]["schema"]["properties"]
    listing = doc["paths"]["/api/slots"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"trunk_id", "status", "type", "limit", "offset"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "code", "message"]


async def test_real_error_answers_match_the_documented_error_schema(make_rig: RigFactory) -> None:
    rig = await make_rig()
    resp = await rig.client.get("/api/slots/1")
    assert resp.status == 401
    body = await resp.json()
    assert body["error"] is True and set(body) >= {"code", "message"}


def test_an_undocumented_route_fails_start_up() -> None:
    app = web.Application()

    @public
    async def undocumented(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/api/health", undocumented)
    app.router.add_post("/api/v1/brand-new", undocumented)
    with pytest.raises(RuntimeError, match="POST /api/brand-new"):
        openapi.attach(app, "0")


async def test_docs_serve_swagger_ui_html_and_js_from_this_app(make_rig: RigFactory) -> None:
    rig = await make_rig()
    redirect = await rig.client.get("/docs", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"] == "/docs/"
    page = await rig.client.get("/docs")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    scripts = re.findall(r'src="([^"]+)"', html) + re.findall(r'href="([^"]+)"', html)
    assert "./swagger-ui-bundle.js" in scripts
    assert not [s for s in scripts if "//" in s]  # nothing from another host
    for src in scripts:
        asset = await rig.client.get("/docs/" + src.removeprefix("./"))
        assert asset.status == 200, src
    bundle = await rig.client.get("/docs/swagger-ui-bundle.js")
    assert bundle.content_type == "application/javascript" and len(await bundle.read()) > 100_000
    init = await (await rig.client.get("/docs/swagger-initializer.js")).text()
    assert 'url: "/openapi.json"' in init and "validatorUrl: null" in init and "petstore" not in init
    missing = await rig.client.get("/docs/..%2F__init__.py")
    assert missing.status == 404
