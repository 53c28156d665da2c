"""OpenAPI entries of the CRM notes' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import ID, INSTANT, INT, NULLABLE_STR, STR, Op, Schema, array, obj, ref

COMPONENTS: dict[str, Schema] = {
    "CrmNote": obj(("id", "text", "timestamp"), id=ID, call_id=NULLABLE_STR, lead_id=NULLABLE_STR, text=STR,
                   type=STR, author_id=NULLABLE_STR, created_at=INSTANT, timestamp=INSTANT),
}
SOME_TEXT = r"\S"  # not only spaces
NOTE_IN: Schema = {
    **obj(("text",), call_id={"type": "string", "minLength": 1, "maxLength": 64, "pattern": SOME_TEXT},
          lead_id={"type": "string", "format": "uuid"},
          text={"type": "string", "minLength": 1, "maxLength": 4000, "pattern": SOME_TEXT},
          type={"type": "string", "minLength": 1, "maxLength": 50, "pattern": SOME_TEXT}),
    "anyOf": [{"required": ["call_id"]}, {"required": ["lead_id"]}],
}

SCHEMAS: dict[tuple[str, str], Op] = {
    ("POST", "/api/crm/note"): Op("Add a note to a call or a lead", ref("CrmNote"), 201, body=NOTE_IN, tag="crm"),
    ("GET", "/api/crm/notes/{call_id}"): Op("A call's notes, oldest first",
                                           obj(("notes",), call_id=STR, notes=array(ref("CrmNote")), total=INT),
                                           tag="crm"),
}
