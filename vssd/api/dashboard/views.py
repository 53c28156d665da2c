"""The dashboards' answers, in the documents' shapes: the WORKSPACE API's `/api/dashboard` (and the DEMIURGE
reference's `slots`/`calls`/`trunks` blocks beside it), the Smart Call Center API's `stats`, `realtime`,
`call-analytics` and `operator-activity`. Inputs: the call figures (`CallFigures`), the live slot views and the
live operator views; every ratio is a percentage with one decimal, every average whole seconds, null when there
is nothing to divide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

OPERATOR_STATUSES = ("online", "busy", "wrapup", "offline")
LIVE_STATES = frozenset({"CALLING", "RINGING", "ACTIVE_CALL"})


def percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def mean(total: float, count: int) -> int | None:
    return round(total / count) if count else None


def iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")


def call_figures(f: Mapping[str, Any]) -> dict[str, Any]:
    """The console's call block: counts, ASR (answered / ended calls), ACD (mean talk seconds of answered
    calls), average wait and service level (answered within 20 s / finished)."""
    return {
        "total": f["total"], "answered": f["answered"], "missed": f["missed"], "abandoned": f["abandoned"],
        "asr": percent(f["answered"], f["ended"]), "acd": mean(f["talk_s"], f["talk_n"]),
        "average_wait_time": mean(f["ring_s"], f["ring_n"]),
        "service_level": percent(f["within_sla"], f["answered"] + f["missed"]),
    }


def per_hour(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    """24 buckets ("00:00" … "23:00", hours of day in the asked time zone), zeros where nothing happened."""
    known = {h["hour"]: h for h in f["hours"]}
    out = []
    for hour in range(24):
        h = known.get(hour, {})
        out.append({"hour": f"{hour:02d}:00", "calls": h.get("calls") or 0, "answered": h.get("answered") or 0,
                    "missed": h.get("missed") or 0})
    return out


def busiest_hour(f: Mapping[str, Any]) -> str | None:
    peak = max(f["hours"], key=lambda h: (h["calls"], -h["hour"]), default=None)
    return f"{peak['hour']:02d}:00" if peak is not None else None


def slots_by(views: Iterable[Mapping[str, Any]], field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for view in views:
        key = str(view.get(field) or "unknown")
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def slot_block(views: list[dict[str, Any]]) -> dict[str, Any]:
    """The DEMIURGE reference's `slots` block (total/busy/free/error) with the FSM states and types."""
    status = slots_by(views, "status")
    return {"total": len(views), "busy": status.get("busy", 0), "free": status.get("free", 0),
            "error": status.get("error", 0), "offline": status.get("offline", 0), "by_status": status,
            "by_state": slots_by(views, "fsm_state"), "by_type": slots_by(views, "type")}


def active_calls(views: Iterable[Mapping[str, Any]]) -> int:
    return sum(1 for v in views if v.get("fsm_state") in LIVE_STATES)


