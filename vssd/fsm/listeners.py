"""The two listeners of the slot machines (shared by all machines of a `SlotEnv`): timeouts and records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from vssd.fsm.types import (
    TRANSITION_TOPIC,
    Clock,
    SlotState,
    Timeout,
    Timeouts,
    TimerHandle,
    TransitionListener,
    TransitionRecord,
    TransitionSink,
)

log = logging.getLogger("vssd.fsm")

ACTIVATION_EVENT = "__initial__"
"""The event python-statemachine enters the first state with (`activate_initial_state`)."""


class TimerState:
    """One machine's timer: who to tell when it fires, which state visit armed it, the armed handle."""

    __slots__ = ("slot_id", "deliver", "epoch", "handle")

    def __init__(self, slot_id: str, deliver: Callable[[Timeout], None]) -> None:
        self.slot_id = slot_id
        self.deliver = deliver
        self.epoch = 0
        self.handle: TimerHandle | None = None

    def disarm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class TimeoutListener:
    """Arms the timer of each timed state on entry and disarms the previous one.

    One instance serves every machine of a `SlotEnv` (the library's callback registry is shared per env, see
    `SlotMachine`); what belongs to one machine lives in its `TimerState` (`machine.timer`).

    A fired timer does not touch the machine: it hands a `Timeout` to the machine's `deliver` (the actor's
    inbox), so the machine is only ever driven by its actor. The actor passes it back through
    `SlotMachine.fire`, which drops it if the machine has left the state visit (`epoch`) that armed it.
    """

    __slots__ = ("clock", "timeouts")

    def __init__(self, clock: Clock, timeouts: Timeouts) -> None:
        self.clock = clock
        self.timeouts = timeouts

    def on_enter_state(self, machine: Any, target: Any, ring_timeout_s: float | None = None) -> None:
        # Entering a state is also leaving the last one: disarm here rather than in `on_exit_state`, which
        # would cost every step another callback.
        timer: TimerState = machine.timer
        timer.disarm()
        timer.epoch += 1
        armed = self.timer_for(target.value, ring_timeout_s)
        if armed is not None:
            delay_s, event, cause = armed
            timer.handle = self.clock.call_later(delay_s, partial(expire, timer, event, cause, timer.epoch))

    def timer_for(self, state: str, ring_timeout_s: float | None) -> tuple[float, str, str] | None:
        t = self.timeouts
        if state == SlotState.REGISTERING:
            return t.registration_s, "bringup_timeout", f"registration timeout after {t.registration_s:g}s"
        if state == SlotState.CALLING:
            ring_s = t.ring_for(ring_timeout_s)
            return ring_s, "ring_timeout", f"no answer within {ring_s:g}s"
        if state == SlotState.ACTIVE_CALL:
            return t.max_call_s, "max_duration", f"call reached the {t.max_call_s:g}s limit"
        if state == SlotState.POSTCALL:
            return t.wrapup_s, "wrapup_done", f"wrap-up of {t.wrapup_s:g}s over"
        return None


def expire(timer: TimerState, event: str, cause: str, epoch: int) -> None:
    timer.handle = None
    timer.deliver(Timeout(timer.slot_id, event, cause, epoch))


class TransitionRecorder:
    """Turns every state change into a `TransitionRecord` for the sink and the listener.

    One instance is shared by all machines of a process (it keeps no per-slot state). The machine says
    what the cause was (`machine.transition_cause`); the machine's own entry callbacks run before this
    listener's, and none of them clears what the cause is derived from.

    Sink and listener must not block; if one raises, the error is logged and the machine carries on — a
    transition that happened is never undone because it could not be written.
    """

    def __init__(
        self,
        clock: Clock,
        sink: TransitionSink | None = None,
        listener: TransitionListener | None = None,
        topic: str = TRANSITION_TOPIC,
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.listener = listener
        self.topic = topic

    def on_enter_state(
        self, event: Any, source: Any, target: Any, machine: Any, cause: str | None = None
    ) -> None:
        # A state callback, not `after_transition`: one executor per state instead of one per transition.
        if event == ACTIVATION_EVENT:
            return  # the activation (or a restore) enters its state without a transition
        record = TransitionRecord(
            slot_id=machine.model.slot_id,
            from_state=str(source.value),
            to_state=str(target.value),
            event=str(event),
            cause=machine.transition_cause(event, source, target, cause),
            at=datetime.fromtimestamp(self.clock.now(), UTC),
        )
        self.hand_over(record)

    def hand_over(self, record: TransitionRecord) -> None:
        if self.sink is not None:
            try:
                self.sink.submit_transition(record)
            except Exception:
                log.exception("transition sink failed for slot %s", record.slot_id)
        if self.listener is not None:
            try:
                self.listener.publish(self.topic, record.as_payload())
            except Exception:
                log.exception("transition listener failed for slot %s", record.slot_id)
