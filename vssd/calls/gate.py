"""The one dial gate every call passes, manual or campaign: a per-number lock (never two live calls to one
number), DNC, and the campaign's compliance `Policy` — calling window in the callee's local time (open in every
zone the number may be in), holidays, attempts per number per day and lifetime, per-SIM caps, slot cool-down.

Pure and synchronous: `acquire` either hands out a `Lease` (and counts the attempt) or raises `DialRefused`
before any await, so check-and-reserve is atomic on the event loop and two concurrent requests for one number
can never both pass. The caller releases the lease when the call ends (or when it was never placed) and reports
the outcome with `record_outcome` (talk minutes for the SIM, route failures for the slot).

    gate = DialGate()
    lease = gate.acquire("+380 99 123 45 67")   # manual call: Policy.preset("none")
    lease = gate.acquire(lead.phone, policy=Policy.preset("us_tsr"), sim_key=iccid, slot_id="7", owner=attempt_id)
    …
    lease.release()                              # idempotent
    gate.record_outcome(sim_key=iccid, slot_id="7", outcome="answered", talk_s=42.0)

The per-number lock sits behind `NumberLocks` (`DialGate(locks=...)`, default `InProcessLocks`): one hub keeps
it in memory; several hubs sharing one number list will need a shared one (see `NumberLocks`).

Days: a number's daily cap counts attempts on the callee's local date in EVERY zone the number may be in (the
strictest); SIM days and months are local dates in the gate's `sim_zone`. Counters live in memory and are rebuilt
at start with `restore(rows)` from the attempts table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import phonenumbers

from vssd.calls.caps import Block, NumberAttempts, SimUsage, SlotHealth
from vssd.calls.outcomes import Outcome
from vssd.calls.policy import Policy
from vssd.calls.window import as_unix, parse_e164, zones_for

_SEPARATORS = re.compile(r"[\s().\-/]")
_DIALABLE = re.compile(r"\+?[0-9*#]{1,32}\Z")
_RETRY_ROUNDS = 16

REASONS = ("invalid_number", "number_busy", "dnc", "window_closed", "holiday", "number_daily_cap",
           "number_lifetime_cap", "sim_cap", "slot_cooldown")


class DialRefused(Exception):
    """The gate refuses this number now. `reason`: one of `REASONS` (CallControl adds its own: no_slot,
    slot_busy, …). `retry_at`: unix seconds when the same call may pass (None: never, or not known)."""

    def __init__(self, reason: str, message: str, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_at = retry_at


def check_valid(key: str, number: str, policy: Policy) -> None:
    """The one `invalid_number` rule beyond `normalise`: a policy that requires valid numbers (every campaign
    preset but `none`) refuses what phonenumbers does not call valid. The gate applies it before each dial and
    the campaign import per lead row, so an undialable lead is rejected at import with this reason."""
    if policy.require_valid and not is_valid_e164(key):
        raise DialRefused("invalid_number", f"{number!r} is not a valid international number")


@lru_cache(maxsize=65536)
def normalise(number: str, region: str | None = None) -> str:
    """The key a number is locked under: E.164 when `phonenumbers` finds it a possible number (international,
    or national with a `region`), else the number without separators. A leading `00` is `+`.

    DialRefused("invalid_number") when nothing dialable is left. Cached: phonenumbers' parse is the gate's
    costliest step."""
    text = _SEPARATORS.sub("", number.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _DIALABLE.match(text):
        raise DialRefused("invalid_number", f"{number!r} is not a dialable number")
    if not (text.startswith("+") or region):
        return text
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return text


@lru_cache(maxsize=65536)
def is_valid_e164(key: str) -> bool:
    """phonenumbers' full validity (country, length, number plan) of a normalised key."""
    parsed = parse_e164(key) if key.startswith("+") else None
    return parsed is not None and phonenumbers.is_valid_number(parsed)


