"""Query-string parsing shared by the list routes: `limit`, `offset` (alias `skip`), and the total header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from vssd.api.errors import detail, invalid
from vssd.api.respond import json_response

T = TypeVar("T")
TOTAL_HEADER = "X-Total-Count"
CAPPED_HEADER = "X-Total-Count-Capped"


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    def cut(self, items: Sequence[T]) -> list[T]:
        return list(items[self.offset:self.offset + self.limit])


def _int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> tuple[int, list[Any]]:
    raw = query.get(name)
    if raw is None or raw == "":
        return default, []
    try:
        value = int(raw)
    except ValueError:
        return default, [detail(["query", name], "must be an integer")]
    if not low <= value <= high:
        return default, [detail(["query", name], f"must be between {low} and {high}")]
    return value, []


def page_of(query: Mapping[str, str], *, default_limit: int, max_limit: int) -> Page:
    """`limit` in 1..max_limit, `offset` (or `skip`) ≥ 0; 422 with details otherwise."""
    limit, problems = _int(query, "limit", default_limit, 1, max_limit)
    offset_name = "offset" if "offset" in query else "skip"
    offset, more = _int(query, offset_name, 0, 0, 10**9)
    if problems or more:
        raise invalid([*problems, *more], "invalid pagination parameters")
    return Page(limit, offset)


def list_response(items: list[Any], total: int, *, capped: bool = False) -> web.Response:
    """A bare JSON array with the total count in `X-Total-Count` (exposed to browsers via CORS headers). A list
    that stops counting at a bound (the CRM's leads) sends that bound with `X-Total-Count-Capped: true`: there are
    at least `total` matches."""
    headers = {TOTAL_HEADER: str(total), "Access-Control-Expose-Headers": TOTAL_HEADER}
    if capped:
        headers.update({CAPPED_HEADER: "true", "Access-Control-Expose-Headers": f"{TOTAL_HEADER},{CAPPED_HEADER}"})
    return json_response(items, headers=headers)
