"""The dial gate never lets a forbidden call pass: random policies, numbers, clocks (any instant of a year, DST
transitions), SIMs, slots and outcomes, each call checked against a naive ledger written from the policy's
definition (never the gate's own helpers). Also: refusals say when the call may pass (exact to the second), the
counters survive `restore()`, and the per-number lock holds under any interleaving.
"""

from __future__ import annotations

import asyncio
import calendar
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.calls.test_gate_window import NUMBERS, ZONES, instants, number_zones, window_verdict
from vssd.calls.gate import DialGate, DialRefused, Lease
from vssd.calls.policy import Policy

ROUTE_FAILURES = {"congestion", "unavailable", "failed"}
OUTCOMES = ("answered", "busy", "no_answer", "congestion", "unavailable", "failed", "abandoned")
SIMS = ("8970100000000000001", "8970100000000000002", None)
SLOTS = ("1", "2", None)
TIMED = {"number_lifetime_cap", "window_closed", "holiday", "number_daily_cap", "sim_cap", "slot_cooldown"}


# ---- the oracle: a ledger of everything that happened, and the rules read off the policy ----------------------
def wall(t: float, zone: str) -> datetime:
    return datetime.fromtimestamp(t, ZoneInfo(zone))


def month_start(day: date, reset: int) -> date:
    """Walk back to the latest reset day (a month's last day when it is shorter than the reset day)."""
    while day.day != min(reset, calendar.monthrange(day.year, day.month)[1]):
        day -= timedelta(days=1)
    return day


@dataclass
class Ledger:
    sim_zone: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    dnc: set[str] = field(default_factory=set)

    def violations(self, policy: Policy, number: str, t: float, sim: str | None, slot: str | None,
                   tz: str | None) -> set[str]:
        """Every rule a call to `number` at `t` would break."""
        if policy.require_valid and not phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return {"invalid_number"}
        found = {"dnc"} if number in self.dnc else set()
        if number in self.held:
            found.add("number_busy")
        return found | self.timed(policy, number, t, sim, slot, tz)

    def timed(self, policy: Policy, number: str, t: float, sim: str | None, slot: str | None,
              tz: str | None) -> set[str]:
        """The rules that depend on the clock and the counters."""
        found: set[str] = set()
        zones = number_zones(number, tz, policy.tz, policy.trust_lead_tz)
        mine = [a["at"] for a in self.attempts if a["number"] == number]
        if policy.max_attempts_total is not None and len(mine) >= policy.max_attempts_total:
            found.add("number_lifetime_cap")
        if policy.window_start is not None or len(policy.weekdays) < 7 or policy.holidays:
            verdict = window_verdict(t, zones, policy.window_start, policy.window_end, policy.weekdays,
                                     policy.holidays)
            if verdict:
                found.add(verdict)
        cap = policy.max_attempts_day
        if cap is not None and any(sum(wall(a, z).date() == wall(t, z).date() for a in mine) >= cap for z in zones):
            found.add("number_daily_cap")
        if slot is not None and self._resting(policy, slot, t):
            found.add("slot_cooldown")
        if sim is not None and self._sim_over(policy, sim, t):
            found.add("sim_cap")
        return found

    def _resting(self, policy: Policy, slot: str, t: float) -> bool:
        streak, last = 0, 0.0
        for a in sorted((a for a in self.attempts if a["outcome"] is not None), key=lambda a: a["seq"]):
            if a["slot_id"] == slot:
                streak, last = (streak + 1, a["at"]) if a["outcome"] in ROUTE_FAILURES else (0, last)
        return policy.slot_failures is not None and streak >= policy.slot_failures and \
            t < last + policy.slot_cooldown_s

    def _sim_over(self, policy: Policy, sim: str, t: float) -> bool:
        today = wall(t, self.sim_zone).date()
        first = month_start(today, policy.sim_reset_day)
        mine = [(wall(a["at"], self.sim_zone).date(), a["talk_s"] or 0.0) for a in self.attempts
                if a["sim_key"] == sim]
        day = [secs for d, secs in mine if d == today]
        month = [secs for d, secs in mine if first <= d <= today]
        used = ((len(day), policy.sim_calls_day), (sum(day) / 60, policy.sim_minutes_day),
                (len(month), policy.sim_calls_month), (sum(month) / 60, policy.sim_minutes_month))
        return any(cap is not None and n >= cap for n, cap in used)


