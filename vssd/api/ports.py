"""What the HTTP layer needs from the rest of the daemon. `vssd/app.py` wires real implementations in.

Every view is a plain JSON-ready dict, shaped as SPEC "Compatibility with the seeds" says, so routes only
filter, paginate and serialise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


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


@dataclass(slots=True)
class UserRecord:
    id: int | str  # users.id is a uuid in the store (rendered as text)
    username: str
    email: str
    role: str
    password_hash: str
    active: bool = True
    permissions: list[str] = field(default_factory=list)
    full_name: str = ""


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
    """One subscriber's bounded queue on the event bus; `get` yields (topic, data) events in publish order."""

    async def get(self) -> tuple[str, Mapping[str, Any]]: ...

    def close(self) -> None: ...


class EventSource(Protocol):
    """The daemon's in-process event bus (`vssd.bus.EventBus`): topics `call.update` (a call view, see
    CallFeed), `slot.update` (a slot view, see SlotDirectory), `system.alert`, `pipeline.update`,
    `rtmp.stream.*`. Publishing never blocks; a subscriber that falls behind loses its oldest events."""

    def subscribe(self, topics: Iterable[str] | None = None, maxsize: int | None = None) -> EventStream: ...
