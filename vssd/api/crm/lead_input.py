"""A CRM lead's body and the list's query, validated (422 INVALID_PARAMS naming every bad field).

Known fields: client_name (or `name`), phone, email, status, assigned_seller (a user's id or username), source,
data (an object). Any other field is **kept in `data`** under its own name — never dropped, never refused — and
the answer lists those names in `kept_in_data`. Fields the CRM sets itself (id, campaign_id, last_call_*,
calls_count, created_*, updated_at …) are refused (422): a campaign is set by pushing the lead into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson

from vssd.api.errors import detail, invalid

CRM_STATUSES = ("new", "queued", "no_answer", "contacted", "callback", "qualified", "won", "lost", "dnc", "invalid")
READ_ONLY = ("id", "campaign_id", "created_by", "last_call_id", "last_call_at", "last_outcome", "last_disposition",
             "calls_count", "created_at", "updated_at", "kept_in_data")
KNOWN = ("client_name", "name", "phone", "email", "status", "assigned_seller", "source", "data")
MAX_NAME, MAX_SOURCE, MAX_Q, MAX_DATA_BYTES = 200, 100, 100, 32_768
MIN_Q = 3  # the trigram index's unit: a shorter `q` could only be answered by reading every lead
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{3,30}\Z")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\Z")


@dataclass(slots=True)
class LeadIn:
    fields: dict[str, Any] = field(default_factory=dict)  # the columns, checked
    data: dict[str, Any] | None = None  # to merge into `data` (None: leave it)
    kept: list[str] = field(default_factory=list)  # unknown field names kept in data
    seller_ref: str | None = None  # assigned_seller as given (resolved by the route); "" to unassign


def _text(data: dict[str, Any], name: str, limit: int, problems: list[Any], *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(detail(["body", name], f"{'required: ' if required else ''}a string of 1 to {limit} "
                                               f"characters, not only spaces"))
        return None
    return value.strip()


def lead_in(body: dict[str, Any], *, creating: bool) -> LeadIn:
    problems: list[dict[str, Any]] = []
    out = LeadIn()
    if "name" in body and "client_name" not in body:
        body = {**body, "client_name": body["name"]}
    for name in [k for k in body if k in READ_ONLY]:
        problems.append(detail(["body", name], "is set by the CRM itself" + (
            " (push the lead into a campaign: POST /api/crm/leads/{id}/push)" if name == "campaign_id" else "")))
    _columns(body, out, problems, creating)
    _data(body, out, problems)
    if problems:
        raise invalid(problems, "invalid lead")
    if not creating and not out.fields and out.data is None and out.seller_ref is None:
        raise invalid([detail(["body"], "nothing to change")], "invalid lead")
    return out


def _columns(body: dict[str, Any], out: LeadIn, problems: list[Any], creating: bool) -> None:
    for name, limit in (("client_name", MAX_NAME), ("source", MAX_SOURCE)):
        value = _text(body, name, limit, problems, required=creating and name == "client_name")
        if value is not None:
            out.fields[name] = value
    phone = body.get("phone")
    if phone is not None or creating:
        if not isinstance(phone, str) or not _PHONE.match(phone.strip()):
            problems.append(detail(["body", "phone"], "required: a phone number, digits with an optional leading +"))
        else:
            out.fields["phone"] = phone.strip()
    email = body.get("email")
    if email is not None:
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            problems.append(detail(["body", "email"], "must be an e-mail address"))
        else:
            out.fields["email"] = email.strip()
    status = body.get("status")
    if status is not None:
        if status not in CRM_STATUSES:
            problems.append(detail(["body", "status"], f"must be one of {', '.join(CRM_STATUSES)}"))
        else:
            out.fields["status"] = status
    if "assigned_seller" in body:
        seller = body["assigned_seller"]
        if seller is not None and (not isinstance(seller, str) or not seller.strip() or len(seller) > 100):
            problems.append(detail(["body", "assigned_seller"], "must be a user's id or username, or null"))
        else:
            out.seller_ref = seller.strip() if isinstance(seller, str) else ""


def _data(body: dict[str, Any], out: LeadIn, problems: list[Any]) -> None:
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        problems.append(detail(["body", "data"], "must be an object"))
        return
    extra = {k: v for k, v in body.items() if k not in KNOWN and k not in READ_ONLY}
    if data is None and not extra:
        return
    merged = {**(data or {}), **extra}
    if len(orjson.dumps(merged)) > MAX_DATA_BYTES:
        problems.append(detail(["body", "data"], f"at most {MAX_DATA_BYTES} bytes of JSON (with unknown fields)"))
        return
    out.data, out.kept = merged, sorted(extra)


# ---- the list's query ----------------------------------------------------------------------------------------
def lead_query(query: Any) -> tuple[dict[str, Any], str | None]:
    """(filters for the store, assigned_seller as given — a username is resolved by the route)."""
    problems: list[dict[str, Any]] = []
    filters: dict[str, Any] = {}
    raw = query.get("status")
    if raw:
        statuses = [s.strip() for s in raw.split(",") if s.strip()]
        if not statuses or any(s not in CRM_STATUSES for s in statuses):
            problems.append(detail(["query", "status"], f"each must be one of {', '.join(CRM_STATUSES)}"))
        filters["status"] = statuses
    for name in ("q", "search", "campaign_id"):
        value = query.get(name)
        if value:
            if len(value) > MAX_Q:
                problems.append(detail(["query", name], f"at most {MAX_Q} characters"))
            if name != "campaign_id" and len(value.strip()) < MIN_Q:
                problems.append(detail(["query", name], f"at least {MIN_Q} characters (not counting spaces at "
                                                        f"the ends): a shorter text matches too many leads to search"))
            filters["campaign_id" if name == "campaign_id" else "q"] = value.strip()
    for names, key, end in ((("created_from", "date_from", "start_date"), "created_from", False),
                            (("created_to", "date_to", "end_date"), "created_to", True)):
        given = next((n for n in names if query.get(n)), None)
        if given is not None:
            filters[key] = _instant(query[given], ["query", given], problems, end=end)
    if problems:
        raise invalid(problems, "invalid lead filters")
    seller = query.get("assigned_seller") or query.get("seller")
    return filters, seller.strip() if seller else None


def _instant(raw: str, loc: list[str], problems: list[Any], *, end: bool) -> datetime | None:
    """An ISO-8601 instant (naive = UTC) or a date; a date as the end of a range means the end of that day."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        # an unescaped "+hh:mm" offset arrives as " hh:mm"
        text = raw[:19] + raw[19:].replace(" ", "+") if len(raw) > 19 else raw
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        problems.append(detail(loc, "must be an ISO-8601 date or date-time"))
        return None


def looks_like_uuid(value: str) -> bool:
    return bool(_UUID.match(value))
