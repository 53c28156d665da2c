"""The notifier resource's answers only the API gives (deliveries and subscriptions are the store's views)."""

from __future__ import annotations

from typing import Any


def deleted_view(webhook_id: str) -> dict[str, Any]:
    return {"status": "deleted", "webhook": webhook_id}
