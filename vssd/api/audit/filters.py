"""The trail's query filters, validated (a bad value is 422 naming the parameter, never an empty list):
`actor` (a user id or a username), `user_id` (a UUID), `username`, `action` (exact, e.g. `PATCH /api/users/{user_id}`),
`object_type` (e.g. `users`), `object_id`, `outcome` (`ok` — alias `success` —, `denied`, `failed`), and the time
range `from`/`to` (ISO-8601; `since`/`until` are aliases; a time without a zone is UTC; `from` ≤ `to`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.api.errors import detail, invalid

TEXT = ("actor", "username", "action", "object_type", "object_id")
OUTCOME_ALIASES = {"ok": "ok", "success": "ok", "denied": "denied", "failed": "failed"}
TIME = {"from": "since", "since": "since", "to": "until", "until": "until"}
MAX_TEXT = 300


def _time(raw: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _text_filters(query: Mapping[str, str], problems: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in TEXT:
        value = query.get(name, "").strip()
        if len(value) > MAX_TEXT:
            problems.append(detail(["query", name], f"must be at most {MAX_TEXT} characters"))
        elif value:
            found[name] = value
    return found


def filters_of(query: Mapping[str, str]) -> dict[str, Any]:
    """The filters the query asks for; 422 INVALID_PARAMS with every bad one."""
    problems: list[dict[str, Any]] = []
    found = _text_filters(query, problems)
    if query.get("user_id"):
        try:
            found["user_id"] = str(uuid.UUID(query["user_id"]))
        except ValueError:
            problems.append(detail(["query", "user_id"], "must be a UUID"))
    if query.get("outcome"):
        outcome = OUTCOME_ALIASES.get(query["outcome"])
        if outcome is None:
            problems.append(detail(["query", "outcome"], "must be one of success (ok), denied, failed"))
        else:
            found["outcome"] = outcome
    for name, key in TIME.items():
        if query.get(name):
            at = _time(query[name])
            if at is None:
                problems.append(detail(["query", name], "must be an ISO-8601 date-time"))
            else:
                found[key] = at
    if not problems and "since" in found and "until" in found and found["since"] > found["until"]:
        problems.append(detail(["query", "from"], "must not be after to"))
    if problems:
        raise invalid(problems, "invalid audit filters")
    return found
