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
    "AuditEntry": obj(("action", "outcome"), action=STR, outcome=STR, username=NULLABLE_STR,
                      resource=NULLABLE_STR, details={"type": ["object", "null"]}),
}

AUDIT_IN = obj(("action",), action={"type": "string", "minLength": 1, "maxLength": 200}, details=ANY_OBJ,
               resource={"type": "string", "maxLength": 200}, outcome={"enum": ["ok", "denied", "failed"]})

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/security/audit"): Op("Audit trail, newest first", array(ref("AuditEntry")),
                                       query=(Param("user_id"), Param("username"), Param("action"),
                                              Param("outcome"), *PAGING), tag="audit"),
    ("POST", "/api/security/audit"): Op("Record a client audit entry", ref("AuditEntry"), 201,
                                        body=AUDIT_IN, tag="audit"),
}
