"""CRM leads (the routes reference's "CRM функционал"): `GET|POST /api/crm/leads`, `GET|PATCH|DELETE
/api/crm/leads/{lead_id}`, `GET /api/crm/leads/{lead_id}/history`, `GET /api/crm/leads/{lead_id}/notes` (also
`GET /api/crm/notes?lead_id=`, the reference's spelling), `POST /api/crm/leads/{lead_id}/push` and
`POST /api/crm/leads/push` (into an autodialer campaign).

Who: `vssd.crm.leads.<verb>`; a caller without `vssd.crm.leads.any.<verb>` (sellers, operators) works on their
own leads only — the ones assigned to them —, and another's lead is 404, as a lead that does not exist. Such a
caller's new lead is assigned to them; assigning to someone else is 403. Pushing also needs
`vssd.campaigns.{campaign_id}.update` (the campaign import's right). Body rules: `vssd.api.crm.lead_input`.
Every change is audited (the audit middleware) and leaves a history row (the store).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from vssd.api.acl import allowed
from vssd.api.authn import authenticate, require
from vssd.api.body import object_body
from vssd.api.crm.lead_input import LeadIn, lead_in, lead_query, looks_like_uuid
from vssd.api.crm.views import history_view, lead_notes_view, pushed_view
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found, port_call, port_or_503
from vssd.api.paging import list_response, page_of
from vssd.api.ports import CrmLeads
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route

NOBODY = "00000000-0000-0000-0000-000000000000"  # the owner of an anonymous caller's "own" leads
MAX_PUSH = 1000
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def _leads(request: web.Request) -> CrmLeads:
    return port_or_503(deps_of(request).crm_leads, "the CRM")


def _owner(request: web.Request, verb: str) -> str | None:
    """None when the caller may work on anyone's leads, else the user id whose leads they may."""
    who = authenticate(request)
    if allowed(who.permissions, f"vssd.crm.leads.any.{verb}"):
        return None
    return NOBODY if who.anonymous else who.user_id


def own_leads_of(request: web.Request) -> str | None:
    """Whose leads the caller sees (None: anyone's) — for the notes' routes too."""
    return _owner(request, "read")


def _actor(request: web.Request) -> str | None:
    who = authenticate(request)
    return None if who.anonymous else who.user_id


async def _seller(request: web.Request, lead: LeadIn, owner: str | None, *, creating: bool) -> None:
    """`assigned_seller` resolved to a user id (422 for no such user); an own-leads caller's is themselves."""
    if lead.seller_ref is None:
        if creating and owner is not None:
            lead.fields["assigned_seller"] = owner
        return
    if lead.seller_ref == "":
        found = None
    else:
        found = await port_call(_leads(request).find_user(lead.seller_ref), "user")
        if found is None:
            raise invalid([detail(["body", "assigned_seller"], f"no user {lead.seller_ref!r}")], "invalid lead")
    if owner is not None and found != owner:
        raise ApiError(403, "PERMISSION_DENIED", "a seller's leads stay assigned to that seller")
    lead.fields["assigned_seller"] = found


async def _lead_or_404(request: web.Request, verb: str) -> dict[str, Any]:
    lead_id = request.match_info["lead_id"]
    lead = await port_call(_leads(request).get_lead(lead_id, _owner(request, verb)), f"lead {lead_id}")
    if lead is None:
        raise not_found(f"lead {lead_id} not found")
    return lead


@needs("vssd.crm.leads.read")
async def list_leads(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=1000)
    filters, seller = lead_query(request.query)
    leads = _leads(request)
    if seller:
        found = seller if looks_like_uuid(seller) else await port_call(leads.find_user(seller), "user")
        if found is None:
            raise invalid([detail(["query", "assigned_seller"], f"no user {seller!r}")], "invalid lead filters")
        filters["assigned_seller"] = found
    rows, total, capped = await port_call(
        leads.list_leads(filters, _owner(request, "read"), page.limit, page.offset), "leads")
    return list_response(rows, total, capped=capped)


@needs("vssd.crm.leads.create")
async def create_lead(request: web.Request) -> web.Response:
    lead = lead_in(await object_body(request), creating=True)
    await _seller(request, lead, _owner(request, "create"), creating=True)
    row = await port_call(_leads(request).create_lead(lead.fields, lead.data or {}, _actor(request)), "lead")
    return json_response({**row, "kept_in_data": lead.kept}, status=201)


@needs("vssd.crm.leads.{lead_id}.read")
async def get_lead(request: web.Request) -> web.Response:
    return json_response(await _lead_or_404(request, "read"))


@needs("vssd.crm.leads.{lead_id}.update")
async def patch_lead(request: web.Request) -> web.Response:
    lead_id, owner = request.match_info["lead_id"], _owner(request, "update")
    lead = lead_in(await object_body(request), creating=False)
    await _seller(request, lead, owner, creating=False)
    row = await port_call(_leads(request).update_lead(lead_id, lead.fields, lead.data, _actor(request), owner),
                          f"lead {lead_id}")
    return json_response({**row, "kept_in_data": lead.kept})


