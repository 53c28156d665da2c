"""OpenAPI entries of the monitoring routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    ID,
    INT,
    NULL_NUM,
    NULLABLE_STR,
    NUM,
    STR,
    Op,
    Schema,
    array,
    obj,
    ref,
)

COMPONENTS: dict[str, Schema] = {
    "SlotFacts": obj(("slot_id", "type", "fsm_state", "measured"), slot_id=ID, type=STR, fsm_state=STR,
                     sip_reachable={"type": ["boolean", "null"]}, measured=NULLABLE_STR,
                     battery={"type": ["number", "null"]}, current_call_id=NULLABLE_STR),
}

SCHEMAS: dict[tuple[str, str], Op] = {
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
}
