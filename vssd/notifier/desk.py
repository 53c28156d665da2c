"""The API's `NotifierDesk` (vssd/api/ports.py): sends, the delivery history and the webhook subscriptions, whose
every change reloads the engine's table of who hears which event."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from vssd.notifier.engine import NotifierEngine
from vssd.notifier.ports import DeliveryRows, WebhookRows


class NotifierDesk:
    def __init__(self, engine: NotifierEngine, rows: DeliveryRows, hooks: WebhookRows) -> None:
        self.engine, self.rows, self.hooks = engine, rows, hooks

    async def send(self, request: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        return await self.engine.send(request, by)

    async def history(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        return await self.rows.history(limit, offset, filters)

    async def list_webhooks(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        return await self.hooks.list_webhooks(limit, offset)

    async def get_webhook(self, webhook_id: str) -> dict[str, Any] | None:
        return await self.hooks.get_webhook(webhook_id)

    async def create_webhook(self, fields: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        """A secret not given is generated; the answer shows it this once (a later read never does)."""
        secret = fields.get("secret") or secrets.token_urlsafe(32)
        view = await self.hooks.create_webhook({**fields, "secret": secret}, by)
        await self.engine.reload_webhooks()
        return {**view, "secret": secret}

    async def update_webhook(self, webhook_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        view = await self.hooks.update_webhook(webhook_id, fields)
        await self.engine.reload_webhooks()
        return view

    async def delete_webhook(self, webhook_id: str) -> None:
        await self.hooks.delete_webhook(webhook_id)
        await self.engine.reload_webhooks()
