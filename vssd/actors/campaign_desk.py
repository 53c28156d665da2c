"""The autodialer and operators as the API sees them: the `AutodialerDesk` and `OperatorDesk` ports of
`vssd/api/ports.py`, over the dialer, the operators' pool, the dial gate and the store.

Errors follow the ports' convention: LookupError → 404, ValueError(code, message) → 409/422.
Wiring (vssd/app.py): `CampaignDesk(dialer, operators, gate, campaigns, leads, dnc, dead_letters, operator_rows)`.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from vssd.actors.dialer import Dialer
from vssd.actors.operators import OperatorPool
from vssd.calls.campaign import CampaignSettings, abandon_cap, parse_leads
from vssd.calls.gate import DialGate, DialRefused, normalise
from vssd.calls.operator_stats import stats_view
from vssd.calls.periods import PERIODS, period_window
from vssd.views.campaigns import campaign_view

log = logging.getLogger("vssd.campaigns")
ACTIONS = {"run": ("running", ("draft", "paused", "stopped", "completed", "running")),
           "pause": ("paused", ("running",)), "resume": ("running", ("paused",)),
           "stop": ("stopped", ("running", "paused", "draft"))}
DISPOSITION_CODES = ("sale", "callback", "not_interested", "dnc", "wrong_number", "no_answer", "voicemail", "other")


class CampaignRows(Protocol):
    async def create(self, name: str, settings: Mapping[str, Any], slot_type: str | None = None,
                     created_by: str | None = None) -> dict[str, Any]: ...

    async def get(self, campaign_id: str) -> dict[str, Any] | None: ...

    async def list(self, limit: int = 50, offset: int = 0, status: str | None = None,
                   created_by: str | None = None) -> tuple[list[dict[str, Any]], int]: ...

    async def set_status(self, campaign_id: str, status: str,
                         only_from: Sequence[str] | None = None) -> dict[str, Any] | None: ...

    async def status_counts(self, campaign_id: str) -> dict[str, Any]: ...

    async def ledger(self, campaign_id: str, period_days: float = 30,
                     now: float | None = None) -> builtins.list[dict[str, Any]]: ...


class LeadRows(Protocol):
    async def add_leads(self, campaign_id: str, leads: Sequence[Mapping[str, Any]]) -> list[int]: ...

    async def list_leads(self, limit: int = 50, offset: int = 0,
                         filters: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]: ...

    async def get_lead(self, lead_id: int) -> dict[str, Any] | None: ...

    async def attempt_lead(self, attempt_id: str) -> dict[str, Any] | None: ...

    async def requeue_unknown(self, lead_id: int) -> dict[str, Any]: ...


class DncRows(Protocol):
    async def add(self, number_e164: str, source: str = "manual", reason: str = "",
                  created_by: str | None = None) -> dict[str, Any]: ...

    async def remove(self, number_e164: str) -> bool: ...

    async def list(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]: ...


class DeadLetterRows(Protocol):
    async def list(self, limit: int = 50, offset: int = 0, reason: str | None = None, campaign_id: str | None = None,
                   created_by: str | None = None) -> tuple[list[dict[str, Any]], int]: ...


class OperatorRows(Protocol):
    async def operator_rows(self) -> list[dict[str, Any]]: ...

    async def by_user(self, user_id: str) -> dict[str, Any] | None: ...

    async def set_status(self, operator_id: str, status: str) -> dict[str, Any]: ...

    async def add_disposition(self, attempt_id: str | None, lead_id: int | None, operator_id: str | None,
                              code: str, notes: str = "") -> dict[str, Any]: ...

    async def operator_stats(self, user_id: str, since: datetime, until: datetime) -> dict[str, Any]: ...


def settings_of(raw: Any) -> CampaignSettings:
    """ValueError("INVALID_PARAMS", …) naming the first bad key; the API validates with details first."""
    try:
        return CampaignSettings.model_validate(raw or {})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ValueError("INVALID_PARAMS", f"settings.{where}: {first['msg']}") from None


class CampaignDesk:
    def __init__(self, dialer: Dialer, operators: OperatorPool, gate: DialGate, campaigns: CampaignRows,
                 leads: LeadRows, dnc: DncRows, dead_letters: DeadLetterRows, operator_rows: OperatorRows) -> None:
        self.dialer, self.operators, self.gate = dialer, operators, gate
        self.campaigns, self.leads, self.dnc = campaigns, leads, dnc
        self.dead_letters, self.operator_rows = dead_letters, operator_rows
        self._reload_lock = asyncio.Lock()

    # ---- campaigns -----------------------------------------------------------------------------------------
    async def list_campaigns(self, limit: int, offset: int,
                             filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        """Filters `status`, `created_by` (a user id: that user's campaigns only)."""
        rows, total = await self.campaigns.list(limit, offset, filters.get("status") or None,
                                                filters.get("created_by") or None)
        return [campaign_view(r) for r in rows], total

    async def create_campaign(self, name: str, leads: list[Any] | None, settings: Mapping[str, Any],
                              created_by: str | None) -> dict[str, Any]:
        parsed = settings_of(settings)
        valid, rejected = parse_leads(leads or [], policy=self.dialer.policy_for(parsed))
        row = await self.campaigns.create(name, parsed.model_dump(mode="json"), parsed.slot_type, created_by)
        if valid:
            await self.leads.add_leads(str(row["id"]), valid)
        view = campaign_view(row)
        view.update(leads_total=len(valid), leads_rejected=rejected)
        return view

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        row = await self.campaigns.get(campaign_id)
        if row is None:
            raise LookupError(campaign_id)
        return {**campaign_view(row), **await self.campaigns.status_counts(campaign_id)}

    async def campaign_status(self, campaign_id: str) -> dict[str, Any]:
        view = await self.get_campaign(campaign_id)
        live = self.dialer.stats()["campaigns"].get(campaign_id, {})
        view.update(campaign_id=campaign_id, live_calls=live.get("live", 0),
                    dial_level=live.get("dial_level"), pacing=live or None)
        return view

    async def ledger(self, campaign_id: str, period_days: float = 30) -> dict[str, Any]:
        row = await self.campaigns.get(campaign_id)
        if row is None:
            raise LookupError(campaign_id)
        settings = settings_of(row.get("settings"))
        periods = await self.campaigns.ledger(campaign_id, period_days)
        cap = abandon_cap(self.dialer.policy_for(settings))
        for period in periods:
            period["violations"] = int(period["answered"] > 0 and period["abandon_rate"] > cap)
        return {"campaign_id": campaign_id, "policy": settings.policy, "abandon_cap": cap,
                "period_days": period_days, "periods": periods,
                "violations": sum(p["violations"] for p in periods)}

    async def set_campaign(self, campaign_id: str, action: str) -> dict[str, Any]:
        """run | pause | resume | stop — a compare-and-set on the stored status, then the dialer follows."""
        status, allowed = ACTIONS[action]
        row = await self.campaigns.set_status(campaign_id, status, only_from=allowed)
        if row is None:
            current = await self.campaigns.get(campaign_id)
            raise ValueError("CONFLICT", f"campaign {campaign_id} is {current and current['status']}: cannot {action}")
        await self.dialer.campaign_changed(campaign_id)
        return await self.campaign_status(campaign_id)

    async def run_campaign(self, campaign_id: str, leads: list[Any] | None, created_by: str | None) -> dict[str, Any]:
        """The WORKSPACE API's run-campaign: inline leads are added first."""
        row = await self.campaigns.get(campaign_id)
        if row is None:
            raise LookupError(campaign_id)
        rejected: list[dict[str, Any]] = []
        if leads:
            valid, rejected = parse_leads(leads, policy=self._policy_of(row))
            if valid:
                await self.leads.add_leads(campaign_id, valid)
        view = await self.set_campaign(campaign_id, "run")
        view["leads_rejected"] = rejected
        return view

    def _policy_of(self, row: Mapping[str, Any]) -> Any:
        """The compliance policy the dial gate will apply to this campaign's leads."""
        return self.dialer.policy_for(settings_of(row.get("settings")))

    async def preview(self, campaign_id: str) -> dict[str, Any]:
        if await self.campaigns.get(campaign_id) is None:
            raise LookupError(campaign_id)
        return {"campaign_id": campaign_id, "leads": self.dialer.preview(campaign_id)}

    async def confirm_preview(self, campaign_id: str, count: int) -> dict[str, Any]:
        return {"campaign_id": campaign_id, "confirmed": self.dialer.confirm_preview(campaign_id, count)}

    # ---- leads -----------------------------------------------------------------------------------------------
    async def import_leads(self, campaign_id: str, leads: list[Any]) -> dict[str, Any]:
        row = await self.campaigns.get(campaign_id)
        if row is None:
            raise LookupError(campaign_id)
        valid, rejected = parse_leads(leads, policy=self._policy_of(row))
        ids = await self.leads.add_leads(campaign_id, valid) if valid else []
        if row["status"] == "running":
            await self.dialer.campaign_changed(campaign_id)
        return {"campaign_id": campaign_id, "imported": len(ids), "rejected": rejected}

    async def push_crm_leads(self, campaign_id: str, leads: Sequence[tuple[str, Mapping[str, Any]]],
                             actor_id: str | None) -> dict[str, Any]:
        """CRM leads (id, `{phone, name, data}`) into a campaign by the import's own path (`parse_leads`: the dial
        gate's validity rule; the gate's DNC and caps at dial time): `{campaign_id, imported: [{crm_lead_id,
        lead_id}], rejected: [{crm_lead_id, reason, message, phone}]}`."""
        row = await self.campaigns.get(campaign_id)
        if row is None:
            raise LookupError(campaign_id)
        valid, rejected = parse_leads([dict(item) for _, item in leads], policy=self._policy_of(row))
        refused = {r["index"] for r in rejected}
        kept = [crm_id for index, (crm_id, _) in enumerate(leads) if index not in refused]
        rows = [{**lead, "crm_lead_id": crm_id, "crm_actor_id": actor_id} for lead, crm_id in zip(valid, kept,
                                                                                               strict=True)]
        ids = await self.leads.add_leads(campaign_id, rows) if rows else []
        if ids and row["status"] == "running":
            await self.dialer.campaign_changed(campaign_id)
        return {"campaign_id": campaign_id,
                "imported": [{"crm_lead_id": c, "lead_id": i} for c, i in zip(kept, ids, strict=True)],
                "rejected": [{**r, "crm_lead_id": leads[r["index"]][0]} for r in rejected]}

    async def list_leads(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        return await self.leads.list_leads(limit, offset, dict(filters))

    async def call_lead(self, call_id: str) -> dict[str, Any]:
        """The lead a campaign call dials and the operator it was bridged to: `{call_id, operator_id, lead}` (the
        live attempt's first, else the stored one's); LookupError for a call no campaign placed."""
        live = self.dialer.live.get(call_id)
        if live is not None:
            lead_id: int | None = live.lead_id
            operator_id = live.operator.id if live.operator else (live.call.operator_id if live.call else None)
        else:
            attempt = await self.leads.attempt_lead(call_id)
            if attempt is None:
                raise LookupError(call_id)
            lead_id, operator_id = attempt["lead_id"], attempt["operator_id"]
        lead = await self.leads.get_lead(int(lead_id)) if lead_id is not None else None
        if lead is None:
            raise LookupError(call_id)
        return {"call_id": call_id, "operator_id": operator_id, "lead": lead}

    async def requeue_lead(self, lead_id: int) -> dict[str, Any]:
        """An admin sends an `unknown` lead back to the queue (never done automatically)."""
        row = await self.leads.requeue_unknown(lead_id)
        campaign = await self.campaigns.get(str(row["campaign_id"]))
        if campaign is not None and campaign["status"] == "running":
            await self.dialer.publish_requeued([row])
        return row

    # ---- DNC -------------------------------------------------------------------------------------------------
    async def list_dnc(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        return await self.dnc.list(limit, offset)

    async def add_dnc(self, number: str, reason: str, created_by: str | None) -> dict[str, Any]:
        key = _e164(number)
        row = await self.dnc.add(key, "manual", reason, created_by)
        self.gate.dnc_add(key)
        return row

    async def remove_dnc(self, number: str) -> bool:
        key = _e164(number)
        removed = await self.dnc.remove(key)
        if not removed:
            raise LookupError(number)
        self.gate.dnc_remove(key)
        return True

    async def list_dead_letters(self, limit: int, offset: int,
                                filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        return await self.dead_letters.list(limit, offset, filters.get("reason"), filters.get("campaign_id"),
                                            filters.get("created_by"))

    # ---- operators -------------------------------------------------------------------------------------------
    def list_operators(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        views = self.operators.views()
        return [v for v in views if all(str(v.get(k)) == val for k, val in filters.items() if val)]

    async def set_operator_status(self, operator_id: str, status: str) -> dict[str, Any]:
        known = self.operators.operators.get(operator_id)
        if known is None or not known.extension:  # new, or an extension may have been given since
            await self._reload_operators()
        if operator_id not in self.operators.operators:
            raise LookupError(operator_id)
        try:
            op = await self.operators.set_status(operator_id, status)
        except ValueError as err:
            if len(err.args) >= 2:
                raise
            raise ValueError("INVALID_PARAMS", str(err)) from None
        row = await self.operator_rows.by_user(operator_id)
        if row is not None:
            await self.operator_rows.set_status(str(row["id"]), status)
        return op.view()

    async def _reload_operators(self) -> None:
        """One reload at a time: concurrent first logins would race on the operators' unique extensions."""
        async with self._reload_lock:
            self.operators.load(await self.operator_rows.operator_rows())

    async def operator_stats(self, operator_id: str, period: str = "today") -> dict[str, Any]:
        """The operator's figures for `period` from the store (vssd/calls/operator_stats.py), with their live
        status and current calls."""
        op = self.operators.operators.get(operator_id)
        if op is None:
            raise LookupError(operator_id)
        if period not in PERIODS:
            raise ValueError("INVALID_PARAMS", f"period must be one of {', '.join(PERIODS)}")
        since, until = period_window(period, self.operators.clock.now())
        stored = await self.operator_rows.operator_stats(operator_id, since, until)
        return {**stats_view(operator_id, period, since, until, stored), "status": op.status,
                "current_calls": int(op.attempt_id is not None)}

    async def add_disposition(self, call_id: str, code: str, notes: str, operator_id: str | None) -> dict[str, Any]:
        """An operator's disposition of a call; `dnc` also puts the number on the DNC list (and the gate)."""
        if code not in DISPOSITION_CODES:
            raise ValueError("INVALID_PARAMS", f"code must be one of {', '.join(DISPOSITION_CODES)}")
        row = await self.operator_rows.add_disposition(call_id, None, operator_id, code, notes)
        if code == "dnc" and row.get("number"):
            self.gate.dnc_add(str(row["number"]))
        return row


def _e164(number: str) -> str:
    try:
        return normalise(number)
    except DialRefused as err:
        raise ValueError("INVALID_PARAMS", err.message) from None
