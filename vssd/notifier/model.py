"""What the notifier moves: deliveries (one message on one channel to one recipient), webhook subscriptions and
recipients. Times are epoch seconds (the engine's injectable clock); the store adapter converts them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

QUEUED, SENT, FAILED, RETRYING, DEAD = "queued", "sent", "failed", "retrying", "dead"
STATES = (QUEUED, SENT, FAILED, RETRYING, DEAD)
PENDING = (QUEUED, RETRYING)
WEBSOCKET, EMAIL, WEBHOOK = "websocket", "email", "webhook"
CHANNELS = (WEBSOCKET, EMAIL, WEBHOOK)
SEVERITIES = ("info", "warning", "critical")


@dataclass(slots=True)
class Delivery:
    """One message on one channel to one recipient. `id` is the receiver's idempotency key: a retry (or a resend
    after a restart) carries the same id and the same body."""

    id: str
    channel: str
    recipient: str  # user id, e-mail address or URL
    event: str  # the catalogue event it carries (`notification`, `system.alert`, …)
    body: str  # webhooks: the exact JSON signed; e-mail: {"to", "subject", "text"} as JSON
    notification_id: str | None = None
    webhook_id: str | None = None
    title: str = ""
    state: str = QUEUED
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: float | None = None
    sent_at: float | None = None
    created_by: str | None = None
    created_at: float | None = None


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription: catalogue event names delivered to `url`, each body signed with `secret`."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    active: bool = True
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recipient:
    id: str
    username: str
    email: str | None