# ---- strategies ---------------------------------------------------------------------------------------------
def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def cap(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """No cap, a small one, or rarely 0 (nothing ever passes)."""
    return st.one_of(st.none(), strategy, strategy, st.just(0))


@st.composite
def policies(draw: st.DrawFn, start: int) -> Policy:
    """A preset with some rule groups overridden (each group on or off, so that calls also pass and feed the
    counters); holidays fall within the first two weeks after `start`."""
    fields: dict[str, Any] = {"tz": draw(st.sampled_from(ZONES)), "trust_lead_tz": draw(st.booleans()),
                              "require_valid": draw(st.booleans())}
    on = draw(st.sets(st.sampled_from(["window", "holidays", "number", "sim", "slot"])))
    if "window" not in on:
        fields |= {"window_start": None, "window_end": None}
    elif draw(st.booleans()):
        lo = draw(st.integers(0, 1438))
        hi = draw(st.integers(lo + 1, min(1439, lo + 16 * 60)))
        fields |= {"window_start": time(lo // 60, lo % 60), "window_end": time(hi // 60, hi % 60),
                   "weekdays": draw(st.sets(st.integers(0, 6), min_size=1))}
    if "holidays" in on:
        base = datetime.fromtimestamp(start, UTC).date()
        fields["holidays"] = draw(st.sets(st.integers(-1, 14).map(lambda d: base + timedelta(days=d)), max_size=4))
    if "number" in on:
        fields |= {"max_attempts_day": draw(cap(st.integers(1, 3))),
                   "max_attempts_total": draw(cap(st.integers(1, 6)))}
    if "sim" in on:
        fields |= {"sim_calls_day": draw(cap(st.integers(1, 4))), "sim_minutes_day": draw(cap(st.floats(0.5, 6))),
                   "sim_calls_month": draw(cap(st.integers(1, 8))),
                   "sim_minutes_month": draw(cap(st.floats(0.5, 12))), "sim_reset_day": draw(st.integers(1, 31))}
    if "slot" in on:
        fields |= {"slot_failures": draw(st.integers(1, 3)),
                   "slot_cooldown_s": draw(st.sampled_from([600.0, 30.0, 7200.0, 0.0]))}
    return Policy.preset(draw(st.sampled_from(["us_tsr", "none"])), **fields)


steps = st.one_of(st.sampled_from([0, 1, 59, 600, 3600, 4 * 3600, 11 * 3600, 86400, 3 * 86400]),
                  st.integers(0, 2 * 86400), st.integers(0, 900))
talk = st.sampled_from([0.0, 5.0, 61.0, 400.0])
FAVOURED = ("+12125551234", "+19075551234", "+79161234567", "+61412345678", "+5540041234")  # 1, 2, 16, 8, 4 zones
dial = st.tuples(st.just("dial"), st.one_of(st.sampled_from(FAVOURED), st.sampled_from(NUMBERS)),
                 st.sampled_from(SIMS), st.sampled_from(SLOTS), maybe(st.sampled_from(ZONES)), st.booleans(),
                 st.one_of(st.sampled_from(OUTCOMES), st.sampled_from(sorted(ROUTE_FAILURES))), talk)
scenarios = instants().flatmap(lambda t: st.tuples(st.just(t), policies(t), st.sampled_from(ZONES)))
ops = st.one_of(
    dial, dial, dial,
    st.tuples(st.just("end"), st.sampled_from(OUTCOMES), talk),
    st.tuples(st.just("dnc"), st.sampled_from(NUMBERS), st.booleans()),
    st.tuples(st.just("wait"), steps), st.tuples(st.just("wait"), steps),
)
scripts = st.lists(ops, min_size=10, max_size=60)


# ---- the run: gate and oracle side by side --------------------------------------------------------------------
class Run:
    def __init__(self, policy: Policy, sim_zone: str, t: int) -> None:
        self.policy, self.t = policy, t
        self.gate = DialGate(policy=policy, sim_zone=sim_zone, clock=lambda: self.t)
        self.ledger = Ledger(sim_zone)
        self.leases: list[tuple[Lease, dict[str, Any]]] = []
        self.passed = 0
        self.ended = 0  # outcomes so far: a slot's failure streak follows the order outcomes arrive in

    def step(self, op: tuple[Any, ...]) -> None:
        getattr(self, "_" + op[0])(*op[1:])

    def _wait(self, seconds: int) -> None:
        self.t += seconds

    def _dnc(self, number: str, add: bool) -> None:
        if add:
            self.gate.dnc_add(number)
            self.ledger.dnc.add(number)
        else:
            self.gate.dnc_remove(number)
            self.ledger.dnc.discard(number)

    def _dial(self, number: str, sim: str | None, slot: str | None, tz: str | None, keep: bool, outcome: str,
              talk_s: float) -> None:
        forbidden = self.ledger.violations(self.policy, number, self.t, sim, slot, tz)
        try:
            lease = self.gate.acquire(number, sim_key=sim, slot_id=slot, tz=tz)
        except DialRefused as err:
            assert err.reason in forbidden, (err.reason, forbidden)
            self._check_retry_at(err, number, sim, slot, tz)
            return
        assert not forbidden, f"the gate let a forbidden call pass: {forbidden}"
        row = {"number": number, "sim_key": sim, "slot_id": slot, "at": self.t, "outcome": None, "talk_s": None,
               "seq": None}
        self.ledger.attempts.append(row)
        self.ledger.held.add(number)
        self.passed += 1
        if keep:
            self.leases.append((lease, row))
        else:
            self._finish(lease, row, outcome, talk_s)

    def _end(self, outcome: str, talk_s: float) -> None:
        if self.leases:
            lease, row = self.leases.pop(0)
            self._finish(lease, row, outcome, talk_s)

    def _finish(self, lease: Lease, row: dict[str, Any], outcome: str, talk_s: float) -> None:
        lease.release()
        self.ledger.held.discard(row["number"])
        row["outcome"], row["talk_s"], row["seq"] = outcome, talk_s, self.ended
        self.ended += 1
        self.gate.record_outcome(sim_key=row["sim_key"], slot_id=row["slot_id"], outcome=outcome, talk_s=talk_s,
                                 at=row["at"])

    def _check_retry_at(self, err: DialRefused, number: str, sim: str | None, slot: str | None,
                        tz: str | None) -> None:
        """A timed refusal names the first second it may pass (counters as they are): nothing forbids it then,
        something still does a second before. None: still forbidden far ahead."""
        if err.reason not in TIMED:
            return
        timed = self.ledger.timed
        if err.retry_at is None:
            for ahead in (86400, 40 * 86400, 200 * 86400):
                assert timed(self.policy, number, self.t + ahead, sim, slot, tz), (err.reason, ahead)
            return
        assert err.retry_at > self.t
        assert not timed(self.policy, number, err.retry_at, sim, slot, tz), err.reason
        assert timed(self.policy, number, err.retry_at - 1, sim, slot, tz), err.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios, script=scripts)
def test_the_gate_never_lets_a_forbidden_call_pass(scenario: tuple[int, Policy, str],
                                                  script: list[tuple[Any, ...]]) -> None:
    start, policy, sim_zone = scenario
    run = Run(policy, sim_zone, start)
    for op in script:
        run.step(op)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios, script=scripts, seed=st.integers(0, 2**16))
