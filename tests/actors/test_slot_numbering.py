"""A new slot's SIP number comes from the configured numbering block of its type (`slots.numbering`, SPEC:
"numbering plan per type, configurable"), lowest free first; a full block refuses the slot (409 SLOT_001)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from bench.slots import FakeDialer, NoRecords
from vssd.actors.control import SlotControl
from vssd.actors.farm import SlotFarm
from vssd.actors.supervisor import Supervisor
from vssd.config.models import NumberingConfig
from vssd.fsm import LoopClock, ManualClock, SlotEnv, TransitionRecorder


class Rows:
    """The slot rows in memory (no trunks)."""

    def __init__(self) -> None:
        self.slots: dict[int, dict[str, Any]] = {}

    async def insert_slot(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        row = {"id": max(self.slots, default=0) + 1, **fields}
        self.slots[row["id"]] = row
        return row

    async def used_sip_numbers(self) -> set[str]:
        return {str(r["internal_sip_number"]) for r in self.slots.values()}


@contextlib.asynccontextmanager
async def _control(numbering: NumberingConfig | None = None) -> AsyncIterator[SlotControl]:
    clock, supervisor = ManualClock(), Supervisor(LoopClock(), random.Random(1))
    farm = SlotFarm(supervisor, SlotEnv(clock, TransitionRecorder(clock)), FakeDialer(clock), NoRecords())
    try:
        yield SlotControl(farm, Rows(), numbering=numbering)  # type: ignore[arg-type]
    finally:
        await supervisor.stop()


async def _numbers(control: SlotControl, *kinds: str) -> list[str]:
    return [(await control.create_slot({"type": kind}))["internal_sip_number"] for kind in kinds]


async def test_the_default_plan_is_the_configs_default() -> None:
    async with _control() as control:
        assert await _numbers(control, "AUTO", "MF", "LS", "AUTO") == ["6001", "7001", "8001", "6002"]


async def test_a_configured_block_is_used_and_a_full_one_refuses() -> None:
    numbering = NumberingConfig.model_validate({"AUTO": {"first": 4100, "last": 4101}, "ls": {"first": 500,
                                                                                             "last": 599}})
    async with _control(numbering) as control:
        assert await _numbers(control, "AUTO", "LS", "AUTO", "MF") == ["4100", "500", "4101", "7001"]
        with pytest.raises(ValueError, match="SLOT_001"):
            await control.create_slot({"type": "AUTO"})


async def test_a_number_given_by_hand_is_skipped() -> None:
    async with _control(NumberingConfig.model_validate({"mf": {"first": 7100}})) as control:
        assert await _numbers(control, "MF") == ["7100"]
        await control.create_slot({"type": "MF", "internal_sip_number": "7101"})
        assert await _numbers(control, "MF") == ["7102"]
