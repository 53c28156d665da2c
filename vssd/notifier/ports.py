"""What the notifier needs from the outside (implemented in vssd/adapters: store_notifier, webhooks, smtp).

A sender signals failure by raising; the error's `retryable` attribute (default True) says whether another attempt
may succeed (a 4xx answer or a refused recipient will not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from vssd.notifier.model import Delivery, Recipient, Webhook


class DeliveryRows(Protocol):
    async def insert_deliveries(self, deliveries: Sequence[Delivery]) -> None: ...

    async def save_results(self, deliveries: Sequence[Delivery]) -> None: ...

    async def pending_deliveries(self) -> list[Delivery]: ...

    async def history(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...


class WebhookRows(Protocol):
    async def webhooks(self) -> list[Webhook]: ...

    async def list_webhooks(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def get_webhook(self, webhook_id: str) -> dict[str, Any] | None: ...

    async def create_webhook(self, fields: Mapping[str, Any], by: str | None) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: str, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def delete_webhook(self, webhook_id: str) -> None: ...


class Recipients(Protocol):
    async def recipients(self, *, user: str | None = None, role: str | None = None) -> list[Recipient]:
        """Active users: the one named (id or username) or every one of a role; [] when none."""


class WebhookPoster(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...


class Mailer(Protocol):
    async def send(self, to: str, subject: str, text: str) -> None: ...


class EventSink(Protocol):
    def emit(self, event: Any) -> None: ...
