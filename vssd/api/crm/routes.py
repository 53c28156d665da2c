"""CRM notes (the WORKSPACE API's "CRM / NOTES"): `POST /api/crm/note` {call_id or lead_id, text, type?} and
`GET /api/crm/notes/{call_id}` → `{"notes": [{text, timestamp, …}]}`, oldest first. The leads' routes (and the
notes of a lead) are `vssd.api.crm.leads`; this table carries both.

Who: writing needs `vssd.crm.notes.create`, reading `vssd.crm.notes.read`; on a call (or lead) that is not the
caller's own — the operator bridged to the call, the lead's assigned seller — also `vssd.crm.notes.any.<verb>`.
Operators hold the first and are denied the second (their own calls only); supervisors, managers and admins
hold both. An unknown call or lead is 404; text is 1 to 4000 characters (not only spaces). Writes are audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from vssd.api.authn import authenticate, require
from vssd.api.body import object_body
from vssd.api.crm import leads
from vssd.api.crm.views import notes_view
from vssd.api.deps import deps_of
from vssd.api.errors import ApiError, detail, invalid, not_found, port_call, port_or_503
from vssd.api.ports import CrmNotes
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route

MAX_TEXT = 4000
MAX_CALL_ID = 64
MAX_TYPE = 50


@dataclass(frozen=True, slots=True)
class NoteIn:
    call_id: str | None
    lead_id: str | None
    text: str
    type: str


def _notes(request: web.Request) -> CrmNotes:
    return port_or_503(deps_of(request).crm_notes, "CRM notes")


def _lead_id(raw: Any, problems: list[dict[str, Any]]) -> str | None:
    if raw is None:
        return None
    try:
        if isinstance(raw, str):
            return str(uuid.UUID(raw))
    except ValueError:
        pass
    problems.append(detail(["body", "lead_id"], "must be a lead's id (a UUID)"))
    return None


def note_in(data: dict[str, Any]) -> NoteIn:
    """The body, validated; 422 INVALID_PARAMS naming every bad field."""
    problems: list[dict[str, Any]] = []
    call_id, text, kind = data.get("call_id"), data.get("text"), data.get("type", "call_note")
    if call_id is not None and (not isinstance(call_id, str) or not call_id.strip() or len(call_id) > MAX_CALL_ID):
        problems.append(detail(["body", "call_id"], f"must be a call id of 1 to {MAX_CALL_ID} characters"))
    lead_id = _lead_id(data.get("lead_id"), problems)
    if data.get("call_id") is None and data.get("lead_id") is None:
        problems.append(detail(["body"], "give call_id or lead_id (or both)"))
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        problems.append(detail(["body", "text"], f"required: a string of 1 to {MAX_TEXT} characters, not only spaces"))
    if not isinstance(kind, str) or not kind.strip() or len(kind) > MAX_TYPE:
        problems.append(detail(["body", "type"], f"must be a string of 1 to {MAX_TYPE} characters"))
    if problems:
        raise invalid(problems, "invalid note")
    assert isinstance(text, str) and isinstance(kind, str)
    return NoteIn(call_id.strip() if isinstance(call_id, str) else None, lead_id, text, kind.strip())


async def _owner(request: web.Request, notes: CrmNotes, note: NoteIn) -> str | None:
    """The owner the check is against: the call's when a call is named, else the lead's (404 when either is
    unknown — a named lead must exist even beside a call)."""
    lead_owner = await port_call(notes.owner_of_lead(note.lead_id), f"lead {note.lead_id}") if note.lead_id else None
    scope = leads.own_leads_of(request)
    if note.lead_id and scope is not None and lead_owner != scope:
        raise not_found(f"lead {note.lead_id} not found")  # a seller's view: another's lead is no lead
    if note.call_id is None:
        return lead_owner
    return await _call_owner(request, notes, note.call_id)


async def _call_owner(request: web.Request, notes: CrmNotes, call_id: str) -> str | None:
    """The stored call's owner; a call in progress may not be stored yet, or stored before its operator was (the
    writer batches), so the live call's view answers for it then — an operator notes the call they are on."""
    stored, known = None, True
    try:
        stored = await port_call(notes.owner_of_call(call_id), f"call {call_id}")
    except ApiError as err:
        if err.status != 404:
            raise
        known = False
    if stored is not None:
        return stored
    desk = deps_of(request).call_desk
    live = await desk.get_call(call_id) if desk is not None else None
    if live is None and not known:
        raise not_found(f"call {call_id} not found")
    return str((live or {}).get("operator_id") or "") or None


def _own_or_any(request: web.Request, owner: str | None, verb: str) -> str | None:
    """The caller's user id; 403 unless the subject is theirs or they hold `vssd.crm.notes.any.<verb>`."""
    who = authenticate(request)
    if who.anonymous or owner is None or owner != who.user_id:
        require(request, f"vssd.crm.notes.any.{verb}")
    return None if who.anonymous else who.user_id


@needs("vssd.crm.notes.create")
async def add_note(request: web.Request) -> web.Response:
    note = note_in(await object_body(request))
    notes = _notes(request)
    author = _own_or_any(request, await _owner(request, notes, note), "create")
    row = await port_call(notes.add_note(note.call_id, note.lead_id, note.text, note.type, author), "note")
    return json_response(row, status=201)


@needs("vssd.crm.notes.read")
async def call_notes(request: web.Request) -> web.Response:
    call_id = request.match_info["call_id"]
    notes = _notes(request)
    _own_or_any(request, await _call_owner(request, notes, call_id), "read")
    return json_response(notes_view(call_id, await port_call(notes.notes_for_call(call_id), "notes")))


ROUTES = (
    Route("POST", "/crm/note", add_note),
    Route("GET", "/crm/notes/{call_id}", call_notes),
    *leads.ROUTES,
)