@needs("vssd.crm.leads.{lead_id}.delete")
async def delete_lead(request: web.Request) -> web.Response:
    lead_id = request.match_info["lead_id"]
    if not await port_call(_leads(request).delete_lead(lead_id, _owner(request, "delete")), f"lead {lead_id}"):
        raise not_found(f"lead {lead_id} not found")
    return json_response({"id": lead_id, "deleted": True})


@needs("vssd.crm.leads.{lead_id}.read")
async def lead_history(request: web.Request) -> web.Response:
    lead = await _lead_or_404(request, "read")
    return json_response(history_view(lead, await port_call(_leads(request).history(lead["id"]), "history")))


async def _notes_of(request: web.Request, lead_id: str) -> web.Response:
    leads = _leads(request)
    lead = await port_call(leads.get_lead(lead_id, _owner(request, "read")), f"lead {lead_id}")
    if lead is None:
        raise not_found(f"lead {lead_id} not found")
    return json_response(lead_notes_view(lead["id"], await port_call(leads.notes_for_lead(lead["id"]), "notes")))


@needs("vssd.crm.leads.{lead_id}.read")
async def lead_notes(request: web.Request) -> web.Response:
    return await _notes_of(request, request.match_info["lead_id"])


@needs("vssd.crm.notes.read")
async def notes_by_query(request: web.Request) -> web.Response:
    """`GET /api/crm/notes?lead_id=` (the routes reference's "Заметки по лиду")."""
    lead_id = request.query.get("lead_id")
    if not lead_id:
        raise invalid([detail(["query", "lead_id"], "required: a lead's id")], "invalid query")
    require(request, "vssd.crm.leads.read")
    return await _notes_of(request, lead_id)


def _push_body(data: dict[str, Any], bulk: bool) -> tuple[str, list[str]]:
    problems: list[dict[str, Any]] = []
    campaign = data.get("campaign_id")
    if not isinstance(campaign, str | int) or isinstance(campaign, bool) or not str(campaign).strip():
        problems.append(detail(["body", "campaign_id"], "required: a campaign's id"))
    ids = data.get("lead_ids") if bulk else []
    if bulk and (not isinstance(ids, list) or not ids or len(ids) > MAX_PUSH
                 or not all(isinstance(i, str) and looks_like_uuid(i) for i in ids)):
        problems.append(detail(["body", "lead_ids"], f"required: 1 to {MAX_PUSH} lead ids (UUIDs)"))
    if problems:
        raise invalid(problems, "invalid push")
    assert isinstance(ids, list)
    return str(campaign).strip(), list(dict.fromkeys(ids))


async def _push(request: web.Request, campaign_id: str, leads: list[dict[str, Any]]) -> web.Response:
    segment = campaign_id if _SEGMENT.match(campaign_id) else "_"
    require(request, f"vssd.campaigns.{segment}.update")
    desk = port_or_503(deps_of(request).autodialer, "the autodialer")
    items = [(lead["id"], {"phone": lead["phone"], "name": lead["client_name"][:200],
                           "data": {**lead["data"], "crm_lead_id": lead["id"]}}) for lead in leads]
    result = await port_call(desk.push_crm_leads(campaign_id, items, _actor(request)), f"campaign {campaign_id}")
    return json_response(pushed_view(result), status=201)


@needs("vssd.crm.leads.{lead_id}.update")
async def push_lead(request: web.Request) -> web.Response:
    campaign_id, _ = _push_body(await object_body(request), bulk=False)
    return await _push(request, campaign_id, [await _lead_or_404(request, "update")])


@needs("vssd.crm.leads.update")
async def push_leads(request: web.Request) -> web.Response:
    campaign_id, ids = _push_body(await object_body(request), bulk=True)
    found = await port_call(_leads(request).leads_by_ids(ids, _owner(request, "update")), "leads")
    missing = sorted(set(ids) - {lead["id"] for lead in found})
    if missing:
        raise not_found(f"leads not found: {', '.join(missing[:10])}")
    return await _push(request, campaign_id, found)


ROUTES = (
    Route("GET", "/crm/leads", list_leads),
    Route("POST", "/crm/leads", create_lead),
    Route("POST", "/crm/leads/push", push_leads),
    Route("GET", "/crm/leads/{lead_id}", get_lead),
    Route("PATCH", "/crm/leads/{lead_id}", patch_lead),
    Route("DELETE", "/crm/leads/{lead_id}", delete_lead),
    Route("GET", "/crm/leads/{lead_id}/history", lead_history),
    Route("GET", "/crm/leads/{lead_id}/notes", lead_notes),
    Route("POST", "/crm/leads/{lead_id}/push", push_lead),
    Route("GET", "/crm/notes", notes_by_query),
)
