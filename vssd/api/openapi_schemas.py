"""The OpenAPI table: one `Op` per (method, route template) of the app, keyed by the `/api/...` spelling
(the `/api/v1/...` twin of a route shares its entry). `vssd.api.openapi.build_document` refuses an app with
a route missing here, so a new route cannot ship undocumented.

Schemas state what the handlers really send: bare arrays for lists (`X-Total-Count` beside them), the SPEC
error shape for every 4xx/5xx. Objects stay open (`additionalProperties` allowed): the seeds' shapes carry
aliases (`id`/`call_id`, `skip`/`offset`) that clients may rely on without the schema listing each.
"""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    DATE,
    ID,
    INSTANT,
    INT,
    NULL_INT,
    NULL_NUM,
    NULLABLE_STR,
    NUM,
    PAGING,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)
from vssd.api.openapi_dialer import DIALER_SCHEMAS
from vssd.fsm.types import SlotType

COMPONENTS: dict[str, Schema] = {
    "Error": obj(("error", "code", "message"), error={"const": True}, code=STR, message=STR,
                 details=array(obj(("loc", "msg"), loc=array({"type": ["string", "integer"]}), msg=STR))),
    "User": obj(("id", "username", "role"), id=ID, username=STR, email=NULLABLE_STR, role=STR,
                is_active=BOOL),
    "Role": obj(("name", "permissions"), name=STR, permissions=array(STR), description=NULLABLE_STR),
    "Tokens": obj(("token", "access_token", "token_type"), token=STR, access_token=STR, refresh_token=STR,
                  token_type=STR, expires_in=INT, role=STR, permissions=array(STR), user=ref("User")),
    "Slot": obj(("id",), id=ID, status=STR, fsm_state=STR, type=STR, trunk_id={"type": ["integer", "string",
                                                                                       "null"]}),
    "Call": obj((), call_id={"type": ["string", "integer"]}, id={"type": ["string", "integer"]},
                slot_id={"type": ["integer", "string", "null"]}, status={"type": ["string", "null"]}),
    "Trunk": obj(("id", "name"), id=ID, name=STR, type={"type": ["string", "null"]}),
    "AuditEntry": obj(("action", "outcome"), action=STR, outcome=STR, username=NULLABLE_STR,
                      resource=NULLABLE_STR, details={"type": ["object", "null"]}),
    "Deleted": obj(("status",), status=STR),
    "SlotFacts": obj(("slot_id", "type", "fsm_state", "measured"), slot_id=ID, type=STR, fsm_state=STR,
                     sip_reachable={"type": ["boolean", "null"]}, measured=NULLABLE_STR,
                     battery={"type": ["number", "null"]}, current_call_id=NULLABLE_STR),
}

# Request bodies: every field optional at the schema level where the handler answers 422 itself, so the
# validation path (the SPEC `details` list) is exercised too.
PHONE: Schema = {"type": "string", "pattern": "^\\+380[0-9]{9}$"}
LOGIN = obj(("username", "password"), username={"type": "string", "minLength": 1, "maxLength": 256},
            email=STR, password={"type": "string", "minLength": 1, "maxLength": 256})
USER_FIELDS: dict[str, Schema] = {
    "username": {"type": "string", "pattern": "^[a-z][a-z0-9_]{2,30}$"},
    "email": {"type": "string", "pattern": "^[a-z0-9]{1,20}@example\\.com$"},
    "password": {"type": "string", "minLength": 6, "maxLength": 64},
    "name": {"type": "string", "maxLength": 200}, "role": {"enum": ["manager", "supervisor", "seller", "operator"]},
    "is_active": BOOL, "extension": {"type": "string", "pattern": "^[0-9]{3,5}$"},
    "group_id": {"type": "string", "maxLength": 100},
}
USER_IN = obj(("username", "email", "password", "extension"), **USER_FIELDS)
USER_CHANGE = obj((), **USER_FIELDS)
ROLE_NAME: Schema = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{1,49}$"}
PERMISSIONS: Schema = {"oneOf": [array({"enum": ["vssd.slots.read", "calls.read", "slots:write", "vssd.cdr.read"]}),
                                 obj((), OTTB=array({"enum": ["read", "write"]}))]}
