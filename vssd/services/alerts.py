"""The alerts service: every `system.alert` stored (`system_alerts`) under the id its payload carries, and the
API's `AlertDesk` (list, acknowledge once, publish `system.alert.acknowledged`).

The recorder reads a dispatcher subscription made when the service is built, so alerts raised while the later
stages start are kept too. Overflow policy: the subscription is bounded (`queue` alerts, default 1024); past it
the OLDEST unrecorded alert is dropped and counted (`Subscription.dropped`, logged with each later write) —
the emitter is never slowed. An alert whose INSERT fails (the database is away) is logged and lost: alerts
are a person's to-do list, not a ledger, and a database that is away is itself on the readiness page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.actors.loops import Loops
from vssd.adapters.store_alerts import StoreAlerts
from vssd.adapters.store_errors import StoreError
from vssd.events import EventDispatcher, SystemAlertAcknowledged
from vssd.log import get_logger
from vssd.services.store import StoreService

log = get_logger("vssd.alerts")
LOOP = "alert-recorder"


class AlertBook:
    """`vssd.api.ports.AlertDesk` over the stored alerts; `clock` is wall-clock epoch seconds."""

    def __init__(self, rows: StoreAlerts, events: EventDispatcher, clock: Callable[[], float] = time.time) -> None:
        self.rows, self.events, self.clock = rows, events, clock

    async def list_alerts(self, limit: int, offset: int,
                          filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        return await self.rows.list_alerts(limit, offset, filters)

    async def acknowledge(self, alert_id: str, by: str | None) -> dict[str, Any]:
        view, first = await self.rows.acknowledge(alert_id, by, datetime.fromtimestamp(self.clock(), UTC))
        if first:
            self.events.emit(SystemAlertAcknowledged(id=view["id"], acknowledged_at=view["acknowledged_at"],
                                                     acknowledged_by=view["acknowledged_by"]))
        return view


class AlertsService:
    name = "alerts"

    def __init__(self, stores: StoreService, events: EventDispatcher, loops: Loops, *, queue: int = 1024) -> None:
        self.stores, self.events, self.loops = stores, events, loops
        self.subscription = events.subscribe(["system.alert"], maxsize=queue)
        self.book: AlertBook | None = None
        self.recorded = 0

    async def start(self) -> None:
        rows = StoreAlerts(self.stores.store)
        self.book = AlertBook(rows, self.events)
        self.loops.start(LOOP, lambda: self._record(rows))

    async def stop(self) -> None:
        await self.loops.remove(LOOP)
        self.subscription.close()

    def health(self) -> bool:
        return self.book is not None and LOOP not in self.loops.faulted

    async def _record(self, rows: StoreAlerts) -> None:
        while True:
            item = await self.subscription.get()
            try:
                await rows.record(item.data)
                self.recorded += 1
            except StoreError as err:
                log.warning("alert.not_stored", alert=dict(item.data), error=str(err),
                            dropped=self.subscription.dropped)
