"""The autodialer (the routes reference, the operating manual and the WORKSPACE API): campaigns, leads, the DNC
list, dead letters, dispositions.

- `GET|POST /api/autodialer/campaigns`, `GET /api/autodialer/campaigns/{id}`, `…/{id}/status`, `…/{id}/ledger`
  (the compliance ledger), `POST …/{id}/leads` (import: JSON array or `text/csv`), `POST …/{id}/pause|resume`,
  `GET …/{id}/preview` and `POST …/{id}/preview/confirm` (preview mode: the operator confirms each call);
- `POST /api/autodialer/run-campaign|stop-campaign|pause-campaign|resume-campaign` with `{"campaign_id"}`
  (run-campaign also takes inline `leads`, as in the WORKSPACE API);
- `GET /api/autodialer/leads` (filters campaign_id, status, phone; paging), `POST /api/autodialer/leads/{id}/requeue`
  (admin: an `unknown` lead back to the queue — never done automatically); `GET /api/autodialer/calls/{call_id}/lead`
  (the lead a campaign call dials, for the operator it was bridged to — the workspace's current call);
- `GET|POST /api/autodialer/dnc`, `DELETE /api/autodialer/dnc/{number}`; `GET /api/autodialer/dead-letters`;
- `POST /api/autodialer/dispositions` (an operator's outcome of a call; `dnc` feeds the DNC list).

A seller reads and runs only the campaigns they created, and only their leads and dead letters (scope.py).


Operators (the Smart Call Center API): `GET /api/operators` (filters status, group_id; limit/offset, X-Total-Count),
`PUT /api/operators/{operator_id}/status` (online | busy | offline; an operator may set their own),
`GET /api/operators/{operator_id}/stats?period=` (today | yesterday | week | month: vssd/calls/periods.py).

An operator's id is their user id. Going `online` logs the operator in: vssd pre-connects their line (an
answered channel to their extension) so campaign calls are bridged to them at once; `offline` hangs it up.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from vssd.api.authn import authenticate, require
from vssd.api.autodialer.scope import check_campaign, scoped
from vssd.api.autodialer.views import dnc_removed_view
from vssd.api.body import object_body, optional_body
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.ports import AutodialerDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route
from vssd.api.tokens import Principal
from vssd.calls.campaign import MAX_LEADS_PER_REQUEST, CampaignSettings, parse_csv
from vssd.calls.periods import PERIODS

LEAD_STATUSES = ("pending", "queued", "dialing", "retry", "done", "failed", "dnc", "expired", "unknown", "cancelled")
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped", "completed")
MAX_CSV_BYTES = 8 * 1024 * 1024


def _desk(request: web.Request) -> AutodialerDesk:
    return port_or_503(deps_of(request).autodialer, "the autodialer")


def _user(request: web.Request) -> str | None:
    who: Principal = authenticate(request)
    return None if who.anonymous else who.user_id


def _campaign_id(raw: Any, where: list[str | int]) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip() or len(str(raw)) > 64:
        raise invalid([detail(where, "required: a campaign id (string of 1 to 64 characters)")])
    return str(raw).strip()


def _settings(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid([detail(["body", "settings"], "must be an object")])
    try:
        return CampaignSettings.model_validate(raw).model_dump(mode="json")
    except ValidationError as err:
        raise invalid([detail(["body", "settings", *e["loc"]], e["msg"]) for e in err.errors()],
                      "invalid campaign settings") from None


def _leads(raw: Any, required: bool = False) -> list[Any] | None:
    if raw is None and not required:
        return None
    if not isinstance(raw, list):
        raise invalid([detail(["body", "leads"], "must be an array of {phone|number, name}")])
    if len(raw) > MAX_LEADS_PER_REQUEST:
        raise invalid([detail(["body", "leads"], f"at most {MAX_LEADS_PER_REQUEST} leads per request")])
    return raw


# ---- campaigns ---------------------------------------------------------------------------------------------
@needs("vssd.campaigns.read")
async def list_campaigns(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=1000)
    status = request.query.get("status")
    if status and status not in CAMPAIGN_STATUSES:
        raise invalid([detail(["query", "status"], f"must be one of {', '.join(CAMPAIGN_STATUSES)}")])
    filters = scoped(request, {"status": status or ""})
    rows, total = await port_call(_desk(request).list_campaigns(page.limit, page.offset, filters), "campaigns")
    return list_response(rows, total)


@needs("vssd.campaigns.create")
async def create_campaign(request: web.Request) -> web.Response:
    data = await object_body(request)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise invalid([detail(["body", "name"], "required: a string of 1 to 200 characters")])
    view = await port_call(_desk(request).create_campaign(name.strip(), _leads(data.get("leads")),
                                                          _settings(data.get("settings")), _user(request)),
                           "campaign")
    return json_response(view, status=201)


def _campaign_read(method: str) -> Any:
    """A GET of one campaign's view by `AutodialerDesk.<method>` (the campaign, its status, its preview)."""
    async def handler(request: web.Request) -> web.Response:
        cid = request.match_info["campaign_id"]
        await check_campaign(request, _desk(request), cid)
        return json_response(await port_call(getattr(_desk(request), method)(cid), f"campaign {cid}"))
    handler.__name__ = method
    return needs("vssd.campaigns.{campaign_id}.read")(handler)


