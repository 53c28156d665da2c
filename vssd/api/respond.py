"""JSON bodies with orjson (datetimes as ISO-8601, non-string keys allowed, anything else via str)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=str, option=_OPTIONS)


def json_response(obj: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(obj), status=status, headers=headers, content_type="application/json")