def test_counters_survive_restore(scenario: tuple[int, Policy, str], script: list[tuple[Any, ...]],
                                  seed: int) -> None:
    """A gate rebuilt from the attempt rows (in any order, tuples or mappings, datetimes or floats) refuses and
    admits exactly as the gate that saw the calls happen."""
    start, policy, sim_zone = scenario
    run = Run(policy, sim_zone, start)
    for op in script:
        run.step(op)
    for lease, row in list(run.leases):
        lease.release()
        run.ledger.held.discard(row["number"])
    rows: list[Any] = [dict(a) for a in run.ledger.attempts]
    rng = random.Random(seed)
    rng.shuffle(rows)
    for i, row in enumerate(rows):
        if i % 3 == 1:
            row["at"] = datetime.fromtimestamp(row["at"], ZoneInfo(rng.choice(ZONES)))
        if i % 2:
            rows[i] = tuple(row[k] for k in ("number", "sim_key", "slot_id", "at", "outcome", "talk_s", "seq"))
    rebuilt = DialGate(policy=policy, sim_zone=sim_zone)
    assert rebuilt.restore(rows) == run.passed
    rebuilt.load_dnc(run.ledger.dnc)
    moments = {run.t, run.t + 3600, run.t + 86400} | {a["at"] + 1 for a in run.ledger.attempts[-3:]}
    for now in sorted(moments):
        for number in NUMBERS:
            for sim, slot in ((SIMS[0], SLOTS[0]), (SIMS[1], SLOTS[1]), (None, None)):
                probe = {"now": now, "sim_key": sim, "slot_id": slot}
                live, again = run.gate.check(number, **probe), rebuilt.check(number, **probe)
                assert (live and (live.reason, live.retry_at)) == (again and (again.reason, again.retry_at))


