"""The campaign shape: a stored campaign row with the seeds' `campaign_id` alias beside its `id`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def campaign_view(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out.setdefault("campaign_id", out.get("id"))
    return out
