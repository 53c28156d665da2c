"""OpenAPI entries of the settings routes (gathered in `vssd.api.openapi_schemas`).

The request schemas are narrower than what the handlers accept (see `model.py` for the real bounds) so a fuzzer
driven by them keeps a demo usable: the Asterisk test only at loopback with a short timeout, the rate limit high.
"""

from __future__ import annotations

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    INT,
    NULLABLE_STR,
    NUM,
    STR,
    Op,
    Schema,
    obj,
    ref,
)

ASTERISK_OUT = obj(("host", "port", "username", "password", "protocol", "timeout", "enabled"), host=STR, port=INT,
                   username=STR, password=NULLABLE_STR, password_set=BOOL, protocol=STR, timeout=NUM, enabled=BOOL)
COMPONENTS: dict[str, Schema] = {
    "SystemSettings": obj(("call_recording", "auto_answer_delay", "max_call_duration", "queue_timeout",
                           "callback_enabled", "sms_notifications", "email_notifications", "asterisk_config"),
                          call_recording=BOOL, auto_answer_delay=INT, max_call_duration=INT, queue_timeout=INT,
                          callback_enabled=BOOL, sms_notifications=BOOL, email_notifications=BOOL, wrapup_time=NUM,
                          api_rate_limit_per_minute=INT, asterisk_config=ASTERISK_OUT, updated_by=NULLABLE_STR,
                          updated_at=NULLABLE_STR),
}

LOOPBACK: Schema = {"enum": ["127.0.0.1", "localhost"]}
ASTERISK_IN = obj((), host=LOOPBACK, port={"type": "integer", "minimum": 1, "maximum": 65535},
                  username={"type": "string", "maxLength": 64}, password={"type": "string", "maxLength": 64},
                  protocol={"enum": ["AMI"]}, timeout={"type": "number", "minimum": 0.5, "maximum": 1},
                  enabled=BOOL)
SETTINGS_IN = obj((), call_recording=BOOL, auto_answer_delay={"type": "integer", "minimum": 0, "maximum": 60},
                  max_call_duration={"type": "integer", "minimum": 10, "maximum": 86400},
                  queue_timeout={"type": "integer", "minimum": 5, "maximum": 3600}, callback_enabled=BOOL,
                  sms_notifications=BOOL, email_notifications=BOOL,
                  wrapup_time={"type": "number", "minimum": 0, "maximum": 10},
                  api_rate_limit_per_minute={"type": "integer", "minimum": 10000, "maximum": 100000},
                  asterisk_config=ASTERISK_IN)
TEST_IN = obj(("host", "port"), host=LOOPBACK, port={"type": "integer", "minimum": 1, "maximum": 65535},
              username={"type": "string", "maxLength": 64}, password={"type": "string", "maxLength": 64},
              protocol={"enum": ["AMI"]}, timeout={"type": "number", "minimum": 0.1, "maximum": 1})
TEST_OUT = obj(("success", "message", "data"), success=BOOL, message=STR, data=ANY_OBJ)
INFO = obj(("users", "operators", "calls_today", "asterisk_connected", "database_status", "uptime"), users=INT,
           operators=INT, calls_today=INT, asterisk_connected=BOOL, database_status={"enum": ["connected",
                                                                                             "disconnected"]},
           uptime=STR, uptime_s=INT, services=ANY_OBJ)

SCHEMAS: dict[tuple[str, str], Op] = {
    ("GET", "/api/admin/settings"): Op("System settings (the AMI password masked)", ref("SystemSettings"),
                                       tag="settings"),
    ("PUT", "/api/admin/settings"): Op("Change system settings (whole or partial; applied live where it maps "
                                       "onto a running knob)", ref("SystemSettings"), body=SETTINGS_IN,
                                       tag="settings"),
    ("POST", "/api/admin/settings/asterisk/test"): Op("Try an AMI host:port (loopback and configured hosts only; "
                                                      "422 HOST_NOT_ALLOWED otherwise)", TEST_OUT, body=TEST_IN,
                                                      tag="settings"),
    ("GET", "/api/admin/system/info"): Op("Users, operators, calls today, PBX and database state, uptime", INFO,
                                          tag="settings"),
}
