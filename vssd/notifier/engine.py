"""The notifier's engine: every delivery (WebSocket, e-mail, webhook) from its creation to sent, failed or dead.

- Intake: a dispatcher listener (`on_event`, synchronous, never blocks) picks the events some webhook subscribes
  to, and `system.alert`s the alert rule wants, into a bounded queue of `queue_size` events. Overflow policy: when
  it is full the NEWEST event is refused and counted (`dropped`, logged) — the emitter is never slowed; what was
  accepted is persisted before its first attempt, and from then on it is at-least-once.
- Rounds (`step`): up to `batch` queued events become deliveries (one COPY), then up to `batch` due deliveries
  are attempted, `concurrency` at a time, and their results written in one UPDATE (the daemon's loop, `run`,
  overlaps the three: a round is attempted while the previous one's results are written). A failure is retried after
  an exponential delay with jitter (`backoff`); after `max_attempts` the delivery is dead; an error that says it
  is not retryable (a 4xx answer, a refused recipient) fails it at once.
- Restart: `load()` reads every queued or retrying delivery back (each at its stored next attempt time); a round
  whose results could not be written puts its deliveries back, so a send may repeat — never be lost.
- Time is the injected `clock` (epoch seconds); tests move it and call `step()`: no real time passes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vssd.events import Notification
from vssd.log import get_logger
from vssd.notifier.backoff import Rng, retry_delay
from vssd.notifier.bodies import (
    delivery_view,
    email_delivery,
    email_parts,
    new_id,
    webhook_delivery,
    websocket_delivery,
)
from vssd.notifier.model import DEAD, EMAIL, FAILED, RETRYING, SENT, SEVERITIES, WEBHOOK, Delivery, Webhook
from vssd.notifier.ports import DeliveryRows, EventSink, Mailer, Recipients, WebhookPoster, WebhookRows
from vssd.notifier.signing import signed_headers
from vssd.tasks import wait_event

log = get_logger("vssd.notifier")
Intake = tuple[str, Mapping[str, Any], tuple[Webhook, ...], bool]


class Permanent(Exception):
    """A delivery that no retry can make: the subscription is gone, e-mail is not configured…"""

    retryable = False


@dataclass(frozen=True, slots=True)
class Settings:
    max_attempts: int = 8
    retry_base_s: float = 2.0
    retry_cap_s: float = 600.0
    concurrency: int = 64
    batch: int = 256
    queue_size: int = 10_000
    alert_min_severity: str = "warning"
    alert_roles: tuple[str, ...] = ("admin",)
    alert_channels: tuple[str, ...] = ("websocket",)


def rank(severity: Any) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


class NotifierEngine:
    def __init__(self, rows: DeliveryRows, hooks: WebhookRows, recipients: Recipients, poster: WebhookPoster,
                 mailer: Mailer | None, events: EventSink, settings: Settings | None = None, *,
                 clock: Callable[[], float] = time.time, rng: Rng | None = None) -> None:
        self.rows, self.hooks, self.recipients, self.poster, self.mailer = rows, hooks, recipients, poster, mailer
        self.events, self.settings, self.clock = events, settings or Settings(), clock
        self.rng: Rng = rng or random.Random()
        self._intake: deque[Intake] = deque()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._by_event: dict[str, tuple[Webhook, ...]] = {}
        self._hooks: dict[str, Webhook] = {}
        self._wake = asyncio.Event()
        self.dropped = self.sent = self.failed = 0

    # ---- state from the store --------------------------------------------------------------------------------
    async def load(self) -> None:
        """Subscriptions, and every pending delivery at its stored time (a restart resumes them)."""
        await self.reload_webhooks()
        pending = await self.rows.pending_deliveries()
        self._heap = []
        self._push(pending)

    async def reload_webhooks(self) -> None:
        hooks = [h for h in await self.hooks.webhooks() if h.active]
        self._hooks = {h.id: h for h in hooks}
        by_event: dict[str, list[Webhook]] = {}
        for hook in hooks:
            for name in hook.events:
                by_event.setdefault(name, []).append(hook)
        self._by_event = {name: tuple(v) for name, v in by_event.items()}

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._intake)

    # ---- intake (the dispatcher's listener) --------------------------------------------------------------------
    def on_event(self, event: Any, payload: Mapping[str, Any]) -> None:
        name = type(event).name
        hooks = self._by_event.get(name, ())
        alert = name == "system.alert" and rank(payload.get("severity")) >= rank(self.settings.alert_min_severity)
        if not hooks and not alert:
            return
        if len(self._intake) >= self.settings.queue_size:
            self.dropped += 1
            log.warning("notifier.intake_full", event=name, dropped=self.dropped)
            return
        self._intake.append((name, payload, hooks, alert))
        self._wake.set()

    # ---- the loop ---------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """The supervised loop: resume from the store, then rounds until cancelled. Pipelined: a round's deliveries
        are attempted while the previous round's results are written and new events become deliveries (a crash
        restarts the loop, which reads the stored states back: nothing is lost, a send may repeat)."""
        await self.load()
        written: list[Delivery] = []
        while True:
            self._wake.clear()
            due = self._take_due()
            await asyncio.gather(self._take_intake(), self._attempt_all(due), self._settle(written))
            written = due
            if due or self._intake or self._due():
                continue
            await wait_event(self._wake, self._wait_s())

    async def step(self) -> int:
        """One round: queued events become deliveries, due deliveries are attempted; how many were attempted."""
        await self._take_intake()
        return await self.run_due()

    def _due(self) -> bool:
        return bool(self._heap) and self._heap[0][0] <= self.clock()

    def _wait_s(self) -> float | None:
        return max(0.0, self._heap[0][0] - self.clock()) if self._heap else None

    def _push(self, deliveries: Iterable[Delivery]) -> None:
        for d in deliveries:
            heapq.heappush(self._heap, (d.next_attempt_at or 0.0, next(self._seq), d))

    async def _take_intake(self) -> None:
        items = [self._intake.popleft() for _ in range(min(len(self._intake), self.settings.batch))]
        if not items:
            return
        now = self.clock()
        made = [webhook_delivery(h, name, payload, now) for name, payload, hooks, _ in items for h in hooks]
        try:
            await self.rows.insert_deliveries(made)
        except Exception:
            self._intake.extendleft(reversed(items))  # kept for the next round (the loop restarts)
            raise
        self._push(made)
        for _, payload, _, alert in items:
            if alert:
                await self._alert(payload)

    async def run_due(self) -> int:
        """Attempt the due deliveries (up to `batch`) and write their results; how many."""
        due = self._take_due()
        await self._attempt_all(due)
        await self._settle(due)
        return len(due)

    def _take_due(self) -> list[Delivery]:
        now, due = self.clock(), list[Delivery]()
        while self._heap and self._heap[0][0] <= now and len(due) < self.settings.batch:
            due.append(heapq.heappop(self._heap)[2])
        return due

    async def _attempt_all(self, due: list[Delivery]) -> None:
        if due:
            gate = asyncio.Semaphore(self.settings.concurrency)
            await asyncio.gather(*(self._attempt(d, gate) for d in due))

    async def _settle(self, done: list[Delivery]) -> None:
        """Write a round's results; the retrying ones go back into the schedule."""
        if not done:
            return
        try:
            await self.rows.save_results(done)
        except Exception:
            self._push(done)  # their stored state is the previous one: attempted again (at-least-once)
            raise
        self._push(d for d in done if d.state == RETRYING)

    # ---- one attempt --------------------------------------------------------------------------------------------
    async def _attempt(self, d: Delivery, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                await self._send_one(d)
            except Exception as err:
                self._failed(d, err)
                return
        d.state, d.attempts, d.sent_at = SENT, d.attempts + 1, self.clock()
        d.last_error, d.next_attempt_at = None, None
        self.sent += 1

    async def _send_one(self, d: Delivery) -> None:
        if d.channel == WEBHOOK:
            hook = self._hooks.get(d.webhook_id or "")
            if hook is None:
                raise Permanent("the webhook subscription was deleted or deactivated")
            body = d.body.encode()
            await self.poster.post(hook.url, body, signed_headers(hook.secret, d.id, d.event, int(self.clock()),
                                                                  body))
        elif d.channel == EMAIL:
            if self.mailer is None:
                raise Permanent("e-mail is not configured (notifier.smtp.enabled is false)")
            await self.mailer.send(*email_parts(d))
        else:
            raise Permanent(f"channel {d.channel} is not retried")

    def _failed(self, d: Delivery, err: Exception) -> None:
        d.attempts += 1
        d.last_error = f"{type(err).__name__}: {err}"[:500]
        if not getattr(err, "retryable", True):
            d.state, d.next_attempt_at = FAILED, None
        elif d.attempts >= self.settings.max_attempts:
            d.state, d.next_attempt_at = DEAD, None
        else:
            delay = retry_delay(d.attempts, self.settings.retry_base_s, self.settings.retry_cap_s, self.rng)
            d.state, d.next_attempt_at = RETRYING, self.clock() + delay
        if d.state != RETRYING:
            self.failed += 1
            log.warning("notifier.delivery_gave_up", delivery=d.id, channel=d.channel, state=d.state,
                        attempts=d.attempts, error=d.last_error)

    # ---- notifications ------------------------------------------------------------------------------------------
    async def send(self, request: Mapping[str, Any], by: str | None = None) -> dict[str, Any]:
        """A notification (validated by the API): to `user`, `role`, or `channel` (`email` with `address`, or
        `webhook`: the subscriptions of `notification`). Answers its id and its deliveries."""
        now, nid = self.clock(), new_id("ntf")
        channels = tuple(request.get("channels") or ("websocket",))
        people = []
        if request.get("user") or request.get("role"):
            people = await self.recipients.recipients(user=request.get("user"), role=request.get("role"))
            if not people and request.get("user"):
                raise ValueError("NOTIFIER_001", f"no active user {request['user']}")
        ws_users = [p for p in people] if "websocket" in channels else []
        payload = {"id": nid, "title": request["title"], "message": request["message"],
                   "severity": request.get("severity") or "info", "to_users": [p.id for p in ws_users],
                   "timestamp": now, "sender": by, "data": dict(request.get("data") or {})}
        made = [websocket_delivery(nid, p, payload, now, by) for p in ws_users]
        made += self._emails(nid, people if "email" in channels else [], payload, now, by)
        if request.get("channel") == "email":
            made.append(email_delivery(nid, str(request["address"]), payload, now, by))
        await self.rows.insert_deliveries(made)
        self._push(d for d in made if d.channel == EMAIL and d.state != FAILED)
        self._wake.set()
        self.events.emit(Notification(**{**payload, "to_users": tuple(payload["to_users"])}))
        return {**payload, "status": "queued", "deliveries": [delivery_view(d) for d in made]}

    def _emails(self, nid: str, people: Iterable[Any], payload: Mapping[str, Any], now: float,
                by: str | None) -> list[Delivery]:
        out = []
        for person in people:
            if person.email:
                out.append(email_delivery(nid, person.email, payload, now, by))
                continue
            lost = email_delivery(nid, person.username, payload, now, by)
            lost.state, lost.next_attempt_at, lost.last_error = FAILED, None, "the user has no e-mail address"
            out.append(lost)
        return out

    async def _alert(self, alert: Mapping[str, Any]) -> None:
        """The rule: a system.alert at or above `alert_min_severity` → the users of `alert_roles`."""
        for role in self.settings.alert_roles:
            request = {"role": role, "title": f"system.alert: {alert.get('type')}",
                       "message": str(alert.get("message") or ""), "severity": alert.get("severity"),
                       "channels": self.settings.alert_channels, "data": {"alert": dict(alert)}}
            try:
                await self.send(request, by="rule:system.alert")
            except Exception as err:
                log.warning("notifier.alert_rule_failed", role=role, error=repr(err))
