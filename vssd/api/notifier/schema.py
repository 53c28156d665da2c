"""OpenAPI entries of the notifier's routes (gathered in `vssd.api.openapi_schemas`). Request bodies are closed
(`additionalProperties: false`): the routes refuse unknown fields by name."""

from __future__ import annotations

from typing import Any

from vssd.api.openapi_base import (
    ANY_OBJ,
    BOOL,
    INT,
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
from vssd.events import CATALOGUE
from vssd.notifier.model import CHANNELS, SEVERITIES, STATES

NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^\S(.*\S)?$"}
COMMON: dict[str, Schema] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^\S(.*\S)?$"},
    "message": {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": r"^\S(.*\S)?$"},
    "severity": {"enum": list(SEVERITIES)}, "data": ANY_OBJ,
}
PEOPLE_CHANNELS = {"type": "array", "minItems": 1, "items": {"enum": ["websocket", "email"]}}


def _closed(must: tuple[str, ...], **props: Any) -> Schema:
    return {**obj(must, **props), "additionalProperties": False}


SEND_IN: Schema = {"oneOf": [
    _closed(("user", "title", "message"), user=NAME, channels=PEOPLE_CHANNELS, **COMMON),
    _closed(("role", "title", "message"), role=NAME, channels=PEOPLE_CHANNELS, **COMMON),
    _closed(("channel", "address", "title", "message"), channel={"const": "email"},
            address={"type": "string", "format": "email", "pattern": r"^[^@\s]{1,64}@[^@\s]{1,255}$"}, **COMMON),
    _closed(("channel", "title", "message"), channel={"const": "webhook"}, **COMMON),
]}
EVENTS = {"type": "array", "minItems": 1, "items": {"enum": list(CATALOGUE)}}
URL = {"type": "string", "pattern": r"^https?://[a-z0-9]([a-z0-9.-]{0,60}[a-z0-9])?(:[0-9]{2,5})?(/[a-z0-9/_-]*)?$",
       "maxLength": 200}
HOOK_PROPS: dict[str, Schema] = {"url": URL, "events": EVENTS,
                                 "secret": {"type": "string", "minLength": 16, "maxLength": 256},
                                 "description": {"type": "string", "maxLength": 500}, "active": BOOL}
DELIVERY_SUMMARY = obj(("id", "channel", "recipient", "state"), id=STR, channel={"enum": list(CHANNELS)},
                       recipient=STR, state={"enum": list(STATES)}, attempts=INT, last_error=NULLABLE_STR)

COMPONENTS: dict[str, Schema] = {
    "NotifierDelivery": obj(("id", "channel", "recipient", "event", "state", "attempts"), id=STR,
                            notification_id=NULLABLE_STR, channel={"enum": list(CHANNELS)}, recipient=STR,
                            event=STR, webhook_id=NULLABLE_STR, title=STR, state={"enum": list(STATES)},
                            attempts=INT, last_error=NULLABLE_STR, next_attempt_at=NULLABLE_STR,
                            sent_at=NULLABLE_STR, created_by=NULLABLE_STR, created_at=STR, updated_at=STR),
    "NotifierWebhook": obj(("id", "url", "events", "active"), id=STR, url=STR, events=array(STR), active=BOOL,
                           description=STR, created_by=NULLABLE_STR, created_at=STR, updated_at=STR),
    "NotificationSent": obj(("id", "status", "to_users", "deliveries"), id=STR, status=STR, title=STR,
                            message=STR, severity=STR, to_users=array(STR), deliveries=array(DELIVERY_SUMMARY)),
}

HISTORY_QUERY = (Param("state", {"enum": list(STATES)}), Param("channel", {"enum": list(CHANNELS)}),
                 Param("event"), Param("recipient"), Param("notification_id"), Param("webhook_id"), *PAGING)
TAG = "notifier"
SCHEMAS: dict[tuple[str, str], Op] = {
    ("POST", "/api/notifier/send"): Op("Send a notification to a user, a role or a channel",
                                       ref("NotificationSent"), 202, body=SEND_IN, tag=TAG),
    ("GET", "/api/notifier/history"): Op("Deliveries with their states, newest first",
                                         array(ref("NotifierDelivery")), query=HISTORY_QUERY, tag=TAG),
    ("GET", "/api/notifier/webhooks"): Op("Webhook subscriptions", array(ref("NotifierWebhook")), query=PAGING,
                                          tag=TAG),
    ("POST", "/api/notifier/webhooks"): Op("Subscribe a URL to catalogue events (the secret is shown once)",
                                           ref("NotifierWebhook"), 201,
                                           body=_closed(("url", "events"), **HOOK_PROPS), tag=TAG),
    ("GET", "/api/notifier/webhooks/{webhook_id}"): Op("One webhook subscription", ref("NotifierWebhook"), tag=TAG),
    ("PATCH", "/api/notifier/webhooks/{webhook_id}"): Op("Change a webhook subscription", ref("NotifierWebhook"),
                                                         body=_closed((), **HOOK_PROPS), tag=TAG),
    ("DELETE", "/api/notifier/webhooks/{webhook_id}"): Op("Delete a webhook subscription", ref("Deleted"), tag=TAG),
}
