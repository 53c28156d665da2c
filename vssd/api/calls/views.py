"""The calls resource's response shapes. A call is `vssd.views.calls` (`call_view` for a live or finished call,
`row_view` for a stored row, `seed_view` for the source documents' other names: the call desk builds them and
the real-time `call.*` events carry the same shape); here the API's own additions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vssd.views.calls import call_view, row_view, seed_view

__all__ = ["call_view", "ended_view", "row_view", "seed_shape", "seed_view", "stats_view"]

SEED_ALIASES = {"number": "phone_number", "start_time": "started_at", "end_time": "ended_at", "slot": "slot_id"}


def seed_shape(view: dict[str, Any]) -> dict[str, Any]:
    """The view plus the WORKSPACE API's field names where the port used its own."""
    out = dict(view)
    for seed_name, port_name in SEED_ALIASES.items():
        if seed_name not in out and port_name in out:
            out[seed_name] = out[port_name]
    out.setdefault("user", None)
    return out


def ended_view(view: Mapping[str, Any], reason: Any) -> dict[str, Any]:
    """`POST /api/call/end`'s answer: the call and the reason given (a string, else null)."""
    return {**view, "reason": reason if isinstance(reason, str) else None}


def stats_view(stats: Mapping[str, Any], period: str, start: datetime, end: datetime,
               group_id: str | None) -> dict[str, Any]:
    """`GET /api/calls/stats`'s answer: the figures and the period they cover."""
    return {**stats, "period": period, "from": start.isoformat(), "to": end.isoformat(), "group_id": group_id}
