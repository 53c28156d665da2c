"""OpenAPI entries of the slots' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    BOOL,
    ID,
    PAGING,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)
from vssd.fsm.types import SlotType

COMPONENTS: dict[str, Schema] = {
    "Slot": obj(("id",), id=ID, status=STR, fsm_state=STR, type=STR, trunk_id={"type": ["integer", "string",
                                                                                       "null"]}),
}

SLOT_TYPE: Schema = {"enum": [t.value for t in SlotType]}
SLOT_IN = obj(("type",), type=SLOT_TYPE, trunk_id=ID, device_id={"type": "string", "maxLength": 128},
              name={"type": "string", "maxLength": 100}, device_model={"type": "string", "maxLength": 100},
              internal_sip_number={"type": "string", "pattern": "^[0-9]{3,6}$"})
SLOT_CHANGE = obj((), name={"type": "string", "maxLength": 100}, device_model={"type": "string", "maxLength": 100},
                  trunk_id=ID)
ADB_IN = obj(("command",), command={"enum": ["getprop", "uptime", "wm size", "dumpsys battery", "input keyevent 3",
                                             "settings get global airplane_mode_on"]})
SLOT_OUT = ref("Slot")
NULL_STR: Schema = {"type": ["string", "null"]}
TRANSITION = obj(("at", "from_state", "to_state"), id=ID, slot_id=ID, at={"type": "string", "format": "date-time"},
                 from_state=STR, to_state=STR, event=STR, trigger=STR, cause=NULL_STR, reason=NULL_STR,
                 call_id=NULL_STR)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/slots"): Op("List slots (bare array, X-Total-Count)", array(SLOT_OUT),
                              query=(Param("trunk_id"), Param("status"), Param("type"), Param("fsm_state"),
                                     *PAGING), tag="slots"),
    ("POST", "/api/slots"): Op("Create a slot", SLOT_OUT, 201, body=SLOT_IN, tag="slots"),
    ("GET", "/api/slots/{slot_id}"): Op("One slot", SLOT_OUT, tag="slots"),
    ("GET", "/api/slots/{slot_id}/history"): Op("The slot's FSM transitions, newest first (X-Total-Count)",
                                                array(TRANSITION), query=PAGING, tag="slots"),
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
}
