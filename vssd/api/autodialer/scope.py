"""A seller's own campaigns: a seller sees (and acts on) only the campaigns they created (`campaigns.created_by`)
and those campaigns' leads and dead letters; the other roles that read campaigns see them all. Another seller's
campaign answers 404, as one that does not exist, so its id tells nothing."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from vssd.api.errors import not_found, port_call
from vssd.api.ports import AutodialerDesk

OWN_ONLY_ROLES = frozenset({"seller"})


def owner_filter(request: web.Request) -> str | None:
    """The user id the caller's autodialer reads are limited to, or None (all campaigns)."""
    from vssd.api.authn import authenticate

    who = authenticate(request)
    return who.user_id if who.role in OWN_ONLY_ROLES and not who.anonymous else None


def scoped(request: web.Request, filters: Mapping[str, str]) -> dict[str, str]:
    """A list route's filters with the caller's `created_by` limit added (it overrides any given)."""
    out = dict(filters)
    owner = owner_filter(request)
    if owner is not None:
        out["created_by"] = owner
    return out


async def check_campaign(request: web.Request, desk: AutodialerDesk, campaign_id: str) -> None:
    """404 when the caller is limited to their own campaigns and `campaign_id` is not one of them."""
    owner = owner_filter(request)
    if owner is None:
        return
    view = await port_call(desk.get_campaign(campaign_id), f"campaign {campaign_id}")
    if str(view.get("created_by") or "") != owner:
        raise not_found(f"campaign {campaign_id} not found")
