"""What the HTTP layer needs from the rest of the daemon. `vssd/app.py` wires real implementations in.

Every view is a plain JSON-ready dict, shaped as SPEC "Compatibility with the seeds" says, so routes only
filter, paginate and serialise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    outcome (ok | denied | failed), ip, details (dict)."""

    async def record(self, entry: dict[str, Any]) -> None: ...

    async def entries(self, limit: int, offset: int,
                      filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        """Newest first; filters: user_id, username, action, outcome."""


class UserAdmin(Protocol):
    """Users and roles for the admin routes. User views: id, username, email, name, role, group_id,
    extension, is_active, created_at, updated_at, last_login_at. Role views: id, name, description,
    permissions, builtin, created_at, updated_at.

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

    async def update_role(self, role_id: str, description: str | None,
                          permissions: list[str] | None) -> dict[str, Any]: ...


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
    Errors: LookupError → 404, ValueError(code, message) → 409 (CONFLICT) / 422."""

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
