"""OpenAPI entries of the auth routes (gathered in `vssd.api.openapi_schemas`)."""

from __future__ import annotations

from vssd.api.openapi_base import (
    BOOL,
    ID,
    INT,
    STR,
    Op,
    Param,
    Schema,
    array,
    obj,
    ref,
)

COMPONENTS: dict[str, Schema] = {
    "Tokens": obj(("token", "access_token", "token_type"), token=STR, access_token=STR, refresh_token=STR,
                  token_type=STR, expires_in=INT, role=STR, permissions=array(STR), user=ref("User")),
}

# Request bodies: every field optional at the schema level where the handler answers 422 itself, so the
# validation path (the SPEC `details` list) is exercised too.
LOGIN = obj(("username", "password"), username={"type": "string", "minLength": 1, "maxLength": 256},
            email=STR, password={"type": "string", "minLength": 1, "maxLength": 256})

SCHEMAS: dict[tuple[str, str], Op] = {
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
}
