"""Deliveries built from what asked for them: a catalogue event for a webhook subscription, a notification for
a user's WebSocket or e-mail. Ids are fresh random hex (the idempotency key), bodies fixed at creation."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from vssd.notifier.model import EMAIL, SENT, WEBHOOK, WEBSOCKET, Delivery, Recipient, Webhook


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def to_json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def webhook_delivery(hook: Webhook, event: str, payload: Mapping[str, Any], now: float,
                     notification_id: str | None = None) -> Delivery:
    """The body a receiver gets: `{"id", "event", "timestamp", "data"}` (`id` = the Idempotency-Key header)."""
    delivery_id = new_id("dlv")
    body = to_json({"id": delivery_id, "event": event, "timestamp": iso(now), "data": payload})
    title = str(payload.get("title") or payload.get("message") or "")[:200]
    return Delivery(id=delivery_id, channel=WEBHOOK, recipient=hook.url, event=event, body=body,
                    notification_id=notification_id, webhook_id=hook.id, title=title, next_attempt_at=now,
                    created_at=now)


def websocket_delivery(notification_id: str, who: Recipient, payload: Mapping[str, Any], now: float,
                       by: str | None) -> Delivery:
    """Handed to the real-time hub when the event is emitted: sent at once (the hub's own buffer takes over)."""
    return Delivery(id=new_id("dlv"), channel=WEBSOCKET, recipient=who.username, event="notification",
                    body=to_json(payload), notification_id=notification_id, title=str(payload["title"]),
                    state=SENT, attempts=1, sent_at=now, created_by=by, created_at=now)


def email_delivery(notification_id: str, address: str, payload: Mapping[str, Any], now: float,
                   by: str | None) -> Delivery:
    subject = f"[{payload['severity']}] {payload['title']}"
    body = to_json({"to": address, "subject": subject, "text": str(payload["message"])})
    return Delivery(id=new_id("dlv"), channel=EMAIL, recipient=address, event="notification", body=body,
                    notification_id=notification_id, title=str(payload["title"]), next_attempt_at=now,
                    created_by=by, created_at=now)


def email_parts(delivery: Delivery) -> tuple[str, str, str]:
    data = orjson.loads(delivery.body)
    return str(data["to"]), str(data["subject"]), str(data["text"])


def delivery_view(d: Delivery) -> dict[str, Any]:
    """A delivery as the send answer lists it (the history rows come from the store)."""
    return {"id": d.id, "channel": d.channel, "recipient": d.recipient, "state": d.state, "attempts": d.attempts,
            "last_error": d.last_error}
