"""The Protocols the autodialer (`vssd/actors/dialer.py`) works through. Adapters implement them:

- `LeadBus` — RabbitMQ (`vssd/adapters/amqp.py`, aio-pika) or the in-process broker
  (`vssd/adapters/broker_local.py`) with the same semantics: lead messages, dead letters with reasons,
  prefetch, published events.
- `LeadStore` — PostgreSQL (`vssd/adapters/store_leads.py`): the record of every lead's state and of every
  dial attempt. The dialer commits there first and acks the broker after.

Lead statuses (column `autodialer_leads.status`): pending (stored, not yet published) → queued (published) →
dialing (an attempt reserved) → retry (scheduled at `next_attempt_at`) → queued … and the final ones: done
(answered), failed (retries spent, invalid number), dnc, expired (dead-lettered by TTL), unknown (an attempt
the PBX does not know after a crash: never redialled automatically), cancelled (campaign stopped for good).

Attempt states (table `dial_attempts`): reserved (committed before the Originate is written) → final
(outcome stored) or unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from vssd.calls.campaign import AttemptEnd, DeadLetterLike, Reservation, ReserveAsk
from vssd.calls.model import Call

LEAD_FINAL = ("done", "failed", "dnc", "expired", "unknown", "cancelled")
LEAD_STATUSES = ("pending", "queued", "dialing", "retry", *LEAD_FINAL)
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped", "completed")


# ---- the broker --------------------------------------------------------------------------------------------
class Delivery(Protocol):
    """One message handed to a consumer. Exactly one of ack/dead_letter must be called."""

    body: bytes
    message_id: str | None
    redelivered: bool
    headers: Mapping[str, Any]

    async def ack(self) -> None: ...

    async def dead_letter(self, reason: str) -> None:
        """Settle the message into the dead-letter queue carrying `reason` (header `x-vssd-reason`; the RabbitMQ
        adapter republishes it to the DLX with a confirm, then acks — a reject could not carry the reason)."""


@dataclass(slots=True)
class DeadLetter:
    """A message that reached the dead-letter queue. `reason`: expired (TTL), rejected/poison:<why>, maxlen …"""

    reason: str
    queue: str
    body: bytes
    message_id: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Delivery], Awaitable[None]]
DeadHandler = Callable[[DeadLetterLike], Awaitable[None]]


class LeadBus(Protocol):
    async def start(self) -> None:
        """Connect and declare the topology idempotently (exchanges, queues, DLX, bindings)."""

    async def close(self) -> None: ...

    async def publish_leads(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Persistent messages (message_id, body) to `vss.autodial.leads`, pipelined, returning once the broker
        confirmed every one (raises on a nack or a lost connection: the caller retries from PostgreSQL)."""

    def publish_event(self, routing_key: str, payload: Mapping[str, Any]) -> None:
        """Non-blocking: to `vss.events` with this routing key (`call.*`, `slot.*`, `campaign.*`). Buffered,
        bounded; overflow drops the oldest and counts it."""

    async def consume_leads(self, handler: Handler, prefetch: int) -> None:
        """Start delivering lead messages to `handler` (at most `prefetch` unacked at a time)."""

    async def set_prefetch(self, prefetch: int) -> None:
        """Follow free dialing capacity (0 pauses delivery)."""

    async def consume_dead_letters(self, handler: DeadHandler) -> None:
        """Deliver each dead-lettered message once (acked after the handler returns)."""


# ---- the record ----------------------------------------------------------------------------------------------

class LeadStore(Protocol):
    async def reserve(self, lead_id: int, attempt_id: str, slot_id: str, number: str,
                      sim_key: str | None) -> Reservation | None:
        """One transaction: the lead (FOR UPDATE) goes queued → dialing, attempts += 1, and a `dial_attempts` row
        (state reserved) is inserted. None when the lead is not `queued` or its campaign is not running (a
        duplicate delivery, a stopped campaign): the caller acks and drops the message."""

    async def reserve_many(self, asks: Sequence[ReserveAsk]) -> dict[str, Reservation]:
        """`reserve` for many leads in one statement: attempt id → Reservation for each ask that won."""

    async def finish_attempt(self, attempt_id: str, outcome: str, *, answered: bool, abandoned: bool,
                             operator_id: str | None, talk_s: float | None,
                             lead_status: str, retry_at: float | None) -> None:
        """One transaction: the attempt final with its outcome; the lead to `lead_status` (retry with
        `next_attempt_at = retry_at`, or a final status)."""

    async def finish_attempts(self, ends: Sequence[AttemptEnd]) -> None:
        """`finish_attempt` for many in one transaction (all or none)."""

    async def defer(self, lead_id: int, until: float, reason: str) -> None:
        """The gate said not now (window closed, number busy, cap reached): lead → retry at `until`."""

    async def finish_lead(self, lead_id: int, status: str, reason: str) -> None:
        """A final status without an attempt (dnc, failed: invalid number, expired)."""

    async def claim_due(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Leads in `retry` whose `next_attempt_at` <= now, of running campaigns, set to queued
        (FOR UPDATE SKIP LOCKED); returns (lead_id, campaign_id)."""

    async def next_due(self) -> float | None:
        """The earliest `next_attempt_at` of a lead in retry (unix seconds), or None."""

    async def open_attempts(self) -> list[dict[str, Any]]:
        """Attempts still `reserved` (a previous run died): attempt_id, lead_id, campaign_id, slot_id, number."""

    async def withdraw(self, attempt_id: str) -> None:
        """A reservation that may or may not have committed and was never dialled: undone if it committed."""

    async def mark_unknown(self, attempt_ids: Sequence[str]) -> None:
        """Those attempts and their leads → unknown."""


# ---- what the dialer drives: slots, PBX lines, campaign rows ---------------------------------------------
class DialSlots(Protocol):
    """The slot farm as the dialer sees it (built in vssd/app.py over `SlotFarm`)."""

    def ready_slots(self, slot_type: str | None) -> list[str]: ...

    def sim_key(self, slot_id: str) -> str | None: ...

    async def dial(self, slot_id: str, number: str, attempt_id: str, ring_timeout_s: float, caller_id: str,
                   tags: Mapping[str, Any]) -> Call: ...


class CallLines(Protocol):
    """The PBX actions the dialer takes on answered calls (`CallPump`)."""

    async def bridge(self, channel1: str, channel2: str) -> None: ...

    async def redirect(self, channel: str, context: str, exten: str = "s") -> None: ...


class Campaigns(Protocol):
    """Campaign rows and lead publishing support (`StoreLeads` implements it)."""

    async def get_campaign(self, campaign_id: str) -> Mapping[str, Any] | None: ...

    async def running_campaigns(self) -> Sequence[Mapping[str, Any]]: ...

    async def take_pending(self, campaign_id: str, limit: int) -> Sequence[Mapping[str, Any]]: ...

    async def unqueue(self, lead_ids: Sequence[int]) -> None: ...

    async def add_dead_letter(self, letter: DeadLetterLike, lead_id: int | None) -> None: ...

    async def lead_rows(self, lead_ids: Sequence[int]) -> Sequence[Mapping[str, Any]]: ...

    async def queued_for(self, campaign_id: str, limit: int, after_id: int = 0) -> Sequence[Mapping[str, Any]]: ...

    async def pending_count(self, campaign_id: str) -> int: ...

    async def dialable_count(self, campaign_id: str) -> int: ...

    async def current_period(self, campaign_id: str, period_days: float = 30) -> Mapping[str, Any] | None: ...

    async def complete(self, campaign_id: str) -> None: ...
