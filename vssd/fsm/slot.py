"""The slot FSM (SPEC "The slot FSM"): one python-statemachine `StateMachine` per slot actor.

The transitions are exactly SPEC's "leaves to" table; any other (state, event) pair, or an event whose guard
fails, raises `TransitionNotAllowed`. Health and call are separate facts: what happens to the line during a
call (contact lost, device fault, unassignment, restart budget spent) is recorded on the facts by
`report_health`/`request_unassign`/`report_budget_exhausted` and applied when the wrap-up ends
(`wrapup_done` picks IDLE, FAULT, REGISTERING or READY by guards).

Memory: python-statemachine builds a callback registry per instance; here it is built once per `SlotEnv` and
shared (`SlotMachine`), so a machine costs little more than a bare one; see docs/slot-fsm.md for the figures.

Usage (async engine, explicit activation)::

    machine = SlotMachine("slot-1", SlotType.MF, env, deliver=inbox.put_nowait)
    await machine.activate_initial_state()
    await machine.enroll(trunk_id="t1", cause="admin enrolled")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from statemachine import State, StateMachine
from statemachine.callbacks import CallbacksRegistry
from statemachine.exceptions import InvalidDefinition, TransitionNotAllowed

from vssd.fsm.health import SIP_UNREACHABLE, unmet_requirements
from vssd.fsm.listeners import TimeoutListener, TimerState, TransitionRecorder
from vssd.fsm.types import Clock, DeviceLimits, Health, SlotState, SlotType, StateEntryHook, Timeout, Timeouts

__all__ = ["CALL_STATES", "SlotEnv", "SlotFacts", "SlotMachine", "TransitionNotAllowed"]

_S = SlotState
CALL_STATES = frozenset({_S.CALLING, _S.ACTIVE_CALL, _S.POSTCALL})
"""States in which line facts are recorded for later instead of acted on."""


class SlotEnv:
    """What all slot machines of a process share: clock, timer settings, device limits, the listeners, and the
    callback registry python-statemachine would otherwise build for every machine (see `SlotMachine`)."""

    __slots__ = ("clock", "timeouts", "limits", "recorder", "timers", "hooks", "registries")

    def __init__(
        self,
        clock: Clock,
        recorder: TransitionRecorder | None = None,
        timeouts: Timeouts | None = None,
        limits: DeviceLimits | None = None,
    ) -> None:
        self.clock = clock
        self.recorder = recorder if recorder is not None else TransitionRecorder(clock)
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        self.limits = limits if limits is not None else DeviceLimits()
        self.timers = TimeoutListener(clock, self.timeouts)
        self.hooks = SlotHooks(self.timers, self.recorder, clock)
        self.registries: dict[type, CallbacksRegistry] = {}


class SlotFacts:
    """The machine's model: identity, assignment, the current (or last) call and facts pending for POSTCALL."""

    __slots__ = (
        "state", "slot_id", "slot_type", "health", "trunk_id", "operator", "campaign", "call_id", "agent",
        "unassign_pending", "lost_pending", "fault_pending", "budget_pending", "hold_fault", "state_since",
    )  # fmt: skip

    def __init__(self, slot_id: str, slot_type: SlotType) -> None:
        self.state: Any = None
        self.slot_id = slot_id
        self.slot_type = slot_type
        self.health = Health()
        self.trunk_id: str | None = None
        self.operator: str | None = None
        self.campaign: str | None = None
        self.call_id: str | None = None
        self.agent: str | None = None
        self.unassign_pending = False
        self.lost_pending = False
        self.fault_pending = False
        self.budget_pending = False
        self.hold_fault = False
        self.state_since: float | None = None  # when the current state was entered

    def start_call(self, call_id: str | None) -> None:
        """A new call starts with a clean slate of pending facts."""
        self.call_id, self.agent = call_id, None
        self.unassign_pending = self.lost_pending = self.fault_pending = self.budget_pending = False


# -- guards and entry bookkeeping ----------------------------------------------------------------------------
# Plain functions of the machine or model that python-statemachine passes in, never methods: a bound method
# would tie the registry every machine of an env shares to the first machine (`SlotMachine`'s docstring).