ROLE_IN = obj(("name", "permissions"), name=ROLE_NAME, description={"type": "string", "maxLength": 500},
              permissions=PERMISSIONS)
ROLE_CHANGE = obj((), description={"type": "string", "maxLength": 500}, permissions=PERMISSIONS)
SLOT_TYPE: Schema = {"enum": [t.value for t in SlotType]}
SLOT_IN = obj(("type",), type=SLOT_TYPE, trunk_id=ID, device_id={"type": "string", "maxLength": 128},
              name={"type": "string", "maxLength": 100}, device_model={"type": "string", "maxLength": 100},
              internal_sip_number={"type": "string", "pattern": "^[0-9]{3,6}$"})
SLOT_CHANGE = obj((), name={"type": "string", "maxLength": 100}, device_model={"type": "string", "maxLength": 100},
                  trunk_id=ID)
TRUNK_IN = obj(("name", "type"), name={"type": "string", "pattern": "^[a-z][a-z0-9-]{0,30}$"},
               type={"enum": ["auto", "mf", "ls"]}, capacity={"type": "integer", "minimum": 0, "maximum": 64},
               description={"type": "string", "maxLength": 500}, config=ANY_OBJ)
TRUNK_CHANGE = obj((), name={"type": "string", "pattern": "^[a-z][a-z0-9-]{0,30}$"},
                   capacity={"type": "integer", "minimum": 0, "maximum": 64},
                   description={"type": "string", "maxLength": 500})
CALL_IN = obj(("phone_number",), phone_number=PHONE, slot={"oneOf": [SLOT_TYPE, {"type": "integer", "minimum": 1}]},
              caller_id={"type": "string", "maxLength": 80}, direction={"enum": ["outbound"]})
AUDIT_IN = obj(("action",), action={"type": "string", "minLength": 1, "maxLength": 200}, details=ANY_OBJ,
               resource={"type": "string", "maxLength": 200}, outcome={"enum": ["ok", "denied", "failed"]})
DIAL_IN = obj(("from", "to"), **{"from": {"oneOf": [SLOT_TYPE, {"type": "string", "pattern": "^slot_[0-9]{1,2}$"}]},
                                 "to": PHONE, "trunk": STR})
ADB_IN = obj(("command",), command={"enum": ["getprop", "uptime", "wm size", "dumpsys battery", "input keyevent 3",
                                             "settings get global airplane_mode_on"]})

# The filters' values as the handlers check them (a value outside these is a 422 with details).
CALL_FILTERS = (Param("slot_id", {"type": "integer", "minimum": 1}),
                Param("status", {"enum": ["completed", "failed", "ended", "connected", "ringing", "initiated"]}),
                Param("outcome", {"enum": ["answered", "busy", "no_answer", "rejected", "failed", "unknown"]}),
                Param("direction", {"enum": ["outbound", "inbound"]}), Param("number", dict(PHONE)),
                Param("phone_number", dict(PHONE)), Param("date", dict(DATE)), Param("date_from", dict(INSTANT)),
                Param("date_to", dict(INSTANT)), Param("start_date", dict(DATE)), Param("end_date", dict(DATE)))


HEALTH = Op("Liveness, version and dependency checks", obj(("status", "service", "version"), status=STR,
                                                          service=STR, version=STR, checks=ANY_OBJ), tag="health")
USERS = Op("List users (bare array, X-Total-Count)", array(ref("User")), query=(Param("role"), *PAGING),
           tag="users")
USER_OUT = ref("User")
CALL_LIST = Op("Calls history (the Smart Call Center API's page)",
               obj(("items", "total"), items=array(ref("Call")), total=INT, page=INT, pages=INT),
               query=(*CALL_FILTERS, Param("operator_id", {"type": "string", "format": "uuid"}), Param("campaign_id"),
                      *PAGING), tag="calls")
