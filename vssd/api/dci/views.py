"""The DCI resource's request checks and answers only the API gives (the views themselves are the desk's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from vssd.api.errors import detail, invalid

MAX_MESSAGE = 4000
MAX_CONTEXT_BYTES = 16_384


def log_event_fields(data: dict[str, Any], modules: Sequence[str], severities: Sequence[str]) -> dict[str, Any]:
    """`POST /api/dci/log-event`'s body (the document's: module, severity, message, context, user_id) checked;
    422 with every failing field."""
    problems: list[dict[str, Any]] = []
    module, severity, message = data.get("module"), data.get("severity"), data.get("message")
    if not isinstance(module, str) or module.upper() not in modules:
        problems.append(detail(["body", "module"], f"required: one of {', '.join(modules)}"))
    if not isinstance(severity, str) or severity.lower() not in severities:
        problems.append(detail(["body", "severity"], f"required: one of {', '.join(severities)}"))
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        problems.append(detail(["body", "message"], f"required: a string of 1 to {MAX_MESSAGE} characters"))
    context = data.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        problems.append(detail(["body", "context"], "must be an object"))
    elif _json_size(context) > MAX_CONTEXT_BYTES:
        problems.append(detail(["body", "context"], f"JSON of at most {MAX_CONTEXT_BYTES} bytes, at most 255 "
                                                    "levels deep"))
    user_id = data.get("user_id")
    if user_id is not None and (not isinstance(user_id, str | int) or isinstance(user_id, bool)
                                or len(str(user_id)) > 100):
        problems.append(detail(["body", "user_id"], "must be a string of at most 100 characters"))
    if problems:
        raise invalid(problems, "invalid log event")
    assert isinstance(module, str) and isinstance(severity, str) and isinstance(message, str)
    return {"module": module.upper(), "severity": severity.lower(), "message": message, "context": context,
            "user_id": None if user_id is None else str(user_id)}


def _json_size(value: Any) -> int:
    """Its size as JSON; past any bound when it cannot be stored as JSON (huge integers, too deep)."""
    try:
        return len(orjson.dumps(value, default=str))
    except TypeError:
        return MAX_CONTEXT_BYTES + 1
