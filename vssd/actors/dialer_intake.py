"""The dialer's lead intake: campaigns loaded and followed (the API's run/pause/resume/stop), pending leads
published to the broker, lead messages into a campaign's hopper, dead letters recorded; the lead message
format (`lead_body`, `parse_lead`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from vssd.actors.dialer_ports import Delivery
from vssd.actors.dialer_state import DialerState, Run
from vssd.actors.pacing import Pacer
from vssd.calls.campaign import CampaignSettings, DeadLetterLike, abandon_cap
from vssd.events import CampaignUpdate

log = logging.getLogger("vssd.dialer")


class LeadIntake(DialerState):
    async def load_campaigns(self) -> None:
        for row in await self.campaigns.running_campaigns():
            await self._restore_period(self._load(row))

    async def _restore_period(self, run: Run) -> None:
        """The abandon cap is per campaign and 30-day period: a restarted daemon continues the period's counts."""
        period = await self.campaigns.current_period(run.id, float(run.policy.period_days))
        if period is not None:
            run.pacer.set_period(self.clock.now(), started_at=float(period["started_at"]),
                                 answered=int(period["answered"]), abandoned=int(period["abandoned"]))

    async def _republish_queued(self, campaign_id: str, batch: int = 200) -> None:
        """Leads the store says are queued are published again at start: the in-process broker lost its messages
        with the last process, and a crash between `take_pending` and the broker's confirm leaves queued leads
        RabbitMQ never got. A duplicate message is dropped at reservation (its lead is no longer queued); at worst
        a duplicate that outlives its lead's next `retry → queued` brings that retry forward — never a second
        live call (the gate's per-number lock) and never past the lead's attempts."""
        after = 0
        while rows := await self.campaigns.queued_for(campaign_id, batch, after):
            await self.bus.publish_leads([(str(r["id"]), lead_body(r, campaign_id)) for r in rows])
            after = int(rows[-1]["id"])

    def _load(self, row: Mapping[str, Any]) -> Run:
        settings = CampaignSettings.model_validate(row.get("settings") or {})
        policy = self.policy_for(settings)
        run = self.runs.get(str(row["id"]))
        if run is None or (run.settings.mode, run.settings.ratio, run.policy) != (settings.mode, settings.ratio,
                                                                                   policy):
            pacer = Pacer(settings.mode, ratio=settings.ratio, abandon_cap=abandon_cap(policy),
                          connect_within_s=policy.connect_within_s)
            if run is None:
                run = self.runs[str(row["id"])] = Run(str(row["id"]), settings, pacer, policy)
            run.pacer = pacer
        run.settings, run.policy = settings, policy
        run.status = str(row.get("status") or "running")
        return run

    # ---- campaign control (the API calls these) ------------------------------------------------------------
    async def campaign_changed(self, campaign_id: str) -> None:
        """The campaign's row changed (run, pause, resume, stop): follow it, publish what became dialable."""
        row = await self.campaigns.get_campaign(campaign_id)
        if row is None:
            self.runs.pop(campaign_id, None)
            return
        fresh = campaign_id not in self.runs
        run = self._load(row)
        if fresh:
            await self._restore_period(run)
        if run.status == "running":
            await self._publish_or_later(campaign_id)
        else:
            await self._drain_hopper(run)
        self.events.emit(CampaignUpdate(campaign_id=campaign_id, status=run.status))
        self.wake()

    async def publish_pending(self, campaign_id: str, batch: int = 200) -> int:
        """Pending leads → queued, published with confirms. A failed publish puts its batch back to pending."""
        sent = 0
        while True:
            rows = await self.campaigns.take_pending(campaign_id, batch)
            if not rows:
                return sent
            messages = [(str(r["id"]), lead_body(r, campaign_id)) for r in rows]
            try:
                await self.bus.publish_leads(messages)
            except Exception:
                await self.campaigns.unqueue([int(r["id"]) for r in rows])
                raise
            sent += len(rows)

    async def _publish_or_later(self, campaign_id: str) -> None:
        """Publish what is pending; a broker that is down now leaves the leads pending for the retry loop's
        periodic sweep (`PENDING_SWEEP_S`), so a run is never refused for it."""
        try:
            await self.publish_pending(campaign_id)
        except Exception as err:
            log.warning("campaign %s: leads stay pending until the broker takes them (%s)", campaign_id, err)

    def preview(self, campaign_id: str) -> list[dict[str, Any]]:
        """Preview mode: the leads held for dialing, next first, for an operator to look at before confirming."""
        run = self.runs.get(campaign_id)
        return [] if run is None else [dict(msg) for _, msg in run.hopper]

    def confirm_preview(self, campaign_id: str, count: int = 1) -> int:
        """Preview mode: an operator confirms the next call(s); returns the confirmations waiting."""
        run = self.runs.get(campaign_id)
        if run is None or run.status != "running":
            raise LookupError(campaign_id)
        if run.settings.mode != "preview":
            raise ValueError("CONFLICT", f"campaign {campaign_id} dials in {run.settings.mode} mode, not preview")
        run.confirmed = min(run.confirmed + count, len(run.hopper))
        self.wake()
        return run.confirmed

    async def publish_requeued(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Leads an admin requeued (already `queued` in the store) onto the broker."""
        await self.bus.publish_leads([(str(r["id"]), lead_body(r, str(r["campaign_id"]))) for r in rows])

    async def _drain_hopper(self, run: Run) -> None:
        """A paused/stopped campaign: its held messages go back to pending (and are acked)."""
        while run.hopper:
            delivery, msg = run.hopper.popleft()
            await self.campaigns.unqueue([int(msg["lead_id"])])
            await delivery.ack()

    # ---- intake ----------------------------------------------------------------------------------------------
    async def _on_lead(self, delivery: Delivery) -> None:
        try:
            msg = parse_lead(delivery.body)
        except ValueError as err:
            self.counters.poison += 1
            log.warning("poison lead message %s: %s", delivery.message_id, err)
            await delivery.dead_letter(f"poison: {err}")
            return
        run = self.runs.get(msg["campaign_id"])
        if run is None:
            row = await self.campaigns.get_campaign(msg["campaign_id"])
            run = self._load(row) if row is not None else None
        if run is None or run.status != "running":
            await self.campaigns.unqueue([msg["lead_id"]])
            await delivery.ack()
            return
        run.hopper.append((delivery, msg))
        self.wake()

    async def _on_dead_letter(self, letter: DeadLetterLike) -> None:
        lead_id = None
        with contextlib.suppress(ValueError):
            lead_id = parse_lead(letter.body)["lead_id"]
        await self.campaigns.add_dead_letter(letter, lead_id)
        log.info("dead letter from %s: %s (lead %s)", letter.queue, letter.reason, lead_id)


def lead_body(row: Mapping[str, Any], campaign_id: str) -> bytes:
    body = {"lead_id": int(row["id"]), "campaign_id": campaign_id}
    for key in ("phone", "name", "tz"):
        if row.get(key) is not None:
            body[key] = row[key]
    return orjson.dumps(body)


def parse_lead(body: bytes) -> dict[str, Any]:
    try:
        msg = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err}") from err
    if not isinstance(msg, dict):
        raise ValueError("not a JSON object")
    lead_id, campaign_id = msg.get("lead_id"), msg.get("campaign_id")
    if not isinstance(lead_id, int) or isinstance(lead_id, bool) or not isinstance(campaign_id, str):
        raise ValueError("lead_id (integer) and campaign_id (string) are required")
    msg.setdefault("phone", "")
    return msg