CALL_OUT = ref("Call")
CALL_STATS = Op(
    "Call statistics of a period (the Smart Call Center API; admin, manager, supervisor): UTC days, averages in "
    "seconds, service level = % of finished calls answered within 20 s of ringing",
    obj(("total_calls", "answered_calls", "missed_calls", "average_duration", "average_wait_time", "service_level",
         "peak_hour", "busiest_operators", "period", "from", "to"),
        total_calls=INT, answered_calls=INT, missed_calls=INT, average_duration=NULL_INT, average_wait_time=NULL_INT,
        service_level=NULL_NUM, peak_hour={"type": ["string", "null"], "pattern": "^[0-2][0-9]:00$"},
        busiest_operators=array(obj(("operator_name", "calls_count"), operator_id=STR, operator_name=STR,
                                    calls_count=INT)),
        period={"enum": ["today", "yesterday", "week", "month"]}, to=STR, group_id=NULLABLE_STR,
        **{"from": STR}),
    query=(Param("period", {"enum": ["today", "yesterday", "week", "month"]}),
           Param("group_id", {"type": "string", "maxLength": 64})),
    tag="calls")
SLOT_OUT = ref("Slot")
TRUNK_OUT = ref("Trunk")
REALTIME = Op("Real-time endpoint (WebSocket / Engine.IO handshake, not REST)", {}, tag="realtime")

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): HEALTH,
    ("GET", "/api/health"): HEALTH,
    ("GET", "/health/live"): Op("The process serves HTTP", obj(("status",), status=STR), tag="health"),
    ("GET", "/health/ready"): Op("Readiness (503 NOT_READY with checks)", obj(("ready", "checks"), ready=BOOL,
                                                                              checks=ANY_OBJ), tag="health"),
    ("GET", "/metrics"): Op("Prometheus text format", STR, content_type="text/plain", tag="health"),
    ("GET", "/api/security/audit"): Op("Audit trail, newest first", array(ref("AuditEntry")),
                                       query=(Param("user_id"), Param("username"), Param("action"),
                                              Param("outcome"), *PAGING), tag="audit"),
    ("POST", "/api/security/audit"): Op("Record a client audit entry", ref("AuditEntry"), 201,
                                        body=AUDIT_IN, tag="audit"),
    ("POST", "/api/auth/login"): Op("Log in (JSON or form)", ref("Tokens"), body=LOGIN, tag="auth"),
    ("POST", "/api/auth/refresh"): Op("Rotate a refresh token (or renew from an access token)",
                                      obj(("token",), token=STR, refresh_token=STR),
                                      body=obj((), refresh_token=STR), tag="auth"),
    ("POST", "/api/auth/logout"): Op("Revoke the token and its family", obj(("success",), success=BOOL,
                                                                           message=STR), tag="auth"),
    ("GET", "/api/auth/me"): Op("The caller", obj(("id", "username", "permissions"), id=ID, username=STR,
                                                  permissions=array(STR)), tag="auth"),
    ("GET", "/api/point/rolecheck"): Op("May the caller do `action`?",
                                        obj(("allowed", "action"), allowed=BOOL, action=STR, role=STR,
                                            required=array(STR), permissions=array(STR)),
                                        query=(Param("action", {"type": "string", "minLength": 1, "maxLength": 100,
                                                                "examples": ["call.start", "slot.view", "calls:read",
                                                                             "slots:write", "vssd.cdr.read"]},
                                                     required=True),), tag="auth"),
    ("GET", "/api/users"): USERS,
    ("POST", "/api/users"): Op("Create a user", USER_OUT, 201, body=USER_IN, tag="users"),
    ("PATCH", "/api/users/{user_id}"): Op("Update a user", USER_OUT, body=USER_CHANGE, tag="users"),
    ("DELETE", "/api/users/{user_id}"): Op("Delete a user (409 USER_005 for the last admin)",
                                           obj(("success",), success=BOOL, id=ID), tag="users"),
    ("GET", "/api/admin/users"): USERS,
    ("POST", "/api/admin/users"): Op("Create a user (the Smart Call Center API)", USER_OUT, 201, body=USER_IN,
                                     tag="users"),
    ("PUT", "/api/admin/users/{user_id}"): Op("Update a user (the Smart Call Center API)", USER_OUT,
                                              body=USER_CHANGE, tag="users"),
    ("DELETE", "/api/admin/users/{user_id}"): Op("Delete a user (the Smart Call Center API)",
                                                 obj(("success",), success=BOOL), tag="users"),
    ("GET", "/api/admin/users/{user_id}/operator"): Op("The user's operator record, null for a non-operator",
                                                       {"type": ["object", "null"]}, tag="users"),
    ("GET", "/api/roles"): Op("List roles", array(ref("Role")), query=PAGING, tag="roles"),
    ("POST", "/api/roles"): Op("Create a custom role", ref("Role"), 201, body=ROLE_IN, tag="roles"),
    ("POST", "/api/roles/{role_id}"): Op("Update a custom role (409 ROLE_003 for a builtin)", ref("Role"),
                                         body=ROLE_CHANGE, tag="roles"),
    ("GET", "/api/slots"): Op("List slots (bare array, X-Total-Count)", array(SLOT_OUT),
                              query=(Param("trunk_id"), Param("status"), Param("type"), Param("fsm_state"),
                                     *PAGING), tag="slots"),
    ("POST", "/api/slots"): Op("Create a slot", SLOT_OUT, 201, body=SLOT_IN, tag="slots"),
    ("GET", "/api/slots/{slot_id}"): Op("One slot", SLOT_OUT, tag="slots"),
    ("PATCH", "/api/slots/{slot_id}"): Op("Update a slot", SLOT_OUT, body=SLOT_CHANGE, tag="slots"),
    ("DELETE", "/api/slots/{slot_id}"): Op("Delete a slot", ref("Deleted"), tag="slots"),
    ("POST", "/api/slots/{slot_id}/enroll"): Op("Enroll a slot", SLOT_OUT,
                                                body=obj((), trunk_id=ID, operator=STR), tag="slots"),
    ("POST", "/api/slots/{slot_id}/disable"): Op("Disable a slot", SLOT_OUT, tag="slots"),
    ("POST", "/api/slots/{slot_id}/restart"): Op("Restart a slot's FSM (unassign + enroll)",
                                                 obj(("status", "slot"), status=STR, slot=ID, fsm_state=STR),
                                                 tag="slots"),
    ("POST", "/api/slots/{slot_id}/reboot-device"): Op("Reboot the slot's phone",
                                                       obj(("status", "slot"), status=STR, slot=ID), tag="slots"),
    ("POST", "/api/slots/{slot_id}/adb-command"): Op("Run an allowlisted adb shell command (admin)",
                                                     obj(("status", "slot", "argv"), status=STR, slot=ID,
                                                         argv=array(STR), exit_code={"type": ["integer", "null"]},
                                                         stdout=STR, stderr=STR, truncated=BOOL),
                                                     body=ADB_IN,
                                                     tag="slots"),
    ("GET", "/api/calls/feed"): Op("Recent calls, newest first", array(CALL_OUT), query=(*CALL_FILTERS, *PAGING),
                                   tag="calls"),
    ("GET", "/api/calls/active"): Op("Calls in progress", array(CALL_OUT), query=PAGING, tag="calls"),
    ("GET", "/api/calls/stats"): CALL_STATS,
    ("POST", "/api/call/start"): Op("Start a manual call (answers at once in RING)", CALL_OUT, body=CALL_IN,
                                    tag="calls"),
    ("POST", "/api/call/end"): Op("Hang up a call", CALL_OUT, body=obj((), call_id=ID, id=ID, reason=STR),
                                  tag="calls"),
    ("GET", "/api/call/{call_id}"): Op("One call", CALL_OUT, tag="calls"),
    ("GET", "/api/calls"): CALL_LIST,
    ("GET", "/api/calls/"): CALL_LIST,
    ("GET", "/api/calls/{call_id}"): Op("One call", CALL_OUT, tag="calls"),
    ("GET", "/api/cdr/records"): Op("Call detail records", array(CALL_OUT), query=(*CALL_FILTERS, *PAGING),
                                    tag="calls"),
    ("GET", "/api/pbx/status"): Op("Trunk and endpoint states from the AMI link",
                                   obj(("link", "endpoints"), link=obj(("up",), up=BOOL),
                                       endpoints=array(obj(("name", "state"), name=STR, state=STR))), tag="pbx"),
    ("POST", "/api/pbx/dial"): Op("Manual call through the PBX", CALL_OUT,
                                  body=DIAL_IN, tag="pbx"),
    ("POST", "/api/pbx/route"): Op("Redirect a live call", CALL_OUT,
                                   body=obj((), call_id=ID, exten=STR, context=STR), tag="pbx"),
    ("GET", "/api/pbx/cdr/{call_id}"): Op("One call's CDR", CALL_OUT, tag="pbx"),
    ("GET", "/api/trunks"): Op("List trunks", array(TRUNK_OUT), query=(Param("type"), *PAGING), tag="trunks"),
    ("POST", "/api/trunks"): Op("Create a trunk", TRUNK_OUT, 201, body=TRUNK_IN, tag="trunks"),
    ("GET", "/api/trunks/{trunk_id}"): Op("One trunk", TRUNK_OUT, tag="trunks"),
    ("PATCH", "/api/trunks/{trunk_id}"): Op("Update a trunk", TRUNK_OUT, body=TRUNK_CHANGE, tag="trunks"),
    ("DELETE", "/api/trunks/{trunk_id}"): Op("Delete a trunk", ref("Deleted"), tag="trunks"),
    ("GET", "/api/monitor/system"): Op("Host CPU, memory, disks (psutil)",
                                       obj(("cpu", "ram", "uptime_s", "slots"), cpu=NUM, ram=NUM, uptime=STR,
                                           uptime_s=NUM, daemon_uptime_s=NUM, cpu_count=INT, disk=NUM,
                                           load_avg=array(NUM), slots=ANY_OBJ), tag="monitor"),
    ("GET", "/api/monitor/usb"): Op("USB hubs online/total and their phones",
                                    array(obj(("hub", "online", "total"), hub=STR, online=INT, total=INT,
                                              devices=array(ANY_OBJ))), tag="monitor"),
    ("GET", "/api/monitor/network"): Op("AMI round-trip, interface counters",
                                        obj(("latency_ms", "ami_up", "interfaces"), latency_ms=NULL_NUM,
                                            ami_up=BOOL, bandwidth_mbps=NULL_NUM,
                                            interfaces=array(obj(("name", "is_up"), name=STR, is_up=BOOL))),
                                        tag="monitor"),
    ("GET", "/api/monitor/slots"): Op("Per-slot device facts", array(ref("SlotFacts")), tag="monitor"),
    ("GET", "/api/monitor/slots/{slot_id}"): Op("One slot's device facts (its phone asked now)", ref("SlotFacts"),
                                                tag="monitor"),
    ("GET", "/openapi.json"): Op("This document", ANY_OBJ, tag="docs"),
    ("GET", "/docs"): Op("Swagger UI (served locally)", STR, content_type="text/html", tag="docs"),
    ("GET", "/docs/"): Op("Swagger UI (served locally)", STR, content_type="text/html", tag="docs"),
    ("GET", "/docs/{name}"): Op("Swagger UI's static files", STR, content_type="*/*", tag="docs"),
    ("GET", "/ws/events"): REALTIME,
    ("GET", "/socket.io/"): REALTIME,
    ("POST", "/socket.io/"): REALTIME,
    ("OPTIONS", "/socket.io/"): REALTIME,
    **DIALER_SCHEMAS,
}