@settings(max_examples=150, deadline=None)
@given(start=instants(), number=st.sampled_from(["+19075551234", "+79161234567", "+61412345678", "+5540041234"]),
       cap=st.integers(1, 2), waits=st.lists(st.integers(0, 30 * 3600), min_size=2, max_size=12))
def test_daily_caps_of_multi_zone_numbers(start: int, number: str, cap: int, waits: list[int]) -> None:
    """Repeated calls to one multi-zone number across local midnights: the day is the callee's in every zone."""
    run = Run(Policy.preset("none", max_attempts_day=cap), "UTC", start)
    for wait in waits:
        run.step(("wait", wait))
        run.step(("dial", number, None, None, None, False, "no_answer", 0.0))


# ---- the per-number lock ---------------------------------------------------------------------------------------
SPELLINGS = {
    "+380991234567": ("+380991234567", "+380 99 123 45 67", "00380991234567", "+380 (99) 123-45-67"),
    "+12125551234": ("+12125551234", "+1 212 555 1234", "001-212-555-1234"),
    "1001": ("1001", "10 01"),
}


@settings(max_examples=200, deadline=None)
@given(script=st.lists(st.tuples(st.sampled_from(["acquire", "release"]), st.integers(0, 3),
                                 st.sampled_from(sorted(SPELLINGS)), st.integers(0, 3)), max_size=60))
def test_one_live_lease_per_number_under_any_interleaving(script: list[tuple[str, int, str, int]]) -> None:
    """Four callers acquire and release (stale leases too) in any order: a number passes iff no live lease holds
    it, and releasing an old lease never frees a newer one."""
    gate = DialGate()
    live: dict[str, Lease] = {}
    mine: dict[int, list[Lease]] = {c: [] for c in range(4)}
    for action, caller, number, pick in script:
        if action == "acquire":
            spelling = SPELLINGS[number][pick % len(SPELLINGS[number])]
            try:
                lease = gate.acquire(spelling, owner=caller)
            except DialRefused as err:
                assert err.reason == "number_busy" and number in live
                continue
            assert number not in live and lease.number == number and lease.owner == caller
            live[number] = lease
            mine[caller].append(lease)
        elif mine[caller]:
            lease = mine[caller][pick % len(mine[caller])]
            lease.release()
            if live.get(lease.number) is lease:
                del live[lease.number]
        assert {lease.number: lease for lease in gate.held()} == live


@pytest.mark.parametrize("seed", range(8))
async def test_concurrent_callers_on_the_loop_never_share_a_number(seed: int) -> None:
    """Tasks that await between the gate and the end of their 'call' (as the dialer awaits the PBX) never hold
    one number twice; every refusal is number_busy while another task holds it."""
    rng = random.Random(seed)
    gate, holding, passes = DialGate(), {n: 0 for n in SPELLINGS}, {n: 0 for n in SPELLINGS}

    async def caller() -> None:
        for _ in range(30):
            number = rng.choice(sorted(SPELLINGS))
            try:
                lease = gate.acquire(rng.choice(SPELLINGS[number]))
            except DialRefused as err:
                assert err.reason == "number_busy" and holding[number] == 1
                await asyncio.sleep(0)
                continue
            holding[number] += 1
            passes[number] += 1
            assert holding[number] == 1
            for _ in range(rng.randint(0, 3)):
                await asyncio.sleep(0)
            holding[number] -= 1
            lease.release()

    await asyncio.gather(*(caller() for _ in range(6)))
    assert gate.held() == [] and sum(passes.values()) > 0


