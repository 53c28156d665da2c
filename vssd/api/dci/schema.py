"""OpenAPI entries of the DCI routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    INT,
    NULL_INT,
    NULLABLE_STR,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)

STATUS = {"enum": ["idle", "queued", "running", "success", "failed", "cancelled", "interrupted"]}
DOC_FIELDS: dict[str, Schema] = dict(id=INT, name=STR, branch=NULLABLE_STR, status=STATUS,
                                     triggered_by=NULLABLE_STR, start_time=NULLABLE_STR, end_time=NULLABLE_STR,
                                     log_url=NULLABLE_STR, run_id=NULL_INT)
MUST = ("id", "name", "branch", "status", "triggered_by", "start_time", "end_time", "log_url")
MODULE = {"enum": ["OTTB", "POINT", "DCI", "WORKSPACE"]}
SEVERITY = {"enum": ["debug", "info", "warning", "error", "critical"]}

COMPONENTS: dict[str, Schema] = {
    "Pipeline": obj(MUST, **DOC_FIELDS, description=STR, params_schema=ANY_OBJ,
                    steps=array(obj(("name", "argv"), name=STR, argv=array(STR), timeout_s={"type": "number"}))),
    "PipelineStatus": obj((*MUST, "last_lines"), **DOC_FIELDS, step=NULLABLE_STR, exit_code=NULL_INT,
                          error=NULLABLE_STR, params=ANY_OBJ, last_lines=array(STR)),
    "DciLog": obj(("id", "timestamp", "module", "severity", "message"), id=INT, timestamp=STR, module=MODULE,
                  severity=SEVERITY, message=STR, context=ANY_OBJ, user_id=NULLABLE_STR, pipeline=NULLABLE_STR,
                  run_id=NULL_INT),
}

RUN_IN = obj((), params=ANY_OBJ)
LOG_EVENT_IN = obj(("module", "severity", "message"), module=MODULE, severity=SEVERITY,
                   message={"type": "string", "minLength": 1, "maxLength": 4000}, context=ANY_OBJ,
                   user_id={"type": "string", "maxLength": 100})
LOG_QUERY = (Param("module", MODULE), Param("severity", SEVERITY),
             Param("pipeline", {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,100}$"}),
             Param("run_id", {"type": "string", "pattern": r"^[0-9]{1,18}$"}),
             Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
             Param("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}),
             Param("skip", {"type": "integer", "minimum": 0, "maximum": 10**9}))
DCI_STATUS = obj(("status", "pipelines", "running", "logs"), status={"enum": ["ok", "degraded"]}, checks=ANY_OBJ,
                 pipelines=INT, running=array(STR), max_concurrent_runs=INT, interrupted_at_start=array(ANY_OBJ),
                 logs=ANY_OBJ)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/dci/pipelines"): Op("DCI pipelines (the document's fields, from each one's newest run)",
                                      array(ref("Pipeline")), tag="dci"),
    ("POST", "/api/dci/pipeline/{pipeline_id}/run"): Op(
        "Run a pipeline (by id or name; params checked against its schema; 409 when it runs already)",
        ref("PipelineStatus"), 202, body=RUN_IN, tag="dci"),
    ("POST", "/api/dci/pipeline/{pipeline_id}/stop"): Op(
        "Stop a pipeline's run (SIGTERM, SIGKILL after the grace period); a pipeline not running answers its status",
        {"allOf": [ref("PipelineStatus"), obj(("stopped",), stopped={"type": "boolean"})]}, tag="dci"),
    ("GET", "/api/dci/pipeline/{pipeline_id}/status"): Op("A pipeline's newest run", ref("PipelineStatus"), tag="dci"),
    ("GET", "/api/dci/status"): Op("The DCI system: runs, log queue", DCI_STATUS, tag="dci"),
    ("GET", "/api/dci/logs"): Op("The DCI log, newest first", array(ref("DciLog")), query=LOG_QUERY, tag="dci"),
    ("POST", "/api/dci/log-event"): Op("Add an event to the DCI log", ref("DciLog"), 201, body=LOG_EVENT_IN,
                                       tag="dci"),
}
