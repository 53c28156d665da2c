"""What the HTTP layer needs from the rest of the daemon. `vssd/app.py` wires real implementations in.

Every view is a plain JSON-ready dict, shaped as SPEC "Compatibility with the seeds" says, so routes only
filter, paginate and serialise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from vssd.events import Emitted
from vssd.users import UserRecord


class SlotDirectory(Protocol):
    """Live slots. A slot view has at least: id, status (free/busy/offline/error), fsm_state, online, type,
    device, internal_sip_number, sip_username, trunk_id, trunk_name, trunk, user, last_activity, and battery,
    temperature, signal where known."""

    def slot_views(self) -> list[dict[str, Any]]: ...

    def slot_view(self, slot_id: str) -> dict[str, Any] | None: ...


class CallFeed(Protocol):
    """Recent and live calls, newest first. A call view has at least: call_id ("c_<n>"), id, slot_id, slot,
    phone_number, direction, status (seed words: initiated/ringing/connected/completed/failed), state
    (FSM word: CALLING/ACTIVE_CALL/POSTCALL), outcome, cause, started_at, answered_at, ended_at, ring_s,
    talk_s, duration (ISO-8601 strings for times, seconds as numbers)."""

    async def recent_calls(
        self, limit: int, offset: int, filters: Mapping[str, str]
    ) -> tuple[list[dict[str, Any]], int]: ...


class UserDirectory(Protocol):
    async def find_user(self, login: str) -> UserRecord | None:
        """By username or email, case-insensitive."""


class Readiness(Protocol):
    def checks(self) -> dict[str, bool]:
        """Named readiness facts, e.g. {"store": True, "pbx": False, "devices": True}; ready = all true."""


class PasswordVerifier(Protocol):
    def __call__(self, password_hash: str, password: str) -> bool:
        """True when `password` matches `password_hash`. Blocking (argon2): the API runs it in a thread."""


class EventStream(Protocol):
    """One subscriber's bounded queue on the dispatcher; `get` yields `Emitted` (topic, data, event) in order."""

    async def get(self) -> Emitted: ...

    def close(self) -> None: ...


class EventSource(Protocol):
    """The daemon's event dispatcher (`vssd.events.EventDispatcher`): every event of the catalogue
    (docs/events.md). Emitting never blocks; a subscriber that falls behind loses its oldest events."""

    def subscribe(self, topics: Iterable[str] | None = None, maxsize: int | None = None) -> EventStream: ...


class AuthState(Protocol):
    """Token denylist, refresh-token families and rate-limit counters (Redis in production, in-process
    otherwise). Times are epoch seconds of the API's clock."""

    async def revoke(self, jti: str, until: float) -> None:
        """Deny the token `jti` until `until` (its own expiry: no need to remember it longer)."""

    async def token_ok(self, jti: str, family: str | None) -> bool:
        """False when `jti` is denied or its refresh family (when it has one) was ended."""

    async def start_family(self, family: str, jti: str, until: float) -> None:
        """A new login: `jti` is the family's one valid refresh token."""

    async def rotate(self, family: str, old_jti: str, new_jti: str, until: float) -> str:
        """"ok" (old was current, new is now), "reused" (old was not current: the family is ended) or
        "unknown" (no such family: ended or expired)."""

    async def end_family(self, family: str) -> None: ...

    async def hit(self, bucket: str, key: str, limit: int, window_s: float) -> int | None:
        """Count one hit; None when allowed, else whole seconds until one would be (Retry-After)."""


class AuditLog(Protocol):
    """The security audit trail. An entry: at (ISO-8601), user_id, username, role, action, resource,
    object_type, object_id, outcome (ok | denied | failed), ip, details (dict)."""

    async def record(self, entry: dict[str, Any]) -> None: ...

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """Newest first; filters (`vssd.api.audit.filters`): actor, user_id, username, action, object_type,
        object_id, outcome, since and until (aware datetimes)."""


