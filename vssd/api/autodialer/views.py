"""The autodialer resource's response shapes. A campaign is `vssd.views.campaigns.campaign_view` (the campaign
desk builds it); leads, DNC entries, dead letters and operators are the desk's rows as they are."""

from __future__ import annotations

from typing import Any

from vssd.views.campaigns import campaign_view

__all__ = ["campaign_view", "dnc_removed_view"]


def dnc_removed_view(number: str) -> dict[str, Any]:
    """`DELETE /api/autodialer/dnc/{number}`'s answer."""
    return {"status": "deleted", "number": number}