class Lease:
    """One number held by one call. `release()` frees the number (idempotent); usable as a context manager."""

    __slots__ = ("_release", "number", "owner", "released")

    def __init__(self, number: str, owner: Any, release: Callable[[Lease], None]) -> None:
        self.number = number
        self.owner = owner
        self.released = False
        self._release = release

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lease({self.number!r}, released={self.released})"


class NumberLocks(Protocol):
    """Where "a call to this number is already live" is kept: one lease per normalised number.

    The gate asks `holder` before it checks anything else (a busy number is refused first), then `try_lock` once
    the call may pass, and `unlock` when the lease is released. `InProcessLocks` (the default) is one dict: right
    for one hub, where every call passes this one gate. Several hubs dialling one number list need the lock where
    all of them see it (a PostgreSQL row or a Redis key per number, with the lease's owner and an expiry), which
    comes with scale-out; the gate is synchronous (check-and-reserve before any await), so such a lock is taken
    in a step of its own around the gate, with this in-process one as its local front."""

    def holder(self, key: str) -> Lease | None:
        """The live lease on `key`, or None."""
        ...

    def try_lock(self, lease: Lease) -> bool:
        """Hold `lease.number` for `lease`; False (nothing changed) when another lease holds it."""
        ...

    def unlock(self, lease: Lease) -> None:
        """Free `lease.number` if `lease` is what holds it (a stale lease never frees its successor's lock)."""
        ...

    def held(self) -> list[Lease]:
        """Every live lease."""
        ...


class InProcessLocks:
    """`NumberLocks` in this process's memory (one hub)."""

    def __init__(self) -> None:
        self._held: dict[str, Lease] = {}

    def holder(self, key: str) -> Lease | None:
        return self._held.get(key)

    def try_lock(self, lease: Lease) -> bool:
        if lease.number in self._held:
            return False
        self._held[lease.number] = lease
        return True

    def unlock(self, lease: Lease) -> None:
        if self._held.get(lease.number) is lease:
            del self._held[lease.number]

    def held(self) -> list[Lease]:
        return list(self._held.values())