def operators_by_status(operators: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(OPERATOR_STATUSES, 0)
    for op in operators:
        status = str(op.get("status") or "offline")
        counts[status] = counts.get(status, 0) + 1
    return counts


def dashboard_view(f: Mapping[str, Any], slots: list[dict[str, Any]], operators: list[dict[str, Any]],
                   trunks: list[dict[str, Any]] | None, now: float) -> dict[str, Any]:
    """`GET /api/dashboard`: the WORKSPACE API's flat figures, the DEMIURGE blocks and the console's page."""
    block = slot_block(slots)
    live = active_calls(slots)
    return {
        "active_calls": live, "active_slots": block["total"] - block["offline"] - block["error"],
        "today_calls": f["total"], "failed_calls": f["missed"], "timestamp": iso(now),
        "slots": block, "calls": {"active": live, **call_figures(f)},
        "trunks": {"total": len(trunks), "online": sum(1 for t in trunks if t.get("status", "online") == "online")}
        if trunks is not None else None,
        "calls_per_hour": per_hour(f), "operators": operators_by_status(operators),
    }


def stats_view(f: Mapping[str, Any], operators: list[dict[str, Any]], period: str, tz: str) -> dict[str, Any]:
    """The Smart Call Center API's `GET /api/dashboard/stats` (its `_today` names whatever the period)."""
    figures = call_figures(f)
    status = operators_by_status(operators)
    return {
        "total_calls_today": f["total"], "answered_calls_today": f["answered"], "missed_calls_today": f["missed"],
        "abandoned_calls_today": f["abandoned"], "average_wait_time": figures["average_wait_time"],
        "service_level": figures["service_level"], "asr": figures["asr"], "acd": figures["acd"],
        "active_operators": len(operators) - status["offline"], "total_operators": len(operators),
        "busiest_hour": busiest_hour(f),
        "call_trends": [{"hour": h["hour"], "calls": h["calls"], "answered": h["answered"]} for h in per_hour(f)],
        "period": period, "tz": tz,
    }


def realtime_view(hour: Mapping[str, Any], slots: list[dict[str, Any]], operators: list[dict[str, Any]],
                  now: float) -> dict[str, Any]:
    """`GET /api/dashboard/realtime`. `queue_waiting`: answered campaign calls waiting for an operator (the
    farm's slots in ACTIVE_CALL with no operator bridged are not told apart yet: 0)."""
    status = operators_by_status(operators)
    return {"active_calls": active_calls(slots), "queue_waiting": 0, "operators_online": status["online"],
            "operators_busy": status["busy"], "operators_wrapup": status["wrapup"],
            "operators_offline": status["offline"], "current_hour_calls": hour["total"], "timestamp": iso(now)}


def analytics_view(f: Mapping[str, Any], period: str, tz: str) -> dict[str, Any]:
    """`GET /api/dashboard/call-analytics`: per hour, per campaign (the documents' queues: a campaign is the
    queue its calls wait in; manual calls are the `manual` queue) and per operator (efficiency = answered /
    handled)."""
    queues = [{"queue_name": c["name"] or c["campaign_id"] or "manual", "queue_id": c["campaign_id"] or None,
               "calls": c["calls"], "answered": c["answered"] or 0,
               "avg_wait_time": mean(c["ring_s"] or 0, c["ring_n"] or 0),
               "service_level": percent(c["within_sla"] or 0, c["ended"] or 0)} for c in f["campaigns"]]
    ops = [{"operator_id": o["operator_id"], "operator_name": o["operator_name"], "calls_handled": o["calls"],
            "avg_talk_time": mean(o["talk_s"] or 0, o["talk_n"] or 0),
            "efficiency": percent(o["answered"] or 0, o["calls"])} for o in f["operators"]]
    hours = [{"hour": h["hour"], "incoming": h["calls"], "answered": h["answered"], "missed": h["missed"]}
             for h in per_hour(f)]
    return {"hourly_distribution": hours, "queue_performance": queues, "operator_summary": ops,
            "period": period, "tz": tz}


def activity_view(operators: list[dict[str, Any]], f: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    """`GET /api/dashboard/operator-activity`: each live operator, its calls today from the figures."""
    calls = {o["operator_id"]: o["calls"] for o in f["operators"]}
    out = []
    for op in operators:
        last = op.get("last_activity")
        busy = op.get("status") == "busy" and isinstance(last, int | float)
        out.append({
            "operator_id": op.get("user_id") or op.get("id"), "name": op.get("name") or "",
            "extension": op.get("extension") or "", "status": op.get("status") or "offline",
            "current_call_duration": max(0, round(now - last)) if busy and last else 0,
            "calls_today": calls.get(str(op.get("user_id")), 0),
            "last_activity": iso(last) if isinstance(last, int | float) else last,
        })
    return out


def metrics_view(system: Mapping[str, Any] | None, checks: Mapping[str, bool], slots: list[dict[str, Any]],
                 hour: Mapping[str, Any], now: float) -> dict[str, Any]:
    """`GET /api/dashboard/metrics`: the host (the monitor's system sample), the daemon's readiness checks, the
    farm and this hour's calls."""
    return {"system": dict(system) if system is not None else None, "checks": dict(checks),
            "ready": all(checks.values()), "slots": slot_block(slots),
            "calls": {"active": active_calls(slots), "current_hour": hour["total"],
                      "current_hour_answered": hour["answered"]},
            "timestamp": iso(now)}