# ---- fixed cases the dialer relies on ------------------------------------------------------------------------------
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


def test_manual_calls_keep_working_without_a_policy() -> None:
    gate = DialGate()
    lease = gate.acquire("*100#")
    gate.dnc_add("+380991234567")
    with pytest.raises(DialRefused) as err:
        gate.acquire("+380 99 123 45 67")
    assert (err.value.reason, err.value.retry_at) == ("dnc", None)
    assert gate.dnc_remove("00380991234567") and gate.acquire("+380991234567").number == "+380991234567"
    lease.release()


def test_slot_cools_down_after_consecutive_route_failures_and_any_other_outcome_resets() -> None:
    policy = Policy.preset("us_tsr", slot_failures=2, slot_cooldown_s=300)
    gate = DialGate(policy=policy)
    t = T0.timestamp()
    for outcome in ("congestion", "answered", "unavailable"):
        gate.record_outcome(slot_id="7", outcome=outcome, at=t)
    assert gate.check("+12125551234", slot_id="7", now=t) is None  # the answer broke the streak
    gate.record_outcome(slot_id="7", outcome="congestion", at=t + 10)
    refused = gate.check("+12125551234", slot_id="7", now=t + 20)
    assert refused is not None and (refused.reason, refused.retry_at) == ("slot_cooldown", t + 310)
    assert gate.check("+12125551234", slot_id="8", now=t + 20) is None
    assert gate.check("+12125551234", slot_id="7", now=t + 310) is None


def test_sim_minutes_cap_lifts_at_the_sims_next_day_and_month_cap_at_the_reset_day() -> None:
    policy = Policy.preset("us_tsr", sim_minutes_day=10, sim_calls_month=3, sim_reset_day=31)
    gate = DialGate(policy=policy, sim_zone="Europe/Moscow")
    t = T0.timestamp()  # 18:00 in Moscow on Nov 23rd
    gate.acquire("+12125551234", sim_key="A", now=t).release()
    gate.record_outcome(sim_key="A", outcome="answered", talk_s=600, at=t)
    refused = gate.check("+12125551235", sim_key="A", now=t + 60)
    assert refused is not None and refused.reason == "sim_cap"
    assert refused.retry_at == datetime(2026, 11, 23, 21, 0, tzinfo=UTC).timestamp()  # Moscow's midnight
    for k in range(2):
        gate.acquire(f"+1212555124{k}", sim_key="A", now=refused.retry_at + k).release()
    # 3 calls this period (Oct 31st … Nov 29th; November has no 31st, so its last day is the reset day).
    refused = gate.check("+12125551250", sim_key="A", now=refused.retry_at + 10)
    assert refused is not None and refused.reason == "sim_cap"
    reset = datetime(2026, 11, 30, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
    assert refused.retry_at == reset


def test_daily_attempts_count_the_callees_local_day_in_every_zone() -> None:
    """Anchorage/Adak number, 1 attempt a day: the next may pass at the later local midnight that is also
    inside both windows — 08:00 Adak the next day."""
    policy = Policy.preset("us_tsr", max_attempts_day=1, max_attempts_total=2)
    gate = DialGate(policy=policy)
    t = datetime(2026, 11, 23, 22, 0, tzinfo=UTC).timestamp()  # 13:00 Anchorage, 12:00 Adak
    gate.acquire("+19075551234", now=t).release()
    refused = gate.check("+19075551234", now=t + 60)
    assert refused is not None and refused.reason == "number_daily_cap"
    assert refused.retry_at == datetime(2026, 11, 24, 18, 0, tzinfo=UTC).timestamp()
    gate.acquire("+19075551234", now=refused.retry_at).release()
    refused = gate.check("+19075551234", now=refused.retry_at + 86400)
    assert refused is not None and (refused.reason, refused.retry_at) == ("number_lifetime_cap", None)


def test_a_multi_zone_numbers_day_ends_when_it_has_ended_in_every_zone() -> None:
    """A Russian mobile (Bucharest UTC+2 … Anadyr UTC+12), 1 attempt a day, no window. Called at 21:00 UTC
    (23:00 in Bucharest, already the 24th from Moscow eastwards): at 23:00 UTC it is a new day in Bucharest
    only, so the next call waits for the 25th in Moscow, the westernmost zone that shared the day."""
    policy = Policy.preset("none", max_attempts_day=1)
    gate = DialGate(policy=policy)
    gate.acquire("+79161234567", now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC)).release()
    refused = gate.check("+79161234567", now=datetime(2026, 11, 23, 23, 0, tzinfo=UTC))
    assert refused is not None and refused.reason == "number_daily_cap"
    assert refused.retry_at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC).timestamp()
    assert gate.check("+79161234567", now=refused.retry_at - 1) is not None
    assert gate.check("+74232123456", now=datetime(2026, 11, 23, 23, 0, tzinfo=UTC)) is None  # another number


