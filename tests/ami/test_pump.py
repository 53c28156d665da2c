"""The AMI pump against the PBX simulator over TCP: outcomes, faults, no Originate ever sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.ami.conftest import Finished, settings_for, until
from vssd.adapters.ami import AmiLink, LinkState
from vssd.adapters.ami_calls import DialRequest
from vssd.calls.outcomes import Outcome
from vssd.sim.pbx import HOLD


def originates_in_ledger(sim) -> Counter[str]:
    return Counter(a.action_id for a in sim.ledger.actions if a.name.lower() == "originate")


def assert_one_outcome_per_originate(sim, finished: Finished) -> None:
    sent = originates_in_ledger(sim)
    assert sent and max(sent.values()) == 1, f"an Originate was sent twice: {sent.most_common(3)}"
    ours = finished.by_action()
    for rec in sim.ledger.originates:
        assert len(ours.get(rec.action_id, [])) == 1, f"{rec.action_id}: {ours.get(rec.action_id)}"


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_login_and_refused_secret(pbx, auth):
    link = AmiLink(settings_for(pbx, auth=auth), sink=lambda f: None)
    await link.start()
    await link.wait_up(5)
    assert "vssd-sim" in link.version
    await link.stop()
    bad = AmiLink(settings_for(pbx, auth=auth, secret="wrong"), sink=lambda f: None)
    await bad.start()
    await until(lambda: bad.state is LinkState.AUTH_FAILED, 5)
    logins = [a for a in pbx.ledger.actions if a.name.lower() == "login"]
    await asyncio.sleep(0.3)  # an auth failure is final: no retry storm
    assert len([a for a in pbx.ledger.actions if a.name.lower() == "login"]) == len(logins)
    await bad.stop()


SCRIPT = {
    "79000000001": ("answered", Outcome.ANSWERED),
    "79000000017": ("busy", Outcome.BUSY),
    "79000000019": ("no_answer", Outcome.NO_ANSWER),
    "79000000021": ("rejected", Outcome.REJECTED),
    "79000000034": ("congestion", Outcome.CONGESTION),
}


async def test_each_outcome_through_the_pump(pbx, pump_factory):
    for number, (sim_outcome, _) in SCRIPT.items():
        pbx.script(number, sim_outcome, ring_s=4, talk_s=6)
    pump, finished = await pump_factory()
    for i, number in enumerate(SCRIPT):
        await pump.originate(DialRequest(number=number, endpoint=f"60{i + 1:02d}", caller_id='"Алёна Ким" <100>'))
    await finished.wait_for(lambda: len(finished.by_action()) == len(SCRIPT))
    got = {c.attempt.number: c for c in finished.calls if c.attempt}
    for number, (_, expected) in SCRIPT.items():
        call = got[number]
        assert call.outcome == expected, call.as_dict()
        assert (call.answer_evidence != "") == (expected == Outcome.ANSWERED)
        assert call.ring_s is not None and call.ring_s > 0
    answered = got["79000000001"]
    assert answered.talk_s and answered.talk_s > 0 and answered.cause == 16
    assert got["79000000017"].cause == 17 and got["79000000021"].cause == 21
    assert_one_outcome_per_originate(pbx, finished)


async def test_unregistered_endpoint_is_unavailable(pbx, pump_factory):
    pbx.set_registered("6010", False)
    pump, finished = await pump_factory()
    await pump.originate(DialRequest(number="79000000555", endpoint="6010"))
    await finished.wait_for(lambda: len(finished.calls) >= 1)
    assert finished.calls[0].outcome in (Outcome.UNAVAILABLE, Outcome.FAILED)
    assert_one_outcome_per_originate(pbx, finished)


async def test_link_dropped_mid_calls(pbx, pump_factory):
    for i in range(6):
        pbx.script(f"7910000000{i}", "answered", ring_s=2, talk_s=HOLD)  # talking until settled
    pump, finished = await pump_factory()
    for i in range(6):
        await pump.originate(DialRequest(number=f"7910000000{i}", endpoint=f"60{i + 1:02d}"))
    await until(lambda: sum(1 for c in pump.tracker.open_calls() if c.answered_at) == 6)
    await pbx.drop_links()
    await until(lambda: pump.resyncs >= 1 and pump.link.is_up)
    assert len(pump.tracker.open_calls()) == 6, "calls still up after the cut must stay tracked"
    assert pbx.settle() == 6  # the customers hang up
    await finished.wait_for(lambda: len(finished.calls) == 6, 30)
    assert all(c.outcome == Outcome.ANSWERED for c in finished.calls)
    assert all(c.note == "" or "link" not in c.note for c in finished.calls)  # real ends, seen as Hangup events
    assert_one_outcome_per_originate(pbx, finished)


async def test_silent_link_is_detected_and_replaced(pbx, pump_factory):
    pump, _ = await pump_factory()
    logins = pump.link.counts["logins"]
    pbx.go_silent(True)
    await until(lambda: pump.link.counts["silent_links"] >= 1, 10)
    pbx.go_silent(False)
    await until(lambda: pump.link.is_up and pump.link.counts["logins"] > logins, 10)


async def test_pbx_restart_ends_calls_as_lost(pbx, pump_factory):
    for i in range(3):
        pbx.script(f"7920000000{i}", "answered", ring_s=2, talk_s=HOLD)  # up until the restart
    pump, finished = await pump_factory()
    for i in range(3):
        await pump.originate(DialRequest(number=f"7920000000{i}", endpoint=f"60{i + 1:02d}"))
    await until(lambda: sum(1 for c in pump.tracker.open_calls() if c.answered_at) == 3)
    await pbx.restart()
    await finished.wait_for(lambda: len(finished.calls) == 3, 20)
    assert [c.outcome for c in finished.calls] == [Outcome.LOST] * 3
    assert pump.link.counts["pbx_restarts"] == 1
    assert_one_outcome_per_originate(pbx, finished)


async def test_originate_in_flight_at_a_cut_is_never_resent(pbx, pump_factory):
    pump, finished = await pump_factory()
    pbx.set_read_delay(0.3)  # the Originate is on the wire, unanswered, when the link drops
    task = asyncio.ensure_future(pump.originate(DialRequest(number="79300000001", endpoint="6001")))
    await asyncio.sleep(0.05)
    await pbx.drop_links()
    await task
    pbx.set_read_delay(0.0)
    await until(lambda: pump.link.is_up and pump.link.counts["logins"] >= 2, 10)
    await finished.wait_for(lambda: len(finished.calls) == 1, 30)
    assert originates_in_ledger(pbx)[task.result().attempt.action_id] <= 1
    assert finished.calls[0].outcome in set(Outcome)
    for rec in pbx.ledger.originates:
        assert len(finished.by_action()[rec.action_id]) == 1
