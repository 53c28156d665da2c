"""One SlotType (vssd/fsm/types.py): the config's is the same enum, and the campaign settings' choices (a
Literal, for the OpenAPI schema) are its values."""

from __future__ import annotations

from typing import get_args

from vssd.calls.campaign import CampaignSettings
from vssd.config import SlotType as ConfigSlotType
from vssd.fsm import SlotType


def test_the_config_uses_the_fsms_slot_type() -> None:
    assert ConfigSlotType is SlotType


def test_campaign_slot_types_are_the_slot_types() -> None:
    (literal, _none) = get_args(CampaignSettings.model_fields["slot_type"].annotation)
    assert list(get_args(literal)) == [t.value for t in SlotType]
