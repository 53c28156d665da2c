"""Every event vssd emits, one class each (see `vssd.events.base`). docs/events.md is generated from here
(`python -m vssd.events.docs`) and a test keeps it current.

Groups and permissions: a real-time client receives an event when it holds the event's `permission` and, after a
`subscribe:<group>`, only the groups it subscribed to. AMQP routing keys are those the bus topology binds
(`slot.*` → `slot.status`, `call.#` → `vss.call.events`); `campaign.*`, `operator.*`, `system.*`, `pipeline.*`
and `rtmp.*` reach `vss.events` for whoever binds a queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from vssd.events.base import Event, catalogued

CALLS, SLOTS, OPERATORS, CAMPAIGNS, SYSTEM, PIPELINES, RTMP, NOTIFICATIONS = (
    "calls", "slots", "operators", "campaigns", "system", "pipelines", "rtmp", "notifications")
# The roles that hear only their own calls (`owner_only` of the call events); the calls routes answer them the same.
OWN_CALLS_ONLY = frozenset({"operator"})
GROUP_PERMISSION = {CALLS: "vssd.calls.read", SLOTS: "vssd.slots.read", OPERATORS: "vssd.operators.read",
                    CAMPAIGNS: "vssd.campaigns.read", SYSTEM: "vssd.system.read",
                    PIPELINES: "vssd.pipelines.read", RTMP: "vssd.rtmp.read",
                    NOTIFICATIONS: "vssd.notifier.read"}


class CallView(TypedDict, total=False):
    """A call as the calls routes and `call.update` show it (the Smart Call Center API's and the routes
    reference's spellings side by side)."""

    call_id: str
    id: str
    slot_id: int | str | None
    slot: int | str | None
    phone_number: str
    direction: str  # outbound | inbound
    channel_id: str | None
    status: str  # initiated | ringing | connected | completed | failed
    state: str  # CALLING | ACTIVE_CALL | ENDED
    outcome: str | None
    cause: str | None
    answer_evidence: str | None
    started_at: str | None
    answered_at: str | None
    ended_at: str | None
    ring_s: float | None
    talk_s: float | None
    duration: float
    operator_id: str | None  # the operator (user id) the call is bridged to


class SlotView(TypedDict, total=False):
    """A slot as `GET /api/slots` shows it, plus the transition that produced this update."""

    id: int | str
    slot_id: int | str
    status: str  # online | busy | offline | fault …
    fsm_state: str
    online: bool
    type: str  # AUTO | MF | LS
    device: str
    device_serial: str | None
    internal_sip_number: str
    sip_username: str
    trunk_id: int | str | None
    trunk_name: str | None
    trunk: str | None
    user: str | None
    current_call_id: str | None
    phone_number: str | None  # the current call's number
    state_since: float | None  # epoch seconds the FSM state was entered
    hub_id: str | None
    last_activity: float | None
    battery: int | None
    temperature: float | None
    signal: int | None
    from_state: str
    to_state: str
    event: str  # the FSM trigger
    cause: str | None
    at: str  # ISO time of the transition


# ---- calls -------------------------------------------------------------------------------------------------------
@catalogued
@dataclass(frozen=True, slots=True)
class CallUpdate(Event):
    name = "call.update"
    routing_key = "call.{what}"
    group, permission = CALLS, GROUP_PERMISSION[CALLS]
    owner_only = ("operator_id", OWN_CALLS_ONLY)
    summary = "A call changed (leg, ringing, answered, bridged, ended): the call's whole view."
    view: CallView
    what: str = "update"  # leg | ringing | answered | bridged | ended

    def payload(self) -> Mapping[str, Any]:
        return self.view

    def amqp_routing_key(self, payload: Mapping[str, Any]) -> str:
        return f"call.{self.what}"


@catalogued
@dataclass(frozen=True, slots=True)
class CallStarted(Event):
    name = "call_started"
    routing_key = None
    group, permission = CALLS, GROUP_PERMISSION[CALLS]
    owner_only = ("operator_id", OWN_CALLS_ONLY)
    summary = "The Smart Call Center API's call_started, derived from the first call.update of a call."
    derived = True
    call_id: str
    channel_id: str | None
    caller_number: str | None
    timestamp: str | None
    slot_id: int | str | None = None
    operator_id: str | None = None  # whose call (None until an operator has it); scopes it for operators


@catalogued
@dataclass(frozen=True, slots=True)
class CallAnswered(Event):
    name = "call_answered"
    routing_key = None
    group, permission = CALLS, GROUP_PERMISSION[CALLS]
    owner_only = ("operator_id", OWN_CALLS_ONLY)
    summary = "The Smart Call Center API's call_answered, derived from the first answered call.update."
    derived = True
    call_id: str
    operator_id: str | None
    answer_time: str | None


@catalogued
@dataclass(frozen=True, slots=True)
class CallEnded(Event):
    name = "call_ended"
    routing_key = None
    group, permission = CALLS, GROUP_PERMISSION[CALLS]
    owner_only = ("operator_id", OWN_CALLS_ONLY)
    summary = "The Smart Call Center API's call_ended, derived from the call.update that ends a call."
    derived = True
    call_id: str
    end_time: str | None
    duration: float | None
    status: str | None
    operator_id: str | None = None  # whose call; scopes it for operators


# ---- slots -------------------------------------------------------------------------------------------------------
@catalogued
@dataclass(frozen=True, slots=True)
class SlotUpdate(Event):
    name = "slot.update"
    routing_key = "slot.{to_state}"
    group, permission = SLOTS, GROUP_PERMISSION[SLOTS]
    summary = "A slot's FSM moved: its whole view with the transition (real-time clients: coalesced per slot)."
    view: SlotView

    def payload(self) -> Mapping[str, Any]:
        return self.view


# ---- operators ---------------------------------------------------------------------------------------------------
@catalogued
@dataclass(frozen=True, slots=True)
class OperatorStatusChanged(Event):
    name = "operator_status_changed"
    routing_key = "operator.status_changed"
    group, permission = OPERATORS, GROUP_PERMISSION[OPERATORS]
    own = ("operator_id", "vssd.operators.own.read")  # the operator hears their own
    summary = "An operator's status changed (online, busy, wrapup, offline)."
    operator_id: str
    status: str
    timestamp: float


@catalogued
@dataclass(frozen=True, slots=True)
class OperatorLoggedIn(Event):
    name = "operator_logged_in"
    routing_key = "operator.logged_in"
    group, permission = OPERATORS, GROUP_PERMISSION[OPERATORS]
    own = ("operator_id", "vssd.operators.own.read")  # the operator hears their own
    summary = "An operator's line is up (pre-connected channel originated)."
    operator_id: str
    extension: str
    timestamp: float


# ---- campaigns (the autodialer) ----------------------------------------------------------------------------------
@catalogued
@dataclass(frozen=True, slots=True)
class CampaignUpdate(Event):
    name = "campaign.update"
    routing_key = "campaign.{status}"
    group, permission = CAMPAIGNS, GROUP_PERMISSION[CAMPAIGNS]
    summary = "A campaign's status changed (running, paused, stopped, completed)."
    campaign_id: str
    status: str


@catalogued
@dataclass(frozen=True, slots=True)
class CampaignCallStarted(Event):
    name = "campaign.call_started"
    routing_key = "call.started"
    group, permission = CAMPAIGNS, GROUP_PERMISSION[CAMPAIGNS]
    summary = "The dialer placed an attempt for a lead (Originate written)."
    call_id: str
    campaign_id: str
    lead_id: str | int | None
    slot_id: str


@catalogued
@dataclass(frozen=True, slots=True)
class CampaignCallConnected(Event):
    name = "campaign.call_connected"
    routing_key = "call.connected"
    group, permission = CAMPAIGNS, GROUP_PERMISSION[CAMPAIGNS]
    summary = "An answered campaign call was bridged to an operator."
    call_id: str
    operator_id: str
    campaign_id: str
    answer_time: float | None


@catalogued
@dataclass(frozen=True, slots=True)
class CampaignCallEnded(Event):
    name = "campaign.call_ended"
    routing_key = "call.ended"
    group, permission = CAMPAIGNS, GROUP_PERMISSION[CAMPAIGNS]
    summary = ("A campaign attempt was settled: its stored outcome, and the campaign's pacing after it (dial level, "
               "the compliance period's abandon rate and its cap, as fractions).")
    call_id: str
    campaign_id: str
    lead_id: str | int | None
    outcome: str
    duration: float
    status: str  # completed | failed
    end_time: float
    dial_level: float | None = None  # calls in flight per free operator after the pacer's last decision
    abandon_rate: float | None = None  # abandons / answers in the current compliance period (0..1)
    abandon_cap: float | None = None  # the campaign's abandon cap (0..1)


# ---- system ------------------------------------------------------------------------------------------------------
@catalogued
@dataclass(frozen=True, slots=True)
class SystemAlert(Event):
    name = "system.alert"
    routing_key = "system.alert"
    group, permission = SYSTEM, GROUP_PERMISSION[SYSTEM]
    summary = "Something a person must look at: a stalled dialer, a loop past its restart budget, a faulted slot."
    type: str
    severity: str  # info | warning | critical
    message: str
    timestamp: float
    details: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the stored alert's id (`POST /api/alerts/{id}/ack`)


@catalogued
@dataclass(frozen=True, slots=True)
class SystemAlertAcknowledged(Event):
    name = "system.alert.acknowledged"
    routing_key = "system.alert.acknowledged"
    group, permission = SYSTEM, GROUP_PERMISSION[SYSTEM]
    summary = "A person acknowledged a stored system.alert (`POST /api/alerts/{id}/ack`): consoles clear it."
    id: str
    acknowledged_at: str  # ISO-8601
    acknowledged_by: str | None


@catalogued
@dataclass(frozen=True, slots=True)
class Notification(Event):
    name = "notification"
    routing_key = "notification.{severity}"
    group, permission = NOTIFICATIONS, GROUP_PERMISSION[NOTIFICATIONS]
    addressed = "to_users"  # real time: only the users it names receive it
    summary = ("A message for people (`POST /api/notifier/send`, or a rule such as system.alert → admins): "
               "real-time clients of the users in `to_users` only.")
    id: str
    title: str
    message: str
    severity: str  # info | warning | critical
    to_users: tuple[str, ...]  # user ids
    timestamp: float
    sender: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> Mapping[str, Any]:
        return {"id": self.id, "title": self.title, "message": self.message, "severity": self.severity,
                "to_users": list(self.to_users), "timestamp": self.timestamp, "sender": self.sender,
                "data": dict(self.data)}


@catalogued
@dataclass(frozen=True, slots=True)
class PipelineUpdate(Event):
    name = "pipeline.update"
    routing_key = "pipeline.{status}"
    group, permission = PIPELINES, GROUP_PERMISSION[PIPELINES]
    summary = ("A DCI pipeline run changed state (running, success, failed, cancelled, interrupted) or printed "
               "output: `lines` in order (one per event for a step that prints slowly, a read's worth in a burst), "
               "`seq` the first one's number in the run.")
    id: str
    name_: str
    branch: str | None
    status: str
    triggered_by: str | None
    start_time: str | None
    end_time: str | None
    log_url: str | None
    run_id: int | None = None
    step: str | None = None
    lines: tuple[str, ...] | None = None  # output lines of the run, in order (None: a change of state)
    seq: int | None = None  # the first line's number in its run (1, 2, …; each line's `context.seq` in the DCI log)
    exit_code: int | None = None

    def payload(self) -> Mapping[str, Any]:
        return {"id": self.id, "name": self.name_, "branch": self.branch, "status": self.status,
                "triggered_by": self.triggered_by, "start_time": self.start_time, "end_time": self.end_time,
                "log_url": self.log_url, "run_id": self.run_id, "step": self.step,
                "lines": list(self.lines) if self.lines is not None else None, "seq": self.seq,
                "exit_code": self.exit_code}


@catalogued
@dataclass(frozen=True, slots=True)
class RtmpStreamStart(Event):
    name = "rtmp.stream.start"
    routing_key = "rtmp.stream.start"
    group, permission = RTMP, GROUP_PERMISSION[RTMP]
    summary = "An RTMP stream (a phone's screen) started."
    stream_key: str
    slot_id: str | None
    url: str
    started_at: str


@catalogued
@dataclass(frozen=True, slots=True)
class RtmpStreamStop(Event):
    name = "rtmp.stream.stop"
    routing_key = "rtmp.stream.stop"
    group, permission = RTMP, GROUP_PERMISSION[RTMP]
    summary = "An RTMP stream ended."
    stream_key: str
    slot_id: str | None
    ended_at: str
    reason: str | None = None
