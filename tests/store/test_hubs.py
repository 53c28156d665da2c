"""The hubs sharing one database each claim their call id number; a second hub id with one number is refused."""

from __future__ import annotations

import asyncio

import pytest

from vssd.adapters.store import Store
from vssd.adapters.store_hubs import HubNumberTaken, claim_hub_number, hubs


async def test_a_hub_claims_its_number_again_and_may_move(store: Store) -> None:
    await claim_hub_number(store, "hub-1", 1)
    await claim_hub_number(store, "hub-1", 1)  # a restart
    await claim_hub_number(store, "hub-2", 2)
    assert await hubs(store) == {1: "hub-1", 2: "hub-2"}
    await claim_hub_number(store, "hub-1", 5)  # renumbered: its old number is free again
    assert await hubs(store) == {2: "hub-2", 5: "hub-1"}
    await claim_hub_number(store, "hub-3", 1)
    assert await hubs(store) == {1: "hub-3", 2: "hub-2", 5: "hub-1"}


async def test_another_hub_id_with_a_taken_number_is_refused(store: Store) -> None:
    await claim_hub_number(store, "kyiv-1", 7)
    with pytest.raises(HubNumberTaken, match=r"hub number 7 is held by hub 'kyiv-1'.*'lviv-1'"):
        await claim_hub_number(store, "lviv-1", 7)
    await claim_hub_number(store, "lviv-1", 8)
    with pytest.raises(HubNumberTaken):  # moving onto a taken number keeps the old claim
        await claim_hub_number(store, "lviv-1", 7)
    assert await hubs(store) == {7: "kyiv-1", 8: "lviv-1"}


async def test_concurrent_claims_of_one_number_one_wins(store: Store) -> None:
    got = await asyncio.gather(*(claim_hub_number(store, f"hub-{k}", 3) for k in range(4)), return_exceptions=True)
    assert sum(r is None for r in got) == 1 and all(isinstance(r, HubNumberTaken) for r in got if r is not None)
    assert list(await hubs(store)) == [3]
