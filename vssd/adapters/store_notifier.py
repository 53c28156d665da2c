"""The notifier's tables (migration 0010): deliveries and webhook subscriptions, and the users a notification is
for. Deliveries are written in bulk (COPY for new ones, one UPDATE over unnest for a round's results).

Refused writes raise `ValueError(code, message)`; a missing webhook is `None` from the getter and `LookupError`
from the writers; everything else is a `StoreError` (`raise … from err`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from vssd.adapters.store import Store
from vssd.adapters.store_errors import translate
from vssd.notifier.model import PENDING, Delivery, Recipient, Webhook

__all__ = ["StoreNotifier"]

_COLUMNS = ("id", "notification_id", "channel", "recipient", "event", "webhook_id", "title", "body", "state",
            "attempts", "last_error", "next_attempt_at", "sent_at", "created_by", "created_at", "updated_at")
_HISTORY = ("SELECT id, notification_id, channel, recipient, event, webhook_id, title, state, attempts, last_error, "
            "next_attempt_at, sent_at, created_by, created_at, updated_at FROM notifier_deliveries")
_FILTERS = {"state": "state", "channel": "channel", "event": "event", "recipient": "recipient",
            "notification_id": "notification_id", "webhook_id": "webhook_id"}
_HOOK = "SELECT id, url, events::text AS events, description, active, created_by, created_at, updated_at " \
        "FROM notifier_webhooks"
_SAVE = """
UPDATE notifier_deliveries d SET state = u.state, attempts = u.attempts, last_error = u.last_error,
       next_attempt_at = u.next_at, sent_at = u.sent_at, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[])
     AS u(id, state, attempts, last_error, next_at, sent_at)
