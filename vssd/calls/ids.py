"""Call ids that never collide between hubs or across restarts: `c_<n>`, n a 53-bit snowflake.

One number names a call everywhere: the call id `c_<n>`, the Originate's ActionID (and its ChannelIds
`c_<n>-1`/`-2`), the dial attempt's `attempt_id`. Several hubs share one PostgreSQL and may share one Asterisk
(whose OriginateResponse events reach every manager connection), so two hubs must never mint one id — and a
hub must not mint again, after a restart, an id it minted before. Nothing is read from the store for it.

    n = ms << 12 | hub << 2 | seq          (53 bits)

- `ms` (41 bits): milliseconds since `EPOCH_MS` (2025-01-01 UTC), enough until 2094. It is a *logical*
  clock: never behind the wall clock, never going back. When the wall clock steps back it stays where it was;
  when a burst spends a millisecond's four sequence numbers it moves on to the next millisecond (it runs ahead
  of the wall clock by the burst's length / 4 ms and waits for it there). Nothing ever blocks.
- `hub` (10 bits): the hub's number, 0–1023 (`hub_number`).
- `seq` (2 bits): within one logical millisecond. Four calls a millisecond is 4000 a second per hub, far above
  what a hub's slots can place; bursts borrow the milliseconds ahead.

Why 53 bits and not a 63-bit snowflake: the DEMIURGE API reference names a call by its bare number n in JSON,
and JavaScript (the console, most API clients) reads JSON numbers as doubles: above 2**53 a number silently
becomes another, so an end or disposition request would name the wrong call. Every n here is a safe integer.

Restarts: the generator keeps a *floor* — a millisecond no id has reached yet — in a `Floor` (the daemon's is a
small file in the state directory, `vssd.adapters.id_floor`). It raises the floor `RESERVE_MS` ahead of the
logical clock before issuing an id at or beyond it (one small write per 10 s of ids at most), and a generator
starting up begins at max(wall clock, floor). So a restart mints above everything minted before, even when the
wall clock has not moved or went back (by any amount the floor covers: a lost floor file leaves only the wall
clock, i.e. a clock stepped back across a restart could repeat that hub's ids).

Where the hub number comes from (`hub_number`): the `[hub] number` setting when given, else a stable hash of
`hub.id` (blake2b, mod 1024). The hash needs no second knob but two ids can share a number (two hubs: 1 in
1024; 38 hubs: about one chance in two), so the daemon claims its number in the store at start and refuses to
run beside another hub id holding it: different hub ids never mint in one number space at once. A fleet sets
`number` explicitly; the claim still catches a copy-pasted config.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Protocol

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MS_BITS, HUB_BITS, SEQ_BITS = 41, 10, 2
HUBS = 1 << HUB_BITS
SEQS = 1 << SEQ_BITS
MAX_MS = (1 << MS_BITS) - 1
RESERVE_MS = 10_000
_CALL_ID = re.compile(r"c_([0-9]+)\Z")


class Floor(Protocol):
    """Where the generator keeps its floor across restarts: `load()` the saved one (0: none), `save(ms)` it
    durably before returning."""

    def load(self) -> int: ...

    def save(self, ms: int) -> None: ...


class MemoryFloor:
    """A `Floor` in memory: tests, and a restart that shares it is a restart of the same hub."""

    def __init__(self, ms: int = 0) -> None:
        self.ms = ms
        self.saves = 0

    def load(self) -> int:
        return self.ms

    def save(self, ms: int) -> None:
        self.ms = ms
        self.saves += 1


def hub_number(hub_id: str, number: int | None = None) -> int:
    """The hub's 10-bit number: `number` when configured, else a stable hash of `hub_id` (see the module)."""
    if number is not None:
        if not 0 <= number < HUBS:
            raise ValueError(f"hub number {number} is not in 0..{HUBS - 1}")
        return number
    digest = hashlib.blake2b(hub_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % HUBS


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class CallIds:
    """`next()` → `c_<n>`, unique across hubs (distinct `hub`) and restarts (a shared `floor`), increasing.

    `clock`: unix milliseconds (default the wall clock). `floor`: see `Floor` (default in memory: no restart
    safety)."""

    def __init__(self, hub: int, *, clock: Callable[[], int] = wall_ms, floor: Floor | None = None) -> None:
        if not 0 <= hub < HUBS:
            raise ValueError(f"hub number {hub} is not in 0..{HUBS - 1}")
        self.hub = hub
        self._clock = clock
        self._floor = floor if floor is not None else MemoryFloor()
        self._reserved = max(0, self._floor.load())  # no id has reached this millisecond (since EPOCH_MS)
        self._ms = max(self._wall(), self._reserved)
        self._seq = 0

    def next_number(self) -> int:
        now = self._wall()
        if now > self._ms:
            self._ms, self._seq = now, 0
        elif self._seq == SEQS:
            self._ms, self._seq = self._ms + 1, 0
        if self._ms > MAX_MS:
            raise OverflowError("call id clock past its 41 bits (year 2094)")
        if self._ms >= self._reserved:
            self._reserved = self._ms + RESERVE_MS
            self._floor.save(self._reserved)
        n = self._ms << (HUB_BITS + SEQ_BITS) | self.hub << SEQ_BITS | self._seq
        self._seq += 1
        return n

    def next(self) -> str:
        return f"c_{self.next_number()}"

    __call__ = next

    def _wall(self) -> int:
        return max(0, self._clock() - EPOCH_MS)


def parse(call_id: str) -> tuple[int, int, int] | None:
    """(unix ms, hub number, sequence) of a `c_<n>` this module minted; None for any other id."""
    m = _CALL_ID.match(call_id)
    if m is None or int(m.group(1)) >> (MS_BITS + HUB_BITS + SEQ_BITS):
        return None
    n = int(m.group(1))
    return (n >> (HUB_BITS + SEQ_BITS)) + EPOCH_MS, n >> SEQ_BITS & (HUBS - 1), n & (SEQS - 1)
