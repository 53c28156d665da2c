"""Request bodies: JSON objects (any content type that is not a form) or url-encoded forms."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from vssd.api.errors import ApiError, detail, invalid

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def object_body(request: web.Request) -> dict[str, Any]:
    """The body as a dict: 400 INVALID_PARAMS when it is not JSON, 422 when it is JSON but not an object.

    A form content type whose body is a JSON object is read as JSON (`curl -d '{...}'` without `-H`).
    """
    raw = await request.read()
    if request.content_type in FORM_TYPES and not raw.lstrip().startswith(b"{"):
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    if not raw.strip():
        raise invalid([detail(["body"], "a JSON object is required")], "empty request body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise ApiError(400, "INVALID_PARAMS", f"malformed JSON body: {err}") from None
    if not isinstance(data, dict):
        raise invalid([detail(["body"], "must be a JSON object")])
    return data


def text_field(data: dict[str, Any], name: str, problems: list[dict[str, Any]], *, max_len: int = 256) -> str:
    """A required non-empty string field; appends a detail to `problems` when absent or wrong."""
    value = data.get(name)
    if value is None or value == "":
        problems.append(detail(["body", name], "field required"))
        return ""
    if not isinstance(value, str):
        problems.append(detail(["body", name], "must be a string"))
        return ""
    if len(value) > max_len:
        problems.append(detail(["body", name], f"must be at most {max_len} characters"))
        return ""
    return value


async def optional_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body, or {} when there is none (enroll/disable/restart may be sent bare)."""
    if not request.can_read_body or (request.content_length == 0):
        return {}
    return await object_body(request)
