"""OpenAPI entries of the CRM's routes, notes and leads (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.crm.lead_input import CRM_STATUSES
from vssd.api.openapi_base import (
    ANY_OBJ,
    ID,
    INSTANT,
    INT,
    NULLABLE_STR,
    PAGING,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)

NULL_INSTANT: Schema = {"type": ["string", "null"], "format": "date-time"}
STATUS: Schema = {"enum": list(CRM_STATUSES)}
COMPONENTS: dict[str, Schema] = {
    "CrmNote": obj(("id", "text", "timestamp"), id=ID, call_id=NULLABLE_STR, lead_id=NULLABLE_STR, text=STR,
                   type=STR, author_id=NULLABLE_STR, created_at=INSTANT, timestamp=INSTANT),
    "CrmLead": obj(("id", "client_name", "phone", "status", "data"), id=STR, client_name=STR, name=STR, phone=STR,
                   email=NULLABLE_STR, status=STATUS, assigned_seller=NULLABLE_STR, source=NULLABLE_STR,
                   campaign_id=NULLABLE_STR, data=ANY_OBJ, created_by=NULLABLE_STR, last_call_id=NULLABLE_STR,
                   last_call_at=NULL_INSTANT, last_outcome=NULLABLE_STR, last_disposition=NULLABLE_STR,
                   calls_count=INT, created_at=INSTANT, updated_at=INSTANT),
    "CrmLeadChange": obj(("id", "kept_in_data"), id=STR, kept_in_data=array(STR)),
    "CrmLeadEvent": obj(("event", "to_status", "at"), id=INT, event={"enum": ["created", "updated", "pushed", "call",
                                                                              "disposition"]},
                        from_status=NULLABLE_STR, to_status=STR, call_id=NULLABLE_STR, campaign_id=NULLABLE_STR,
                        actor_id=NULLABLE_STR, details=ANY_OBJ, at=INSTANT),
}
SOME_TEXT = r"\S"  # not only spaces
NOTE_IN: Schema = {
    **obj(("text",), call_id={"type": "string", "minLength": 1, "maxLength": 64, "pattern": SOME_TEXT},
          lead_id={"type": "string", "format": "uuid"},
          text={"type": "string", "minLength": 1, "maxLength": 4000, "pattern": SOME_TEXT},
          type={"type": "string", "minLength": 1, "maxLength": 50, "pattern": SOME_TEXT}),
    "anyOf": [{"required": ["call_id"]}, {"required": ["lead_id"]}],
}
_LEAD_FIELDS: dict[str, Schema] = {
    "client_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
    "phone": {"type": "string", "pattern": r"^\+?[0-9][0-9 ()-]{3,30}$"},
    "email": {"type": "string", "pattern": r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$"},
    "status": STATUS, "assigned_seller": {"type": ["string", "null"], "maxLength": 100},
    "source": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}, "data": ANY_OBJ,
}
# Unknown fields are kept in `data` (listed in the answer's `kept_in_data`); the schema stays open for them.
LEAD_IN = {**obj(("client_name", "phone"), **_LEAD_FIELDS),
           "description": "Fields other than these are kept in `data` under their own names (see kept_in_data)."}
LEAD_CHANGE = {**obj((), **_LEAD_FIELDS), "minProperties": 1}
LEAD_OUT = {"allOf": [ref("CrmLead"), ref("CrmLeadChange")]}
PUSH_IN = obj(("campaign_id",), campaign_id={"type": "string", "minLength": 1, "maxLength": 64})
BULK_PUSH_IN = obj(("campaign_id", "lead_ids"), campaign_id={"type": "string", "minLength": 1, "maxLength": 64},
                   lead_ids={"type": "array", "minItems": 1, "maxItems": 1000,
                             "items": {"type": "string", "format": "uuid"}})
PUSHED = obj(("campaign_id", "imported", "rejected"), campaign_id=STR, pushed=INT,
             imported=array(obj((), crm_lead_id=STR, lead_id=INT)), rejected=array(ANY_OBJ))
LEAD_QUERY = (Param("status"), Param("assigned_seller"), Param("q"), Param("campaign_id"),
              Param("created_from", {"type": "string", "format": "date-time"}),
              Param("created_to", {"type": "string", "format": "date-time"}), *PAGING)
NOTES = obj(("notes",), call_id=STR, lead_id=STR, notes=array(ref("CrmNote")), total=INT)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("POST", "/api/crm/note"): Op("Add a note to a call or a lead", ref("CrmNote"), 201, body=NOTE_IN, tag="crm"),
    ("GET", "/api/crm/notes/{call_id}"): Op("A call's notes, oldest first", NOTES, tag="crm"),
    ("GET", "/api/crm/notes"): Op("A lead's notes, oldest first", NOTES,
                                  query=(Param("lead_id", {"type": "string", "format": "uuid"}, required=True),),
                                  tag="crm"),
    ("GET", "/api/crm/leads"): Op("CRM leads, newest first (a seller: their own); X-Total-Count (X-Total-Count-Capped)",
                                  array(ref("CrmLead")),
                                  query=LEAD_QUERY, tag="crm"),
    ("POST", "/api/crm/leads"): Op("Create a lead (unknown fields kept in data)", LEAD_OUT, 201, body=LEAD_IN,
                                   tag="crm"),
    ("POST", "/api/crm/leads/push"): Op("Push leads into an autodialer campaign", PUSHED, 201, body=BULK_PUSH_IN,
                                        tag="crm"),
    ("GET", "/api/crm/leads/{lead_id}"): Op("One lead", ref("CrmLead"), tag="crm"),
    ("PATCH", "/api/crm/leads/{lead_id}"): Op("Change a lead (unknown fields kept in data)", LEAD_OUT,
                                              body=LEAD_CHANGE, tag="crm"),
    ("DELETE", "/api/crm/leads/{lead_id}"): Op("Delete a lead", obj(("id", "deleted"), id=STR,
                                                                    deleted={"type": "boolean"}), tag="crm"),
    ("GET", "/api/crm/leads/{lead_id}/history"): Op(
        "A lead's status history, oldest first",
        obj(("lead_id", "history"), lead_id=STR, status=STR, last_call_id=NULLABLE_STR, last_outcome=NULLABLE_STR,
            history=array(ref("CrmLeadEvent")), total=INT), tag="crm"),
    ("GET", "/api/crm/leads/{lead_id}/notes"): Op("A lead's notes, oldest first", NOTES, tag="crm"),
    ("POST", "/api/crm/leads/{lead_id}/push"): Op("Push a lead into an autodialer campaign", PUSHED, 201,
                                                  body=PUSH_IN, tag="crm"),
}