WHERE d.id = u.id
"""


def _text(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: it becomes U+FFFD (as the dialer's rows do), never a failed write."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _iso(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _hook_view(row: asyncpg.Record) -> dict[str, Any]:
    view = _iso(dict(row))
    view["events"] = orjson.loads(view["events"])
    return view


class StoreNotifier:
    """`DeliveryRows`, `WebhookRows` and `Recipients` of vssd.notifier.ports over the store's pool."""

    def __init__(self, store: Store) -> None:
        self.pool = store.pool

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        try:
            return await getattr(self.pool, method)(sql, *map(_text, args))
        except asyncpg.CheckViolationError as err:
            raise ValueError("INVALID_PARAMS", str(err).splitlines()[0]) from err
        except Exception as err:
            raise translate(err, "notifier query") from err

    # ---- deliveries -------------------------------------------------------------------------------------------
    async def insert_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        records = [tuple(map(_text, r)) for r in self._records(deliveries)]
        try:
            async with self.pool.acquire() as conn:
                await conn.copy_records_to_table("notifier_deliveries", records=records, columns=_COLUMNS)
        except Exception as err:
            raise translate(err, "writing deliveries") from err

    @staticmethod
    def _records(deliveries: Sequence[Delivery]) -> list[tuple[Any, ...]]:
        now = datetime.now(UTC)
        return [(d.id, d.notification_id, d.channel, d.recipient, d.event, d.webhook_id, d.title, d.body,
                    d.state, d.attempts, d.last_error, _at(d.next_attempt_at), _at(d.sent_at), d.created_by,
                    _at(d.created_at) or now, now) for d in deliveries]

    async def save_results(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            await self._run("execute", _SAVE, [d.id for d in deliveries], [d.state for d in deliveries],
                            [d.attempts for d in deliveries], [d.last_error for d in deliveries],
                            [_at(d.next_attempt_at) for d in deliveries], [_at(d.sent_at) for d in deliveries])

    async def pending_deliveries(self) -> list[Delivery]:
        rows = await self._run("fetch", "SELECT * FROM notifier_deliveries WHERE state = ANY($1::text[]) "
                                        "ORDER BY next_attempt_at NULLS FIRST, created_at", list(PENDING))
        return [Delivery(id=r["id"], channel=r["channel"], recipient=r["recipient"], event=r["event"],
                         body=r["body"], notification_id=r["notification_id"], webhook_id=r["webhook_id"],
                         title=r["title"], state=r["state"], attempts=r["attempts"], last_error=r["last_error"],
                         next_attempt_at=_epoch(r["next_attempt_at"]), created_by=r["created_by"],
                         created_at=_epoch(r["created_at"])) for r in rows]

    async def history(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        where, args = [], []
        for key, column in _FILTERS.items():
            if filters.get(key):
                args.append(filters[key])
                where.append(f"{column} = ${len(args)}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = await self._run("fetchval", f"SELECT count(*) FROM notifier_deliveries{clause}", *args)
        rows = await self._run("fetch", f"{_HISTORY}{clause} ORDER BY created_at DESC, id "
                                        f"LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}", *args, limit, offset)
        return [_iso(dict(r)) for r in rows], int(total)

    # ---- webhooks ---------------------------------------------------------------------------------------------
    async def webhooks(self) -> list[Webhook]:
        rows = await self._run("fetch", "SELECT id, url, events::text AS events, secret, active, description "
                                        "FROM notifier_webhooks")
        return [Webhook(id=r["id"], url=r["url"], events=tuple(orjson.loads(r["events"])), secret=r["secret"],
                        active=r["active"], description=r["description"]) for r in rows]

    async def list_webhooks(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        total = await self._run("fetchval", "SELECT count(*) FROM notifier_webhooks")
        rows = await self._run("fetch", f"{_HOOK} ORDER BY created_at, id LIMIT $1 OFFSET $2", limit, offset)
        return [_hook_view(r) for r in rows], int(total)

    async def get_webhook(self, webhook_id: str) -> dict[str, Any] | None:
        rows = await self._run("fetch", f"{_HOOK} WHERE id = $1", webhook_id)
        return _hook_view(rows[0]) if rows else None

    async def create_webhook(self, fields: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        webhook_id = await self._run(
            "fetchval", "INSERT INTO notifier_webhooks (url, events, secret, description, active, created_by) "
                        "VALUES ($1, $2::jsonb, $3, $4, $5, $6) RETURNING id",
            fields["url"], orjson.dumps(list(fields["events"])).decode(), fields["secret"],
            fields.get("description", ""), fields.get("active", True), by)
        view = await self.get_webhook(webhook_id)
        assert view is not None
        return view

    async def update_webhook(self, webhook_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        sets, args = [], []
        for key in ("url", "events", "secret", "description", "active"):
            if key in fields:
                value = orjson.dumps(list(fields[key])).decode() if key == "events" else fields[key]
                args.append(value)
                sets.append(f"{key} = ${len(args)}{'::jsonb' if key == 'events' else ''}")
        args.append(webhook_id)
        changed = ", ".join([*sets, "updated_at = now()"])
        found = await self._run("fetchval", f"UPDATE notifier_webhooks SET {changed} WHERE id = ${len(args)} "
                                            "RETURNING id", *args)
        if found is None:
            raise LookupError(webhook_id)
        view = await self.get_webhook(webhook_id)
        assert view is not None
        return view

    async def delete_webhook(self, webhook_id: str) -> None:
        found = await self._run("fetchval", "DELETE FROM notifier_webhooks WHERE id = $1 RETURNING id", webhook_id)
        if found is None:
            raise LookupError(webhook_id)

    # ---- recipients -------------------------------------------------------------------------------------------
    async def recipients(self, *, user: str | None = None, role: str | None = None) -> list[Recipient]:
        if user:
            rows = await self._run("fetch", "SELECT id::text AS id, username, email FROM users WHERE is_active "
                                            "AND (id::text = $1 OR lower(username) = lower($1))", user)
        else:
            rows = await self._run("fetch", "SELECT id::text AS id, username, email FROM users WHERE is_active "
                                            "AND role = $1 ORDER BY username", role)
        return [Recipient(id=r["id"], username=r["username"], email=r["email"]) for r in rows]
