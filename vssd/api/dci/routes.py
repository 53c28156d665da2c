"""DCI (the routes reference's "DATA & CI/CD", the OTTB/POINT/DCI/WORKSPACE API's section 8):
`GET /api/dci/pipelines`, `POST /api/dci/pipeline/{id}/run|stop`, `GET /api/dci/pipeline/{id}/status`,
`GET /api/dci/status`, `GET /api/dci/logs?module=&severity=&limit=&offset=`, `POST /api/dci/log-event`.

A pipeline is addressed by its numeric id or its name. A run's body is `{"params": {...}}` (or the params
themselves), checked against the pipeline's JSON schema (422 with the failing fields). Runs and stops are
audited by the audit middleware like every change.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from vssd.api.authn import authenticate
from vssd.api.body import object_body, optional_body
from vssd.api.dci.views import log_event_fields
from vssd.api.deps import deps_of
from vssd.api.errors import detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.ports import DciDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route

MODULES = ("OTTB", "POINT", "DCI", "WORKSPACE")
SEVERITIES = ("debug", "info", "warning", "error", "critical")
NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")


def _desk(request: web.Request) -> DciDesk:
    return port_or_503(deps_of(request).dci, "DCI")


def _key(request: web.Request) -> str:
    return request.match_info["pipeline_id"]


def _who(request: web.Request) -> str | None:
    who = authenticate(request)
    return None if who.anonymous else who.username


@needs("vssd.pipelines.read")
async def list_pipelines(request: web.Request) -> web.Response:
    items = _desk(request).pipelines()
    return list_response(items, len(items))


@needs("vssd.pipelines.{pipeline_id}.create")
async def run_pipeline(request: web.Request) -> web.Response:
    desk, key = _desk(request), _key(request)
    body = await optional_body(request)
    raw = body.get("params", body) if isinstance(body, dict) else body
    try:
        params, problems = desk.check_params(key, raw)
    except LookupError:
        raise not_found(f"pipeline {key} not found") from None
    if problems:
        raise invalid([detail(loc, msg) for loc, msg in problems], f"params outside pipeline {key}'s schema")
    view = await port_call(desk.run(key, params, _who(request)), f"pipeline {key}")
    return json_response(view, status=202)


@needs("vssd.pipelines.{pipeline_id}.update")
async def stop_pipeline(request: web.Request) -> web.Response:
    key = _key(request)
    return json_response(await port_call(_desk(request).stop(key, _who(request)), f"pipeline {key}"))


@needs("vssd.pipelines.{pipeline_id}.read")
async def pipeline_status(request: web.Request) -> web.Response:
    key = _key(request)
    return json_response(await port_call(_desk(request).status(key), f"pipeline {key}"))


@needs("vssd.monitor.read")
async def dci_status(request: web.Request) -> web.Response:
    return json_response(await port_call(_desk(request).system_status(), "DCI status"))


def _log_filters(query: Any) -> dict[str, Any]:
    problems, out = [], {}
    module = query.get("module")
    if module:
        if module.upper() not in MODULES:
            problems.append(detail(["query", "module"], f"must be one of {', '.join(MODULES)}"))
        out["module"] = module.upper()
    severity = query.get("severity")
    if severity:
        if severity.lower() not in SEVERITIES:
            problems.append(detail(["query", "severity"], f"must be one of {', '.join(SEVERITIES)}"))
        out["severity"] = severity.lower()
    pipeline = query.get("pipeline")
    if pipeline:
        if not NAME.match(pipeline):
            problems.append(detail(["query", "pipeline"], "must be a pipeline's name"))
        out["pipeline"] = pipeline
    run_id = query.get("run_id")
    if run_id:
        if not run_id.isdigit() or len(run_id) > 18:
            problems.append(detail(["query", "run_id"], "must be a run's number"))
        out["run_id"] = run_id
    if problems:
        raise invalid(problems, "invalid log filters")
    return out


@needs("vssd.dci.logs.read")
async def list_logs(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=100, max_limit=1000)
    filters = _log_filters(request.query)
    items, total = await port_call(_desk(request).logs(filters, page.limit, page.offset), "DCI logs")
    return list_response(items, total)


@needs("vssd.dci.logs.create")
async def log_event(request: web.Request) -> web.Response:
    entry = log_event_fields(await object_body(request), MODULES, SEVERITIES)
    return json_response(await port_call(_desk(request).log_event(entry), "DCI log"), status=201)


ROUTES = (
    Route("GET", "/dci/pipelines", list_pipelines),
    Route("POST", "/dci/pipeline/{pipeline_id}/run", run_pipeline),
    Route("POST", "/dci/pipeline/{pipeline_id}/stop", stop_pipeline),
    Route("GET", "/dci/pipeline/{pipeline_id}/status", pipeline_status),
    Route("GET", "/dci/status", dci_status),
    Route("GET", "/dci/logs", list_logs),
    Route("POST", "/dci/log-event", log_event),
)
