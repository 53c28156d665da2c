"""Reconcile: the slots from the store (and the plan), line state and live calls from the PBX. Attempts a previous
run left open are adopted when the PBX still has their channel, else they become `unknown` (never redialled)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vssd.actors.slot import SlotSpec
from vssd.adapters.ami_calls import AGENT_CONTEXT, CallPump
from vssd.adapters.store import Store
from vssd.adapters.store_hubs import claim_hub_number
from vssd.adapters.store_leads import StoreLeads
from vssd.calls.model import Attempt, Call
from vssd.services.calls import CallRouter
from vssd.services.store import StoreService

log = logging.getLogger("vssd.app")


@dataclass(slots=True)
class SlotPlan:
    """A slot the daemon should own: from the store, or seeded by the demo."""

    endpoint: str
    type: str
    device_serial: str | None = None
    device_model: str = ""
    enroll_trunk: str | None = None  # enrolled at start when set


@dataclass
class Reconciled:
    """What the later services start from."""

    specs: list[tuple[SlotSpec, SlotPlan]] = field(default_factory=list)
    endpoint_rows: list[Any] = field(default_factory=list)
    adopted: dict[str, tuple[dict[str, Any], Call]] = field(default_factory=dict)  # reserved attempts still live


class Reconciler:
    name = "reconcile"

    def __init__(self, stores: StoreService, pump: CallPump, router: CallRouter, plan: list[SlotPlan], *,
                 hub_id: str, hub_number: int) -> None:
        self.stores, self.pump, self.router, self.plan = stores, pump, router, plan
        self.hub_id, self.hub_number = hub_id, hub_number
        self.result = Reconciled()

    async def start(self) -> None:
        store, out = self.stores.store, self.result
        await claim_hub_number(store, self.hub_id, self.hub_number)  # before any call id of this hub is used
        for plan in self.plan:
            await store.upsert_slot(internal_sip_number=plan.endpoint, type=plan.type, device_id=plan.device_serial)
        plans = {p.endpoint: p for p in self.plan}
        for row in await store.list_slots():
            plan = plans.get(row["internal_sip_number"]) or SlotPlan(row["internal_sip_number"], row["type"],
                                                                     row.get("device_id"))
            spec = SlotSpec(slot_id=str(row["id"]), type=row["type"], endpoint=plan.endpoint,
                            device_serial=row.get("device_id"), device_model=plan.device_model)
            if plan.enroll_trunk is None and _was_enrolled(row):
                plan = SlotPlan(plan.endpoint, plan.type, plan.device_serial, plan.device_model,
                                enroll_trunk=str(row["trunk_id"]))
            out.specs.append((spec, plan))
        out.endpoint_rows = await self.pump.endpoints()
        live = await self.pump.live_channels()
        await self._hang_up_stale_lines(live)
        await self._resolve_unfinished(store, live)

    async def stop(self) -> None:
        return None

    def health(self) -> bool:
        return True

    async def _hang_up_stale_lines(self, live: Mapping[str, Mapping[str, str]]) -> None:
        """Operators' lines a previous run left waiting in `vssd-agent`: nobody follows them now; operators who
        stay logged in get fresh ones when the dialer starts."""
        for row in live.values():
            if row.get("context") == AGENT_CONTEXT and row.get("channel"):
                with contextlib.suppress(Exception):
                    await self.pump.hangup(row["channel"])

    async def _resolve_unfinished(self, store: Store, live: Mapping[str, Mapping[str, str]]) -> None:
        """Call records without an end and dial attempts still `reserved`: adopted if the PBX still has their
        channel (`live`: Status rows by Uniqueid), else `unknown`."""
        calls = {r["attempt_id"]: r for r in await store.unfinished_calls() if r.get("channel_id")}
        reserved = {r["attempt_id"]: r for r in await StoreLeads(store).open_attempts()}
        if not calls and not reserved:
            return
        tracker = self.pump.tracker
        for attempt_id in {*calls, *reserved}:
            row = calls.get(attempt_id) or reserved[attempt_id]
            endpoint = next((p.endpoint for s, p in self.result.specs if s.slot_id == str(row.get("slot_id"))), "")
            tracker.expect_originate(Attempt(action_id=attempt_id, channel_id=row.get("channel_id")
                                             or f"{attempt_id}-1", other_channel_id=f"{attempt_id}-2",
                                             number=row["number"], endpoint=endpoint))
        tracker.resync(live, restarted=False)
        still_open = {c.call_id: c for c in tracker.open_calls()}
        for attempt_id in calls.keys() - still_open.keys():
            store.writer.submit_call(attempt_id, status="ENDED", outcome="unknown", ended_at=time.time(),
                                     notes="left open by a previous run; the PBX no longer knows it")
        gone = [a for a in reserved if a not in still_open]
        if gone:
            await StoreLeads(store).mark_unknown(gone)
        self.result.adopted = {a: (reserved[a], still_open[a]) for a in reserved if a in still_open}
        self.router.adopted = set(self.result.adopted)
        log.info("reconciled %d unfinished call(s) and %d reserved attempt(s): %d still live, %d unknown",
                 len(calls), len(reserved), len(still_open), len(gone))


def _was_enrolled(row: Mapping[str, Any]) -> bool:
    """An admin enrolled this slot and did not disable it since (the API marks it ASSIGNED in the store): a
    restarted daemon brings it up again on its trunk."""
    return bool(row.get("enabled")) and row.get("trunk_id") is not None and row.get("fsm_state") not in (None, "IDLE")
