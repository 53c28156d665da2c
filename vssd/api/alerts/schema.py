"""OpenAPI entries of the alerts' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import ANY_OBJ, BOOL, INSTANT, NULLABLE_STR, PAGING, STR, Op, Param, Schema, array, obj, ref

LEVEL: Schema = {"enum": ["info", "warning", "critical"]}
COMPONENTS: dict[str, Schema] = {
    "Alert": obj(("id", "at", "level", "message", "acknowledged"), id=STR, at=INSTANT, level=LEVEL, severity=LEVEL,
                 source=STR, type=STR, message=STR, details=ANY_OBJ, acknowledged=BOOL,
                 acknowledged_at={"type": ["string", "null"], "format": "date-time"},
                 acknowledged_by=NULLABLE_STR),
}

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/alerts"): Op("Stored system alerts, newest first (X-Total-Count)", array(ref("Alert")),
                               query=(Param("acknowledged", {"type": "boolean"}), Param("level", LEVEL), *PAGING),
                               tag="alerts"),
    ("POST", "/api/alerts/{alert_id}/ack"): Op("Acknowledge an alert (idempotent)",
                                              {"allOf": [ref("Alert"), obj(("status",), status=STR)]},
                                              tag="alerts"),
}
