"""Dead letters in PostgreSQL (`StoreDeadLetters`, table `dead_letters` of `migrations/0002_dialer.sql`):
messages that reached the dead-letter queue, with their reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from vssd.adapters.store import Store
from vssd.adapters.store_dialer_sql import OWNED_BY, filters_where, in_transaction, jsonb_text, no_nul, page_of

_DEAD_COLUMNS = "id, queue, reason, message_id, lead_id, campaign_id, body, headers::text AS headers, created_at"
_ADD_DEAD = """
INSERT INTO dead_letters (queue, reason, message_id, lead_id, campaign_id, body, headers)
SELECT $1, $2, $3, $4, (SELECT campaign_id FROM autodialer_leads WHERE id = $4), $5, $6::jsonb
ON CONFLICT (message_id, reason) WHERE message_id IS NOT NULL DO NOTHING
RETURNING id
"""


class StoreDeadLetters:
    """Messages that reached the dead-letter queue, kept with their reason for the API."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, queue: str, reason: str, message_id: str | None, lead_id: int | None,
                  body: bytes | str, headers: Mapping[str, Any] | None = None) -> int | None:
        """Store one dead letter; returns its id, or None when this message id already reached the DLQ with
        this reason (a redelivery). Reason `expired` also makes its lead, if still queued, `expired` in the
        same transaction."""
        text = no_nul(body)  # PostgreSQL text cannot hold NUL; a poison body may

        async def insert(conn: asyncpg.Connection) -> int | None:
            dead_id = await conn.fetchval(_ADD_DEAD, queue, reason, message_id, lead_id, text,
                                          jsonb_text(dict(headers or {})))
            if dead_id is not None and reason == "expired" and lead_id is not None:
                await conn.execute(
                    "UPDATE autodialer_leads SET status = 'expired', final_reason = 'expired', updated_at = now() "
                    "WHERE id = $1 AND status = 'queued'", lead_id)
            return dead_id
        return await in_transaction(self.store, insert, "storing a dead letter")

    async def list(self, limit: int = 50, offset: int = 0, reason: str | None = None,
                   campaign_id: str | None = None, created_by: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the total; `created_by` keeps the dead letters of that user's campaigns."""
        where, args = filters_where({"reason": reason, "campaign_id": campaign_id, "created_by": created_by},
                                    {"reason": "reason = {}", "campaign_id": "campaign_id = {}",
                                     "created_by": OWNED_BY})
        return await page_of(self.store, _DEAD_COLUMNS, "dead_letters", where, args, "created_at DESC, id DESC",
                           limit, offset, "headers")
