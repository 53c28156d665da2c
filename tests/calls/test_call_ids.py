"""Call ids: unique between hubs under one clock, increasing and unique through bursts, clock steps back and
restarts — without reading anything from the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vssd.adapters.id_floor import FileFloor
from vssd.calls.ids import EPOCH_MS, HUBS, RESERVE_MS, SEQS, CallIds, MemoryFloor, hub_number, parse

T0 = EPOCH_MS + 500 * 86_400_000  # some day in 2026


class Clock:
    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def numbers(ids: CallIds, count: int) -> list[int]:
    return [ids.next_number() for _ in range(count)]


def test_two_hubs_under_one_clock_never_collide() -> None:
    clock = Clock()
    one, two = CallIds(hub_number("hub-1", 1), clock=clock), CallIds(hub_number("hub-2", 2), clock=clock)
    minted: list[str] = []
    for step in range(3000):
        minted += [one.next(), two.next(), two.next()]
        if step % 7 == 0:
            clock.ms += 1
    assert len(set(minted)) == len(minted)
    assert {parse(c)[1] for c in minted} == {1, 2}  # type: ignore[index]


def test_hub_numbers_from_ids_are_stable_and_in_range() -> None:
    assert hub_number("hub-1") == hub_number("hub-1") and 0 <= hub_number("kyiv-dc2") < HUBS
    assert hub_number("whatever", 17) == 17
    with pytest.raises(ValueError, match="0..1023"):
        hub_number("hub-1", HUBS)
    with pytest.raises(ValueError, match="0..1023"):
        CallIds(-1)


def test_a_burst_beyond_the_sequence_borrows_the_next_milliseconds() -> None:
    clock = Clock()
    ids = CallIds(5, clock=clock)
    burst = numbers(ids, 5000)  # > 4096 in one wall-clock millisecond
    assert burst == sorted(burst) and len(set(burst)) == len(burst)
    last_ms = parse(f"c_{burst[-1]}")[0]  # type: ignore[index]
    assert last_ms == T0 + (5000 - 1) // SEQS  # ran ahead of the wall clock, never blocked
    clock.ms += 1  # the wall clock moves, but is still behind: the logical clock keeps going from where it is
    after = ids.next_number()
    assert after > burst[-1] and parse(f"c_{after}")[0] == last_ms + 1  # type: ignore[index]


def test_the_clock_stepping_back_never_repeats_or_reorders() -> None:
    clock = Clock()
    ids = CallIds(3, clock=clock)
    before = numbers(ids, 10)
    clock.ms -= 2000  # NTP stepped the clock back two seconds
    during = numbers(ids, 10)
    clock.ms += 5000
    later = numbers(ids, 3)
    seen = before + during + later
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert parse(f"c_{later[0]}")[0] == clock.ms  # type: ignore[index]  # back on the wall clock


@pytest.mark.parametrize("step_back_ms", [0, 1, 750, RESERVE_MS - 1])
def test_a_restart_never_mints_an_id_again(step_back_ms: int) -> None:
    """The clock unchanged, or gone back a little, across a restart: the floor carries the hub on."""
    clock, floor = Clock(), MemoryFloor()
    first = CallIds(9, clock=clock, floor=floor)
    before = numbers(first, 6000)  # runs ahead of the clock too
    clock.ms -= step_back_ms
    after = numbers(CallIds(9, clock=clock, floor=floor), 100)
    assert min(after) > max(before) and len(set(after)) == len(after)
    assert floor.saves <= 3  # the floor is written rarely, not per id


def test_the_floor_is_written_before_an_id_reaches_it() -> None:
    clock, floor = Clock(), MemoryFloor()
    ids = CallIds(1, clock=clock, floor=floor)
    for step in range(50):
        n = ids.next_number()
        assert parse(f"c_{n}")[0] - EPOCH_MS < floor.ms  # type: ignore[index]
        clock.ms += 997 * step


def test_ids_stay_exact_in_javascript_and_keep_the_c_n_shape() -> None:
    ids = CallIds(HUBS - 1, clock=Clock(EPOCH_MS + (1 << 41) - 10))  # the last days of the 41-bit clock
    for _ in range(20):
        call_id = ids.next()
        n = int(call_id.removeprefix("c_"))
        assert call_id == f"c_{n}" and n < 2**53 and float(n) == n and json.loads(json.dumps(n)) == n
    assert parse("c_12") is not None and parse("x_12") is None and parse(f"c_{2**53}") is None


def test_the_file_floor_survives_a_restart(tmp_path: Path) -> None:
    clock, path = Clock(), tmp_path / "state" / "call-ids"
    first = CallIds(4, clock=clock, floor=FileFloor(path))
    before = numbers(first, 10)
    assert int(path.read_text()) > parse(f"c_{before[-1]}")[0] - EPOCH_MS  # type: ignore[index]
    clock.ms -= 1000
    after = CallIds(4, clock=clock, floor=FileFloor(path)).next_number()
    assert after > max(before)


def test_a_broken_floor_file_is_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "call-ids").write_text("garbage")
    assert FileFloor(tmp_path / "call-ids").load() == 0
    blocked = tmp_path / "file"
    blocked.write_text("")
    ids = CallIds(4, clock=Clock(), floor=FileFloor(blocked / "call-ids"))  # its directory is a file
    assert ids.next().startswith("c_")