def has_trunk(trunk_id: str | None = None) -> bool:
    """Enrollment binds the slot to a trunk; without one there is nothing to enroll into."""
    return bool(trunk_id)


def line_is_up(machine: SlotMachine) -> bool:
    return not machine.unmet()


def unassign_pending(model: SlotFacts) -> bool:
    return model.unassign_pending


def fault_persists(machine: SlotMachine) -> bool:
    facts = machine.model
    return facts.budget_pending or (facts.fault_pending and bool(machine.unmet()))


def needs_bringup(machine: SlotMachine) -> bool:
    facts = machine.model
    return facts.lost_pending or facts.fault_pending or bool(machine.unmet())


def line_is_clear(machine: SlotMachine) -> bool:
    """Healthy and registered, and nothing happened to the line during the call."""
    return not needs_bringup(machine)


def enter_idle(model: SlotFacts) -> None:
    model.trunk_id = model.operator = model.campaign = None


def enter_assigned(model: SlotFacts, trunk_id: str | None, operator: str | None, campaign: str | None) -> None:
    model.trunk_id, model.operator, model.campaign = trunk_id, operator, campaign


def enter_active_call(model: SlotFacts, source: Any, call_id: str | None, agent: str | None) -> None:
    if source is not None and source.value == _S.READY:
        model.start_call(call_id)
    model.agent = agent


class SlotHooks:
    """The one entry callback of every state, shared by all machines of an env: the state's bookkeeping on the
    model, then its timer (`TimeoutListener`), then the record (`TransitionRecorder`), in that order.

    One callback instead of three because the AsyncEngine runs the callbacks of a step as one task each
    (`asyncio.gather`), which is most of the cost of a transition. It is async on purpose: that puts the
    machine on python-statemachine's AsyncEngine (explicit `await activate_initial_state()`, awaitable events).
    """

    __slots__ = ("timers", "recorder", "clock")

    def __init__(self, timers: TimeoutListener, recorder: StateEntryHook, clock: Clock) -> None:
        self.timers = timers
        self.recorder = recorder
        self.clock = clock

    async def on_enter_state(  # the library passes what a callback names; these are every name the entries use
        self, machine: SlotMachine, event: Any, source: Any, target: Any, cause: str | None = None,
        ring_timeout_s: float | None = None, trunk_id: str | None = None, operator: str | None = None,
        campaign: str | None = None, call_id: str | None = None, agent: str | None = None,
    ) -> None:  # fmt: skip
        model, state = machine.model, target.value
        model.state_since = self.clock.now()
        if state == _S.IDLE:
            enter_idle(model)
        elif state == _S.ASSIGNED:
            enter_assigned(model, trunk_id, operator, campaign)
        elif state == _S.CALLING:
            model.start_call(call_id)
        elif state == _S.ACTIVE_CALL:
            enter_active_call(model, source, call_id, agent)
        elif state == _S.FAULT:
            model.hold_fault = str(event) == "budget_exhausted" or model.budget_pending
        self.timers.on_enter_state(machine, target, ring_timeout_s)
        self.recorder.on_enter_state(event, source, target, machine, cause)


