"""OpenAPI entries of the dashboards' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    INT,
    NULL_INT,
    NULL_NUM,
    NULLABLE_STR,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)

PERIOD = Param("period", {"enum": ["today", "yesterday", "week", "month"]})
TZ = Param("tz", {"type": "string", "maxLength": 64})
GROUP = Param("group_id", {"type": "string", "maxLength": 64})
HOUR = {"type": "string", "pattern": "^[0-2][0-9]:00$"}
NULL_HOUR = {"type": ["string", "null"], "pattern": "^[0-2][0-9]:00$"}
COUNTS: Schema = {"type": "object", "additionalProperties": INT}

COMPONENTS: dict[str, Schema] = {
    "DashboardSlots": obj(("total", "busy", "free", "error", "by_state"), total=INT, busy=INT, free=INT, error=INT,
                          offline=INT, by_status=COUNTS, by_state=COUNTS, by_type=COUNTS),
    "CallsPerHour": array(obj(("hour", "calls", "answered", "missed"), hour=HOUR, calls=INT, answered=INT,
                              missed=INT)),
}

CALL_BLOCK = obj(("active", "total", "answered", "missed", "abandoned", "asr", "acd"), active=INT, total=INT,
                 answered=INT, missed=INT, abandoned=INT, asr=NULL_NUM, acd=NULL_INT, average_wait_time=NULL_INT,
                 service_level=NULL_NUM)
DASHBOARD = obj(("active_calls", "active_slots", "today_calls", "failed_calls", "timestamp", "slots", "calls",
                 "calls_per_hour", "operators"),
                active_calls=INT, active_slots=INT, today_calls=INT, failed_calls=INT, timestamp=STR,
                slots=ref("DashboardSlots"), calls=CALL_BLOCK,
                trunks={"type": ["object", "null"], "properties": {"total": INT, "online": INT}},
                calls_per_hour=ref("CallsPerHour"), operators=COUNTS)
STATS = obj(("total_calls_today", "answered_calls_today", "missed_calls_today", "average_wait_time",
             "service_level", "active_operators", "total_operators", "busiest_hour", "call_trends"),
            total_calls_today=INT, answered_calls_today=INT, missed_calls_today=INT, abandoned_calls_today=INT,
            average_wait_time=NULL_INT, service_level=NULL_NUM, asr=NULL_NUM, acd=NULL_INT, active_operators=INT,
            total_operators=INT, busiest_hour=NULL_HOUR,
            call_trends=array(obj(("hour", "calls", "answered"), hour=HOUR, calls=INT, answered=INT)),
            period=STR, tz=STR)
REALTIME = obj(("active_calls", "queue_waiting", "operators_online", "operators_busy", "operators_offline",
                "current_hour_calls", "timestamp"),
               active_calls=INT, queue_waiting=INT, operators_online=INT, operators_busy=INT, operators_wrapup=INT,
               operators_offline=INT, current_hour_calls=INT, timestamp=STR)
ANALYTICS = obj(("hourly_distribution", "queue_performance", "operator_summary"),
                hourly_distribution=array(obj(("hour", "incoming", "answered", "missed"), hour=HOUR, incoming=INT,
                                              answered=INT, missed=INT)),
                queue_performance=array(obj(("queue_name", "calls", "answered", "avg_wait_time", "service_level"),
                                            queue_name=STR, queue_id=NULLABLE_STR, calls=INT, answered=INT,
                                            avg_wait_time=NULL_INT, service_level=NULL_NUM)),
                operator_summary=array(obj(("operator_name", "calls_handled", "avg_talk_time", "efficiency"),
                                           operator_id=STR, operator_name=STR, calls_handled=INT,
                                           avg_talk_time=NULL_INT, efficiency=NULL_NUM)),
                period=STR, tz=STR)
ACTIVITY = array(obj(("operator_id", "name", "extension", "status", "current_call_duration", "calls_today",
                      "last_activity"),
                     operator_id=NULLABLE_STR, name=STR, extension=STR, status=STR, current_call_duration=INT,
                     calls_today=INT, last_activity={}))
METRICS = obj(("checks", "ready", "slots", "calls", "timestamp"), system={"type": ["object", "null"]},
              checks=ANY_OBJ, ready=BOOL, slots=ref("DashboardSlots"),
              calls=obj(("active", "current_hour"), active=INT, current_hour=INT, current_hour_answered=INT),
              timestamp=STR)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/dashboard"): Op("The dashboard (the WORKSPACE API): today's calls, ASR, ACD, calls per hour, "
                                  "slots by state, operators by status", DASHBOARD, query=(PERIOD, TZ),
                                  tag="dashboard"),
    ("GET", "/api/dashboard/slots"): Op("Slots by status, FSM state and type (the live farm)",
                                        ref("DashboardSlots"), tag="dashboard"),
    ("GET", "/api/dashboard/metrics"): Op("System metrics: host, readiness, farm, this hour's calls", METRICS,
                                          query=(TZ,), tag="dashboard"),
    ("GET", "/api/dashboard/stats"): Op("Main statistics of a period (the Smart Call Center API; admin, manager, "
                                        "supervisor)", STATS, query=(PERIOD, TZ, GROUP), tag="dashboard"),
    ("GET", "/api/dashboard/realtime"): Op("Real-time figures (admin, manager, supervisor)", REALTIME,
                                           query=(TZ,), tag="dashboard"),
    ("GET", "/api/dashboard/call-analytics"): Op("Calls per hour, per queue (campaign) and per operator",
                                                 ANALYTICS, query=(PERIOD, TZ, GROUP), tag="dashboard"),
    ("GET", "/api/dashboard/operator-activity"): Op("Each operator's status and calls today", ACTIVITY,
                                                    query=(TZ, GROUP), tag="dashboard"),
}
