"""Group commit for the dialer's reservations: every dispatch asks for its own reservation, and the asks made
while a batch is in flight go together in the next one — one statement, one commit (`LeadStore.reserve_many`).

Why: at a few hundred attempts a second, one commit per reservation queued on the store's pool for most of a
second per attempt (bench/dialer.py). A lone lead is not delayed: the first ask is flushed at the next turn of
the loop. `max_in_flight` statements may run at once (leads are locked in id order, so they never deadlock);
the default is one: three at once cut the wait for a reservation by a third but lowered attempts/s on two shared
cores (bench/dialer.py: ~285 vs ~310/s; the commits compete with everything else for PostgreSQL's CPU).
Bounded: at most `max_batch` asks per statement; asks beyond wait for the next batch (the dial round
never has more dispatches than READY slots, so the backlog is bounded by the slots).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from vssd.calls.campaign import Reservation, ReserveAsk
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.actors.reservations")


class ReservingStore(Protocol):
    async def reserve_many(self, asks: list[ReserveAsk]) -> dict[str, Reservation]: ...


class ReservationBatcher:
    def __init__(self, store: ReservingStore, tasks: TaskSet, max_batch: int = 256, max_in_flight: int = 1) -> None:
        self.store = store
        self.tasks = tasks
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight  # statements at once: asks wait for a free one, not for the last batch
        self.batches = 0  # statements issued (a figure for the bench and the tests)
        self._asks: list[tuple[ReserveAsk, asyncio.Future[Reservation | None]]] = []
        self._flushers = 0

    async def reserve(self, ask: ReserveAsk) -> Reservation | None:
        """The reservation, or None when the lead was not reservable; the store's error if its batch failed
        (the reservation may or may not have committed: the caller withdraws it)."""
        future: asyncio.Future[Reservation | None] = asyncio.get_running_loop().create_future()
        self._asks.append((ask, future))
        if self._flushers < self.max_in_flight:
            self._flushers += 1
            self.tasks.spawn(self._flush(), "reservations")
        return await future

    async def _flush(self) -> None:
        try:
            while self._asks:
                batch, self._asks = self._asks[:self.max_batch], self._asks[self.max_batch:]
                await self._one_batch(batch)
        finally:
            self._flushers -= 1

    async def _one_batch(self, batch: list[tuple[ReserveAsk, asyncio.Future[Reservation | None]]]) -> None:
        self.batches += 1
        try:
            won = await self.store.reserve_many([ask for ask, _ in batch])
        except Exception as err:
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        except BaseException as err:  # cancelled (the dialer stops): the waiting dispatches are cancelled too
            for _, future in batch:
                future.cancel()
            raise err
        for ask, future in batch:
            if not future.done():
                future.set_result(won.get(ask.attempt_id))

    def pending(self) -> int:
        return len(self._asks)


