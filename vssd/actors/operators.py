"""Operators and their pre-connected lines.

An operator who goes `online` gets a line: vssd originates `PJSIP/<extension>` into `vssd-agent` and the
channel waits there, answered, until an answered customer call is bridged to it. So connecting a call is
one AMI `Bridge` — no ringing the operator after the customer said hello (the 2 s connect rule).

Operator statuses: offline → online (line up, free) → busy (bridged) → wrapup (call ended, `wrapup_s`) →
online; `busy` set by the operator through the API is "not available" (no calls) until set online again.
An operator user may exist without an extension (the routes reference creates one so); they cannot go online
(ValueError OPERATOR_NO_EXTENSION) until they have one.
The pool is driven from the event loop only; `on_line_final` is the tracker telling us a line died (we
bring it back while the operator stays online).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vssd.actors.ports import Clock, EventSink, TimerHandle
from vssd.calls.model import Call
from vssd.events import OperatorLoggedIn, OperatorStatusChanged
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.operators")
STATUSES = ("online", "busy", "offline", "wrapup")
AGENT_PREFIX = "agent-"
DAY_S = 86400.0  # operators' calls are counted per UTC day
NO_EXTENSION = "OPERATOR_NO_EXTENSION"  # an operator without an extension has no line to take calls on


class AgentLines(Protocol):
    """What the pool needs of the PBX (`CallPump` implements it)."""

    async def originate_agent(self, endpoint: str, channel_id: str) -> Call: ...

    async def bridge(self, channel1: str, channel2: str) -> None: ...

    async def hangup(self, channel: str, cause: int = 16) -> None: ...


@dataclass(slots=True)
class Operator:
    id: str
    user_id: str | None
    name: str
    extension: str
    status: str = "offline"
    group_id: str | None = None
    line: Call | None = None
    line_seq: int = 0
    attempt_id: str | None = None
    calls_today: int = 0  # calls bridged to the operator on UTC day `calls_day` (seeded from the store at load)
    calls_day: int = 0
    last_activity: float | None = None
    wrapup: TimerHandle | None = None

    @property
    def line_up(self) -> bool:
        line = self.line
        return line is not None and line.answered_at is not None and line.outcome is None

    @property
    def free(self) -> bool:
        return self.status == "online" and self.attempt_id is None and self.line_up

    def line_channel(self) -> str | None:
        line = self.line
        if line is None:
            return None
        leg = line.legs.get(line.root)
        return leg.channel if leg is not None else None

    def roll_day(self, now: float) -> None:
        """Start the count afresh when the UTC day has changed since the last call counted."""
        day = int(now // DAY_S)
        if day != self.calls_day:
            self.calls_today, self.calls_day = 0, day

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "user_id": self.user_id, "name": self.name, "extension": self.extension,
                "status": self.status, "group_id": self.group_id, "current_calls": int(self.attempt_id is not None),
                "current_call_id": self.attempt_id, "line_up": self.line_up, "calls_today": self.calls_today,
                "last_activity": self.last_activity}


@dataclass
class OperatorPool:
    lines: AgentLines
    clock: Clock
    events: EventSink
    tasks: TaskSet
    wrapup_s: float = 5.0
    on_free: Callable[[], None] = lambda: None
    operators: dict[str, Operator] = field(default_factory=dict)
    closing: bool = False  # the daemon is stopping: lines that end are not brought back
    _by_line: dict[str, Operator] = field(default_factory=dict)

    def load(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Operators as stored (id, user_id, name, extension, group_id); all start offline (no line yet)."""
        day = int(self.clock.now() // DAY_S)
        for row in rows:
            op_id, extension = str(row["id"]), str(row.get("extension") or "")
            known = self.operators.get(op_id)
            if known is None:
                self.operators[op_id] = Operator(op_id, _opt(row.get("user_id")), str(row.get("name") or ""),
                                                 extension, group_id=_opt(row.get("group_id")),
                                                 calls_today=int(row.get("calls_today") or 0), calls_day=day)
            elif known.line is None:  # an extension given (or changed) since: the next login uses it
                known.extension = extension

    def views(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        for op in self.operators.values():
            op.roll_day(now)
        return [op.view() for op in self.operators.values()]

    def free(self) -> list[Operator]:
        return [op for op in self.operators.values() if op.free]

    def free_count(self) -> int:
        return sum(1 for op in self.operators.values() if op.free)

    def take(self, attempt_id: str) -> Operator | None:
        """The longest-idle free operator, now reserved for `attempt_id`; None when nobody is free."""
        free = self.free()
        if not free:
            return None
        op = min(free, key=lambda o: o.last_activity or 0.0)
        op.attempt_id = attempt_id
        self._set(op, "busy")
        return op

    def give_back(self, op: Operator) -> None:
        """A reserved operator was not used (the bridge failed before the call reached them)."""
        op.attempt_id = None
        self._set(op, "online")
        self.on_free()

    # ---- status from the API -----------------------------------------------------------------------------
    async def set_status(self, op_id: str, status: str) -> Operator:
        if status not in STATUSES or status == "wrapup":
            raise ValueError(f"status must be online, busy or offline, not {status!r}")
        op = self.operators[op_id]
        if status == "online" and not op.extension:
            raise ValueError(NO_EXTENSION, f"operator {op.name or op.id} has no extension: give the user one "
                                           "(PATCH /api/users/{id} {\"extension\": ...}) before going online")
        if status == "online" and not op.line_up:
            await self._login(op)
        if status == "offline" and op.line is not None and op.attempt_id is None:
            channel = op.line_channel()
            op.line = None
            if channel:
                await self.lines.hangup(channel)
        if op.wrapup is not None:
            op.wrapup.cancel()
            op.wrapup = None
        self._set(op, status)
        if op.free:
            self.on_free()
        return op

    async def _login(self, op: Operator) -> None:
        op.line_seq += 1
        channel_id = f"{AGENT_PREFIX}{op.extension}-{op.line_seq}-{int(self.clock.now() * 1000) % 10**9}"
        op.line = await self.lines.originate_agent(op.extension, channel_id)
        self._by_line[channel_id] = op
        self.events.emit(OperatorLoggedIn(operator_id=op.id, extension=op.extension, timestamp=self.clock.now()))

    # ---- line and call facts (from the AMI callbacks, synchronous) -------------------------------------------
    def on_line_update(self, call: Call) -> None:
        op = self._by_line.get(call.call_id)
        if op is not None and op.line is call and call.answered_at is not None and op.free:
            self.on_free()

    def on_line_final(self, call: Call) -> None:
        """A line ended: forget it; an operator still online gets a new one."""
        op = self._by_line.pop(call.call_id, None)
        if op is None or op.line is not call:
            return
        op.line = None
        if self.closing:
            return
        if call.answered_at is None:  # the phone never answered (unregistered, wrong extension): no retry loop
            log.warning("operator %s: line to %s failed (%s); operator offline", op.id, op.extension, call.outcome)
            self._set(op, "offline")
            return
        if op.status in ("online", "wrapup") or op.attempt_id is not None:
            log.warning("operator %s line %s ended (%s); logging in again", op.id, call.call_id, call.outcome)
            self.tasks.spawn(self._relogin(op), f"operator-relogin-{op.id}")

    async def _relogin(self, op: Operator) -> None:
        try:
            await self._login(op)
        except Exception as err:  # the PBX link is down: the operator is offline until they log in again
            log.warning("operator %s could not get a line back: %s", op.id, err)
            self._set(op, "offline")

    def call_ended(self, op: Operator) -> None:
        """The customer call bridged to `op` ended: wrap-up, then free again."""
        op.attempt_id = None
        op.roll_day(self.clock.now())
        op.calls_today += 1
        if op.status != "busy":
            return
        self._set(op, "wrapup")
        op.wrapup = self.clock.call_later(self.wrapup_s, lambda: self._wrapped_up(op))

    def _wrapped_up(self, op: Operator) -> None:
        op.wrapup = None
        if op.status == "wrapup":
            self._set(op, "online")
            self.on_free()

    def _set(self, op: Operator, status: str) -> None:
        if op.status == status:
            return
        op.status = status
        op.last_activity = self.clock.now()
        self.events.emit(OperatorStatusChanged(operator_id=op.id, status=status, timestamp=op.last_activity))

    def is_line(self, call: Call) -> bool:
        return call.call_id.startswith(AGENT_PREFIX)


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None