def test_campaign_policies_refuse_numbers_phonenumbers_calls_invalid() -> None:
    gate = DialGate(policy=Policy.preset("us_tsr"))
    for number in ("+15555551234", "1001", "*100#"):
        refused = gate.check(number, now=T0)
        assert refused is not None and (refused.reason, refused.retry_at) == ("invalid_number", None)
    assert gate.check("1001", policy=Policy.preset("none"), now=T0) is None


def test_restore_rebuilds_streaks_minutes_and_daily_counts() -> None:
    policy = Policy.preset("us_tsr", max_attempts_day=2, sim_minutes_day=5, slot_failures=2, slot_cooldown_s=600)
    t = T0.timestamp()
    rows = [("+12125551234", "S", "3", t, "congestion", 0.0),
            {"number": "+1 212 555 1234", "sim_key": "S", "slot_id": "3", "at": T0 + timedelta(seconds=60),
             "outcome": "unavailable", "talk_s": None},
            ("+12125551299", "S", "4", t + 120, "answered", 300.0)]
    gate = DialGate(policy=policy)
    assert gate.restore(rows) == 3
    expected = (("+12125551235", {"slot_id": "3"}, "slot_cooldown"), ("+12125551235", {"sim_key": "S"}, "sim_cap"),
                ("+12125551234", {}, "number_daily_cap"))
    for number, probe, reason in expected:
        refused = gate.check(number, now=t + 180, **probe)
        assert refused is not None and refused.reason == reason, probe
    assert gate.check("+12125551234", slot_id="3", now=t + 660) is not None  # daily cap still
    assert gate.check("+12125551235", slot_id="3", now=t + 660) is None  # the rest is over


def test_hold_locks_an_adopted_call_without_checking_or_counting() -> None:
    policy = Policy.preset("us_tsr", max_attempts_total=1)
    gate = DialGate(policy=policy)
    gate.restore([("+12125551234", None, None, T0, None, None)])
    gate.dnc_add("+12125551234")
    lease = gate.hold("+1 212 555 1234", owner="attempt-1")  # DNC and the lifetime cap do not apply
    with pytest.raises(DialRefused) as err:
        gate.hold("+12125551234")
    assert err.value.reason == "number_busy" and gate.holder("+12125551234") is lease
    lease.release()
    gate.dnc_remove("+12125551234")
    refused = gate.check("+12125551234", now=T0)
    assert refused is not None and refused.reason == "number_lifetime_cap"  # 1 attempt, not 2: nothing counted
    assert gate.attempts.total("+12125551234") == 1


def test_ring_time_is_never_under_the_floor_and_a_lower_floor_is_refused() -> None:
    policy = Policy.preset("us_tsr")
    assert policy.ring_timeout_s(5) == 15.0 and policy.ring_timeout_s(30) == 30.0
    assert policy.ring_timeout_s(None) == 15.0 and policy.ring_timeout_s(float("nan")) == 15.0
    with pytest.raises(ValueError, match="under 15"):
        Policy.preset("none", ring_floor_s=14.9)
