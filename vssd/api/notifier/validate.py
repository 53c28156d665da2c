"""What the notifier routes accept: a send (to a user, a role or a channel), a webhook subscription, the history's
filters. Every problem is listed at once (422 INVALID_PARAMS with `details`); unknown fields are refused by name,
never dropped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from yarl import URL

from vssd.api.errors import detail, invalid
from vssd.events import CATALOGUE
from vssd.notifier.model import CHANNELS, SEVERITIES, STATES

SEND_FIELDS = ("user", "role", "channel", "address", "title", "message", "severity", "channels", "data")
HOOK_FIELDS = ("url", "events", "secret", "description", "active")
TARGETS = ("user", "role", "channel")
TARGET_CHANNELS = ("email", "webhook")
USER_CHANNELS = ("websocket", "email")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\Z")
Problems = list[dict[str, Any]]


def _unknown(data: Mapping[str, Any], known: tuple[str, ...], problems: Problems) -> None:
    for name in data:
        if name not in known:
            problems.append(detail(["body", name], f"unknown field; known: {', '.join(known)}"))


def _text(data: Mapping[str, Any], name: str, max_len: int, problems: Problems, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        problems.append(detail(["body", name], f"required: a string of 1 to {max_len} characters"))
        return None
    return value.strip()


def send_request(data: Mapping[str, Any]) -> dict[str, Any]:
    problems: Problems = []
    _unknown(data, SEND_FIELDS, problems)
    targets = [t for t in TARGETS if data.get(t) is not None]
    if len(targets) != 1:
        problems.append(detail(["body"], "exactly one of user, role or channel is required"))
    out: dict[str, Any] = {"title": _text(data, "title", 200, problems, required=True),
                           "message": _text(data, "message", 4000, problems, required=True)}
    for target in targets:
        out[target] = _text(data, target, 100, problems, required=True)
    if out.get("channel") is not None and out["channel"] not in TARGET_CHANNELS:
        problems.append(detail(["body", "channel"], f"must be one of {', '.join(TARGET_CHANNELS)}"))
    if out.get("channel") == "email":
        address = data.get("address")
        if not isinstance(address, str) or not EMAIL.match(address):
            problems.append(detail(["body", "address"], "an e-mail address is required for the email channel"))
        out["address"] = address
    severity = data.get("severity", "info")
    if severity not in SEVERITIES:
        problems.append(detail(["body", "severity"], f"must be one of {', '.join(SEVERITIES)}"))
    channels = data.get("channels", ["websocket"])
    if not isinstance(channels, list) or not channels or not all(c in USER_CHANNELS for c in channels):
        problems.append(detail(["body", "channels"], f"a non-empty list of {', '.join(USER_CHANNELS)}"))
    extra = data.get("data", {})
    if not isinstance(extra, dict):
        problems.append(detail(["body", "data"], "must be an object"))
    if problems:
        raise invalid(problems, "invalid notification")
    return {**out, "severity": severity, "channels": list(dict.fromkeys(channels)), "data": extra}


def _url(value: Any, problems: Problems) -> str | None:
    try:
        url = URL(value) if isinstance(value, str) and len(value) <= 2000 else None
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        problems.append(detail(["body", "url"], "must be an http:// or https:// URL with a host"))
        return None
    return str(value)


def _events(value: Any, problems: Problems) -> list[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(detail(["body", "events"], "a non-empty list of event names from the catalogue"))
        return None
    unknown = [v for v in value if v not in CATALOGUE]
    if unknown:
        problems.append(detail(["body", "events"], f"not in the event catalogue: {', '.join(unknown)}"))
        return None
    return list(dict.fromkeys(value))


def webhook_fields(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    problems: Problems = []
    _unknown(data, HOOK_FIELDS, problems)
    out: dict[str, Any] = {}
    if creating or "url" in data:
        out["url"] = _url(data.get("url"), problems)
    if creating or "events" in data:
        out["events"] = _events(data.get("events"), problems)
    secret = data.get("secret")
    if secret is not None:
        if not isinstance(secret, str) or not 16 <= len(secret) <= 256:
            problems.append(detail(["body", "secret"], "a string of 16 to 256 characters"))
        out["secret"] = secret
    description = data.get("description")
    if description is not None:
        if not isinstance(description, str) or len(description) > 500:
            problems.append(detail(["body", "description"], "a string of at most 500 characters"))
        out["description"] = description
    if "active" in data:
        if not isinstance(data["active"], bool):
            problems.append(detail(["body", "active"], "must be true or false"))
        out["active"] = data["active"]
    if problems:
        raise invalid(problems, "invalid webhook subscription")
    return out


def history_filters(query: Mapping[str, str]) -> dict[str, str]:
    problems: Problems = []
    for name, allowed in (("state", STATES), ("channel", CHANNELS)):
        value = query.get(name)
        if value and value not in allowed:
            problems.append(detail(["query", name], f"must be one of {', '.join(allowed)}"))
    if problems:
        raise invalid(problems, "invalid history filters")
    keys = ("state", "channel", "event", "recipient", "notification_id", "webhook_id")
    return {k: query[k][:200] for k in keys if query.get(k)}