get_campaign = _campaign_read("get_campaign")
campaign_status = _campaign_read("campaign_status")


@needs("vssd.campaigns.{campaign_id}.read")
async def campaign_ledger(request: web.Request) -> web.Response:
    cid = request.match_info["campaign_id"]
    raw = request.query.get("period_days", "30")
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not 1 <= days <= 366:
        raise invalid([detail(["query", "period_days"], "must be a number from 1 to 366")])
    await check_campaign(request, _desk(request), cid)
    return json_response(await port_call(_desk(request).ledger(cid, days), f"campaign {cid}"))


async def _act(request: web.Request, campaign_id: str, action: str) -> web.Response:
    await check_campaign(request, _desk(request), campaign_id)
    return json_response(await port_call(_desk(request).set_campaign(campaign_id, action), f"campaign {campaign_id}"))


@needs("vssd.campaigns.{campaign_id}.update")
async def pause_by_path(request: web.Request) -> web.Response:
    return await _act(request, request.match_info["campaign_id"], "pause")


@needs("vssd.campaigns.{campaign_id}.update")
async def resume_by_path(request: web.Request) -> web.Response:
    return await _act(request, request.match_info["campaign_id"], "resume")


@needs("vssd.campaigns.update")
async def run_campaign(request: web.Request) -> web.Response:
    data = await object_body(request)
    cid = _campaign_id(data.get("campaign_id"), ["body", "campaign_id"])
    await check_campaign(request, _desk(request), cid)
    view = await port_call(_desk(request).run_campaign(cid, _leads(data.get("leads")), _user(request)),
                           f"campaign {cid}")
    return json_response(view)


