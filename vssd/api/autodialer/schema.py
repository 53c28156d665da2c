"""OpenAPI entries of the autodialer and operator routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    ID,
    INT,
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
)
from vssd.calls.periods import PERIODS
from vssd.fsm.types import SlotType

CAMPAIGN_STATUS: Schema = {"enum": ["draft", "running", "paused", "stopped", "completed"]}
LEAD_STATUS: Schema = {"enum": ["pending", "queued", "dialing", "retry", "done", "failed", "dnc", "expired",
                                "unknown", "cancelled"]}
PHONE: Schema = {"type": "string", "pattern": r"^\+?[0-9]{6,15}$", "examples": ["+79991234567"]}
LEAD_IN: Schema = {"type": "object", "properties": {"phone": PHONE, "number": PHONE,
                                                    "name": {"type": "string", "maxLength": 200},
                                                    "tz": {"type": "string", "examples": ["Europe/Moscow"]},
                                                    "data": ANY_OBJ}}
SETTINGS_IN: Schema = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "max_concurrent_calls": {"type": "integer", "minimum": 1, "maximum": 10000},
        "retry_count": {"type": "integer", "minimum": 0, "maximum": 50},
        "retry_delay": {"type": "number", "minimum": 0, "maximum": 2592000},
        "mode": {"enum": ["preview", "progressive", "ratio", "predictive"]},
        "ratio": {"type": "number", "minimum": 1, "maximum": 10},
        "policy": {"enum": ["us_tsr", "none"]},
        "slot_type": {"enum": [*(t.value for t in SlotType), None]},
        "caller_id": {"type": "string", "maxLength": 64},
        "ring_timeout_s": {"type": "number", "minimum": 15, "maximum": 120},
        "default_tz": {"type": "string", "examples": ["UTC"]},
        "abandon_cap_pct": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 100},
        "abandon_message": {"type": "object", "additionalProperties": False,
                            "properties": {"seller_name": {"type": "string", "minLength": 1, "maxLength": 120},
                                           "callback_number": {"type": "string", "minLength": 3,
                                                               "maxLength": 32}}},
    },
}
CAMPAIGN_OUT = obj(("id", "name", "status"), id=ID, campaign_id=ID, name=STR, status=STR, settings=ANY_OBJ,
                   slot_type=NULLABLE_STR)
STATUS_OUT = obj(("status", "leads_total", "pending", "attempts", "answered", "abandoned", "abandon_rate",
                  "unknown", "dead_lettered"), status=STR, leads_total=INT, pending=INT, attempts=INT, answered=INT,
                 abandoned=INT, abandon_rate=NUM, unknown=INT, dead_lettered=INT, statuses=ANY_OBJ,
                 live_calls=INT, dial_level=NULL_NUM)
CAMPAIGN_ID_IN = obj(("campaign_id",), campaign_id={"type": "string", "minLength": 1, "maxLength": 64},
                     leads=array(LEAD_IN))
LEAD_OUT = obj(("id", "campaign_id", "phone", "status"), id=INT, campaign_id=STR, phone=STR, status=STR,
               attempts=INT, name=STR)
OPERATOR_OUT = obj(("id", "extension", "status"), id=ID, user_id=NULLABLE_STR, name=STR, extension=STR,
                   status=STR, current_calls=INT, calls_today=INT, line_up=BOOL)
OPERATOR_STATS = obj(("operator_id", "period", "calls_handled", "total_talk_time", "avg_talk_time", "dispositions"),
                     operator_id=STR, period={"enum": list(PERIODS)}, period_start=STR, period_end=STR,
                     calls_handled=INT, calls_missed=NULL_NUM, total_talk_time=INT, avg_talk_time=NUM,
                     efficiency=NULL_NUM, first_call_resolution=NULL_NUM, customer_satisfaction=NULL_NUM,
                     dispositions=ANY_OBJ, status=STR, current_calls=INT)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/autodialer/campaigns"): Op("List campaigns", array(CAMPAIGN_OUT),
                                             query=(Param("status", CAMPAIGN_STATUS), *PAGING), tag="autodialer"),
    ("POST", "/api/autodialer/campaigns"): Op(
        "Create a campaign (leads in either documented shape; settings validated)", CAMPAIGN_OUT, 201,
        body=obj(("name",), name={"type": "string", "minLength": 1, "maxLength": 200}, leads=array(LEAD_IN),
                 settings=SETTINGS_IN), tag="autodialer"),
    ("GET", "/api/autodialer/campaigns/{campaign_id}"): Op("One campaign with its counts", CAMPAIGN_OUT,
                                                           tag="autodialer"),
    ("GET", "/api/autodialer/campaigns/{campaign_id}/status"): Op("Campaign status and counts", STATUS_OUT,
                                                                  tag="autodialer"),
    ("GET", "/api/autodialer/campaigns/{campaign_id}/ledger"): Op(
        "Compliance ledger per period (abandons of answered calls)",
        obj(("campaign_id", "periods", "violations"), campaign_id=STR, periods=array(ANY_OBJ), violations=INT,
            abandon_cap=NUM), query=(Param("period_days", {"type": "number", "minimum": 1, "maximum": 366}),),
        tag="autodialer"),
    ("POST", "/api/autodialer/campaigns/{campaign_id}/leads"): Op(
        "Import leads (JSON {leads: [...]} or text/csv)", obj(("imported", "rejected"), imported=INT,
                                                             rejected=array(ANY_OBJ)), 201,
        body=obj(("leads",), leads=array(LEAD_IN)), tag="autodialer"),
    ("POST", "/api/autodialer/campaigns/{campaign_id}/pause"): Op("Pause a running campaign", STATUS_OUT,
                                                                  tag="autodialer"),
    ("POST", "/api/autodialer/campaigns/{campaign_id}/resume"): Op("Resume a paused campaign", STATUS_OUT,
                                                                   tag="autodialer"),
    ("GET", "/api/autodialer/campaigns/{campaign_id}/preview"): Op(
        "Preview mode: the leads held for dialing, next first", obj(("campaign_id", "leads"), campaign_id=STR,
                                                                    leads=array(ANY_OBJ)), tag="autodialer"),
    ("POST", "/api/autodialer/campaigns/{campaign_id}/preview/confirm"): Op(
        "Preview mode: confirm the next call(s)", obj(("campaign_id", "confirmed"), campaign_id=STR, confirmed=INT),
        body=obj((), count={"type": "integer", "minimum": 1, "maximum": 100}), tag="autodialer"),
    ("POST", "/api/autodialer/run-campaign"): Op("Run a campaign (inline leads added first)", STATUS_OUT,
                                                 body=CAMPAIGN_ID_IN, tag="autodialer"),
    ("POST", "/api/autodialer/stop-campaign"): Op("Stop a campaign", STATUS_OUT, body=CAMPAIGN_ID_IN,
                                                  tag="autodialer"),
    ("POST", "/api/autodialer/pause-campaign"): Op("Pause a campaign", STATUS_OUT, body=CAMPAIGN_ID_IN,
                                                   tag="autodialer"),
    ("POST", "/api/autodialer/resume-campaign"): Op("Resume a campaign", STATUS_OUT, body=CAMPAIGN_ID_IN,
                                                    tag="autodialer"),
    ("GET", "/api/autodialer/leads"): Op("List leads", array(LEAD_OUT),
                                         query=(Param("campaign_id"), Param("status", LEAD_STATUS), Param("phone"),
                                                *PAGING), tag="autodialer"),
    ("POST", "/api/autodialer/leads/{lead_id}/requeue"): Op("Requeue an unknown lead (admin)", LEAD_OUT,
                                                            tag="autodialer"),
    ("GET", "/api/autodialer/calls/{call_id}/lead"): Op(
        "The lead a campaign call dials (its operator, or who may read leads)",
        obj(("call_id", "operator_id", "lead"), call_id=STR, operator_id=NULLABLE_STR,
            lead=obj(("id", "campaign_id", "phone"), id=INT, campaign_id=STR, phone=STR, name=STR, data=ANY_OBJ)),
        tag="autodialer"),
    ("GET", "/api/autodialer/dnc"): Op("Do-not-call list", array(obj(("number_e164",), number_e164=STR)),
                                       query=PAGING, tag="autodialer"),
    ("POST", "/api/autodialer/dnc"): Op("Add a number to the DNC list", obj(("number_e164",), number_e164=STR), 201,
                                        body=obj(("number",), number=PHONE, reason={"type": "string",
                                                                                    "maxLength": 500}),
                                        tag="autodialer"),
    ("DELETE", "/api/autodialer/dnc/{number}"): Op("Remove a number from the DNC list",
                                                   obj(("status",), status=STR, number=STR), tag="autodialer"),
    ("GET", "/api/autodialer/dead-letters"): Op("Dead-lettered lead messages with their reasons", array(ANY_OBJ),
                                                query=(Param("reason"), Param("campaign_id"), *PAGING),
                                                tag="autodialer"),
    ("POST", "/api/autodialer/dispositions"): Op(
        "An operator's disposition of a call (dnc puts the number on the DNC list)", ANY_OBJ, 201,
        body=obj(("call_id", "code"), call_id={"type": "string", "minLength": 1, "maxLength": 64},
                 code={"enum": ["sale", "callback", "not_interested", "dnc", "wrong_number", "no_answer",
                                "voicemail", "other"]}, notes={"type": "string", "maxLength": 2000}),
        tag="autodialer"),
    ("GET", "/api/operators"): Op("List operators", array(OPERATOR_OUT),
                                  query=(Param("status", {"enum": ["online", "busy", "wrapup", "offline"]}),
                                         Param("group_id"), *PAGING), tag="operators"),
    ("GET", "/api/operators/"): Op("List operators (the Smart Call Center API's spelling)", array(OPERATOR_OUT),
                                   query=(Param("status", {"enum": ["online", "busy", "wrapup", "offline"]}),
                                          Param("group_id"), *PAGING), tag="operators"),
    ("PUT", "/api/operators/{operator_id}/status"): Op(
        "Set an operator's status (online logs in: pre-connected line)", OPERATOR_OUT,
        body=obj(("status",), status={"enum": ["online", "busy", "offline"]}), tag="operators"),
    ("GET", "/api/operators/{operator_id}/stats"): Op(
        "An operator's figures for a UTC period (null: not measured by vssd)", OPERATOR_STATS,
        query=(Param("period", {"enum": list(PERIODS)}),), tag="operators"),
}