class SlotMachine(StateMachine):
    """One slot's state machine; see the module docstring.

    Memory: python-statemachine resolves every callback per instance into a registry of about 1 KB per
    (state or transition) × callback, plus a `dir()` of each listener — ~40 KB and ~1 ms per machine here.
    Every callback of this class is a plain function (the guards) or the listener shared by the env
    (`SlotEnv.hooks`), so the registry is the same for every machine of an env: the first machine builds it,
    the others adopt it (`_register_callbacks`). Per-machine state lives on the model (`SlotFacts`) and
    `timer` (`TimerState`). `add_listener` is refused: it would change the registry of every machine.
    """

    idle = State("IDLE", value=_S.IDLE, initial=True)
    assigned = State("ASSIGNED", value=_S.ASSIGNED)
    registering = State("REGISTERING", value=_S.REGISTERING)
    ready = State("READY", value=_S.READY)
    calling = State("CALLING", value=_S.CALLING)
    active_call = State("ACTIVE_CALL", value=_S.ACTIVE_CALL)
    postcall = State("POSTCALL", value=_S.POSTCALL)
    fault = State("FAULT", value=_S.FAULT)

    # -- SPEC's table --------------------------------------------------------------------------------------

    enroll = idle.to(assigned, cond=has_trunk)
    start_bringup = assigned.to(registering)
    bringup_ok = registering.to(ready, cond=line_is_up)
    bringup_timeout = registering.to(fault)
    originate_accepted = ready.to(calling, cond=line_is_up)
    inbound_call = ready.to(active_call)
    contact_lost = ready.to(registering)
    health_fault = ready.to(registering)
    answered = calling.to(active_call)
    call_failed = calling.to(postcall)
    ring_timeout = calling.to(postcall)
    hangup = active_call.to(postcall)
    max_duration = active_call.to(postcall)
    wrapup_done = (
        postcall.to(idle, cond=unassign_pending)
        | postcall.to(fault, cond=fault_persists)
        | postcall.to(registering, cond=needs_bringup)
        | postcall.to(ready, cond=line_is_clear)
    )
    unassign = ready.to(idle) | postcall.to(idle) | fault.to(idle)
    budget_exhausted = registering.to(fault) | postcall.to(fault)
    recovered = fault.to(registering)

    def __init__(
        self,
        slot_id: str,
        slot_type: SlotType | str,
        env: SlotEnv,
        deliver: Callable[[Timeout], None],
        start_state: SlotState | str | None = None,
    ) -> None:
        facts = SlotFacts(slot_id, SlotType(slot_type))
        self.timer = TimerState(slot_id, deliver)
        self._env = env
        self._limits = env.limits
        start = SlotState(start_state) if start_state is not None else None
        super().__init__(model=facts, start_value=start, listeners=[env.hooks])

    def _register_callbacks(self, listeners: list[object]) -> None:
        """Adopt the env's registry for this class, or build it (first machine) and check it is shareable."""
        registry = self._env.registries.get(type(self))
        if registry is not None:
            self._listeners.update({id(listener): listener for listener in listeners})
            self._callbacks = registry
            return
        super()._register_callbacks(listeners)
        bound = [str(w) for ex in self._callbacks._registry.values() for w in ex if _bound_to(w, self, self.model)]
        if bound:
            raise InvalidDefinition(f"{type(self).__name__} callbacks bound to one instance: {', '.join(bound)}")
        self._env.registries[type(self)] = self._callbacks

    def add_listener(self, *listeners: Any) -> SlotMachine:
        raise InvalidDefinition("slot machines share their callbacks per SlotEnv; give listeners to the env")

    # -- reading -------------------------------------------------------------------------------------------

    @property
    def slot_id(self) -> str:
        return self.model.slot_id

    @property
    def slot_state(self) -> SlotState:
        """The current state, read off the model (python-statemachine keeps the state's value there; its own
        `current_state_value` costs several calls, and the dialer reads every READY slot's state each round)."""
        value = self.model.state
        return value if type(value) is SlotState else SlotState(self.current_state_value)

    @property
    def facts(self) -> SlotFacts:
        return self.model

    def unmet(self) -> tuple[str, ...]:
        """Bring-up requirements the last health snapshot does not meet (empty: the line is up)."""
        return unmet_requirements(self.model.slot_type, self.model.health, self._limits)

    def transition_cause(self, event: Any, source: Any, target: Any, cause: str | None) -> str:
        """The cause persisted with a transition: the caller's, else the event; POSTCALL exits say why."""
        given = cause or str(event)
        if source.value != _S.POSTCALL:
            return given
        return f"{given}: {self._postcall_exit_reason(target.value)}"

    def _postcall_exit_reason(self, target: SlotState) -> str:
        facts = self.model
        if target == _S.IDLE:
            return "unassigned during call" if facts.unassign_pending else "unassigned"
        if target == _S.FAULT:
            if facts.budget_pending:
                return "restart budget spent during call"
            return "fault persists: " + ", ".join(self.unmet())
        if target == _S.REGISTERING:
            why = ["contact lost during call"] if facts.lost_pending else []
            why += ["health fault during call"] if facts.fault_pending else []
            return ", ".join(why + list(self.unmet())) or "line check"
        return "healthy and registered"

    # -- driving: timers and facts -------------------------------------------------------------------------

    async def fire(self, fired: Timeout) -> bool:
        """Apply a fired timer unless the machine has left the state visit that armed it."""
        if fired.epoch != self.timer.epoch:
            return False
        await self.send(fired.event, cause=fired.cause)
        return True

    def observe(self, health: Health) -> None:
        """Record a health snapshot; during a call, also remember what went wrong for POSTCALL."""
        facts = self.model
        facts.health = health
        if self.current_state_value in CALL_STATES:
            unmet = self.unmet()
            facts.lost_pending |= SIP_UNREACHABLE in unmet
            facts.fault_pending |= any(u != SIP_UNREACHABLE for u in unmet)

    async def report_health(self, health: Health, cause: str | None = None) -> list[str]:
        """Record a snapshot and send what it implies in the current state; returns the events sent.

        REGISTERING → READY when the line is up; FAULT → REGISTERING (→ READY) when it recovered (not after a
        spent restart budget); READY → REGISTERING when it is not; during a call only recorded.
        """
        self.observe(health)
        sent: list[str] = []
        for _ in range(2):
            event = self._health_event()
            if event is None:
                break
            await self.send(event, cause=cause or self._health_cause())
            sent.append(event)
        return sent

    def _health_event(self) -> str | None:
        state, unmet = self.current_state_value, self.unmet()
        if state == _S.REGISTERING:
            return None if unmet else "bringup_ok"
        if state == _S.FAULT:
            return None if unmet or self.model.hold_fault else "recovered"
        if state == _S.READY and unmet:
            return "contact_lost" if SIP_UNREACHABLE in unmet else "health_fault"
        return None

    def _health_cause(self) -> str:
        unmet = self.unmet()
        return "health: " + (", ".join(unmet) if unmet else "line up")

    async def request_unassign(self, cause: str = "unassigned") -> bool:
        """Unassign now where SPEC allows it; during CALLING/ACTIVE_CALL remember it for POSTCALL.

        Returns True if the machine moved to IDLE now (False: deferred, or already IDLE). Raises
        `TransitionNotAllowed` where SPEC has no way out to IDLE (ASSIGNED, REGISTERING: bring-up ends in
        READY or FAULT first).
        """
        if self.current_state_value == _S.IDLE:
            return False
        if self.current_state_value in (_S.CALLING, _S.ACTIVE_CALL):
            self.model.unassign_pending = True
            return False
        await self.send("unassign", cause=cause)
        return True

    async def report_budget_exhausted(self, reason: str = "restart budget spent") -> list[str]:
        """The supervisor gave up on this slot's actor: reach FAULT by SPEC's own transitions.

        REGISTERING/POSTCALL go straight to FAULT; READY goes through REGISTERING; a call in progress
        records it for POSTCALL (which then goes to FAULT); IDLE, ASSIGNED and FAULT stay where they are.
        """
        state = self.current_state_value
        if state in (_S.CALLING, _S.ACTIVE_CALL):
            self.model.budget_pending = True
            return []
        sent: list[str] = []
        if state == _S.READY:
            await self.send("health_fault", cause=reason)
            sent.append("health_fault")
        if self.current_state_value in (_S.REGISTERING, _S.POSTCALL):
            await self.send("budget_exhausted", cause=reason)
            sent.append("budget_exhausted")
        return sent

    def set_agent(self, agent: str | None) -> None:
        """The operator bridged to (or dropped from) the active call; a fact of ACTIVE_CALL, not a state."""
        if self.current_state_value != _S.ACTIVE_CALL:
            raise ValueError(f"slot {self.slot_id} has no active call to bridge an agent to")
        self.model.agent = agent



def _bound_to(wrapper: Any, *objects: object) -> bool:
    """Whether a resolved callback closes over one of `objects` (then it cannot serve other machines)."""
    cells = getattr(wrapper._callback, "__closure__", None) or ()
    for cell in cells:
        value = cell.cell_contents
        if any(value is o or getattr(value, "__self__", None) is o for o in objects):
            return True
    return False