def _body_action(action: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        data = await object_body(request)
        return await _act(request, _campaign_id(data.get("campaign_id"), ["body", "campaign_id"]), action)
    handler.__name__ = f"{action}_campaign"
    return needs("vssd.campaigns.update")(handler)


stop_campaign = _body_action("stop")
pause_campaign = _body_action("pause")
resume_campaign = _body_action("resume")


preview = _campaign_read("preview")


@needs("vssd.calls.create")
async def confirm_preview(request: web.Request) -> web.Response:
    """Preview mode: the operator looked at the next lead and says dial (operators hold vssd.calls.create)."""
    cid = request.match_info["campaign_id"]
    data = await optional_body(request)
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise invalid([detail(["body", "count"], "must be an integer from 1 to 100")])
    await check_campaign(request, _desk(request), cid)
    return json_response(await port_call(_desk(request).confirm_preview(cid, count), f"campaign {cid}"))


# ---- leads ---------------------------------------------------------------------------------------------------
@needs("vssd.campaigns.{campaign_id}.update")
async def import_leads(request: web.Request) -> web.Response:
    cid = request.match_info["campaign_id"]
    await check_campaign(request, _desk(request), cid)
    if request.content_type in ("text/csv", "application/csv", "text/plain"):
        raw = await request.read()
        if len(raw) > MAX_CSV_BYTES:
            raise ApiError(413, "INVALID_PARAMS", f"CSV larger than {MAX_CSV_BYTES} bytes")
        try:
            leads: list[Any] = parse_csv(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as err:
            raise invalid([detail(["body"], f"not a readable UTF-8 CSV: {err}")]) from None
    else:
        data = await object_body(request)
        leads = _leads(data.get("leads"), required=True) or []
    return json_response(await port_call(_desk(request).import_leads(cid, leads), f"campaign {cid}"), status=201)


@needs("vssd.leads.read")
async def list_leads(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=1000)
    status = request.query.get("status")
    if status and status not in LEAD_STATUSES:
        raise invalid([detail(["query", "status"], f"must be one of {', '.join(LEAD_STATUSES)}")])
    filters = scoped(request, {k: request.query[k] for k in ("campaign_id", "status", "phone") if request.query.get(k)})
    rows, total = await port_call(_desk(request).list_leads(page.limit, page.offset, filters), "leads")
    return list_response(rows, total)


@needs("vssd.calls.{call_id}.read")
async def call_lead(request: web.Request) -> web.Response:
    """The lead of a campaign call: for the operator it was bridged to, or whoever may read leads."""
    call_id = request.match_info["call_id"]
    found = await port_call(_desk(request).call_lead(call_id), f"lead of call {call_id}")
    who = authenticate(request)
    if who.anonymous or not who.user_id or found.get("operator_id") != who.user_id:
        require(request, "vssd.leads.read")
    return json_response(found)


@needs("vssd.admin.leads.update")
async def requeue_lead(request: web.Request) -> web.Response:
    raw = request.match_info["lead_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise not_found(f"lead {raw} not found")
    return json_response(await port_call(_desk(request).requeue_lead(int(raw)), f"lead {raw}"))


# ---- DNC, dead letters, dispositions ---------------------------------------------------------------------------
@needs("vssd.campaigns.dnc.read")
async def list_dnc(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=100, max_limit=5000)
    rows, total = await port_call(_desk(request).list_dnc(page.limit, page.offset), "DNC list")
    return list_response(rows, total)


@needs("vssd.campaigns.dnc.create")
async def add_dnc(request: web.Request) -> web.Response:
    data = await object_body(request)
    number = data.get("number", data.get("phone"))
    reason = data.get("reason", "")
    problems = []
    if not isinstance(number, str) or not number.strip() or len(number) > 40:
        problems.append(detail(["body", "number"], "required: a phone number"))
    if not isinstance(reason, str) or len(reason) > 500:
        problems.append(detail(["body", "reason"], "must be a string of at most 500 characters"))
    if problems or not isinstance(number, str) or not isinstance(reason, str):
        raise invalid(problems)
    row = await port_call(_desk(request).add_dnc(number, reason, _user(request)), "DNC entry")
    return json_response(row, status=201)


@needs("vssd.campaigns.dnc.delete")
async def remove_dnc(request: web.Request) -> web.Response:
    number = request.match_info["number"]
    await port_call(_desk(request).remove_dnc(number), f"DNC entry {number}")
    return json_response(dnc_removed_view(number))


@needs("vssd.campaigns.read")
async def list_dead_letters(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=1000)
    filters = scoped(request, {k: request.query[k] for k in ("reason", "campaign_id") if request.query.get(k)})
    rows, total = await port_call(_desk(request).list_dead_letters(page.limit, page.offset, filters), "dead letters")
    return list_response(rows, total)


@needs("vssd.calls.dispositions.create")
async def add_disposition(request: web.Request) -> web.Response:
    data = await object_body(request)
    call_id, code, notes = data.get("call_id", data.get("attempt_id")), data.get("code"), data.get("notes", "")
    problems = []
    if not isinstance(call_id, str) or not call_id.strip() or len(call_id) > 64:
        problems.append(detail(["body", "call_id"], "required: the call id"))
    if not isinstance(code, str) or not code:
        problems.append(detail(["body", "code"], "required: a disposition code"))
    if not isinstance(notes, str) or len(notes) > 2000:
        problems.append(detail(["body", "notes"], "must be a string of at most 2000 characters"))
    if problems or not isinstance(call_id, str) or not isinstance(code, str) or not isinstance(notes, str):
        raise invalid(problems)
    row = await port_call(_desk(request).add_disposition(call_id, code, notes, _user(request)), "disposition")
    return json_response(row, status=201)


STATUSES = ("online", "busy", "offline")


def _operators_desk(request: web.Request) -> AutodialerDesk:
    return port_or_503(deps_of(request).autodialer, "operators")


@needs("vssd.operators.read")
async def list_operators(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status and status not in (*STATUSES, "wrapup"):
        raise invalid([detail(["query", "status"], "must be online, busy, wrapup or offline")])
    filters = {k: request.query[k] for k in ("status", "group_id") if request.query.get(k)}
    page = page_of(request.query, default_limit=500, max_limit=500)
    operators = _operators_desk(request).list_operators(filters)
    return list_response(page.cut(operators), len(operators))


@needs("vssd.operators.{operator_id}.update", own="operator_id")
async def set_status(request: web.Request) -> web.Response:
    operator_id = request.match_info["operator_id"]
    data = await object_body(request)
    status = data.get("status")
    if status not in STATUSES:
        raise invalid([detail(["body", "status"], "must be online, busy or offline")])
    view = await port_call(_operators_desk(request).set_operator_status(operator_id, status), f"operator {operator_id}")
    return json_response(view)


@needs("vssd.operators.{operator_id}.read", own="operator_id")
async def stats(request: web.Request) -> web.Response:
    operator_id = request.match_info["operator_id"]
    period = request.query.get("period", "today")
    if period not in PERIODS:
        raise invalid([detail(["query", "period"], f"must be one of {', '.join(PERIODS)}")])
    return json_response(await port_call(_operators_desk(request).operator_stats(operator_id, period),
                                         f"operator {operator_id}"))


ROUTES = (
    Route("GET", "/autodialer/campaigns", list_campaigns),
    Route("POST", "/autodialer/campaigns", create_campaign),
    Route("GET", "/autodialer/campaigns/{campaign_id}", get_campaign),
    Route("GET", "/autodialer/campaigns/{campaign_id}/status", campaign_status),
    Route("GET", "/autodialer/campaigns/{campaign_id}/ledger", campaign_ledger),
    Route("POST", "/autodialer/campaigns/{campaign_id}/leads", import_leads),
    Route("POST", "/autodialer/campaigns/{campaign_id}/pause", pause_by_path),
    Route("POST", "/autodialer/campaigns/{campaign_id}/resume", resume_by_path),
    Route("GET", "/autodialer/campaigns/{campaign_id}/preview", preview),
    Route("POST", "/autodialer/campaigns/{campaign_id}/preview/confirm", confirm_preview),
    Route("POST", "/autodialer/run-campaign", run_campaign),
    Route("POST", "/autodialer/stop-campaign", stop_campaign),
    Route("POST", "/autodialer/pause-campaign", pause_campaign),
    Route("POST", "/autodialer/resume-campaign", resume_campaign),
    Route("GET", "/autodialer/leads", list_leads),
    Route("POST", "/autodialer/leads/{lead_id}/requeue", requeue_lead),
    Route("GET", "/autodialer/calls/{call_id}/lead", call_lead),
    Route("GET", "/autodialer/dnc", list_dnc),
    Route("POST", "/autodialer/dnc", add_dnc),
    Route("DELETE", "/autodialer/dnc/{number}", remove_dnc),
    Route("GET", "/autodialer/dead-letters", list_dead_letters),
    Route("POST", "/autodialer/dispositions", add_disposition),
    Route("GET", "/operators", list_operators),
    Route("GET", "/operators/", list_operators),
    Route("PUT", "/operators/{operator_id}/status", set_status),
    Route("GET", "/operators/{operator_id}/stats", stats),
)