class DialGate:
    """Per-number locks, DNC and compliance checks. `region`: default region for numbers without `+` (None:
    keep them as given). `policy`: what `acquire` checks when given none (default: the permissive "none").
    `clock`: unix seconds when `now` is not passed. `sim_zone`: the zone of SIM plan days and months. `locks`:
    where the per-number locks live (default in this process, see `NumberLocks`)."""

    def __init__(self, region: str | None = None, *, policy: Policy | None = None,
                 clock: Callable[[], float] | None = None, sim_zone: str = "UTC",
                 locks: NumberLocks | None = None) -> None:
        self.region = region
        self.policy = policy or NONE
        self.clock = clock or time.time
        self.locks: NumberLocks = locks if locks is not None else InProcessLocks()
        self._dnc: set[str] = set()
        self.attempts = NumberAttempts()
        self.sims = SimUsage(sim_zone)
        self.slots = SlotHealth()

    def key(self, number: str) -> str:
        return normalise(number, self.region)

    # ---- the gate -------------------------------------------------------------------------------------------
    def acquire(self, number: str, *, policy: Policy | None = None, now: float | datetime | None = None,
                sim_key: str | None = None, slot_id: str | None = None, owner: Any = None,
                tz: str | None = None) -> Lease:
        """A lease on `number` with the attempt counted (for the number and `sim_key`), or DialRefused with a
        reason from `REASONS` and `retry_at`. `tz`: the lead's own zone (used when the number's is unknown)."""
        policy, t = policy or self.policy, self._now(now)
        key = self._admit(number, policy, t)
        refusal = self._refusal(key, policy, t, sim_key, slot_id, tz)
        if refusal is not None:
            raise refusal
        lease = Lease(key, owner, self.locks.unlock)
        if not self.locks.try_lock(lease):
            raise _busy(key, t + policy.busy_retry_s)
        self.attempts.add(key, t)
        if sim_key is not None:
            self.sims.add_call(sim_key, t)
        return lease

    def hold(self, number: str, *, owner: Any = None) -> Lease:
        """Only the lock, nothing checked or counted: for a call already placed that a restart adopts (its attempt
        is in the rows `restore` counted; a DNC entry added meanwhile must not orphan it). DialRefused:
        number_busy, invalid_number (undialable)."""
        key = self.key(number)
        lease = Lease(key, owner, self.locks.unlock)
        if not self.locks.try_lock(lease):
            raise _busy(key)
        return lease

    def check(self, number: str, *, policy: Policy | None = None, now: float | datetime | None = None,
              sim_key: str | None = None, slot_id: str | None = None, tz: str | None = None) -> DialRefused | None:
        """A dry run of `acquire`: the refusal it would raise now, or None (nothing is reserved or counted)."""
        policy, t = policy or self.policy, self._now(now)
        try:
            key = self._admit(number, policy, t)
        except DialRefused as err:
            return err
        return self._refusal(key, policy, t, sim_key, slot_id, tz)

    def next_open(self, number: str, *, policy: Policy | None = None, now: float | datetime | None = None,
                  tz: str | None = None) -> float | None:
        """The earliest instant >= now when the policy's window is open in every zone the number may be in
        (weekdays and holidays skipped); None if it never opens within a year."""
        policy, t = policy or self.policy, self._now(now)
        return policy.window.next_open(t, self.zones(self.key(number), policy, tz))

    def zones(self, key: str, policy: Policy, tz: str | None = None) -> tuple[str, ...]:
        """The zones a (normalised) number may be in under `policy`."""
        return zones_for(key, tz, policy.tz, trust_lead_tz=policy.trust_lead_tz)

    def _admit(self, number: str, policy: Policy, t: float) -> str:
        key = self.key(number)
        check_valid(key, number, policy)
        if key in self._dnc:
            raise DialRefused("dnc", f"{key} is on the do-not-call list")
        if self.locks.holder(key) is not None:
            raise _busy(key, t + policy.busy_retry_s)
        return key

    def _refusal(self, key: str, policy: Policy, t: float, sim_key: str | None, slot_id: str | None,
                 tz: str | None) -> DialRefused | None:
        zones = self.zones(key, policy, tz) if policy.has_window or policy.max_attempts_day is not None else ()
        blocks = self._blocks(key, policy, t, zones, sim_key, slot_id)
        if not blocks:
            return None
        first = blocks[0]
        return DialRefused(first.reason, first.message, self._retry_at(key, policy, blocks, zones, sim_key, slot_id))

    def _blocks(self, key: str, policy: Policy, t: float, zones: Sequence[str], sim_key: str | None,
                slot_id: str | None) -> list[Block]:
        """Everything that forbids the call at `t`, most permanent first."""
        found = [self.attempts.lifetime_block(key, policy.max_attempts_total)]
        if policy.has_window:
            closed = policy.window.closed_reason(t, zones)
            if closed is not None:
                found.append(Block(closed, policy.window.next_open(t, zones),
                                   f"{key}: outside the calling window in {', '.join(zones)}"))
        found.append(self.attempts.daily_block(key, t, zones, policy.max_attempts_day))
        if slot_id is not None:
            found.append(self.slots.block(slot_id, t, policy.slot_failures, policy.slot_cooldown_s))
        if sim_key is not None and policy.has_sim_caps:
            found.append(self.sims.block(sim_key, t, policy.sim_caps))
        return [b for b in found if b is not None]

    def _retry_at(self, key: str, policy: Policy, blocks: list[Block], zones: Sequence[str],
                  sim_key: str | None, slot_id: str | None) -> float | None:
        """The earliest instant every block has lifted (counters as they are now): step to the latest `until`
        and check again, as lifting one block (a new day) may land in another (the window shut)."""
        t = 0.0
        for _ in range(_RETRY_ROUNDS):
            if any(b.until is None for b in blocks):
                return None
            t = max(b.until for b in blocks if b.until is not None)
            blocks = self._blocks(key, policy, t, zones, sim_key, slot_id)
            if not blocks:
                break
        return t  # after many rounds: a lower bound, and the next check there says more

    # ---- outcomes, DNC, restore -------------------------------------------------------------------------------
    def record_outcome(self, *, sim_key: str | None = None, slot_id: str | None = None,
                       outcome: str | Outcome, talk_s: float | None = 0.0,
                       at: float | datetime | None = None) -> None:
        """A call ended: its talk time counts for the SIM on the day of `at` (default now; `restore` uses the
        attempt's own instant); a route failure (congestion, unavailable, failed) extends the slot's streak
        and starts its cool-down clock at `at`, any other outcome resets the streak."""
        t = self._now(at)
        if sim_key is not None and talk_s:
            self.sims.add_talk(sim_key, t, float(talk_s))
        if slot_id is not None:
            self.slots.record(slot_id, outcome, t)

    def dnc_add(self, number: str) -> str:
        """Put a number on the do-not-call list (its key returned); DialRefused(invalid_number) for garbage."""
        key = self.key(number)
        self._dnc.add(key)
        return key

    def dnc_remove(self, number: str) -> bool:
        try:
            key = self.key(number)
        except DialRefused:
            return False
        if key in self._dnc:
            self._dnc.remove(key)
            return True
        return False

    def is_dnc(self, number: str) -> bool:
        try:
            return self.key(number) in self._dnc
        except DialRefused:
            return False

    def load_dnc(self, numbers: Iterable[str]) -> int:
        """Add many numbers to the DNC list; undialable entries are skipped. Returns how many were added."""
        before = len(self._dnc)
        for number in numbers:
            try:
                self._dnc.add(self.key(number))
            except DialRefused:
                continue
        return len(self._dnc) - before

    def restore(self, attempts: Iterable[Sequence[Any] | Mapping[str, Any]]) -> int:
        """Rebuild the counters (not leases, not DNC) from attempt rows (number, sim_key, slot_id, at, outcome,
        talk_s[, seq]) — tuples or mappings with those keys; `at` unix seconds or an aware datetime; outcome None
        while the attempt has none; `seq` the order in which outcomes arrived (a slot's failure streak depends on
        it; without it, attempt order). Returns the rows applied (undialable numbers are skipped)."""
        self.attempts.clear()
        self.sims.clear()
        self.slots.clear()
        rows = sorted((_row(r) for r in attempts), key=lambda row: row[3])
        applied = []
        for row in rows:
            number, sim_key, _, at, _, talk_s, _ = row
            try:
                key = self.key(number)
            except DialRefused:
                continue
            self.attempts.add(key, at)
            if sim_key is not None:
                self.sims.add_call(sim_key, at)
                self.sims.add_talk(sim_key, at, talk_s or 0.0)
            applied.append(row)
        ended = sorted((r for r in applied if r[2] is not None and r[4] is not None),
                       key=lambda r: (r[6] is None, r[6] or 0))
        for _, _, slot_id, at, outcome, _, _ in ended:
            self.slots.record(str(slot_id), outcome, at)
        return len(applied)

    # ---- leases ---------------------------------------------------------------------------------------------
    def holder(self, number: str) -> Lease | None:
        return self.locks.holder(self.key(number))

    def held(self) -> list[Lease]:
        return self.locks.held()

    def _now(self, now: float | datetime | None) -> float:
        return self.clock() if now is None else as_unix(now)


def _busy(key: str, retry_at: float | None = None) -> DialRefused:
    return DialRefused("number_busy", f"a call to {key} is already live", retry_at)


_FIELDS = ("number", "sim_key", "slot_id", "at", "outcome", "talk_s", "seq")


def _row(row: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = [row.get(f) for f in _FIELDS] if isinstance(row, Mapping) else list(row)
    values += [None] * (len(_FIELDS) - len(values))
    values[3] = as_unix(values[3])
    return tuple(values)


NONE = Policy.preset("none")