class UserAdmin(Protocol):
    """Users and roles for the admin routes. User views: id, username, email, name, role, group_id,
    extension, is_active, created_at, updated_at, last_login_at. Role views: id, name, description,
    permissions, builtin, customized (an admin changed a builtin role's rights), created_at, updated_at.

    Write methods raise `LookupError` when the user/role does not exist and `ValueError(code, message)` for
    a refused write: USER_001 username taken, USER_002 email taken, USER_003 extension taken, USER_005 last
    admin, ROLE_001 role name taken, ROLE_002 no such role."""

    async def list_users(self, role: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def get_user(self, user_id: str) -> dict[str, Any] | None: ...

    async def create_user(self, fields: Mapping[str, Any], password_hash: str) -> dict[str, Any]: ...

    async def update_user(self, user_id: str, fields: Mapping[str, Any],
                          password_hash: str | None) -> dict[str, Any]: ...

    async def delete_user(self, user_id: str) -> None: ...

    async def list_roles(self) -> list[dict[str, Any]]: ...

    async def get_role(self, role_id: str) -> dict[str, Any] | None:
        """By id or by name."""

    async def create_role(self, name: str, description: str, permissions: list[str]) -> dict[str, Any]: ...

    async def update_role(self, role_id: str, description: str | None, permissions: list[str] | None,
                          *, customized: bool | None = None) -> dict[str, Any]:
        """`customized` marks a builtin role whose rights an admin changed (True) or reset (False)."""


class PasswordHasher(Protocol):
    def __call__(self, password: str) -> str:
        """An argon2id hash of `password`. Blocking: the API runs it in a thread."""


class SlotAdmin(Protocol):
    """Slot writes for `POST|PATCH|DELETE /api/slots…` (views as in SlotDirectory). Raise `LookupError` for
    a missing slot (or trunk) and `ValueError(code, message)` for a refused write (SLOT_001 SIP number taken,
    SLOT_002 device taken, SLOT_003 no such trunk, SLOT_BUSY, INVALID_PARAMS)."""

    async def create_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """fields: type (AUTO/MF/LS), trunk_id, device_id, internal_sip_number (else the next free number of
        the type's plan), name, device_model. The new slot is IDLE until enrolled."""

    async def patch_slot(self, slot_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """fields: name, device_model, trunk_id (re-binds an enrolled slot: it is re-enrolled)."""

    async def delete_slot(self, slot_id: str) -> None:
        """A live call on the slot is hung up (and recorded) first."""

    async def enroll(self, slot_id: str, trunk_id: str | None, operator: str | None) -> dict[str, Any]: ...

    async def disable(self, slot_id: str) -> dict[str, Any]: ...

    async def restart(self, slot_id: str) -> dict[str, Any]:
        """Unassign and enroll again on the same trunk (bring-up from scratch)."""


class TrunkAdmin(Protocol):
    """Trunks: id, name, type (auto/mf/ls), capacity, description, state, config, slots_count, created_at,
    updated_at. Writers raise `LookupError` / `ValueError(code, message)` (TRUNK_001 name taken, TRUNK_002
    type mismatch with its slots)."""

    async def list_trunks(self) -> list[dict[str, Any]]: ...

    async def get_trunk(self, trunk_id: int) -> dict[str, Any] | None: ...

    async def create_trunk(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def update_trunk(self, trunk_id: int, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def delete_trunk(self, trunk_id: int) -> None: ...


class DeviceCommands(Protocol):
    """A slot's device. Raise `LookupError` (no slot), `ValueError(code, message)` (NO_DEVICE: the slot has no
    adb device), `ConnectionError` (device or adb server unreachable) and `TimeoutError`."""

    async def reboot_device(self, slot_id: str) -> dict[str, Any]: ...

    async def device_shell(self, slot_id: str, argv: list[str], timeout_s: float,
                           max_output: int) -> dict[str, Any]:
        """Run argv (never through a shell of ours: adb quotes each element) → exit_code, stdout, stderr,
        truncated (output beyond `max_output` characters is cut)."""


class MonitorFacts(Protocol):
    """Live measurements for `/api/monitor/*`. `usb` and `slot` raise `ConnectionError` when adb is down."""

    async def system(self) -> dict[str, Any]: ...

    async def usb(self) -> list[dict[str, Any]]: ...

    async def network(self) -> dict[str, Any]: ...

    async def slots(self) -> list[dict[str, Any]]: ...

    async def slot(self, slot_id: str) -> dict[str, Any] | None: ...


class CallDesk(Protocol):
    """Manual calls and call history (`vssd.actors.call_control.CallControl`). Views as in CallFeed plus the
    seeds' other names (number, start_time, end_time, answer_time, called_number, operator_id/user_id: who
    started the call). Refusals raise `vssd.calls.gate.DialRefused(reason, message)`; reasons: number_busy,
    invalid_number, no_slot, slot_busy, slot_offline, call_failed, not_live, pbx_refused."""

    async def start_call(self, number: str, slot: str, *, caller_id: str = "", user_id: str | None = None,
                         trunk: str | None = None) -> dict[str, Any]:
        """`slot`: an id, `slot_<id>` or a type (AUTO/MF/LS: a free slot of that type). Answers at once."""

    async def end_call(self, call_id: str) -> dict[str, Any] | None:
        """Hang a live call up through AMI; a finished call's view as is; None when unknown."""

    async def get_call(self, call_id: str) -> dict[str, Any] | None: ...

    def active_calls(self) -> list[dict[str, Any]]: ...

    async def list_calls(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        """Stored calls, newest first; filters: slot_id, status (seed or FSM word), outcome, direction, number,
        user_id/operator_id, campaign_id, date_from/date_to (ISO-8601, date_to exclusive). ValueError for a
        malformed value."""

    async def cdr(self, call_id: str) -> dict[str, Any] | None:
        """One stored call (by `c_<n>` or attempt id) with its `legs`."""


class PbxDesk(Protocol):
    """The PBX as the AMI link shows it (`CallControl` implements it too)."""

    async def pbx_status(self) -> dict[str, Any]:
        """{"link": {"up", "version"}, "endpoints": [{"name", "state", "reachable", "contacts", "slot_id"}],
        "trunks": [{"name", "state": OK|WARN|FAIL, "failed", "endpoints", "last_check"}], "checked_at"}."""

    async def route_call(self, call_id: str, exten: str, context: str = "vssd-connect") -> dict[str, Any]:
        """Send a live call's connect side to `exten`@`context` (AMI Redirect); DialRefused as in CallDesk."""


class AutodialerDesk(Protocol):
    """Campaigns, leads, DNC, dead letters, dispositions and operators (`vssd.actors.campaign_desk.CampaignDesk`).
    Errors: LookupError → 404, ValueError(code, message) → 409 (CONFLICT) / 422. The campaign, lead and dead-letter
    lists take a `created_by` filter (a user id): what a seller may see (vssd/api/autodialer/scope.py)."""

    async def list_campaigns(self, limit: int, offset: int,
                             filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...

    async def create_campaign(self, name: str, leads: list[Any] | None, settings: Mapping[str, Any],
                              created_by: str | None) -> dict[str, Any]: ...

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]: ...

    async def campaign_status(self, campaign_id: str) -> dict[str, Any]: ...

    async def ledger(self, campaign_id: str, period_days: float = 30) -> dict[str, Any]: ...

    async def set_campaign(self, campaign_id: str, action: str) -> dict[str, Any]:
        """run | pause | resume | stop."""

    async def run_campaign(self, campaign_id: str, leads: list[Any] | None,
                           created_by: str | None) -> dict[str, Any]: ...

    async def import_leads(self, campaign_id: str, leads: list[Any]) -> dict[str, Any]: ...

    async def push_crm_leads(self, campaign_id: str, leads: Sequence[tuple[str, Mapping[str, Any]]],
                             actor_id: str | None) -> dict[str, Any]:
        """CRM leads (id, `{phone, name, data}`) into a campaign by the import path: `{campaign_id, imported:
        [{crm_lead_id, lead_id}], rejected: [{index, crm_lead_id, reason, message, phone}]}`; LookupError for an
        unknown campaign."""

    async def preview(self, campaign_id: str) -> dict[str, Any]:
        """Preview mode: the leads held for dialing, next first."""

    async def confirm_preview(self, campaign_id: str, count: int) -> dict[str, Any]:
        """Preview mode: an operator confirms the next `count` call(s)."""

    async def list_leads(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...

    async def requeue_lead(self, lead_id: int) -> dict[str, Any]: ...

    async def list_dnc(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def add_dnc(self, number: str, reason: str, created_by: str | None) -> dict[str, Any]: ...

    async def remove_dnc(self, number: str) -> bool: ...

    async def list_dead_letters(self, limit: int, offset: int,
                                filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...

    async def add_disposition(self, call_id: str, code: str, notes: str,
                              operator_id: str | None) -> dict[str, Any]: ...

    def list_operators(self, filters: Mapping[str, str]) -> list[dict[str, Any]]: ...

    async def set_operator_status(self, operator_id: str, status: str) -> dict[str, Any]: ...

    async def operator_stats(self, operator_id: str, period: str = "today") -> dict[str, Any]: ...

    async def call_lead(self, call_id: str) -> dict[str, Any]: ...


class SlotHistory(Protocol):
    """A slot's stored FSM transitions (`slot_transitions`), newest first. A row: id, slot_id, at (ISO-8601
    UTC), from_state, to_state, event and trigger (the FSM trigger), cause (None when none was given), reason
    (the cause, else the trigger), call_id (the call the slot carried then, None when it carried none)."""

    async def slot_history(self, slot_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...


class AlertDesk(Protocol):
    """Stored `system.alert`s. An alert: id, at, level and severity (info | warning | critical), source (the
    alert's type), type, message, details, acknowledged (bool), acknowledged_at, acknowledged_by."""

    async def list_alerts(self, limit: int, offset: int,
                          filters: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """Newest first; filters: acknowledged (bool), level (one of the three)."""

    async def acknowledge(self, alert_id: str, by: str | None) -> dict[str, Any]:
        """Acknowledge once (a second call answers the alert as it is, unchanged) and, the first time, publish
        `system.alert.acknowledged`. LookupError for an unknown alert."""


class CrmNotes(Protocol):
    """Notes on calls and leads (`crm_notes`). A note: id, call_id, lead_id, text, type, author_id, created_at
    and timestamp (ISO-8601). `owner_of_*` answer the user id (text) the call or lead belongs to — the operator
    bridged to the call, the lead's assigned seller —, None when nobody's; LookupError when there is no such
    call or lead."""

    async def owner_of_call(self, call_id: str) -> str | None: ...

    async def owner_of_lead(self, lead_id: str) -> str | None: ...

    async def add_note(self, call_id: str | None, lead_id: str | None, text: str, note_type: str,
                       author_id: str | None) -> dict[str, Any]: ...

    async def notes_for_call(self, call_id: str) -> list[dict[str, Any]]:
        """Oldest first."""


class CrmLeads(Protocol):
    """CRM leads (`vssd.adapters.store_crm_leads.StoreCrmLeads`). A lead: id, client_name (and name), phone, email,
    status, assigned_seller, source, campaign_id, data, created_by, last_call_id, last_call_at, last_outcome,
    last_disposition, calls_count, created_at, updated_at. `owner` (a user id) limits every call to that seller's
    leads (None: anyone's); a lead that is not theirs is missing (None / LookupError)."""

    async def list_leads(self, filters: Mapping[str, Any], owner: str | None, limit: int,
                         offset: int) -> tuple[list[dict[str, Any]], int, bool]:
        """(the page newest first, the total, whether the total is capped — "at least"); filters: status (list),
        assigned_seller, campaign_id, created_from/created_to, q."""

    async def get_lead(self, lead_id: str, owner: str | None) -> dict[str, Any] | None: ...

    async def find_user(self, ref: str) -> str | None:
        """A user's id by id or username; None when there is none."""

    async def create_lead(self, fields: Mapping[str, Any], data: Mapping[str, Any],
                          actor: str | None) -> dict[str, Any]: ...

    async def update_lead(self, lead_id: str, fields: Mapping[str, Any], data: Mapping[str, Any] | None,
                          actor: str | None, owner: str | None) -> dict[str, Any]: ...

    async def delete_lead(self, lead_id: str, owner: str | None) -> bool: ...

    async def history(self, lead_id: str) -> list[dict[str, Any]]:
        """Oldest first: id, event, from_status, to_status, call_id, campaign_id, actor_id, details, at."""

    async def notes_for_lead(self, lead_id: str) -> list[dict[str, Any]]: ...

    async def leads_by_ids(self, lead_ids: Sequence[str], owner: str | None) -> list[dict[str, Any]]: ...


class CallFigures(Protocol):
    """The dashboards' call figures over [start, end) (`vssd.adapters.store_call_stats.StoreCallStats`): the sums
    `total`, `answered`, `missed`, `abandoned`, `ended`, `talk_s`/`talk_n`, `ring_s`/`ring_n`, `within_sla`;
    `hours` (hour of day in `tz`, calls, answered, missed), `operators` and `campaigns`. ConnectionError when
    the store cannot answer."""

    async def figures(self, start: datetime, end: datetime, tz: str = "UTC",
                      group_id: str | None = None) -> dict[str, Any]: ...


class SettingsStore(Protocol):
    """The system settings (the Smart Call Center API's SystemSettings) as stored. The store encrypts
    `asterisk_config.password` at rest; these methods carry it in clear (the API never answers it)."""

    async def load(self) -> dict[str, Any] | None:
        """The stored settings with `updated_by`/`updated_at`; None when nothing was ever saved."""

    async def save(self, values: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        """Write the whole settings object; what `load` reads now."""

    async def counts(self) -> dict[str, int]:
        """users, operators and calls_today (calls originated since UTC midnight)."""


class AmiProbe(Protocol):
    async def test(self, host: str, port: int, username: str, password: str | None,
                   timeout_s: float) -> dict[str, Any]:
        """Try an AMI port: `result` (connected | auth_failed | refused | timeout | not_ami | unreachable),
        banner, version, message, elapsed_ms. PermissionError, before any connection, for a host that is
        neither loopback nor configured (the SSRF rule)."""


class NotifierDesk(Protocol):
    """Notifications, their deliveries and webhook subscriptions (vssd/notifier). `send` takes a validated request
    (`vssd.api.notifier.validate.send_request`) and raises ValueError(code, message) for a user that does not
    exist; the webhook writers raise LookupError for a missing one. Subscription views never carry the secret
    (only `create_webhook`'s answer does, once)."""

    async def send(self, request: Mapping[str, Any], by: str | None) -> dict[str, Any]: ...

    async def history(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...

    async def list_webhooks(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def get_webhook(self, webhook_id: str) -> dict[str, Any] | None: ...

    async def create_webhook(self, fields: Mapping[str, Any], by: str | None) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: str, fields: Mapping[str, Any]) -> dict[str, Any]: ...

    async def delete_webhook(self, webhook_id: str) -> None: ...


class DciDesk(Protocol):
    """DCI pipelines and the DCI log (`vssd.dci.desk.DciDesk`). Pipelines are found by name or numeric id
    (LookupError otherwise); a pipeline view has the document's `id`, `name`, `branch`, `status`, `triggered_by`,
    `start_time`, `end_time`, `log_url`; a status adds `run_id`, `step`, `exit_code`, `error`, `params`,
    `last_lines`. `run` raises ValueError("PIPELINE_BUSY", …) when that pipeline runs already or the overall
    bound is reached; `stop` answers the status with `stopped` (false: it was not running)."""

    def pipelines(self) -> list[dict[str, Any]]: ...

    def check_params(self, key: str, params: Any) -> tuple[dict[str, Any], list[tuple[list[str | int], str]]]:
        """(params with their defaults, problems as (loc, msg)) against the pipeline's JSON schema."""

    async def run(self, key: str, params: Mapping[str, Any], by: str | None) -> dict[str, Any]: ...

    async def stop(self, key: str, by: str | None) -> dict[str, Any]: ...

    async def status(self, key: str) -> dict[str, Any]: ...

    async def system_status(self) -> dict[str, Any]: ...

    async def logs(self, filters: Mapping[str, Any], limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def log_event(self, entry: Mapping[str, Any]) -> dict[str, Any]: ...
