"""OpenAPI entries of the trunks' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
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

COMPONENTS: dict[str, Schema] = {
    "Trunk": obj(("id", "name"), id=ID, name=STR, type={"type": ["string", "null"]}),
}

TRUNK_IN = obj(("name", "type"), name={"type": "string", "pattern": "^[a-z][a-z0-9-]{0,30}$"},
               type={"enum": ["auto", "mf", "ls"]}, capacity={"type": "integer", "minimum": 0, "maximum": 64},
               description={"type": "string", "maxLength": 500}, config=ANY_OBJ)
TRUNK_CHANGE = obj((), name={"type": "string", "pattern": "^[a-z][a-z0-9-]{0,30}$"},
                   capacity={"type": "integer", "minimum": 0, "maximum": 64},
                   description={"type": "string", "maxLength": 500})
TRUNK_OUT = ref("Trunk")

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/trunks"): Op("List trunks", array(TRUNK_OUT), query=(Param("type"), *PAGING), tag="trunks"),
    ("POST", "/api/trunks"): Op("Create a trunk", TRUNK_OUT, 201, body=TRUNK_IN, tag="trunks"),
    ("GET", "/api/trunks/{trunk_id}"): Op("One trunk", TRUNK_OUT, tag="trunks"),
    ("PATCH", "/api/trunks/{trunk_id}"): Op("Update a trunk", TRUNK_OUT, body=TRUNK_CHANGE, tag="trunks"),
    ("DELETE", "/api/trunks/{trunk_id}"): Op("Delete a trunk", ref("Deleted"), tag="trunks"),
}
