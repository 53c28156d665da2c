"""The dial gate: one live call per number, whatever its spelling; leases free the number once."""

from __future__ import annotations

import pytest

from vssd.calls.gate import DialGate, DialRefused, InProcessLocks, normalise


def test_one_lease_per_number_across_spellings() -> None:
    gate = DialGate()
    lease = gate.acquire("+380 (99) 123-45-67")
    assert lease.number == "+380991234567"
    for spelling in ("+380991234567", "00380991234567", "+380.99.123.45.67"):
        with pytest.raises(DialRefused) as err:
            gate.acquire(spelling)
        assert err.value.reason == "number_busy"
    other = gate.acquire("+380991234568")
    assert {held.number for held in gate.held()} == {"+380991234567", "+380991234568"}
    lease.release()
    again = gate.acquire("+380991234567")
    assert again is not lease and gate.holder("+380 99 123 45 67") is again
    other.release()
    again.release()
    assert gate.held() == []


def test_release_is_idempotent_and_never_frees_a_newer_lease() -> None:
    gate = DialGate()
    first = gate.acquire("1001")
    first.release()
    second = gate.acquire("1001")
    first.release()  # a stale lease must not free the number its successor holds
    with pytest.raises(DialRefused):
        gate.acquire("1001")
    with second:
        pass
    assert second.released and gate.held() == []


@pytest.mark.parametrize("bad", ["", "   ", "call me", "+12;rm", "1" * 40])
def test_undialable_numbers_are_refused(bad: str) -> None:
    with pytest.raises(DialRefused) as err:
        DialGate().acquire(bad)
    assert err.value.reason == "invalid_number"


def test_normalise_keeps_short_and_service_numbers() -> None:
    assert normalise("1001") == "1001"
    assert normalise("*100#") == "*100#"
    assert normalise(" 8 (800) 555-35-35 ") == "88005553535"


def test_national_numbers_meet_their_e164_form_with_a_region() -> None:
    gate = DialGate(region="UA")
    lease = gate.acquire("099 123 45 67")
    assert lease.number == "+380991234567"
    with pytest.raises(DialRefused):
        gate.acquire("+380991234567")
    assert normalise("+44 20 7946 0958") == "+442079460958"


def test_the_number_locks_are_a_port_the_gate_is_given() -> None:
    """Two gates given one `NumberLocks` (as hubs sharing a lock store would be) never both hold a number; the
    lock is asked first, so a number held elsewhere is refused as busy whatever the other checks say."""
    shared = InProcessLocks()
    here, there = DialGate(locks=shared), DialGate(locks=shared)
    lease = here.acquire("+380 99 123 45 67", owner="hub-1")
    for gate in (here, there):
        with pytest.raises(DialRefused) as err:
            gate.acquire("00380991234567")
        assert err.value.reason == "number_busy"
        with pytest.raises(DialRefused):
            gate.hold("+380991234567")
    assert there.holder("+380991234567") is lease and shared.held() == [lease]
    lease.release()
    assert there.acquire("+380991234567", owner="hub-2").owner == "hub-2"
    assert DialGate().held() == []  # each gate's default locks are its own
