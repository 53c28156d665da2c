"""OpenAPI entries of the calls' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    DATE,
    ID,
    INSTANT,
    INT,
    NULL_INT,
    NULL_NUM,
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
from vssd.api.slots.schema import SLOT_TYPE

COMPONENTS: dict[str, Schema] = {
    "Call": obj((), call_id={"type": ["string", "integer"]}, id={"type": ["string", "integer"]},
                slot_id={"type": ["integer", "string", "null"]}, status={"type": ["string", "null"]}),
}

PHONE: Schema = {"type": "string", "pattern": "^\\+380[0-9]{9}$"}
CALL_IN = obj(("phone_number",), phone_number=PHONE, slot={"oneOf": [SLOT_TYPE, {"type": "integer", "minimum": 1}]},
              caller_id={"type": "string", "maxLength": 80}, direction={"enum": ["outbound"]})
# The filters' values as the handlers check them (a value outside these is a 422 with details).
CALL_FILTERS = (Param("slot_id", {"type": "integer", "minimum": 1}),
                Param("status", {"enum": ["completed", "failed", "ended", "connected", "ringing", "initiated"]}),
                Param("outcome", {"enum": ["answered", "busy", "no_answer", "rejected", "failed", "unknown"]}),
                Param("direction", {"enum": ["outbound", "inbound"]}), Param("number", dict(PHONE)),
                Param("phone_number", dict(PHONE)), Param("date", dict(DATE)), Param("date_from", dict(INSTANT)),
                Param("date_to", dict(INSTANT)), Param("start_date", dict(DATE)), Param("end_date", dict(DATE)))
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

SCHEMAS: dict[tuple[str, str], Op] = {
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
}
