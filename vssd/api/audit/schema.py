"""OpenAPI entries of the audit routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
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

COMPONENTS: dict[str, Schema] = {
    "AuditEntry": obj(("action", "outcome"), id={"type": "integer"}, at=STR, user_id=NULLABLE_STR,
                      username=NULLABLE_STR, role=NULLABLE_STR, action=STR,
                      outcome={"enum": ["ok", "denied", "failed"]}, resource=NULLABLE_STR,
                      object_type=NULLABLE_STR, object_id=NULLABLE_STR, ip=NULLABLE_STR,
                      details={"type": ["object", "null"]}),
}

AUDIT_IN = obj(("action",), action={"type": "string", "minLength": 1, "maxLength": 200}, details=ANY_OBJ,
               resource={"type": "string", "maxLength": 200},
               outcome={"enum": ["ok", "success", "denied", "failed"]})

TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/security/audit"): Op("Audit trail, newest first", array(ref("AuditEntry")),
                                       query=(Param("actor"), Param("user_id", {"type": "string", "format": "uuid"}),
                                              Param("username"),
                                              Param("action"), Param("object_type"), Param("object_id"),
                                              Param("outcome", {"enum": ["ok", "success", "denied", "failed"]}),
                                              Param("from", TIME), Param("to", TIME), *PAGING),
                                       tag="audit"),
    ("POST", "/api/security/audit"): Op("Record a client audit entry", ref("AuditEntry"), 201,
                                        body=AUDIT_IN, tag="audit"),
}
