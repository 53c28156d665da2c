"""OpenAPI entries of the users' and roles' routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    BOOL,
    ID,
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

COMPONENTS: dict[str, Schema] = {
    "User": obj(("id", "username", "role"), id=ID, username=STR, email=NULLABLE_STR, role=STR,
                is_active=BOOL),
    "Role": obj(("name", "permissions"), name=STR, permissions=array(STR), description=NULLABLE_STR, builtin=BOOL,
                customized=BOOL),
}

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
USERS = Op("List users (bare array, X-Total-Count)", array(ref("User")), query=(Param("role"), *PAGING),
           tag="users")
USER_OUT = ref("User")

SCHEMAS: dict[tuple[str, str], Op] = {
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
    ("POST", "/api/roles/{role_id}"): Op("Update a role; a builtin one's rights too (then `customized`; the admin "
                                         "role keeps full rights: 409 ROLE_004)", ref("Role"), body=ROLE_CHANGE,
                                         tag="roles"),
    ("POST", "/api/roles/{role_id}/reset"): Op("Reset a builtin role to its shipped rights (409 ROLE_005 for a "
                                               "custom role)", ref("Role"), tag="roles"),
}
