"""`DialerRecords`, the dialer's record as the composition root wires it: the `LeadStore` and `Campaigns` ports
(vssd/actors/dialer_ports.py) over the dialer's tables — leads (store_leads.py), campaign rows
(store_campaigns.py), dead letters (store_dead_letters.py), the DNC list (store_dnc.py) — and the operators
(users with role operator — those without an extension cannot go online —, mirrored into `operators` so
statuses and dispositions have a row: store_operators.py)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from vssd.adapters.store import Store
from vssd.adapters.store_campaigns import StoreCampaigns
from vssd.adapters.store_dead_letters import StoreDeadLetters
from vssd.adapters.store_dnc import StoreDnc
from vssd.adapters.store_leads import StoreLeads
from vssd.adapters.store_operators import UTC_MIDNIGHT, StoreOperators

_OPERATOR_USERS = f"""
SELECT u.id::text AS id, u.id::text AS user_id, coalesce(nullif(u.name, ''), u.username) AS name, u.extension,
       u.group_id, coalesce(o.status, 'offline') AS status,
       (SELECT count(*) FROM dial_attempts a
        WHERE a.operator_id = u.id::text AND a.reserved_at >= {UTC_MIDNIGHT}) AS calls_today
FROM users u LEFT JOIN operators o ON o.user_id = u.id
WHERE u.role = 'operator' AND u.is_active ORDER BY u.extension NULLS LAST, u.username
"""


class DialerRecords(StoreLeads):
    """`StoreLeads` (the LeadStore and Campaigns ports) plus the operators keyed by user id (what the API's
    own-rule compares; `StoreLeads.operator_rows` keys them by the operators table's id) and the gate's history."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.campaigns = StoreCampaigns(store)
        self.dead = StoreDeadLetters(store)
        self.operators = StoreOperators(store)

    async def pending_count(self, campaign_id: str) -> int:
        """Leads of the campaign not in a final state."""
        return int(await self.store.run("fetchval",
            "SELECT count(*) FROM autodialer_leads WHERE campaign_id = $1 "
            "AND status IN ('pending', 'queued', 'dialing', 'retry')", campaign_id))

    async def current_period(self, campaign_id: str, period_days: float = 30) -> dict[str, Any] | None:
        """The compliance period in progress (the ledger's last), start as unix seconds; None before any attempt."""
        periods = await self.campaigns.ledger(campaign_id, period_days)
        if not periods:
            return None
        last = periods[-1]
        return {"started_at": last["period_start"].timestamp(), "answered": int(last["answered"]),
                "abandoned": int(last["abandoned"])}

    async def dialable_count(self, campaign_id: str) -> int:
        """Leads of the campaign waiting to be dialled now (pending or queued; not those waiting for a retry)."""
        return int(await self.store.run("fetchval",
            "SELECT count(*) FROM autodialer_leads WHERE campaign_id = $1 AND status IN ('pending', 'queued')",
            campaign_id))

    async def complete(self, campaign_id: str) -> None:
        await self.campaigns.set_status(campaign_id, "completed", only_from=("running",))

    async def operator_rows(self) -> list[dict[str, Any]]:
        """Operators keyed by user id (what the API's own-rule compares), each mirrored into `operators`."""
        rows = [dict(r) for r in await self.store.run("fetch", _OPERATOR_USERS)]
        for row in rows:
            await self.operators.upsert(row["user_id"], row["extension"], group_id=row.get("group_id"))
        return rows

    async def by_user(self, user_id: str) -> dict[str, Any] | None:
        return await self.operators.by_user(user_id)

    async def operator_stats(self, user_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        return await self.operators.stats(user_id, since, until)

    async def set_status(self, operator_id: str, status: str) -> dict[str, Any]:
        return await self.operators.set_status(operator_id, status)

    async def add_disposition(self, attempt_id: str | None, lead_id: int | None, operator_id: str | None,
                              code: str, notes: str = "") -> dict[str, Any]:
        """`StoreOperators.add_disposition` by the operator's user id (a `dnc` row carries its `number`)."""
        op = await self.operators.by_user(operator_id) if operator_id else None
        return await self.operators.add_disposition(attempt_id, lead_id, str(op["id"]) if op else None, code, notes)

    async def gate_history(self, days: float = 32.0) -> tuple[set[str], list[dict[str, Any]]]:
        """What the dial gate rebuilds from at start: the DNC list and the attempts of the last `days`."""
        rows = await self.attempts_since(time.time() - days * 86400)
        ended = sorted((r["ended_at"], n) for n, r in enumerate(rows) if r["ended_at"] is not None)
        order = {n: seq for seq, (_, n) in enumerate(ended)}  # outcomes in the order they arrived
        attempts = [{"number": r["number"], "sim_key": r["sim_key"], "slot_id": r["slot_id"], "at": r["reserved_at"],
                     "outcome": r["outcome"], "talk_s": r["talk_s"], "seq": order.get(n)} for n, r in enumerate(rows)]
        return await StoreDnc(self.store).all_numbers(), attempts
