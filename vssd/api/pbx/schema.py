"""OpenAPI entries of the PBX routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.calls.schema import CALL_OUT, PHONE
from vssd.api.openapi_base import (
    BOOL,
    ID,
    STR,
    Op,
    array,
    obj,
)
from vssd.api.slots.schema import SLOT_TYPE

DIAL_IN = obj(("from", "to"), **{"from": {"oneOf": [SLOT_TYPE, {"type": "string", "pattern": "^slot_[0-9]{1,2}$"}]},
                                 "to": PHONE, "trunk": STR})

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/pbx/status"): Op("Trunk and endpoint states from the AMI link",
                                   obj(("link", "endpoints"), link=obj(("up",), up=BOOL),
                                       endpoints=array(obj(("name", "state"), name=STR, state=STR))), tag="pbx"),
    ("POST", "/api/pbx/dial"): Op("Manual call through the PBX", CALL_OUT,
                                  body=DIAL_IN, tag="pbx"),
    ("POST", "/api/pbx/route"): Op("Redirect a live call", CALL_OUT,
                                   body=obj((), call_id=ID, exten=STR, context=STR), tag="pbx"),
    ("GET", "/api/pbx/cdr/{call_id}"): Op("One call's CDR", CALL_OUT, tag="pbx"),
}
