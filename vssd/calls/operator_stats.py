"""An operator's figures for a period (the Smart Call Center API's
`GET /api/operators/{id}/stats`), from what the store holds.

Periods are `vssd/calls/periods.py`'s UTC days, the same as `/api/calls/stats`. From the store: calls handled
(answered, bridged to the operator, not abandoned), talk time, and the operator's dispositions by code.
`first_call_resolution` is the share of those dispositions that close the lead (sale, not interested, do not
call, wrong number) rather than ask for another call.

Figures that API shows that vssd has no data for are null, never invented: `calls_missed` (lines are
pre-connected, so a call is never offered to an operator who then lets it ring), `efficiency` (no log-in time
is kept) and `customer_satisfaction` (no surveys).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

RESOLVED_CODES = frozenset({"sale", "not_interested", "dnc", "wrong_number"})


def stats_view(operator_id: str, period: str, since: datetime, until: datetime,
               stored: Mapping[str, Any]) -> dict[str, Any]:
    """The Smart Call Center API's shape from the store's figures (`StoreOperators.stats`)."""
    handled, talk_s = int(stored["calls_handled"]), float(stored["talk_s"])
    codes: dict[str, int] = {str(k): int(v) for k, v in dict(stored["dispositions"]).items()}
    disposed = sum(codes.values())
    resolved = sum(n for code, n in codes.items() if code in RESOLVED_CODES)
    return {
        "operator_id": operator_id, "period": period,
        "period_start": since.isoformat(), "period_end": until.isoformat(),
        "calls_handled": handled, "calls_missed": None,
        "total_talk_time": round(talk_s), "avg_talk_time": round(talk_s / handled, 1) if handled else 0.0,
        "efficiency": None,
        "first_call_resolution": round(100.0 * resolved / disposed, 1) if disposed else None,
        "customer_satisfaction": None,
        "dispositions": codes,
    }
